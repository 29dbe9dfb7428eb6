// SyncPay over real HTTP: token exchange, reuse until shortly before expiry, one refresh after a
// 401, the cash-in body in reais, the transaction status, and error mapping.
#include "providers/syncpay/syncpay_gateway.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <set>

#include "gateway_test_server.hpp"

namespace cambista::payins {
namespace {

using namespace testing;  // NOLINT: the test toolkit
using Kind = GatewayError::Kind;

constexpr std::string_view kPrefix = "/sandbox/syncpay";
constexpr std::string_view kPixCode =
    "00020126580014br.gov.bcb.pix0136123e4567-e12b-12d1-a456-4266554400005204000053039865405"
    "10.505802BR5913FULANO DE TAL6008BRASILIA62070503***63041D3D";

Amount Brl(i128 minor) {
  return Amount(minor, BrlAsset());
}

// A SyncPay stand-in: numbered tokens, any of which can be revoked.
class SyncPayFake {
 public:
  explicit SyncPayFake(FakeGatewayServer& server) {
    server.Reply([this](const HttpRequest& request) { return Answer(request); });
  }
  void Revoke(const std::string& token) {
    std::lock_guard lock(mutex_);
    revoked_.insert(token);
  }
  void set_expires_in_s(int seconds) { expires_in_s_ = seconds; }
  int exchanges() const { return exchanges_; }

 private:
  HttpResponse Answer(const HttpRequest& request) {
    if (request.path == std::string(kPrefix) + "/api/partner/v1/auth-token") {
      const BodyView body(request.body);
      if (body.Text("client_id") != "client-1" || body.Text("client_secret") != "s3cret-value") {
        return JsonReply(401, R"({"message":"invalid client credentials"})");
      }
      const int number = ++exchanges_;
      return JsonReply(200, R"({"access_token":"tok-)" + std::to_string(number) +
                                R"(","token_type":"Bearer","expires_in":)" +
                                std::to_string(expires_in_s_.load()) + "}");
    }
    const std::string_view authorization = request.Header("Authorization");
    {
      std::lock_guard lock(mutex_);
      if (!authorization.starts_with("Bearer tok-") ||
          revoked_.contains(std::string(authorization.substr(7)))) {
        return JsonReply(401, R"({"message":"Unauthenticated."})");
      }
    }
    if (request.method == "POST" &&
        request.path == std::string(kPrefix) + "/api/partner/v1/cash-in") {
      return JsonReply(200, R"({"message":"Cashin request successfully submitted","pix_code":")" +
                                std::string(kPixCode) +
                                R"(","identifier":"3df0319d-ecf7-455a-84c4-070aee2779c1"})");
    }
    if (request.method == "GET" &&
        request.path.starts_with(std::string(kPrefix) + "/api/partner/v1/transaction/")) {
      return JsonReply(200, R"({"data":{"reference_id":"r1","currency":"BRL","amount":10.5,)"
                            R"("status":"completed","transaction_date":"2025-06-16T17:32:44Z"}})");
    }
    return JsonReply(404, R"({"message":"not found"})");
  }

  std::mutex mutex_;
  std::set<std::string> revoked_;
  std::atomic<int> exchanges_ = 0;
  std::atomic<int> expires_in_s_ = 3600;
};

class SyncPayGatewayTest : public ::testing::Test {
 protected:
  SyncPayGatewayTest() : harness_(kPrefix), fake_(harness_.server) {}

  std::unique_ptr<PayinGateway> Gateway(Credentials credentials = {
                                            {"client_id", "client-1"},
                                            {"client_secret", "s3cret-value"}}) {
    auto gateway = SyncPayGateway::Create(credentials, harness_.context);
    EXPECT_TRUE(gateway.ok());
    return std::move(gateway).value();
  }

  std::vector<HttpRequest> RequestsTo(std::string_view suffix) const {
    std::vector<HttpRequest> matching;
    for (const auto& request : harness_.server.requests()) {
      if (request.path == std::string(kPrefix) + std::string(suffix)) matching.push_back(request);
    }
    return matching;
  }

  GatewayHarness harness_;
  SyncPayFake fake_;
};

