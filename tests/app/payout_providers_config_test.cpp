// A desk's payout providers outside the sandbox, from the configuration as `serve` loads it
// (app/config.hpp: the file, then CAMBISTA_* variables) to the directory the providers module
// installs (providers/configured_payout_providers.hpp): a provider is enabled by its url, its
// credentials come only from the environment, and every refusal names the variable, never the
// value.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "app/config.hpp"
#include "core/clock.hpp"
#include "net/http_client.hpp"
#include "providers/configured_payout_providers.hpp"
#include "providers/payout_providers.hpp"

namespace cambista::app {
namespace {

constexpr std::string_view kMerchant = "3f2b8c1e-6a4d-4e7f-9b21-5c8d7e6f1a20";
constexpr std::string_view kApiKey = "hk-payout-key-that-must-never-be-printed";

const Environment kHeleketCredentials = {{"CAMBISTA_HELEKET_MERCHANT", std::string(kMerchant)},
                                         {"CAMBISTA_HELEKET_PAYOUT_API_KEY", std::string(kApiKey)}};

Config Loaded(std::string_view toml, const Environment& environment) {
  auto config = LoadConfigText(toml, "c.toml", environment);
  EXPECT_TRUE(config.ok()) << config.error().ToString();
  return config.ok() ? std::move(config).value() : Config();
}

class PayoutProvidersConfigTest : public ::testing::Test {
 protected:
  Result<std::unique_ptr<providers::ConfiguredPayoutProviders>, std::string> Configure(
      const Config& config) {
    const auto setting = [&config](std::string_view path) -> std::optional<std::string_view> {
      const auto found = config.module_values.find(path);
      if (found == config.module_values.end()) return std::nullopt;
      return std::string_view(found->second);
    };
    return providers::ConfigurePayoutProviders(
        setting, payouts::ProviderContext{&http_, &clock_, "", 5'000});
  }
  // What a refusal says must name `variable` and hold no credential.
  static void ExpectNamesWithoutSecrets(const std::string& message, std::string_view variable) {
    EXPECT_NE(message.find(variable), std::string::npos) << message;
    for (std::string_view secret : {kMerchant, kApiKey}) {
      EXPECT_EQ(message.find(secret), std::string::npos) << message;
    }
  }

  net::HttpClient http_;
  SystemClock clock_;
};

TEST_F(PayoutProvidersConfigTest, NoneIsEnabledUntilItsUrlIsSet) {
  auto none = Configure(Loaded("", {}));
  ASSERT_TRUE(none.ok()) << none.error();
  EXPECT_TRUE(none.value()->Names().empty());
  // Credentials alone enable nothing: the url says where the provider is.
  auto credentials_only = Configure(Loaded("", kHeleketCredentials));
  ASSERT_TRUE(credentials_only.ok()) << credentials_only.error();
  EXPECT_TRUE(credentials_only.value()->Names().empty());
  EXPECT_EQ(credentials_only.value()->Find("heleket"), nullptr);
  // An empty url is no url.
  auto empty = Configure(Loaded("[payouts.providers.heleket]\nurl = \"\"\n", kHeleketCredentials));
  ASSERT_TRUE(empty.ok()) << empty.error();
  EXPECT_TRUE(empty.value()->Names().empty());
}

TEST_F(PayoutProvidersConfigTest, AUrlInTheFileAndCredentialsInTheEnvironmentEnableAProvider) {
  const Config config = Loaded("[payouts.providers.heleket]\nurl = \"https://api.heleket.test/\"\n",
                               kHeleketCredentials);
  EXPECT_EQ(config.module_values.at("payouts.providers.heleket.url"), "https://api.heleket.test/");
  // The credentials' variables are settings, not strangers to warn about.
  EXPECT_TRUE(config.ignored_environment.empty());
  auto configured = Configure(config);
  ASSERT_TRUE(configured.ok()) << configured.error();
  EXPECT_EQ(configured.value()->Names(), std::vector<std::string>{"heleket"});
  ASSERT_NE(configured.value()->Find("heleket"), nullptr);
  EXPECT_EQ(configured.value()->Find("heleket")->Describe().name, "heleket");
  EXPECT_EQ(configured.value()->Find("pixout"), nullptr);
}

TEST_F(PayoutProvidersConfigTest, EveryProviderCanBeEnabledFromTheEnvironmentInTheOrderTried) {
  Environment environment = kHeleketCredentials;
  environment.insert({{"CAMBISTA_PAYOUTS_PROVIDERS_HELEKET_URL", "https://api.heleket.test"},
                      {"CAMBISTA_PAYOUTS_PROVIDERS_PIXOUT_URL", "https://psp.test/v2"},
                      {"CAMBISTA_PIXOUT_CLIENT_ID", "desk-client"},
                      {"CAMBISTA_PIXOUT_CLIENT_SECRET", "psp-secret"},
                      {"CAMBISTA_PIXOUT_PAYER_KEY", "desk@example.com"},
                      {"CAMBISTA_PAYOUTS_PROVIDERS_BUHOPAGO_URL", "https://api.buhopago.test"},
                      {"CAMBISTA_BUHOPAGO_API_KEY", "bp_live_abc"},
                      {"CAMBISTA_BUHOPAGO_BANK_ACCOUNT_ID", "ba_desk"},
                      {"CAMBISTA_BUHOPAGO_WEBHOOK_SECRET", "whs"}});
  const Config config = Loaded("", environment);
  EXPECT_TRUE(config.ignored_environment.empty());
  auto configured = Configure(config);
  ASSERT_TRUE(configured.ok()) << configured.error();
  EXPECT_EQ(configured.value()->Names(), providers::PayoutProviderNames());
  for (const std::string& name : providers::PayoutProviderNames()) {
    EXPECT_NE(configured.value()->Find(name), nullptr) << name;
  }
}

TEST_F(PayoutProvidersConfigTest, AMissingCredentialIsRefusedByItsVariable) {
  const Config config = Loaded("[payouts.providers.heleket]\nurl = \"https://api.heleket.test\"\n",
                               {{"CAMBISTA_HELEKET_MERCHANT", std::string(kMerchant)}});
  auto refused = Configure(config);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error(),
            "payout provider heleket (its url is set): set CAMBISTA_HELEKET_PAYOUT_API_KEY");
  ExpectNamesWithoutSecrets(refused.error(), "CAMBISTA_HELEKET_PAYOUT_API_KEY");
  // Set but empty is missing too.
  Environment empty = kHeleketCredentials;
  empty["CAMBISTA_HELEKET_MERCHANT"] = "";
  auto refused_empty =
      Configure(Loaded("[payouts.providers.heleket]\nurl = \"https://h.test\"\n", empty));
  ASSERT_FALSE(refused_empty.ok());
  ExpectNamesWithoutSecrets(refused_empty.error(), "set CAMBISTA_HELEKET_MERCHANT");
}

TEST_F(PayoutProvidersConfigTest, AMalformedCredentialIsRefusedWithoutRepeatingIt) {
  // A stray newline from `$(cat key-file)`-style quoting, or a space, stops the load itself.
  for (std::string bad : {std::string(kApiKey) + "\n", std::string(kApiKey) + " x",
                          std::string(kApiKey) + "\xc3\xa9"}) {
    Environment environment = kHeleketCredentials;
    environment["CAMBISTA_HELEKET_PAYOUT_API_KEY"] = bad;
    auto refused = LoadConfigText("", "c.toml", environment);
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().key, "CAMBISTA_HELEKET_PAYOUT_API_KEY");
    ExpectNamesWithoutSecrets(refused.error().ToString(), "CAMBISTA_HELEKET_PAYOUT_API_KEY");
  }
  // One the adapter refuses (Heleket's merchant is a uuid): every variable is named, no value.
  Environment environment = kHeleketCredentials;
  environment["CAMBISTA_HELEKET_MERCHANT"] = std::string(kApiKey);  // a secret in the wrong place
  auto refused =
      Configure(Loaded("[payouts.providers.heleket]\nurl = \"https://h.test\"\n", environment));
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().find("heleket merchant must be a uuid"), std::string::npos)
      << refused.error();
  ExpectNamesWithoutSecrets(refused.error(), "CAMBISTA_HELEKET_MERCHANT");
}

TEST_F(PayoutProvidersConfigTest, ASecretWrittenInTheFileIsRefusedWithoutRepeatingIt) {
  auto refused =
      LoadConfigText("[payouts.providers.heleket]\nurl = \"https://h.test\"\npayout_api_key = \"" +
                         std::string(kApiKey) + "\"\n",
                     "c.toml", {});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().ToString(),
            "c.toml:3: payouts.providers.heleket.payout_api_key: a secret, read only from the "
            "environment (CAMBISTA_HELEKET_PAYOUT_API_KEY), never from a file");
  auto bad_url =
      LoadConfigText("[payouts.providers.pixout]\nurl = \"ftp://psp.test\"\n", "c.toml", {});
  ASSERT_FALSE(bad_url.ok());
  EXPECT_EQ(bad_url.error().ToString(),
            "c.toml:2: payouts.providers.pixout.url: expected an http:// or https:// URL");
  auto unknown =
      LoadConfigText("[payouts.providers.nosuch]\nurl = \"https://x.test\"\n", "c.toml", {});
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.error().ToString().find("unknown key \"payouts.providers.nosuch.url\""),
            std::string::npos);
}

