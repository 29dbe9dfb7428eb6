// PushinPay over real HTTP: Bearer key, centavos, the minimum refused without a call, the status
// read at most once a minute per transaction (ManualClock), error mapping.
#include "providers/pushinpay/pushinpay_gateway.hpp"

#include <gtest/gtest.h>

#include "gateway_test_server.hpp"

namespace cambista::payins {
namespace {

using namespace testing;  // NOLINT: the test toolkit
using Kind = GatewayError::Kind;

constexpr std::string_view kPrefix = "/sandbox/pushinpay";

Amount Brl(i128 minor) {
  return Amount(minor, BrlAsset());
}

HttpResponse CashInReply(const HttpRequest& request) {
  const BodyView body(request.body);
  return JsonReply(
      200,
      R"({"id":"9c29870c-9f69-4bb6-90d3-2dce9453bb45","qr_code":"00020101021226770014BR.GOV.BCB.PIX",)"
      R"("qr_code_base64":"data:image/png;base64,iVBOR","status":"created","value":)" +
          body.Text("value") + "}");
}

HttpResponse TransactionReply(std::string status, int value) {
  return JsonReply(200, R"({"id":"tx-1","status":")" + status + R"(","value":)" +
                            std::to_string(value) +
                            R"(,"payer_name":"JOAO","payer_national_registration":"12345678909",)"
                            R"("end_to_end_id":"E18236120202401151230s0123456789"})");
}

class PushinPayGatewayTest : public ::testing::Test {
 protected:
  PushinPayGatewayTest() : harness_(kPrefix) {}

  std::unique_ptr<PayinGateway> Gateway(Credentials credentials = {{"api_key", "pp_key_123"}}) {
    auto gateway = PushinPayGateway::Create(credentials, harness_.context);
    EXPECT_TRUE(gateway.ok());
    return std::move(gateway).value();
  }

