// The product's modules, in installation order: the platform's tables (ledger, jobs, API keys and
// idempotency, events, the database seal), then accounting, the providers, the pay-ins. `serve`
// installs each (app/server.hpp); `migrate` applies their migrations; the configuration takes
// their keys. A new module is one more line in modules.cpp.
#pragma once

#include <span>
#include <vector>

#include "module/config_key.hpp"
#include "store/migrations.hpp"

namespace cambista::module {
struct Module;
}

namespace cambista::app {

std::span<const module::Module> Modules();

// Every module's migrations, in version order. Two modules claiming one version is a bug
// (CAMBISTA_CHECK at the first call).
std::span<const store::Migration> AllMigrations();

// Every module's configuration keys.
std::vector<module::ConfigKey> ModuleConfigKeys();

}  // namespace cambista::app
