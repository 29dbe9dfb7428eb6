// Tenants are walled off: the whole server (app::Server, sandbox mode) in process, on each backend,
// and every route that takes an id tried with a second tenant's key on the first tenant's objects.
// Another tenant's object answers exactly like a missing one; lists show none of them; nothing of
// the first tenant changes. The table below must name every route with a path parameter: a new
// route without a row fails the test, so it cannot ship unwalked.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "api/api_key_store.hpp"
#include "app/master_key.hpp"
#include "app/server.hpp"
#include "http/router.hpp"
#include "master_key_fixture.hpp"
#include "net/http_client.hpp"
#include "payins/provider_json.hpp"
#include "security/scope.hpp"

namespace cambista::app {
namespace {

using payins::JsonDocument;
using payins::JsonNode;

struct Reply {
  int status = 0;
  std::string body{};
  std::string Code() const {  // a problem's `code`, or ""
    auto document = JsonDocument::Parse(body);
    if (!document.ok() || document.value().root().Find("code") == nullptr) return "";
    return std::string(document.value().root().Find("code")->text());
  }
};

// One route with a path parameter: how to fill it with the first tenant's object, with a missing
// one, and what a request carries.
struct WalkedRoute {
  std::string method;
  std::string pattern;
  std::map<std::string, std::string> params;          // the first tenant's object
  std::map<std::string, std::string> missing_params;  // an object that does not exist
  std::string body{};
  bool idempotent_post = false;  // sends an Idempotency-Key
};

class TenantWallsTest : public MasterKeyTest {
 protected:
  void SetUp() override {
    MasterKeyTest::SetUp();
    if (IsSkipped()) return;
    Config config = ConfigWithKeyFile("walls.key");
    config.sandbox = true;
    config.listen_port = 0;
    config.webhook_allow_private_addresses = true;  // an endpoint on loopback, for the test
    // Every answer to the other tenant is held to /openapi.json too (tests/CMakeLists.txt).
    if (const char* path = std::getenv("CAMBISTA_TESTING_RECORD_RESPONSES")) {
      config.record_responses = path;
    }
    auto unsealed = MigrateAndUnseal(config, db(), clock_);
    ASSERT_TRUE(unsealed.ok()) << unsealed.error();
    server_ = std::make_unique<Server>(config, unsealed.value().keys);
    server_->Start();
    ours_ = server_->keys().Create("default", ScopeSet{Scope::kAdmin});
    theirs_ = server_->keys().Create("acme", ScopeSet{Scope::kAdmin});
  }
  void TearDown() override {
    if (server_) server_->Stop(1'000);
    server_.reset();
    MasterKeyTest::TearDown();
  }

  Reply Send(const std::string& method, const std::string& path, const std::string& key,
             const std::string& body = "", const std::string& idempotency_key = "") {
    net::ClientRequest request;
    request.method = method;
    request.url = server_->url() + path;
    request.body = body;
    if (!key.empty()) request.headers.emplace_back("Authorization", "Bearer " + key);
    if (!body.empty()) request.headers.emplace_back("Content-Type", "application/json");
    if (!idempotency_key.empty()) request.headers.emplace_back("Idempotency-Key", idempotency_key);
    auto response = http_.Send(request);
    EXPECT_TRUE(response.ok()) << method << " " << path;
    return response.ok() ? Reply{response.value().status, response.value().body} : Reply{};
  }
  static std::string Field(const std::string& json, std::string_view name) {
    auto document = JsonDocument::Parse(json);
    if (!document.ok()) return "";
    const JsonNode* node = document.value().root().Find(name);
    return node == nullptr ? "" : std::string(node->text());
  }
  static std::string Fill(std::string pattern, const std::map<std::string, std::string>& params) {
    for (const auto& [name, value] : params) {
      const std::string slot = "{" + name + "}";
      pattern.replace(pattern.find(slot), slot.size(), value);
    }
    return pattern;
  }

  std::unique_ptr<Server> server_;
  std::string ours_;
  std::string theirs_;
  const net::HttpClient http_;
  int idempotency_keys_ = 0;
};

TEST_P(TenantWallsTest, EveryRouteTakingAnIdAnswersAnotherTenantLikeAMissingObject) {
  // The first tenant's objects: a charge (paid: it has history, QR codes and ledger transfers), a
  // webhook endpoint, its ledger accounts.
  const Reply charge = Send("POST", "/v1/charges", ours_,
                            R"({"amount":"12.00","currency":"BRL","gateway":"wiinpay",)"
                            R"("customer":{"name":"Ana","email":"ana@example.com"}})",
                            "walls-charge");
  ASSERT_EQ(charge.status, 201) << charge.body;
  const std::string charge_id = Field(charge.body, "id");
  const std::string gateway_charge_id = Field(charge.body, "gateway_charge_id");
  ASSERT_EQ(Send("POST", "/sandbox/wiinpay/charges/" + gateway_charge_id + "/pay", "").status, 200);
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (Field(Send("GET", "/v1/charges/" + charge_id, ours_).body, "status") != "PAID" &&
         std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  const Reply endpoint =
      Send("POST", "/v1/webhook-endpoints", ours_,
           R"({"url":"http://127.0.0.1:9/hook","event_types":["charge.paid"]})", "walls-endpoint");
  ASSERT_EQ(endpoint.status, 201) << endpoint.body;
  const std::string endpoint_id = Field(endpoint.body, "id");
  const Reply balances = Send("GET", "/v1/balances", ours_);
  ASSERT_EQ(balances.status, 200) << balances.body;
  const size_t at = balances.body.find("\"account_id\":\"");
  ASSERT_NE(at, std::string::npos) << balances.body;
  const std::string account_id = balances.body.substr(at + 14, 32);
  const std::string token = [&] {
    const std::string sandbox =
        Send("GET", "/sandbox/wiinpay/charges/" + gateway_charge_id, "").body;
    const std::string url = Field(sandbox, "webhook_url");
    return url.substr(url.rfind('/') + 1);
  }();
  ASSERT_EQ(Send("PUT", "/v1/customers/c1", ours_, R"({"name":"Ana","kyc_level":1})").status, 201);
  const std::string tron = R"({"kind":"crypto_address","network":"TRON",)"
                           R"("address":"TNPeeaaFB7K9cmo4uQpcU32zGK8G1NYqeL"})";
  ASSERT_EQ(Send("POST", "/v1/customers/c1/destinations", ours_, tron).status, 201);
  // A payout of the first tenant (waiting for its provider: the sandbox has none configured yet,
  // or it is sent; either way it is ours).
  for (const std::string account : {"customer:c1", "provider:heleket"}) {
    ASSERT_EQ(Send("POST", "/v1/treasury/deposits", ours_,
                   R"({"account":")" + account +
                       R"(","asset":"USDT","amount":"50","reference":"w-)" + account + R"("})",
                   "walls-deposit-" + account)
                  .status,
              201);
  }
  const Reply payout = Send("POST", "/v1/payouts", ours_,
                            R"({"customer":"c1","asset":"USDT","amount":"10","origin":"manual",)"
                            R"("destination":)" +
                                tron + "}",
                            "walls-payout");
  ASSERT_EQ(payout.status, 201) << payout.body;
  const std::string payout_id = Field(payout.body, "id");
  const Reply quote = Send("POST", "/v1/quotes", ours_,
                           R"({"from_asset":"BRL","to_asset":"USDT","amount":"100.00",)"
                           R"("amount_side":"spend"})");
  ASSERT_EQ(quote.status, 201) << quote.body;
  const std::string quote_id = Field(quote.body, "id");
  const Reply trade =
      Send("POST", "/v1/trades", ours_,
           R"({"quote_id":")" + quote_id + R"(","customer":"c1","destination":)" + tron + "}",
           "walls-trade");
  ASSERT_EQ(trade.status, 201) << trade.body;
  const std::string trade_id = Field(trade.body, "id");
  const std::string absent_trade = "tr_" + std::string(32, '0');
  const std::string absent_payout = "po_" + std::string(32, '0');
  const std::string absent_charge = "ch_" + std::string(32, '0');
  const std::string absent_account = std::string(31, '0') + "1";

