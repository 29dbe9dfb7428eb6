// The registry: the six built-ins by name, and credentials checked before an adapter is built,
// every refusal naming the credential and never its value.
#include "payins/registry.hpp"

#include <gtest/gtest.h>

#include "core/clock.hpp"
#include "net/http_client.hpp"
#include "providers/providers.hpp"

namespace cambista::payins {
namespace {

class RegistryTest : public ::testing::Test {
 protected:
  RegistryTest() {
    RegisterPayinGateways(registry_);
    context_.http = &client_;
    context_.clock = &clock_;
    context_.base_url = "http://127.0.0.1:9/unused";
  }

  Result<std::unique_ptr<PayinGateway>, RegistryError> Build(std::string_view name,
                                                             const Credentials& credentials) {
    return registry_.Build(name, credentials, context_);
  }

  GatewayRegistry registry_;
  net::HttpClient client_;
  ManualClock clock_;
  GatewayContext context_;
};

TEST_F(RegistryTest, KnowsTheSixBuiltInsByName) {
  EXPECT_EQ(registry_.Names(), (std::vector<std::string>{"atomopay", "buhopago", "paradise",
                                                         "pushinpay", "syncpay", "wiinpay"}));
  const GatewayDescription* pushinpay = registry_.Describe("pushinpay");
  ASSERT_NE(pushinpay, nullptr);
  EXPECT_EQ(pushinpay->currency, "BRL");
  EXPECT_EQ(pushinpay->units, AmountUnits::kMinor);
  EXPECT_EQ(pushinpay->minimum.minor(), 50);
  EXPECT_EQ(registry_.Describe("wiinpay")->minimum.minor(), 300);
  EXPECT_EQ(registry_.Describe("wiinpay")->units, AmountUnits::kMajor);
  EXPECT_EQ(registry_.Describe("atomopay")->minimum.minor(), 50);
  EXPECT_EQ(registry_.Describe("buhopago")->currency, "VES");
  EXPECT_TRUE(registry_.Describe("buhopago")->signs_webhooks);
  EXPECT_FALSE(registry_.Describe("syncpay")->signs_webhooks);
  EXPECT_EQ(registry_.Describe("syncpay")->required_credentials,
            (std::vector<std::string>{"client_id", "client_secret"}));
  EXPECT_EQ(registry_.Describe("paradise")->required_credentials,
            (std::vector<std::string>{"api_key", "product_hash"}));
  EXPECT_EQ(registry_.Describe("buhopago")->required_credentials,
            (std::vector<std::string>{"api_key", "webhook_secret"}));
  EXPECT_EQ(registry_.Describe("pushynpay"), nullptr);
}

TEST_F(RegistryTest, BuildsEachBuiltInFromItsRequiredCredentials) {
  const std::map<std::string, Credentials> minimal = {
      {"syncpay", {{"client_id", "id-1"}, {"client_secret", "secret-1"}}},
      {"pushinpay", {{"api_key", "pp-key"}}},
      {"paradise", {{"api_key", "sk_paradise"}, {"product_hash", "prod_1"}}},
      {"wiinpay", {{"api_key", "wp-key"}}},
      {"atomopay", {{"api_token", "at-token"}}},
      {"buhopago", {{"api_key", "bp_test_abc"}, {"webhook_secret", "whs"}}},
  };
  for (const auto& [name, credentials] : minimal) {
    auto gateway = Build(name, Credentials(credentials.begin(), credentials.end()));
    ASSERT_TRUE(gateway.ok()) << name << ": " << gateway.error().message;
    EXPECT_EQ(gateway.value()->Describe().name, name);
  }
}

TEST_F(RegistryTest, UnknownGatewayIsRefusedWithTheKnownNames) {
  auto gateway = Build("pushynpay", {{"api_key", "k"}});
  ASSERT_FALSE(gateway.ok());
  EXPECT_EQ(gateway.error().code, "unknown_gateway");
  EXPECT_EQ(gateway.error().field, "");
  EXPECT_NE(gateway.error().message.find("pushinpay"), std::string::npos);
}

TEST_F(RegistryTest, MissingCredentialIsNamed) {
  auto gateway = Build("syncpay", {{"client_id", "id-1"}});
  ASSERT_FALSE(gateway.ok());
  EXPECT_EQ(gateway.error().code, "missing_credential");
  EXPECT_EQ(gateway.error().field, "client_secret");
  EXPECT_EQ(gateway.error().message, "syncpay needs the credential client_secret");

  // An empty value is as good as absent.
  auto empty = Build("paradise", {{"api_key", "sk_1"}, {"product_hash", ""}});
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.error().code, "missing_credential");
  EXPECT_EQ(empty.error().field, "product_hash");

