// Paradise over real HTTP: X-API-Key, centavos, product hash, the transaction wrapper, the status
// read by hash, the credential probe.
#include "providers/paradise/paradise_gateway.hpp"

#include <gtest/gtest.h>

#include "gateway_test_server.hpp"

namespace cambista::payins {
namespace {

using namespace testing;  // NOLINT: the test toolkit
using Kind = GatewayError::Kind;

constexpr std::string_view kPrefix = "/sandbox/paradise";

Amount Brl(i128 minor) {
  return Amount(minor, BrlAsset());
}

class ParadiseGatewayTest : public ::testing::Test {
 protected:
  ParadiseGatewayTest() : harness_(kPrefix) {}

  std::unique_ptr<PayinGateway> Gateway(Credentials credentials = {
                                            {"api_key", "sk_paradise_0123456789"},
                                            {"product_hash", "prod_41f8d604222951de"}}) {
    auto gateway = ParadiseGateway::Create(credentials, harness_.context);
    EXPECT_TRUE(gateway.ok());
    return std::move(gateway).value();
  }

  GatewayHarness harness_;
};

TEST_F(ParadiseGatewayTest, CreateChargeSendsCentavosAndTheProductHash) {
  harness_.server.ReplyAlways(
      200, R"({"status":"success","transaction":{"id":181532,"qr_code":"00020126PARADISE",)"
           R"("qr_code_base64":"iVBOR","expires_at":"2025-01-01 12:00:00"}})");
  auto gateway = Gateway({{"api_key", "sk_paradise_0123456789"},
                          {"product_hash", "prod_41f8d604222951de"},
                          {"offer_hash", "off_99"},
                          {"store_id", "177"},
                          {"split_percentage", "4"}});
  auto charge = gateway->CreateCharge(ChargeRequest(Brl(1990)));
  ASSERT_TRUE(charge.ok()) << charge.error().message;
  EXPECT_EQ(charge.value().gateway_charge_id, "181532");
  EXPECT_EQ(charge.value().pix_code, "00020126PARADISE");

  const HttpRequest request = harness_.server.last_request();
  EXPECT_EQ(request.method, "POST");
  EXPECT_EQ(request.path, std::string(kPrefix) + "/api/v1/transaction.php");
  EXPECT_EQ(request.Header("X-API-Key"), "sk_paradise_0123456789");
  EXPECT_EQ(request.Header("Authorization"), "");
  const BodyView body(request.body);
  EXPECT_EQ(body.KindOf("amount"), JsonNode::Kind::kNumber);
  EXPECT_EQ(body.Text("amount"), "1990");
  EXPECT_EQ(body.Text("description"), "Pedido 123");
  EXPECT_EQ(body.Text("reference"), "chg_0001");
  EXPECT_EQ(body.Text("productHash"), "prod_41f8d604222951de");
  EXPECT_EQ(body.Text("offerHash"), "off_99");
  EXPECT_EQ(body.Text("postback_url"), "https://desk.example/webhooks/gateway/tenant_1");
  EXPECT_EQ(body.Text("customer.name"), "Joao Silva");
  EXPECT_EQ(body.Text("customer.document"), "12345678909");
  EXPECT_EQ(body.Text("split.store_id"), "177");
  EXPECT_EQ(body.Text("split.amount"), "79");  // 4% of 1990 = 79.6, rounded down
  EXPECT_EQ(request.body.find("sk_paradise"), std::string::npos);
}

TEST_F(ParadiseGatewayTest, AnUnwrappedAnswerIsReadToo) {
  harness_.server.ReplyAlways(200, R"({"id":"TX-1","qr_code":"000201"})");
  auto charge = Gateway()->CreateCharge(ChargeRequest(Brl(1)));
  ASSERT_TRUE(charge.ok()) << charge.error().message;
  EXPECT_EQ(charge.value().gateway_charge_id, "TX-1");
  EXPECT_EQ(BodyView(harness_.server.last_request().body).Text("amount"), "1");
}

TEST_F(ParadiseGatewayTest, AWrappedAnswerWithoutTheCodeNamesTheField) {
  harness_.server.ReplyAlways(200, R"({"transaction":{"id":"TX-1"}})");
  auto charge = Gateway()->CreateCharge(ChargeRequest(Brl(100)));
  ASSERT_FALSE(charge.ok());
  EXPECT_EQ(charge.error().kind, Kind::kBadResponse);
  EXPECT_NE(charge.error().message.find("transaction.qr_code is missing"), std::string::npos);
}

TEST_F(ParadiseGatewayTest, FetchStatusReadsCheckStatusByHash) {
  harness_.server.ReplyAlways(200, R"({"payment_status":"paid"})");
  auto gateway = Gateway();
  auto status = gateway->FetchStatus("BOT-BOT5_1761860711_cf29c4f3");
  ASSERT_TRUE(status.ok()) << status.error().message;
  EXPECT_EQ(status.value().status, GatewayStatus::kPaid);
  EXPECT_FALSE(status.value().amount.has_value());  // check_status carries no amount
  const HttpRequest request = harness_.server.last_request();
  EXPECT_EQ(request.method, "GET");
  EXPECT_EQ(request.path, std::string(kPrefix) + "/api/v1/check_status.php");
  EXPECT_EQ(QueryValue(request.query, "hash"), "BOT-BOT5_1761860711_cf29c4f3");
  EXPECT_EQ(request.Header("X-API-Key"), "sk_paradise_0123456789");

  harness_.server.ReplyAlways(200, R"({"payment_status":"refunded","amount":1990})");
  auto refunded = gateway->FetchStatus("x");
  ASSERT_TRUE(refunded.ok());
  EXPECT_EQ(refunded.value().status, GatewayStatus::kRefunded);
  EXPECT_EQ(refunded.value().amount, Brl(1990));

  harness_.server.ReplyAlways(404, R"({"error":"Transaction not found"})");
  auto missing = gateway->FetchStatus("nope");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().kind, Kind::kRejected);
}

TEST_F(ParadiseGatewayTest, ValidateCredentialsAndErrors) {
  auto gateway = Gateway();
  harness_.server.ReplyAlways(404, R"({"error":"Transaction not found"})");
  EXPECT_FALSE(gateway->ValidateCredentials().has_value());
  harness_.server.ReplyAlways(401, R"({"error":"Invalid API key sk_paradise_0123456789"})");
  const auto error = gateway->ValidateCredentials();
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->kind, Kind::kAuth);
  EXPECT_EQ(error->message,
            "paradise credential check answered HTTP 401: Invalid API key [redacted]");
  harness_.server.ReplyAlways(503, "");
  EXPECT_EQ(gateway->CreateCharge(ChargeRequest(Brl(1990))).error().kind, Kind::kUnavailable);
  harness_.server.Reply([](const HttpRequest&) { return TextReply(200, "Fatal error"); });
  EXPECT_EQ(gateway->CreateCharge(ChargeRequest(Brl(1990))).error().kind, Kind::kBadResponse);
}

}  // namespace
}  // namespace cambista::payins
