// The product's list of modules (app/modules.hpp): names, migrations and configuration keys that
// the host gathers from every module, each of which must be unique.
#include "app/modules.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "module/module.hpp"

namespace cambista::app {
namespace {

TEST(ModulesTest, EveryModuleHasItsOwnName) {
  std::set<std::string_view> names;
  for (const module::Module& module : Modules()) {
    EXPECT_FALSE(module.name.empty());
    EXPECT_TRUE(names.insert(module.name).second) << module.name;
  }
  // The pay-ins build on the providers' catalog, so the providers come first.
  std::vector<std::string_view> order;
  for (const module::Module& module : Modules()) order.push_back(module.name);
  const auto position = [&](std::string_view name) {
    return std::find(order.begin(), order.end(), name) - order.begin();
  };
  EXPECT_LT(position("providers"), position("payins"));
}

TEST(ModulesTest, MigrationsOfAllModulesFormOneSequenceWithoutGaps) {
  int expected = 1;
  for (const store::Migration& migration : AllMigrations()) {
    EXPECT_EQ(migration.version, expected) << migration.name;
    EXPECT_FALSE(migration.sqlite_sql.empty());
    EXPECT_FALSE(migration.postgres_sql.empty());
    ++expected;
  }
  EXPECT_GE(expected - 1, 12);  // the released ones stay
}

TEST(ModulesTest, ConfigurationKeysAreUniqueAndEachIsChecked) {
  std::set<std::string> paths;
  for (const module::ConfigKey& key : ModuleConfigKeys()) {
    EXPECT_TRUE(paths.insert(key.path).second) << key.path;
    EXPECT_NE(key.path.find('.'), std::string::npos) << key.path;  // "section.key"
    ASSERT_TRUE(key.check) << key.path;
  }
  EXPECT_TRUE(paths.contains("gateways.buhopago_url"));
  EXPECT_TRUE(paths.contains("gateway_fees.syncpay"));
}

TEST(ModulesTest, TheProvidersRefuseABadUrlOrFeeWithAReason) {
  for (const module::ConfigKey& key : ModuleConfigKeys()) {
    if (key.path == "gateways.syncpay_url") {
      EXPECT_FALSE(key.check("https://api.example.com/"));
      EXPECT_EQ(key.check("ftp://example.com").value_or(""), "expected an http:// or https:// URL");
    }
    if (key.path == "gateway_fees.syncpay") {
      EXPECT_FALSE(key.check("0.99% + 0.50"));
      EXPECT_TRUE(key.check("2 percent").value_or("").starts_with("expected a fee"));
    }
  }
}

}  // namespace
}  // namespace cambista::app
