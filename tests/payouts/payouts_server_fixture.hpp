// The whole server (app::Server, sandbox mode: the Heleket simulator answers under
// /sandbox/heleket/) in process for the payouts' tests, with an admin key, a payouts:write key and
// a key of another scope; requests over real HTTP. Responses are recorded and held to
// /openapi.json (tests/CMakeLists.txt).
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <memory>
#include <string>

#include "api/api_key_store.hpp"
#include "app/master_key_fixture.hpp"
#include "app/server.hpp"
#include "net/http_client.hpp"
#include "payins/provider_json.hpp"
#include "security/scope.hpp"

namespace cambista::app {

struct Reply {
  int status = 0;
  std::string body{};
  std::string Field(std::string_view name) const {  // a top-level member's text, or ""
    auto document = payins::JsonDocument::Parse(body);
    if (!document.ok() || document.value().root().Find(name) == nullptr) return "";
    return std::string(document.value().root().Find(name)->text());
  }
};

class PayoutsServerTest : public MasterKeyTest {
 protected:
  // Tests may change the configuration before SetUp starts the server.
  virtual void Configure(Config&) {}
  // The server's clock: the system clock unless a test gives one (it must outlive the server).
  virtual const Clock* ServerClock() { return nullptr; }
  void SetUp() override {
    MasterKeyTest::SetUp();
    if (IsSkipped()) return;
    Config config = ConfigWithKeyFile("payouts.key");
    config.sandbox = true;
    config.listen_port = 0;
    // The payouts' tests count on empty floats; the trades' tests turn the liquidity on.
    config.module_values["trading.sandbox_liquidity"] = "false";
    Configure(config);
    if (const char* path = std::getenv("CAMBISTA_TESTING_RECORD_RESPONSES")) {
      config.record_responses = path;
    }
    auto unsealed = MigrateAndUnseal(config, db(), clock_);
    ASSERT_TRUE(unsealed.ok()) << unsealed.error();
    server_ = std::make_unique<Server>(config, unsealed.value().keys, ServerClock());
    server_->Start();
    admin_ = server_->keys().Create("default", ScopeSet{Scope::kAdmin});
    writer_ = server_->keys().Create("default", ScopeSet{Scope::kPayoutsWrite});
    reader_ = server_->keys().Create("default", ScopeSet{Scope::kChargesRead});
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
  Reply Deposit(const std::string& body) {
    return Send("POST", "/v1/treasury/deposits", admin_, body,
                "deposit-" + std::to_string(++idempotency_keys_));
  }

  std::unique_ptr<Server> server_;
  std::string admin_, writer_, reader_;
  const net::HttpClient http_;
  int idempotency_keys_ = 0;
};

}  // namespace cambista::app
