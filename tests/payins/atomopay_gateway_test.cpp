// ÁtomoPay over real HTTP: api_token as a query parameter, centavos, the cart, the hash as the
// charge id, the producer hash as the tenant hint, an immediate refusal, the status by hash.
#include "providers/atomopay/atomopay_gateway.hpp"

#include <gtest/gtest.h>

#include "gateway_test_server.hpp"

namespace cambista::payins {
namespace {

using namespace testing;  // NOLINT: the test toolkit
using Kind = GatewayError::Kind;

constexpr std::string_view kPrefix = "/sandbox/atomopay";

Amount Brl(i128 minor) {
  return Amount(minor, BrlAsset());
}

class AtomoPayGatewayTest : public ::testing::Test {
 protected:
  AtomoPayGatewayTest() : harness_(kPrefix) {}

  std::unique_ptr<PayinGateway> Gateway(Credentials credentials = {{"api_token", "atk_123"}}) {
    auto gateway = AtomoPayGateway::Create(credentials, harness_.context);
    EXPECT_TRUE(gateway.ok());
    return std::move(gateway).value();
  }

  GatewayHarness harness_;
};

TEST_F(AtomoPayGatewayTest, CreateChargeSendsCentavosWithTheTokenInTheQuery) {
  harness_.server.ReplyAlways(
      201,
      R"({"success":true,"data":{"id":123456,"hash":"tx_8d3kq0a1","payment_status":"waiting_payment",)"
      R"("amount":1990,"pix":{"pix_qr_code":"00020126ATOMO","pix_url":"https://x/qr"},)"
      R"("producer":{"hash":"prod_abc123"}}})");
  auto gateway =
      Gateway({{"api_token", "atk_123"}, {"offer_hash", "off_77"}, {"product_hash", "prd_55"}});
  auto charge = gateway->CreateCharge(ChargeRequest(Brl(1990)));
  ASSERT_TRUE(charge.ok()) << charge.error().message;
  EXPECT_EQ(charge.value().gateway_charge_id, "tx_8d3kq0a1");
  EXPECT_EQ(charge.value().provider_hash, "123456");
  EXPECT_EQ(charge.value().pix_code, "00020126ATOMO");
  EXPECT_EQ(charge.value().tenant_hint, "prod_abc123");
  EXPECT_EQ(charge.value().status, GatewayStatus::kPending);

  const HttpRequest request = harness_.server.last_request();
  EXPECT_EQ(request.method, "POST");
  EXPECT_EQ(request.path, std::string(kPrefix) + "/api/public/v1/transactions");
  EXPECT_EQ(QueryValue(request.query, "api_token"), "atk_123");
  EXPECT_EQ(request.Header("Authorization"), "");
  const BodyView body(request.body);
  EXPECT_EQ(body.KindOf("amount"), JsonNode::Kind::kNumber);
  EXPECT_EQ(body.Text("amount"), "1990");
  EXPECT_EQ(body.Text("payment_method"), "pix");
  EXPECT_EQ(body.Text("offer_hash"), "off_77");
  EXPECT_EQ(body.Text("postback_url"), "https://desk.example/webhooks/gateway/tenant_1");
  EXPECT_EQ(body.Text("reference"), "chg_0001");
  EXPECT_EQ(body.Text("installments"), "1");
  EXPECT_EQ(body.Text("customer.phone_number"), "11999999999");
  EXPECT_EQ(body.Text("cart[0].product_hash"), "prd_55");
  EXPECT_EQ(body.Text("cart[0].price"), "1990");
  EXPECT_EQ(body.Text("cart[0].quantity"), "1");
  EXPECT_EQ(request.body.find("atk_123"), std::string::npos);
}

TEST_F(AtomoPayGatewayTest, WithoutAProductHashThereIsNoCart) {
  harness_.server.ReplyAlways(
      200, R"({"hash":"h1","payment_status":"waiting_payment","pix":{"pix_qr_code":"000201"}})");
  auto charge = Gateway()->CreateCharge(ChargeRequest(Brl(50)));
  ASSERT_TRUE(charge.ok()) << charge.error().message;
  EXPECT_EQ(charge.value().tenant_hint, "");
  EXPECT_FALSE(BodyView(harness_.server.last_request().body).Has("cart"));
}

TEST_F(AtomoPayGatewayTest, AnImmediateRefusalIsRejected) {
  harness_.server.ReplyAlways(201, R"({"id":1,"hash":"h1","payment_status":"refused","pix":null})");
  auto charge = Gateway()->CreateCharge(ChargeRequest(Brl(1990)));
  ASSERT_FALSE(charge.ok());
  EXPECT_EQ(charge.error().kind, Kind::kRejected);
  EXPECT_EQ(charge.error().message, "atomopay transaction was refused by the gateway (refused)");
}

TEST_F(AtomoPayGatewayTest, BelowTheMinimumIsRefusedWithoutAnyCall) {
  auto charge = Gateway()->CreateCharge(ChargeRequest(Brl(49)));
  ASSERT_FALSE(charge.ok());
  EXPECT_EQ(charge.error().kind, Kind::kInvalidRequest);
  EXPECT_EQ(harness_.server.request_count(), 0u);
}

TEST_F(AtomoPayGatewayTest, FetchStatusByHash) {
  harness_.server.ReplyAlways(
      200,
      R"({"success":true,"data":{"hash":"tx_8d3kq0a1","payment_status":"paid","amount":1990}})");
  auto status = Gateway()->FetchStatus("tx_8d3kq0a1");
  ASSERT_TRUE(status.ok()) << status.error().message;
  EXPECT_EQ(status.value().status, GatewayStatus::kPaid);
  EXPECT_EQ(status.value().amount, Brl(1990));
  const HttpRequest request = harness_.server.last_request();
  EXPECT_EQ(request.method, "GET");
  EXPECT_EQ(request.path, std::string(kPrefix) + "/api/public/v1/transactions/tx_8d3kq0a1");
  EXPECT_EQ(QueryValue(request.query, "api_token"), "atk_123");
}

TEST_F(AtomoPayGatewayTest, ValidateCredentialsListsOneProduct) {
  harness_.server.ReplyAlways(200, R"({"success":true,"data":[]})");
  auto gateway = Gateway();
  EXPECT_FALSE(gateway->ValidateCredentials().has_value());
  const HttpRequest request = harness_.server.last_request();
  EXPECT_EQ(request.path, std::string(kPrefix) + "/api/public/v1/products");
  EXPECT_EQ(QueryValue(request.query, "api_token"), "atk_123");
  EXPECT_EQ(QueryValue(request.query, "per_page"), "1");
  harness_.server.ReplyAlways(401, R"({"message":"Token atk_123 inválido"})");
  const auto error = gateway->ValidateCredentials();
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->kind, Kind::kAuth);
  EXPECT_EQ(error->message.find("atk_123"), std::string::npos);
  harness_.server.ReplyAlways(502, "");
  EXPECT_EQ(gateway->ValidateCredentials()->kind, Kind::kUnavailable);
}

}  // namespace
}  // namespace cambista::payins