TEST_F(PayoutProvidersConfigTest, ServeAndReconcileReadTheSameVariables) {
  EXPECT_EQ(providers::PayoutCredentialVariable("heleket", "payout_api_key"),
            "CAMBISTA_HELEKET_PAYOUT_API_KEY");
  auto read = providers::ReadPayoutCredentials("buhopago", [](std::string_view name) {
    return name == "webhook_secret" ? std::nullopt : std::optional<std::string>("bp_test_x");
  });
  ASSERT_TRUE(read.ok()) << read.error();
  EXPECT_EQ(read.value().size(), 2u);  // the optional webhook_secret left out when unset
  EXPECT_FALSE(providers::ReadPayoutCredentials("nosuch", [](std::string_view) {
                 return std::optional<std::string>("x");
               }).ok());
}

TEST_F(PayoutProvidersConfigTest, NestedTablesOfTheFileAreKeys) {
  // [payouts.approval_thresholds] and the [payouts] timings, as the README writes them.
  const Config config = Loaded(
      "[payouts]\ntrack_after_send_ms = 2000\nreview_after_ms = 600000\n"
      "[payouts.approval_thresholds]\nUSDT = \"1000.00\"\n",
      {});
  EXPECT_EQ(config.module_values.at("payouts.approval_thresholds.USDT"), "1000.00");
  EXPECT_EQ(config.module_values.at("payouts.track_after_send_ms"), "2000");
  EXPECT_EQ(config.module_values.at("payouts.review_after_ms"), "600000");
  auto too_soon = LoadConfigText("[payouts]\ntrack_after_send_ms = 0\n", "c.toml", {});
  ASSERT_FALSE(too_soon.ok());
  EXPECT_EQ(too_soon.error().ToString(),
            "c.toml:2: payouts.track_after_send_ms: expected milliseconds from 100 to 3600000");
  auto nested_unknown = LoadConfigText("[server.extra]\nx = 1\n", "c.toml", {});
  ASSERT_FALSE(nested_unknown.ok());
  EXPECT_NE(nested_unknown.error().ToString().find("unknown key \"server.extra.x\""),
            std::string::npos);
}

}  // namespace
}  // namespace cambista::app