  const std::vector<WalkedRoute> walked = {
      {"GET", "/v1/charges/{id}", {{"id", charge_id}}, {{"id", absent_charge}}},
      {"GET", "/v1/charges/{id}/history", {{"id", charge_id}}, {{"id", absent_charge}}},
      {"GET", "/v1/charges/{id}/qr.png", {{"id", charge_id}}, {{"id", absent_charge}}},
      {"GET", "/v1/charges/{id}/qr.svg", {{"id", charge_id}}, {{"id", absent_charge}}},
      {"POST",
       "/v1/charges/{id}/resolve",
       {{"id", charge_id}},
       {{"id", absent_charge}},
       R"({"action":"accept","reason":"not mine"})",
       true},
      {"GET", "/v1/customers/{id}", {{"id", "c1"}}, {{"id", "c-absent"}}},
      {"GET", "/v1/customers/{id}/destinations", {{"id", "c1"}}, {{"id", "c-absent"}}},
      {"POST", "/v1/customers/{id}/destinations", {{"id", "c1"}}, {{"id", "c-absent"}}, tron},
      {"GET", "/v1/payouts/{id}", {{"id", payout_id}}, {{"id", absent_payout}}},
      {"POST", "/v1/payouts/{id}/cancel", {{"id", payout_id}}, {{"id", absent_payout}}},
      {"POST",
       "/v1/payouts/{id}/approve",
       {{"id", payout_id}},
       {{"id", absent_payout}},
       R"({"totp":"123456"})"},
      {"POST",
       "/v1/payouts/{id}/reject",
       {{"id", payout_id}},
       {{"id", absent_payout}},
       R"({"totp":"123456"})"},
      {"GET", "/v1/quotes/{id}", {{"id", quote_id}}, {{"id", "qt_" + std::string(32, '0')}}},
      {"GET", "/v1/trades/{id}", {{"id", trade_id}}, {{"id", absent_trade}}},
      {"GET", "/v1/trades/{id}/history", {{"id", trade_id}}, {{"id", absent_trade}}},
      {"POST", "/v1/trades/{id}/cancel", {{"id", trade_id}}, {{"id", absent_trade}}},
      {"POST",
       "/v1/trades/{id}/refund",
       {{"id", trade_id}},
       {{"id", absent_trade}},
       R"({"destination":{"kind":"pix_key","key":"ana@example.com"}})",
       true},
      {"GET", "/v1/ledger/accounts/{id}", {{"id", account_id}}, {{"id", absent_account}}},
      {"GET", "/v1/ledger/accounts/{id}/transfers", {{"id", account_id}}, {{"id", absent_account}}},
      {"GET",
       "/v1/webhook-endpoints/{id}/deliveries",
       {{"id", endpoint_id}},
       {{"id", "we_" + std::string(24, '0')}}},
      {"DELETE",
       "/v1/webhook-endpoints/{id}",
       {{"id", endpoint_id}},
       {{"id", "we_" + std::string(24, '0')}}},
  };
  // Routes whose parameter is not an object of a tenant, each walked by its own test below.
  const std::set<std::string> elsewhere = {
      "/v1/gateways/{gateway}",       "/v1/customers/{id}",
      "/webhooks/{gateway}",          "/callbacks/payouts/{provider}",
      "/webhooks/{gateway}/{tenant}", "/webhooks/{gateway}/{tenant}/{token}"};
  std::set<std::string> covered;
  for (const WalkedRoute& route : walked) covered.insert(route.method + " " + route.pattern);
  for (const http::Router::Route& route : server_->router().routes()) {
    if (route.pattern.find('{') == std::string::npos || route.pattern.starts_with("/sandbox/")) {
      continue;  // no id, or the simulators' own (public, not a tenant's) API
    }
    if (elsewhere.contains(route.pattern)) continue;
    EXPECT_TRUE(covered.contains(route.method + " " + route.pattern))
        << route.method << " " << route.pattern << " takes an id: add it to the walk";
  }