TEST_F(SyncPayGatewayTest, CreateChargeExchangesTheTokenAndSendsReais) {
  auto gateway = Gateway({{"client_id", "client-1"},
                          {"client_secret", "s3cret-value"},
                          {"split_user_id", "9f3c5b3a-41bc-4322-90e6-a87a98eefeca"},
                          {"split_percentage", "10"}});
  auto charge = gateway->CreateCharge(ChargeRequest(Brl(1050)));
  ASSERT_TRUE(charge.ok()) << charge.error().message;
  EXPECT_EQ(charge.value().gateway_charge_id, "3df0319d-ecf7-455a-84c4-070aee2779c1");
  EXPECT_EQ(charge.value().pix_code, kPixCode);
  EXPECT_EQ(charge.value().status, GatewayStatus::kPending);

  const auto exchanges = RequestsTo("/api/partner/v1/auth-token");
  ASSERT_EQ(exchanges.size(), 1u);
  EXPECT_EQ(exchanges[0].method, "POST");
  EXPECT_EQ(exchanges[0].Header("Content-Type"), "application/json");

  const auto cash_ins = RequestsTo("/api/partner/v1/cash-in");
  ASSERT_EQ(cash_ins.size(), 1u);
  const HttpRequest& request = cash_ins[0];
  EXPECT_EQ(request.method, "POST");
  EXPECT_EQ(request.Header("Authorization"), "Bearer tok-1");
  const BodyView body(request.body);
  ASSERT_TRUE(body.ok());
  EXPECT_EQ(body.KindOf("amount"), JsonNode::Kind::kNumber);
  EXPECT_EQ(body.Text("amount"), "10.5");  // reais, as a JSON number
  EXPECT_EQ(body.Text("description"), "Pedido 123");
  EXPECT_EQ(body.Text("webhook_url"), "https://desk.example/webhooks/gateway/tenant_1");
  EXPECT_EQ(body.Text("external_reference"), "chg_0001");
  EXPECT_EQ(body.Text("client.name"), "Joao Silva");
  EXPECT_EQ(body.Text("client.cpf"), "12345678909");
  EXPECT_EQ(body.Text("client.email"), "joao@example.com");
  EXPECT_EQ(body.Text("client.phone"), "11999999999");
  EXPECT_EQ(body.Text("split[0].percentage"), "10");
  EXPECT_EQ(body.Text("split[0].user_id"), "9f3c5b3a-41bc-4322-90e6-a87a98eefeca");
  // The secret only ever travels in the token exchange.
  EXPECT_EQ(request.body.find("s3cret-value"), std::string::npos);
}

TEST_F(SyncPayGatewayTest, TenCentavosAreSentAsPointOne) {
  auto gateway = Gateway();
  ASSERT_TRUE(gateway->CreateCharge(ChargeRequest(Brl(10))).ok());
  EXPECT_EQ(BodyView(RequestsTo("/api/partner/v1/cash-in")[0].body).Text("amount"), "0.1");
  ASSERT_TRUE(gateway->CreateCharge(ChargeRequest(Brl(300))).ok());
  EXPECT_EQ(BodyView(RequestsTo("/api/partner/v1/cash-in")[1].body).Text("amount"), "3");
}

TEST_F(SyncPayGatewayTest, TheTokenIsReusedUntilShortlyBeforeItExpires) {
  auto gateway = Gateway();
  ASSERT_TRUE(gateway->CreateCharge(ChargeRequest(Brl(1050))).ok());
  ASSERT_TRUE(gateway->CreateCharge(ChargeRequest(Brl(2000))).ok());
  ASSERT_TRUE(gateway->FetchStatus("3df0319d").ok());
  EXPECT_EQ(fake_.exchanges(), 1);

  // 58 minutes on: still more than a minute left, still reused.
  harness_.clock.AdvanceMs(58 * 60'000);
  ASSERT_TRUE(gateway->CreateCharge(ChargeRequest(Brl(1050))).ok());
  EXPECT_EQ(fake_.exchanges(), 1);
  // 59 minutes and a second: within the last minute, exchanged again before the call.
  harness_.clock.AdvanceMs(60'000 + 1'000);
  ASSERT_TRUE(gateway->CreateCharge(ChargeRequest(Brl(1050))).ok());
  EXPECT_EQ(fake_.exchanges(), 2);
  EXPECT_EQ(RequestsTo("/api/partner/v1/cash-in").back().Header("Authorization"), "Bearer tok-2");
}

TEST_F(SyncPayGatewayTest, A401RefreshesTheTokenOnceAndRetries) {
  auto gateway = Gateway();
  ASSERT_TRUE(gateway->CreateCharge(ChargeRequest(Brl(1050))).ok());
  fake_.Revoke("tok-1");  // revoked early, while we still believe in it

  auto charge = gateway->CreateCharge(ChargeRequest(Brl(1050)));
  ASSERT_TRUE(charge.ok()) << charge.error().message;
  EXPECT_EQ(fake_.exchanges(), 2);
  const auto cash_ins = RequestsTo("/api/partner/v1/cash-in");
  ASSERT_EQ(cash_ins.size(), 3u);
  EXPECT_EQ(cash_ins[1].Header("Authorization"), "Bearer tok-1");
  EXPECT_EQ(cash_ins[2].Header("Authorization"), "Bearer tok-2");

  // The status read refreshes the same way.
  fake_.Revoke("tok-2");
  ASSERT_TRUE(gateway->FetchStatus("3df0319d").ok());
  EXPECT_EQ(fake_.exchanges(), 3);
}

TEST_F(SyncPayGatewayTest, A401AfterTheRefreshIsAuthWithoutLooping) {
  harness_.server.Reply([&](const HttpRequest& request) {
    if (request.path.ends_with("/auth-token")) {
      return JsonReply(200, R"({"access_token":"tok-x","expires_in":3600})");
    }
    return JsonReply(401, R"({"message":"Unauthenticated."})");
  });
  auto gateway = Gateway();
  auto charge = gateway->CreateCharge(ChargeRequest(Brl(1050)));
  ASSERT_FALSE(charge.ok());
  EXPECT_EQ(charge.error().kind, Kind::kAuth);
  EXPECT_EQ(charge.error().http_status, 401);
  EXPECT_EQ(harness_.server.request_count(), 4u);  // exchange, cash-in, exchange, cash-in
}

TEST_F(SyncPayGatewayTest, WrongCredentialsAreAuthAndNeverInTheMessage) {
  auto gateway = Gateway({{"client_id", "client-1"}, {"client_secret", "wrong-secret-999"}});
  const auto error = gateway->ValidateCredentials();
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->kind, Kind::kAuth);
  EXPECT_EQ(error->message, "syncpay token exchange answered HTTP 401: invalid client credentials");
  auto charge = gateway->CreateCharge(ChargeRequest(Brl(1050)));
  ASSERT_FALSE(charge.ok());
  EXPECT_EQ(charge.error().kind, Kind::kAuth);

  EXPECT_FALSE(Gateway()->ValidateCredentials().has_value());
}

