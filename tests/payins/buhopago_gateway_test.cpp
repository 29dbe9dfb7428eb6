// BuhoPago over real HTTP: Bearer bp_ key, payment links in bolívares, the link's status, the
// credits API (capacity and an immediate credit) with exact amounts, and the client-side budget of
// 100 requests a minute.
#include "providers/buhopago/buhopago_gateway.hpp"

#include <gtest/gtest.h>

#include "gateway_test_server.hpp"

namespace cambista::payins {
namespace {

using namespace testing;  // NOLINT: the test toolkit
using Kind = GatewayError::Kind;

constexpr std::string_view kPrefix = "/sandbox/buhopago";

Amount Ves(i128 minor) {
  return Amount(minor, VesAsset());
}

class BuhoPagoGatewayTest : public ::testing::Test {
 protected:
  BuhoPagoGatewayTest() : harness_(kPrefix) {}

  std::unique_ptr<BuhoPagoGateway> Gateway() {
    auto gateway = BuhoPagoGateway::CreateTyped(
        {{"api_key", "bp_test_abc123"}, {"webhook_secret", "whsec_local"}}, harness_.context);
    EXPECT_TRUE(gateway.ok());
    return std::move(gateway).value();
  }

  GatewayHarness harness_;
};

TEST_F(BuhoPagoGatewayTest, CreateChargeMakesAPaymentLinkInBolivares) {
  harness_.server.ReplyAlways(
      201, R"({"id":"550e8400-e29b-41d4-a716-446655440000","slug":"pay_abc123def",)"
           R"("url":"https://buhopago.com/pay/pay_abc123def","amount":1250.75,"currency":"VES",)"
           R"("status":"active","reference_id":"chg_0001"})");
  auto gateway = Gateway();
  auto charge = gateway->CreateCharge(ChargeRequest(Ves(125'075)));
  ASSERT_TRUE(charge.ok()) << charge.error().message;
  EXPECT_EQ(charge.value().gateway_charge_id, "550e8400-e29b-41d4-a716-446655440000");
  EXPECT_EQ(charge.value().payment_instructions, "https://buhopago.com/pay/pay_abc123def");
  EXPECT_EQ(charge.value().pix_code, "");

  const HttpRequest request = harness_.server.last_request();
  EXPECT_EQ(request.method, "POST");
  EXPECT_EQ(request.path, std::string(kPrefix) + "/payment-links");
  EXPECT_EQ(request.Header("Authorization"), "Bearer bp_test_abc123");
  const BodyView body(request.body);
  EXPECT_EQ(body.KindOf("amount"), JsonNode::Kind::kNumber);
  EXPECT_EQ(body.Text("amount"), "1250.75");
  EXPECT_EQ(body.Text("currency"), "VES");
  EXPECT_EQ(body.Text("description"), "Pedido 123");
  EXPECT_EQ(body.Text("reference_id"), "chg_0001");
  EXPECT_EQ(body.Text("webhook_url"), "https://desk.example/webhooks/gateway/tenant_1");
  EXPECT_EQ(body.Text("expires_in_hours"), "1");
  EXPECT_EQ(request.body.find("whsec_local"), std::string::npos);
}

TEST_F(BuhoPagoGatewayTest, BrazilianRealsAndShortDescriptionsAreRefusedWithoutACall) {
  auto gateway = Gateway();
  auto brl = gateway->CreateCharge(ChargeRequest(Amount(1000, BrlAsset())));
  ASSERT_FALSE(brl.ok());
  EXPECT_EQ(brl.error().kind, Kind::kInvalidRequest);
  CreateChargeRequest short_description = ChargeRequest(Ves(1000));
  short_description.description = "ok";
  EXPECT_EQ(gateway->CreateCharge(short_description).error().kind, Kind::kInvalidRequest);
  EXPECT_EQ(harness_.server.request_count(), 0u);
}

TEST_F(BuhoPagoGatewayTest, FetchStatusReadsTheLink) {
  auto gateway = Gateway();
  harness_.server.ReplyAlways(
      200, R"({"id":"l1","status":"active","payment_count":0,"total_collected":0.0})");
  auto active = gateway->FetchStatus("l1");
  ASSERT_TRUE(active.ok()) << active.error().message;
  EXPECT_EQ(active.value().status, GatewayStatus::kPending);
  EXPECT_EQ(harness_.server.last_request().path, std::string(kPrefix) + "/payment-links/l1");

  harness_.server.ReplyAlways(
      200, R"({"id":"l1","status":"active","payment_count":1,"total_collected":1250.75})");
  auto paid = gateway->FetchStatus("l1");
  ASSERT_TRUE(paid.ok());
  EXPECT_EQ(paid.value().status, GatewayStatus::kPaid);
  EXPECT_EQ(paid.value().amount, Ves(125'075));

  harness_.server.ReplyAlways(200, R"({"id":"l1","status":"expired","payment_count":0})");
  EXPECT_EQ(gateway->FetchStatus("l1").value().status, GatewayStatus::kExpired);
}

TEST_F(BuhoPagoGatewayTest, CapacityIsExact) {
  harness_.server.ReplyAlways(
      200, R"({"capacity":{"volume_available":1000.1,"volume_processed_total":"52340.75",)"
           R"("volume_credited_total":51340}})");
  auto capacity = Gateway()->Capacity();
  ASSERT_TRUE(capacity.ok()) << capacity.error().message;
  EXPECT_EQ(capacity.value().volume_available, Ves(100'010));
  EXPECT_EQ(capacity.value().volume_processed_total, Ves(5'234'075));
  EXPECT_EQ(capacity.value().volume_credited_total, Ves(5'134'000));
  const HttpRequest request = harness_.server.last_request();
  EXPECT_EQ(request.method, "GET");
  EXPECT_EQ(request.path, std::string(kPrefix) + "/api/v1/credits/capacity");
  EXPECT_EQ(request.Header("Authorization"), "Bearer bp_test_abc123");

  harness_.server.ReplyAlways(200, R"({"capacity":{"volume_available":1000.123}})");
  auto bad = Gateway()->Capacity();
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().kind, Kind::kBadResponse);
  EXPECT_NE(bad.error().message.find("capacity.volume_available has more than 2 decimal places"),
            std::string::npos);
}

TEST_F(BuhoPagoGatewayTest, ExecuteCreditSendsTheExactAmountAndAnIdempotencyKey) {
  harness_.server.ReplyAlways(
      200, R"({"success":true,"status":"APROBADA","transaction_id":"cr_123","amount":1000.1})");
  auto credit = Gateway()->ExecuteCredit("550e8400-e29b-41d4-a716-446655440000", Ves(100'010),
                                         "Auto-retiro 20250101", "sweep-2025-01-01-001");
  ASSERT_TRUE(credit.ok()) << credit.error().message;
  EXPECT_TRUE(credit.value().approved);
  EXPECT_EQ(credit.value().status, "APROBADA");
  EXPECT_EQ(credit.value().transaction_id, "cr_123");
  EXPECT_EQ(credit.value().amount, Ves(100'010));

  const HttpRequest request = harness_.server.last_request();
  EXPECT_EQ(request.method, "POST");
  EXPECT_EQ(request.path, std::string(kPrefix) + "/api/v1/credits/execute");
  EXPECT_EQ(request.Header("Idempotency-Key"), "sweep-2025-01-01-001");
  const BodyView body(request.body);
  EXPECT_EQ(body.Text("bank_account_id"), "550e8400-e29b-41d4-a716-446655440000");
  EXPECT_EQ(body.Text("amount"), "1000.1");
  EXPECT_EQ(body.Text("concept"), "Auto-retiro 20250101");

  harness_.server.ReplyAlways(200,
                              R"({"success":true,"status":"en proceso","transaction_id":"c2"})");
  auto in_process = Gateway()->ExecuteCredit("acc", Ves(1), "x", "k2");
  ASSERT_TRUE(in_process.ok());
  EXPECT_FALSE(in_process.value().approved);

  harness_.server.ReplyAlways(200, R"({"success":false,"status":"FONDOS INSUFICIENTES"})");
  auto refused = Gateway()->ExecuteCredit("acc", Ves(1), "x", "k3");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().kind, Kind::kRejected);

  const size_t before = harness_.server.request_count();
  EXPECT_EQ(Gateway()->ExecuteCredit("acc", Ves(0), "x", "k").error().kind, Kind::kInvalidRequest);
  EXPECT_EQ(Gateway()->ExecuteCredit("acc", Ves(1), "x", "").error().kind, Kind::kInvalidRequest);
  EXPECT_EQ(Gateway()->ExecuteCredit("acc", Amount(1, BrlAsset()), "x", "k").error().kind,
            Kind::kInvalidRequest);
  EXPECT_EQ(harness_.server.request_count(), before);
}

TEST_F(BuhoPagoGatewayTest, TheRequestBudgetIsKeptWithoutCalling) {
  harness_.server.ReplyAlways(
      200,
      R"({"capacity":{"volume_available":0,"volume_processed_total":0,"volume_credited_total":0}})");
  auto gateway = Gateway();
  for (int64_t call = 0; call < BuhoPagoGateway::kBucketCapacityTokens; ++call) {
    ASSERT_TRUE(gateway->Capacity().ok()) << call;
  }
  EXPECT_EQ(harness_.server.request_count(), 40u);
  auto limited = gateway->Capacity();
  ASSERT_FALSE(limited.ok());
  EXPECT_EQ(limited.error().kind, Kind::kRateLimited);
  EXPECT_EQ(limited.error().retry_after_ms, 1'000);
  EXPECT_EQ(gateway->CreateCharge(ChargeRequest(Ves(1000))).error().kind, Kind::kRateLimited);
  EXPECT_EQ(harness_.server.request_count(), 40u);  // refused without calling

  harness_.clock.AdvanceMs(1'000);
  EXPECT_TRUE(gateway->Capacity().ok());
  EXPECT_FALSE(gateway->Capacity().ok());
  EXPECT_EQ(harness_.server.request_count(), 41u);
  // At most 100 calls in any minute: 40 at once, then one a second.
  harness_.clock.AdvanceMs(59'000);
  int allowed = 0;
  while (gateway->Capacity().ok()) ++allowed;
  EXPECT_EQ(allowed, 40);  // the bucket is full again, never more
}

TEST_F(BuhoPagoGatewayTest, ValidateCredentialsReadsTheCapacity) {
  harness_.server.ReplyAlways(401, R"({"detail":"API key bp_test_abc123 inválida"})");
  const auto error = Gateway()->ValidateCredentials();
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->kind, Kind::kAuth);
  EXPECT_EQ(error->message.find("bp_test_abc123"), std::string::npos);
  harness_.server.ReplyAlways(503, "");
  EXPECT_EQ(Gateway()->ValidateCredentials()->kind, Kind::kUnavailable);
  harness_.server.Reply([](const HttpRequest&) { return TextReply(200, "nope"); });
  EXPECT_EQ(Gateway()->ValidateCredentials()->kind, Kind::kBadResponse);
}

}  // namespace
}  // namespace cambista::payins
