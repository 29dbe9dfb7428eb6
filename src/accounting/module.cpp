#include "accounting/module.hpp"

#include "accounting/routes.hpp"

namespace cambista::accounting {
namespace {

void Install(module::ModuleContext& context) {
  const module::ModuleContext::Services& services = context.services();
  AddAccountingRoutes(services.router, services.gate, services.ledger, services.chart,
                      services.assets);
}

}  // namespace

const module::Module kModule{"accounting", nullptr, nullptr, Install};

}  // namespace cambista::accounting