  for (const WalkedRoute& route : walked) {
    SCOPED_TRACE(route.method + " " + route.pattern);
    const std::string key =
        route.idempotent_post ? "walls-" + std::to_string(++idempotency_keys_) : "";
    const Reply theirs =
        Send(route.method, Fill(route.pattern, route.params), theirs_, route.body, key);
    const Reply missing = Send(route.method, Fill(route.pattern, route.missing_params), theirs_,
                               route.body, key.empty() ? "" : key + "-missing");
    EXPECT_EQ(theirs.status, 404) << theirs.body;
    EXPECT_EQ(theirs.status, missing.status);
    EXPECT_EQ(theirs.Code(), missing.Code());
    // The first tenant still sees its object (after the DELETE attempt too).
    if (route.method == "GET") {
      EXPECT_LT(Send("GET", Fill(route.pattern, route.params), ours_).status, 300);
    }
  }
  EXPECT_EQ(Send("GET", "/v1/webhook-endpoints", ours_).body.find(endpoint_id) == std::string::npos,
            false);
  EXPECT_EQ(Field(Send("GET", "/v1/charges/" + charge_id, ours_).body, "status"), "PAID");

  // Lists and sums show the second tenant nothing of the first's.
  for (const std::string path : {"/v1/charges", "/v1/balances", "/v1/webhook-endpoints",
                                 "/v1/stats/charges", "/v1/gateways"}) {
    const Reply listed = Send("GET", path, theirs_);
    EXPECT_EQ(listed.status, 200) << path << ": " << listed.body;
    for (const std::string& id : {charge_id, endpoint_id, account_id}) {
      EXPECT_EQ(listed.body.find(id), std::string::npos) << path << " shows " << id;
    }
  }
  // Their webhook at our charge's token: the token is for our tenant only.
  const std::string paid = R"({"id":")" + gateway_charge_id + R"(","status":"paid","value":12.00})";
  EXPECT_EQ(Send("POST", "/webhooks/wiinpay/acme/" + token, "", paid).status, 401);
}

TEST_P(TenantWallsTest, ATenantsGatewaySettingsAreItsOwn) {
  const Reply before = Send("GET", "/v1/gateways", ours_);
  // The second tenant sets the same gateway: its own row, never the first tenant's.
  const Reply set = Send("PUT", "/v1/gateways/pushinpay", theirs_,
                         R"({"credentials":{"api_key":"acme-key"},"priority":1})");
  EXPECT_EQ(set.status, 200) << set.body;
  EXPECT_EQ(Send("GET", "/v1/gateways", ours_).body, before.body);
  const Reply listed = Send("GET", "/v1/gateways", theirs_);
  EXPECT_NE(listed.body.find("\"pushinpay\""), std::string::npos) << listed.body;
  EXPECT_EQ(listed.body.find("\"syncpay\""), std::string::npos) << listed.body;
}

TEST_P(TenantWallsTest, ATenantsCustomersAreItsOwn) {
  // Customer ids are the desk's own: the second tenant's PUT of the same id makes its own
  // customer and leaves the first tenant's as it was.
  ASSERT_EQ(Send("PUT", "/v1/customers/c1", ours_, R"({"name":"Ana"})").status, 201);
  const Reply theirs = Send("PUT", "/v1/customers/c1", theirs_, R"({"name":"Mallory"})");
  EXPECT_EQ(theirs.status, 201) << theirs.body;
  EXPECT_EQ(Field(Send("GET", "/v1/customers/c1", ours_).body, "name"), "Ana");
  EXPECT_EQ(Field(Send("GET", "/v1/customers/c1", theirs_).body, "name"), "Mallory");
  const Reply deposit = Send("POST", "/v1/treasury/deposits", theirs_,
                             R"({"account":"customer:c1","asset":"USDT","amount":"5.00",)"
                             R"("reference":"walls-1"})",
                             "walls-deposit");
  EXPECT_EQ(deposit.status, 201) << deposit.body;
  EXPECT_EQ(Field(deposit.body, "account"), "customer:acme:c1:USDT");
}

INSTANTIATE_BACKENDS(TenantWallsTest);

}  // namespace
}  // namespace cambista::app
