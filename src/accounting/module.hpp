// Accounting as a module (module/module.hpp): Install() adds the tenant's books over HTTP
// (accounting/routes.hpp). The chart itself is a shared service every module books through
// (ModuleContext::Services::chart); its table comes with the pay-ins' migration 8.
#pragma once

#include "module/module.hpp"

namespace cambista::accounting {

extern const module::Module kModule;

}  // namespace cambista::accounting