  auto buhopago = Build("buhopago", {{"api_key", "bp_live_abc"}});
  ASSERT_FALSE(buhopago.ok());
  EXPECT_EQ(buhopago.error().field, "webhook_secret");
}

TEST_F(RegistryTest, UnknownCredentialIsRefusedNotIgnored) {
  auto gateway = Build("pushinpay", {{"api_key", "k"}, {"api_kye", "typo"}});
  ASSERT_FALSE(gateway.ok());
  EXPECT_EQ(gateway.error().code, "invalid_credential");
  EXPECT_EQ(gateway.error().field, "api_kye");
  EXPECT_EQ(gateway.error().message.find("typo"), std::string::npos);
}

TEST_F(RegistryTest, AdapterFormatChecksAreInvalidCredentialWithoutTheValue) {
  auto buhopago = Build("buhopago", {{"api_key", "sk_live_secretvalue"}, {"webhook_secret", "w"}});
  ASSERT_FALSE(buhopago.ok());
  EXPECT_EQ(buhopago.error().code, "invalid_credential");
  EXPECT_EQ(buhopago.error().field, "api_key");
  EXPECT_EQ(buhopago.error().message.find("secretvalue"), std::string::npos);
  EXPECT_FALSE(Build("buhopago", {{"api_key", "bp_live_"}, {"webhook_secret", "w"}}).ok());

  // Split credentials come in pairs, with a percentage each gateway accepts.
  auto half =
      Build("syncpay", {{"client_id", "i"}, {"client_secret", "s"}, {"split_user_id", "u"}});
  ASSERT_FALSE(half.ok());
  EXPECT_EQ(half.error().field, "split_percentage");
  auto fraction = Build("syncpay", {{"client_id", "i"},
                                    {"client_secret", "s"},
                                    {"split_user_id", "u"},
                                    {"split_percentage", "2.5"}});
  ASSERT_FALSE(fraction.ok());
  EXPECT_EQ(fraction.error().message,
            "the credential split_percentage must be a whole percentage for SyncPay");
  auto over =
      Build("pushinpay", {{"api_key", "k"}, {"split_account_id", "a"}, {"split_percentage", "51"}});
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.error().field, "split_percentage");
  auto junk =
      Build("wiinpay", {{"api_key", "k"}, {"split_user_id", "u"}, {"split_percentage", "2,5"}});
  ASSERT_FALSE(junk.ok());
  EXPECT_EQ(junk.error().code, "invalid_credential");
  EXPECT_TRUE(
      Build("pushinpay", {{"api_key", "k"}, {"split_account_id", "a"}, {"split_percentage", "50"}})
          .ok());
}

TEST_F(RegistryTest, ACustomGatewayCanBeRegisteredExplicitly) {
  GatewayRegistry registry;
  const GatewayDescription description{.name = "custom",
                                       .display_name = "Custom",
                                       .required_credentials = {"token"},
                                       .optional_credentials = {},
                                       .currency = "BRL",
                                       .units = AmountUnits::kMinor,
                                       .minimum = Amount(1, Asset::Make("BRL", 2).value()),
                                       .maximum = std::nullopt,
                                       .signs_webhooks = false,
                                       .can_fetch_status = false};
  registry.Register(
      description,
      [](const Credentials&,
         const GatewayContext&) -> Result<std::unique_ptr<PayinGateway>, RegistryError> {
        return Failure{RegistryError{"invalid_credential", "token", "factory ran"}};
      });
  EXPECT_EQ(registry.Names(), std::vector<std::string>{"custom"});
  auto built = registry.Build("custom", {{"token", "t"}}, context_);
  ASSERT_FALSE(built.ok());
  EXPECT_EQ(built.error().message, "factory ran");
}

}  // namespace
}  // namespace cambista::payins