  GatewayHarness harness_;
};

TEST_F(PushinPayGatewayTest, CreateChargeSendsCentavosWithTheBearerKey) {
  harness_.server.Reply(CashInReply);
  auto gateway = Gateway(
      {{"api_key", "pp_key_123"}, {"split_account_id", "9C3XXXXX"}, {"split_percentage", "2"}});
  auto charge = gateway->CreateCharge(ChargeRequest(Brl(1050)));
  ASSERT_TRUE(charge.ok()) << charge.error().message;
  EXPECT_EQ(charge.value().gateway_charge_id, "9c29870c-9f69-4bb6-90d3-2dce9453bb45");
  EXPECT_EQ(charge.value().pix_code, "00020101021226770014BR.GOV.BCB.PIX");

  const HttpRequest request = harness_.server.last_request();
  EXPECT_EQ(request.method, "POST");
  EXPECT_EQ(request.path, std::string(kPrefix) + "/api/pix/cashIn");
  EXPECT_EQ(request.Header("Authorization"), "Bearer pp_key_123");
  EXPECT_EQ(request.Header("Accept"), "application/json");
  const BodyView body(request.body);
  EXPECT_EQ(body.KindOf("value"), JsonNode::Kind::kNumber);
  EXPECT_EQ(body.Text("value"), "1050");  // R$10.50 in centavos
  EXPECT_EQ(body.Text("webhook_url"), "https://desk.example/webhooks/gateway/tenant_1");
  EXPECT_EQ(body.Text("split_rules[0].value"), "21");  // 2% of 1050, rounded down
  EXPECT_EQ(body.Text("split_rules[0].account_id"), "9C3XXXXX");
}

TEST_F(PushinPayGatewayTest, BelowTheMinimumIsRefusedWithoutAnyCall) {
  harness_.server.Reply(CashInReply);
  auto gateway = Gateway();
  auto charge = gateway->CreateCharge(ChargeRequest(Brl(49)));
  ASSERT_FALSE(charge.ok());
  EXPECT_EQ(charge.error().kind, Kind::kInvalidRequest);
  EXPECT_EQ(charge.error().message,
            "pushinpay charge refused: the amount 0.49 is below the minimum of 0.50 BRL");
  EXPECT_EQ(harness_.server.request_count(), 0u);
  ASSERT_TRUE(gateway->CreateCharge(ChargeRequest(Brl(50))).ok());
  EXPECT_EQ(BodyView(harness_.server.last_request().body).Text("value"), "50");
}

TEST_F(PushinPayGatewayTest, AnEchoedValueThatDiffersIsABadResponse) {
  harness_.server.ReplyAlways(200,
                              R"({"id":"x","qr_code":"000201","status":"created","value":105})");
  auto charge = Gateway()->CreateCharge(ChargeRequest(Brl(1050)));
  ASSERT_FALSE(charge.ok());
  EXPECT_EQ(charge.error().kind, Kind::kBadResponse);
}

TEST_F(PushinPayGatewayTest, StatusIsReadAtMostOnceAMinutePerTransaction) {
  harness_.server.Reply([](const HttpRequest&) { return TransactionReply("paid", 1050); });
  auto gateway = Gateway();

  auto first = gateway->FetchStatus("tx-1");
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_EQ(first.value().status, GatewayStatus::kPaid);
  EXPECT_EQ(first.value().amount, Brl(1050));
  EXPECT_EQ(harness_.server.last_request().path, std::string(kPrefix) + "/api/transactions/tx-1");
  EXPECT_EQ(harness_.server.last_request().Header("Authorization"), "Bearer pp_key_123");
  EXPECT_EQ(harness_.server.request_count(), 1u);

  harness_.clock.AdvanceMs(59'000);
  auto second = gateway->FetchStatus("tx-1");
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().kind, Kind::kRateLimited);
  EXPECT_EQ(second.error().retry_after_ms, 1'000);
  EXPECT_EQ(harness_.server.request_count(), 1u);  // refused without calling

  // Another transaction has its own minute.
  ASSERT_TRUE(gateway->FetchStatus("tx-2").ok());
  EXPECT_EQ(harness_.server.request_count(), 2u);

  harness_.clock.AdvanceMs(1'000);
  ASSERT_TRUE(gateway->FetchStatus("tx-1").ok());
  EXPECT_EQ(harness_.server.request_count(), 3u);
}

TEST_F(PushinPayGatewayTest, StatusWordsMapAndUnknownOnesAreBadResponses) {
  auto gateway = Gateway();
  const std::pair<std::string, GatewayStatus> table[] = {{"created", GatewayStatus::kPending},
                                                         {"PAID", GatewayStatus::kPaid},
                                                         {"canceled", GatewayStatus::kExpired}};
  int id = 0;
  for (const auto& [word, status] : table) {
    harness_.server.Reply([word = word](const HttpRequest&) { return TransactionReply(word, 50); });
    auto report = gateway->FetchStatus("tx-" + std::to_string(++id));
    ASSERT_TRUE(report.ok()) << word;
    EXPECT_EQ(report.value().status, status);
    EXPECT_EQ(report.value().raw_status, word);
  }
  harness_.server.Reply([](const HttpRequest&) { return TransactionReply("teleported", 50); });
  auto unknown = gateway->FetchStatus("tx-unknown");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().kind, Kind::kBadResponse);
  EXPECT_NE(unknown.error().message.find("status is not a status PushinPay documents"),
            std::string::npos);
}

TEST_F(PushinPayGatewayTest, HttpResultsMapToKinds) {
  auto gateway = Gateway();
  const auto create = [&](int status, std::string body) {
    harness_.server.ReplyAlways(status, std::move(body));
    return gateway->CreateCharge(ChargeRequest(Brl(1050)));
  };
  EXPECT_EQ(create(503, R"({"message":"down"})").error().kind, Kind::kUnavailable);
  EXPECT_EQ(create(500, "").error().kind, Kind::kUnavailable);
  EXPECT_EQ(create(401, R"({"message":"Unauthenticated."})").error().kind, Kind::kAuth);
  EXPECT_EQ(create(403, "").error().kind, Kind::kAuth);
  EXPECT_EQ(create(429, "").error().kind, Kind::kRateLimited);
  const auto rejected = create(422, R"({"message":"O campo value deve ser no mínimo 50."})");
  EXPECT_EQ(rejected.error().kind, Kind::kRejected);
  EXPECT_EQ(rejected.error().message,
            "pushinpay cash-in answered HTTP 422: O campo value deve ser no mínimo 50.");
  harness_.server.Reply([](const HttpRequest&) { return TextReply(200, "<html>ok</html>"); });
  const auto not_json = gateway->CreateCharge(ChargeRequest(Brl(1050)));
  EXPECT_EQ(not_json.error().kind, Kind::kBadResponse);
  EXPECT_EQ(not_json.error().http_status, 200);
  EXPECT_EQ(create(200, R"({"id":"x"})").error().kind, Kind::kBadResponse);
  EXPECT_EQ(create(200, R"([{"id":"x"}])").error().kind, Kind::kBadResponse);
}

TEST_F(PushinPayGatewayTest, ValidateCredentialsProbesAnUnknownTransaction) {
  harness_.server.ReplyAlways(404, R"({"message":"Transação não encontrada"})");
  auto gateway = Gateway();
  EXPECT_FALSE(gateway->ValidateCredentials().has_value());
  EXPECT_EQ(harness_.server.last_request().Header("Authorization"), "Bearer pp_key_123");
  harness_.server.ReplyAlways(401, R"({"message":"Unauthenticated."})");
  const auto error = gateway->ValidateCredentials();
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->kind, Kind::kAuth);
  EXPECT_EQ(error->message.find("pp_key_123"), std::string::npos);
  harness_.server.ReplyAlways(503, "");
  EXPECT_EQ(gateway->ValidateCredentials()->kind, Kind::kUnavailable);
}

}  // namespace
}  // namespace cambista::payins