TEST_F(SyncPayGatewayTest, FetchStatusReadsTheDataWrapper) {
  auto gateway = Gateway();
  auto status = gateway->FetchStatus("3df0319d-ecf7/455a");
  ASSERT_TRUE(status.ok()) << status.error().message;
  EXPECT_EQ(status.value().status, GatewayStatus::kPaid);
  EXPECT_EQ(status.value().amount, Brl(1050));
  EXPECT_EQ(status.value().raw_status, "completed");
  const HttpRequest request = harness_.server.last_request();
  EXPECT_EQ(request.method, "GET");
  // The id is one path segment: its '/' is encoded.
  EXPECT_EQ(request.target,
            std::string(kPrefix) + "/api/partner/v1/transaction/3df0319d-ecf7%2F455a");
  EXPECT_EQ(request.Header("Authorization"), "Bearer tok-1");
}

TEST_F(SyncPayGatewayTest, ErrorsMapToKindsWithoutSecrets) {
  auto gateway = Gateway();
  ASSERT_FALSE(gateway->ValidateCredentials().has_value());
  const auto with_cash_in = [&](HttpResponse response) {
    harness_.server.Reply([response](const HttpRequest& request) {
      if (request.path.ends_with("/auth-token")) {
        return JsonReply(200, R"({"access_token":"tok-1","expires_in":3600})");
      }
      return response;
    });
    return gateway->CreateCharge(ChargeRequest(Brl(1050)));
  };
  EXPECT_EQ(with_cash_in(JsonReply(503, "{}")).error().kind, Kind::kUnavailable);
  EXPECT_EQ(with_cash_in(JsonReply(429, "{}")).error().kind, Kind::kRateLimited);
  const auto rejected =
      with_cash_in(JsonReply(422, R"({"message":"client s3cret-value tok-1 invalid"})"));
  EXPECT_EQ(rejected.error().kind, Kind::kRejected);
  EXPECT_EQ(rejected.error().message.find("s3cret-value"), std::string::npos);
  EXPECT_EQ(with_cash_in(TextReply(200, "<html>maintenance</html>")).error().kind,
            Kind::kBadResponse);
  const auto no_code = with_cash_in(JsonReply(200, R"({"identifier":"x"})"));
  EXPECT_EQ(no_code.error().kind, Kind::kBadResponse);
  EXPECT_NE(no_code.error().message.find("pix_code is missing"), std::string::npos);
}

TEST_F(SyncPayGatewayTest, WrongCurrencyIsRefusedWithoutAnyCall) {
  auto gateway = Gateway();
  auto charge = gateway->CreateCharge(ChargeRequest(Amount(1000, Asset::Make("VES", 2).value())));
  ASSERT_FALSE(charge.ok());
  EXPECT_EQ(charge.error().kind, Kind::kInvalidRequest);
  EXPECT_EQ(harness_.server.request_count(), 0u);
}

TEST_F(SyncPayGatewayTest, AnUnreachableGatewayIsUnavailable) {
  GatewayContext context = harness_.context;
  context.base_url = "http://127.0.0.1:1/sandbox/syncpay";
  auto gateway = SyncPayGateway::Create(
                     {{"client_id", "client-1"}, {"client_secret", "s3cret-value"}}, context)
                     .value();
  auto charge = gateway->CreateCharge(ChargeRequest(Brl(1050)));
  ASSERT_FALSE(charge.ok());
  EXPECT_EQ(charge.error().kind, Kind::kUnavailable);
  EXPECT_EQ(charge.error().message.find("s3cret"), std::string::npos);
}

}  // namespace
}  // namespace cambista::payins
