#include "app/modules.hpp"

#include <algorithm>
#include <array>

#include "accounting/module.hpp"
#include "api/schema.hpp"
#include "app/schema.hpp"
#include "core/assert.hpp"
#include "events/module.hpp"
#include "jobs/schema.hpp"
#include "ledger/schema.hpp"
#include "module/module.hpp"
#include "payins/module.hpp"
#include "payouts/module.hpp"
#include "pricing/module.hpp"
#include "providers/module.hpp"
#include "trading/module.hpp"

namespace cambista::app {

std::span<const module::Module> Modules() {
  static const std::array<module::Module, 11> modules = {
      module::Module{"ledger", ledger::Migrations},
      module::Module{"jobs", jobs::Migrations},
      module::Module{"api", api::Migrations},
      events::kModule,
      module::Module{"seal", app::Migrations},
      accounting::kModule,
      providers::kModule,
      pricing::kModule,
      payins::kModule,
      payouts::kModule,
      trading::kModule,
  };
  return modules;
}

std::span<const store::Migration> AllMigrations() {
  static const std::vector<store::Migration> migrations = [] {
    std::vector<store::Migration> all;
    for (const module::Module& module : Modules()) {
      if (module.migrations == nullptr) continue;
      const auto own = module.migrations();
      all.insert(all.end(), own.begin(), own.end());
    }
    std::sort(all.begin(), all.end(),
              [](const auto& a, const auto& b) { return a.version < b.version; });
    for (size_t i = 1; i < all.size(); ++i) CAMBISTA_CHECK(all[i - 1].version < all[i].version);
    return all;
  }();
  return migrations;
}

std::vector<module::ConfigKey> ModuleConfigKeys() {
  std::vector<module::ConfigKey> keys;
  for (const module::Module& module : Modules()) {
    if (module.config_keys == nullptr) continue;
    std::vector<module::ConfigKey> own = module.config_keys();
    keys.insert(keys.end(), std::make_move_iterator(own.begin()),
                std::make_move_iterator(own.end()));
  }
  return keys;
}

}  // namespace cambista::app
