// WiinPay over real HTTP: api_key in the body, reais, minimum 3.00, the payer's name and e-mail,
// the status read with the key as a Bearer token.
#include "providers/wiinpay/wiinpay_gateway.hpp"

#include <gtest/gtest.h>

#include "gateway_test_server.hpp"

namespace cambista::payins {
namespace {

using namespace testing;  // NOLINT: the test toolkit
using Kind = GatewayError::Kind;

constexpr std::string_view kPrefix = "/sandbox/wiinpay";

Amount Brl(i128 minor) {
  return Amount(minor, BrlAsset());
}

class WiinPayGatewayTest : public ::testing::Test {
 protected:
  WiinPayGatewayTest() : harness_(kPrefix) {}

  std::unique_ptr<PayinGateway> Gateway(Credentials credentials = {{"api_key", "eyJ.wiin.key"}}) {
    auto gateway = WiinPayGateway::Create(credentials, harness_.context);
    EXPECT_TRUE(gateway.ok());
    return std::move(gateway).value();
  }

  GatewayHarness harness_;
};

TEST_F(WiinPayGatewayTest, CreateChargeSendsReaisWithTheKeyInTheBody) {
  harness_.server.ReplyAlways(
      201, R"({"id":"68ffcc91e23263e0a01fffa9","qr_code":"00020126WIIN","qr_code_base64":"iVB"})");
  auto gateway = Gateway({{"api_key", "eyJ.wiin.key"},
                          {"split_user_id", "68ffcc91e23263e0a01fffa4"},
                          {"split_percentage", "2.5"}});
  auto charge = gateway->CreateCharge(ChargeRequest(Brl(1050)));
  ASSERT_TRUE(charge.ok()) << charge.error().message;
  EXPECT_EQ(charge.value().gateway_charge_id, "68ffcc91e23263e0a01fffa9");
  EXPECT_EQ(charge.value().pix_code, "00020126WIIN");

  const HttpRequest request = harness_.server.last_request();
  EXPECT_EQ(request.method, "POST");
  EXPECT_EQ(request.path, std::string(kPrefix) + "/payment/create");
  EXPECT_EQ(request.Header("Authorization"), "");
  const BodyView body(request.body);
  EXPECT_EQ(body.Text("api_key"), "eyJ.wiin.key");
  EXPECT_EQ(body.KindOf("value"), JsonNode::Kind::kNumber);
  EXPECT_EQ(body.Text("value"), "10.5");  // reais, as a JSON number
  EXPECT_EQ(body.Text("name"), "Joao Silva");
  EXPECT_EQ(body.Text("email"), "joao@example.com");
  EXPECT_EQ(body.Text("description"), "Pedido 123");
  EXPECT_EQ(body.Text("webhook_url"), "https://desk.example/webhooks/gateway/tenant_1");
  EXPECT_EQ(body.Text("metadata.reference"), "chg_0001");
  EXPECT_EQ(body.Text("split.percentage"), "2.5");
  EXPECT_EQ(body.Text("split.user_id"), "68ffcc91e23263e0a01fffa4");
}

TEST_F(WiinPayGatewayTest, TheMinimumIsThreeReaisAndNothingIsSentBelowIt) {
  harness_.server.ReplyAlways(201, R"({"id":"p1","qr_code":"000201"})");
  auto gateway = Gateway();
  auto below = gateway->CreateCharge(ChargeRequest(Brl(299)));
  ASSERT_FALSE(below.ok());
  EXPECT_EQ(below.error().kind, Kind::kInvalidRequest);
  EXPECT_EQ(harness_.server.request_count(), 0u);
  ASSERT_TRUE(gateway->CreateCharge(ChargeRequest(Brl(300))).ok());
  EXPECT_EQ(BodyView(harness_.server.last_request().body).Text("value"), "3");
}

TEST_F(WiinPayGatewayTest, ThePayersNameAndEmailAreRequired) {
  auto gateway = Gateway();
  CreateChargeRequest request = ChargeRequest(Brl(1050));
  request.customer.email.clear();
  auto charge = gateway->CreateCharge(request);
  ASSERT_FALSE(charge.ok());
  EXPECT_EQ(charge.error().kind, Kind::kInvalidRequest);
  EXPECT_EQ(charge.error().message,
            "wiinpay charge refused: customer.email is required by WiinPay");
  EXPECT_EQ(harness_.server.request_count(), 0u);
}

TEST_F(WiinPayGatewayTest, AWrappedAnswerWithPaymentIdIsRead) {
  harness_.server.ReplyAlways(
      201, R"({"success":true,"data":{"paymentId":"pay_77","qr_code":"00020126WIIN"}})");
  auto charge = Gateway()->CreateCharge(ChargeRequest(Brl(1050)));
  ASSERT_TRUE(charge.ok()) << charge.error().message;
  EXPECT_EQ(charge.value().gateway_charge_id, "pay_77");
}

TEST_F(WiinPayGatewayTest, HasNoStatusApiAndNoCredentialCheck) {
  // WiinPay documents neither: the per-charge callback token is the only proof of a payment.
  auto gateway = Gateway();
  EXPECT_FALSE(gateway->Describe().can_fetch_status);
  EXPECT_FALSE(gateway->Describe().signs_webhooks);
  auto status = gateway->FetchStatus("68ffcc91e23263e0a01fffa9");
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().kind, Kind::kInvalidRequest);
  EXPECT_FALSE(gateway->ValidateCredentials().has_value());
  EXPECT_EQ(harness_.server.request_count(), 0u);  // nothing was called
}

TEST_F(WiinPayGatewayTest, ErrorsMapToKinds) {
  auto gateway = Gateway();
  harness_.server.ReplyAlways(401, R"({"message":"Chave API inválida: eyJ.wiin.key"})");
  const auto auth = gateway->CreateCharge(ChargeRequest(Brl(1050)));
  EXPECT_EQ(auth.error().kind, Kind::kAuth);
  EXPECT_EQ(auth.error().message.find("eyJ.wiin.key"), std::string::npos);
  harness_.server.ReplyAlways(422, R"({"message":"Campo vazio ou inválido"})");
  EXPECT_EQ(gateway->CreateCharge(ChargeRequest(Brl(1050))).error().kind, Kind::kRejected);
  harness_.server.ReplyAlways(500, "");
  EXPECT_EQ(gateway->CreateCharge(ChargeRequest(Brl(1050))).error().kind, Kind::kUnavailable);
  harness_.server.ReplyAlways(201, R"({"id":"p1","qr_code":42})");
  const auto bad = gateway->CreateCharge(ChargeRequest(Brl(1050)));
  EXPECT_EQ(bad.error().kind, Kind::kBadResponse);
  EXPECT_NE(bad.error().message.find("qr_code must be a string"), std::string::npos);
}

}  // namespace
}  // namespace cambista::payins
