// The PIX send adapter (providers/pixout/pixout_payouts.hpp) against its simulator over real HTTP:
// the simulator served by the project's HttpServer, the adapter calling it through the real
// net::HttpClient, the simulator's webhooks received by a second server and read back by the
// adapter's ParseCallback. Then the golden callbacks (src/providers/pixout/fixtures/) and the
// callback's fields one by one.
#include <gtest/gtest.h>

#include <fstream>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "api/http_server.hpp"
#include "core/clock.hpp"
#include "http/router.hpp"
#include "net/http_client.hpp"
#include "providers/pixout/pixout_payouts.hpp"
#include "providers/pixout/pixout_simulator.hpp"
#include "providers/providers.hpp"
#include "response_recording.hpp"
#include "sandbox_fixture.hpp"
#include "security/hmac.hpp"

namespace cambista::sandbox {
namespace {

using namespace test_support;  // NOLINT: the shared fixture helpers
using payouts::CallbackRejection;
using payouts::PixoutPayouts;
using payouts::ProviderError;
using payouts::ProviderPayout;
using Status = payouts::ProviderPayoutStatus;
using Headers = std::vector<std::pair<std::string, std::string>>;

constexpr std::string_view kPayee = "maria.silva@example.com";

std::string ReadFixture(std::string_view name) {
  std::ifstream file(std::string(CAMBISTA_PROVIDERS_DIR) + "/pixout/fixtures/" + std::string(name));
  EXPECT_TRUE(file.good()) << name;
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

// The idEnvio of a webhook body's first item; empty when it has none.
std::string IdEnvioOf(std::string_view body) {
  auto document = payins::JsonDocument::Parse(body);
  if (!document.ok()) return "";
  const JsonNode* items = document.value().root().Find("pix");
  if (items == nullptr || !items->IsArray() || items->size() == 0) return "";
  const JsonNode* id = items->child(0).Find("idEnvio");
  return id == nullptr ? "" : std::string(id->text());
}

Headers Basic(std::string_view id, std::string_view secret) {
  return {{"Authorization", "Basic " + Base64Encode(std::string(id) + ":" + std::string(secret))}};
}

class PixoutTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SandboxOptions options;
    options.http = &client_;
    options.clock = &clock_;
    options.webhook_retry_delay_ms = 20;
    sandbox_ = std::make_unique<Sandbox>(options);
    router_ = std::make_unique<http::Router>();
    sandbox_->AddRoutes(*router_);
    recorder_ = cambista::testing::RecordResponsesIfAsked(*router_);
    server_ = std::make_unique<api::HttpServer>(
        LocalServer(), [this](const HttpRequest& request) { return router_->Handle(request); });
    server_->Start();
    // Sends settle on command only, unless a test says otherwise.
    ASSERT_EQ(Call("POST", "/sandbox/pixout/settings", R"({"auto_settle_ms":0})").status, 200);
  }
  void TearDown() override {
    server_->Stop(1'000);
    sandbox_->Stop();
  }

  std::string Url(std::string_view path) const {
    return "http://127.0.0.1:" + std::to_string(server_->port()) + std::string(path);
  }
  net::ClientResponse Call(std::string method, std::string_view path, std::string body = "",
                           Headers headers = {}) {
    net::ClientRequest request;
    request.method = std::move(method);
    request.url = Url(path);
    request.body = std::move(body);
    request.headers = std::move(headers);
    if (!request.body.empty()) request.headers.emplace_back("Content-Type", "application/json");
    auto response = client_.Send(request);
    EXPECT_TRUE(response.ok()) << (response.ok() ? "" : response.error().message);
    return response.ok() ? std::move(response).value() : net::ClientResponse();
  }
  JsonNode GetJson(std::string_view path) {
    const net::ClientResponse response = Call("GET", path);
    EXPECT_EQ(response.status, 200) << path;
    return ParseJson(response.body);
  }
  JsonNode View(std::string_view id_envio) {
    return GetJson("/sandbox/pixout/payouts/" + std::string(id_envio));
  }
  size_t SendsHeld() { return At(GetJson("/sandbox/pixout/payouts"), "data").items().size(); }
  std::string Setting(std::string_view name) {
    return std::string(At(GetJson("/sandbox/pixout/settings"), name).text());
  }

  std::unique_ptr<PixoutPayouts> Adapter(
      int64_t timeout_ms = 10'000, std::string secret = std::string(kSandboxPixoutClientSecret)) {
    payouts::ProviderContext context;
    context.http = &client_;
    context.clock = &clock_;
    context.base_url = Url("/sandbox/pixout");
    context.timeout_ms = timeout_ms;
    payouts::Credentials credentials = PixoutSandboxCredentials();
    credentials["client_secret"] = std::move(secret);
    auto adapter = PixoutPayouts::Create(credentials, context);
    EXPECT_TRUE(adapter.ok());
    return adapter.ok() ? std::move(adapter).value() : nullptr;
  }
  payouts::PayoutRequest Request(std::string reference, std::string_view amount = "12.34",
                                 std::string_view key = kPayee) {
    payouts::PayoutRequest request{.reference = std::move(reference),
                                   .amount = Money(amount),
                                   .destination = {},
                                   .callback_url = receiver_.Url("/callbacks/payouts/pixout")};
    request.destination.kind = payouts::DestinationKind::kPixKey;
    request.destination.pix_key_kind = pix::PixKeyKind::kEmail;
    request.destination.key = std::string(key);
    return request;
  }
  ProviderPayout Created(PixoutPayouts& adapter, const payouts::PayoutRequest& request) {
    auto created = adapter.Create(request);
    EXPECT_TRUE(created.ok()) << (created.ok() ? "" : created.error().message);
    return created.ok() ? created.value() : ProviderPayout();
  }
  ProviderPayout Fetched(PixoutPayouts& adapter, std::string_view reference) {
    auto fetched = adapter.Fetch(reference);
    EXPECT_TRUE(fetched.ok()) << (fetched.ok() ? "" : fetched.error().message);
    return fetched.ok() ? fetched.value() : ProviderPayout();
  }
  std::vector<HttpRequest> Webhooks(std::string_view id_envio) {
    std::vector<HttpRequest> matching;
    for (const HttpRequest& request : receiver_.Requests()) {
      if (IdEnvioOf(request.body) == id_envio) matching.push_back(request);
    }
    return matching;
  }
  // The webhooks the receiver got about `id_envio`, once there are at least `count`.
  std::vector<HttpRequest> AwaitWebhooks(std::string_view id_envio, size_t count) {
    EXPECT_TRUE(WaitFor([&] { return Webhooks(id_envio).size() >= count; }))
        << count << " webhook(s) about " << id_envio << " did not arrive";
    return Webhooks(id_envio);
  }
  ProviderPayout Parsed(const PixoutPayouts& adapter, const HttpRequest& webhook) {
    auto parsed = adapter.ParseCallback({webhook.body, webhook.headers});
    EXPECT_TRUE(parsed.ok()) << (parsed.ok() ? "" : parsed.error().message);
    return parsed.ok() ? parsed.value() : ProviderPayout();
  }
  Amount Capacity(PixoutPayouts& adapter) {
    auto capacity = adapter.ReadCapacity();
    EXPECT_TRUE(capacity.ok() && capacity.value().size() == 1u);
    if (!capacity.ok() || capacity.value().empty()) return Money("0");
    EXPECT_EQ(capacity.value()[0].asset, "BRL");
    return capacity.value()[0].available;
  }

  ManualClock clock_;
  net::HttpClient client_;
  Receiver receiver_;
  std::unique_ptr<Sandbox> sandbox_;
  std::unique_ptr<api::ResponseRecorder> recorder_;  // outlives the router's server
  std::unique_ptr<http::Router> router_;
  std::unique_ptr<api::HttpServer> server_;
};

TEST_F(PixoutTest, TheTokenExchangeIssuesBearersAndForgedOnesAreRefused) {
  const std::string token_path = "/sandbox/pixout/oauth/token";
  const std::string grant = R"({"grant_type":"client_credentials"})";
  for (const Headers& wrong :
       {Basic(kSandboxPixoutClientId, "not-the-secret"), Basic("another-client", "x"), Headers{}}) {
    const net::ClientResponse refused = Call("POST", token_path, grant, wrong);
    EXPECT_EQ(refused.status, 401);
    EXPECT_EQ(Text(ParseJson(refused.body), "nome"), "nao_autorizado");
  }
  const net::ClientResponse issued =
      Call("POST", token_path, grant, Basic(kSandboxPixoutClientId, kSandboxPixoutClientSecret));
  ASSERT_EQ(issued.status, 200);
  const std::string token = Text(ParseJson(issued.body), "access_token");
  EXPECT_EQ(Text(ParseJson(issued.body), "expires_in"), "3600");
  const auto saldo = [&](std::string_view bearer) {
    return Call("GET", "/sandbox/pixout/v2/gn/saldo", "",
                {{"Authorization", "Bearer " + std::string(bearer)}})
        .status;
  };
  EXPECT_EQ(saldo(token), 200);
  EXPECT_EQ(saldo("sandbox_pixout_forged"), 401);
  EXPECT_EQ(Call("GET", "/sandbox/pixout/v2/gn/saldo").status, 401);
  clock_.AdvanceMs(3'600'000);  // expired
  EXPECT_EQ(saldo(token), 401);
  // Through the adapter: a wrong secret is kAuth, never quoted, and nothing is sent.
  auto wrong = Adapter(10'000, "not-the-secret");
  auto created = wrong->Create(Request("po1"));
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.error().kind, ProviderError::Kind::kAuth);
  EXPECT_EQ(created.error().http_status, 401);
  EXPECT_EQ(created.error().message.find("not-the-secret"), std::string::npos);
  EXPECT_EQ(SendsHeld(), 0u);
}

TEST_F(PixoutTest, TheAdapterCachesItsTokenUntilShortlyBeforeItExpires) {
  auto adapter = Adapter();
  const std::string before = Setting("tokens_issued");
  Capacity(*adapter);
  Capacity(*adapter);
  Created(*adapter, Request("tok1"));
  EXPECT_EQ(std::stoi(Setting("tokens_issued")), std::stoi(before) + 1);
  clock_.AdvanceMs(3'600'000 - 30'000);  // within the refresh margin
  Capacity(*adapter);
  EXPECT_EQ(std::stoi(Setting("tokens_issued")), std::stoi(before) + 2);
  // Revoked early: the call answered 401 is made again once, with a fresh token.
  ASSERT_EQ(Call("POST", "/sandbox/pixout/settings", R"({"revoke_tokens":true})").status, 200);
  EXPECT_EQ(Created(*adapter, Request("tok2")).reference, "tok2");
  EXPECT_EQ(std::stoi(Setting("tokens_issued")), std::stoi(before) + 3);
  EXPECT_EQ(SendsHeld(), 2u);
}

TEST_F(PixoutTest, CreatesASendAndReadsItBack) {
  auto adapter = Adapter();
  const ProviderPayout created = Created(*adapter, Request("a1"));
  EXPECT_EQ(created.reference, "a1");
  EXPECT_TRUE(created.provider_id.starts_with("E")) << created.provider_id;
  EXPECT_EQ(created.txid, created.provider_id);
  EXPECT_EQ(created.status, Status::kProcessing);
  EXPECT_FALSE(created.is_final);
  EXPECT_EQ(created.raw_status, "EM_PROCESSAMENTO");
  EXPECT_EQ(created.amount, Money("12.34"));
  const JsonNode view = View("a1");
  EXPECT_EQ(Text(view, "valor"), "12.34");
  EXPECT_EQ(Text(view, "chave"), kPayee);
  EXPECT_EQ(Text(view, "pagador_chave"), kSandboxPixoutPayerKey);
  EXPECT_EQ(Text(view, "info_pagador"), "Cambista payout a1");
  EXPECT_EQ(Text(view, "webhook_url"), receiver_.Url("/callbacks/payouts/pixout"));
  const ProviderPayout fetched = Fetched(*adapter, "a1");
  EXPECT_EQ(fetched.provider_id, created.provider_id);
  EXPECT_EQ(fetched.amount, Money("12.34"));
  auto unknown = adapter->Fetch("nosuchsend");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().kind, ProviderError::Kind::kNotFound);
  // The URL is registered: a send created without one has its webhooks go there too.
  payouts::PayoutRequest bare = Request("a2");
  bare.callback_url.clear();
  Created(*adapter, bare);
  EXPECT_EQ(Text(View("a2"), "webhook_url"), receiver_.Url("/callbacks/payouts/pixout"));
}

TEST_F(PixoutTest, TheSameIdEnvioTwiceReachesTheSimulatorOnce) {
  auto adapter = Adapter();
  const ProviderPayout first = Created(*adapter, Request("twice"));
  const ProviderPayout second = Created(*adapter, Request("twice"));
  EXPECT_EQ(second.provider_id, first.provider_id);
  EXPECT_EQ(SendsHeld(), 1u);
  EXPECT_EQ(At(View("twice"), "create_requests").text(), "2");
  EXPECT_EQ(Capacity(*adapter), Money("99987.66"));  // taken once
  // The idEnvio names that send whatever else is asked: another amount or key is refused.
  auto other = adapter->Create(Request("twice", "20.00"));
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.error().kind, ProviderError::Kind::kRejected);
  auto other_key = adapter->Create(Request("twice", "12.34", "joao@example.com"));
  ASSERT_FALSE(other_key.ok());
  EXPECT_EQ(other_key.error().kind, ProviderError::Kind::kRejected);
  EXPECT_EQ(SendsHeld(), 1u);
  EXPECT_EQ(Text(View("twice"), "valor"), "12.34");
}

TEST_F(PixoutTest, ACreateThatTimesOutAfterAcceptanceIsRetriedIntoOneSend) {
  ASSERT_EQ(Call("POST", "/sandbox/pixout/faults", R"({"idEnvio":"slow1","answer_delay_ms":1500})")
                .status,
            200);
  auto impatient = Adapter(300);
  auto lost = impatient->Create(Request("slow1"));
  ASSERT_FALSE(lost.ok());
  EXPECT_EQ(lost.error().kind, ProviderError::Kind::kUnavailable);  // the outcome is unknown
  // The PSP has it: the caller asks by the same idEnvio, then retries with it.
  const ProviderPayout fetched = Fetched(*impatient, "slow1");
  const ProviderPayout retried = Created(*impatient, Request("slow1"));
  EXPECT_EQ(retried.provider_id, fetched.provider_id);
  EXPECT_EQ(SendsHeld(), 1u);
  EXPECT_EQ(At(View("slow1"), "create_requests").text(), "2");
  EXPECT_EQ(Capacity(*impatient), Money("99987.66"));
}

TEST_F(PixoutTest, AFailedCreateRecordsNothing) {
  ASSERT_EQ(
      Call("POST", "/sandbox/pixout/faults", R"({"idEnvio":"down1","create_status":503})").status,
      200);
  auto adapter = Adapter();
  auto refused = adapter->Create(Request("down1"));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().kind, ProviderError::Kind::kUnavailable);
  EXPECT_EQ(refused.error().http_status, 503);
  EXPECT_EQ(SendsHeld(), 0u);
  EXPECT_EQ(adapter->Fetch("down1").error().kind, ProviderError::Kind::kNotFound);
  Created(*adapter, Request("down1"));  // the fault was for one call
  EXPECT_EQ(SendsHeld(), 1u);
}

TEST_F(PixoutTest, FetchMapsEveryStatusAndIsFinal) {
  auto adapter = Adapter();
  Created(*adapter, Request("st0"));
  Created(*adapter, Request("st1"));
  Created(*adapter, Request("st2"));
  ASSERT_EQ(Call("POST", "/sandbox/pixout/payouts/st1/realizado").status, 200);
  ASSERT_EQ(Call("POST", "/sandbox/pixout/payouts/st2/nao_realizado",
                 R"({"motivo":"conta do recebedor encerrada"})")
                .status,
            200);
  const ProviderPayout processing = Fetched(*adapter, "st0");
  EXPECT_EQ(processing.status, Status::kProcessing);
  EXPECT_FALSE(processing.is_final);
  EXPECT_EQ(processing.raw_status, "EM_PROCESSAMENTO");
  const ProviderPayout paid = Fetched(*adapter, "st1");
  EXPECT_EQ(paid.status, Status::kPaid);
  EXPECT_TRUE(paid.is_final);
  EXPECT_EQ(paid.raw_status, "REALIZADO");
  EXPECT_TRUE(paid.reason.empty());
  const ProviderPayout failed = Fetched(*adapter, "st2");
  EXPECT_EQ(failed.status, Status::kFailed);
  EXPECT_TRUE(failed.is_final);
  EXPECT_EQ(failed.raw_status, "NAO_REALIZADO");
  EXPECT_EQ(failed.reason, "conta do recebedor encerrada");
  // A final send moves no more; the failed one gave its amount back.
  EXPECT_EQ(Call("POST", "/sandbox/pixout/payouts/st1/nao_realizado").status, 409);
  EXPECT_EQ(Call("POST", "/sandbox/pixout/payouts/st2/realizado").status, 409);
  EXPECT_EQ(Capacity(*adapter), Money("99975.32"));  // 100000 - 2 x 12.34
}

TEST_F(PixoutTest, AWrongKeyEndsNaoRealizadoWithAReasonNotAnHttpError) {
  auto adapter = Adapter();
  // A well-formed key the directory does not know, and a key of no known format.
  for (const auto& [reference, key] :
       {std::pair<std::string, std::string>{"wk1", "invalid@example.com"}, {"wk2", "12345"}}) {
    const ProviderPayout created = Created(*adapter, Request(reference, "12.34", key));
    EXPECT_EQ(created.status, Status::kProcessing);  // what the create answers
    const ProviderPayout fetched = Fetched(*adapter, reference);
    EXPECT_EQ(fetched.status, Status::kFailed) << reference;
    EXPECT_TRUE(fetched.is_final);
    EXPECT_EQ(fetched.reason, "chave inexistente");
    const ProviderPayout webhook = Parsed(*adapter, AwaitWebhooks(reference, 1)[0]);
    EXPECT_EQ(webhook.status, Status::kFailed);
    EXPECT_EQ(webhook.reason, "chave inexistente");
  }
  EXPECT_EQ(Capacity(*adapter), Money("100000.00"));  // nothing taken
}

TEST_F(PixoutTest, ASendAboveTheBalanceEndsNaoRealizado) {
  ASSERT_EQ(Call("POST", "/sandbox/pixout/settings", R"({"balance":"10.00"})").status, 200);
  auto adapter = Adapter();
  EXPECT_EQ(Capacity(*adapter), Money("10.00"));
  Created(*adapter, Request("poor1"));
  const ProviderPayout failed = Fetched(*adapter, "poor1");
  EXPECT_EQ(failed.status, Status::kFailed);
  EXPECT_EQ(failed.reason, "saldo insuficiente");
  EXPECT_EQ(Parsed(*adapter, AwaitWebhooks("poor1", 1)[0]).reason, "saldo insuficiente");
  EXPECT_EQ(Capacity(*adapter), Money("10.00"));
  Created(*adapter, Request("rich1", "4.50"));
  EXPECT_EQ(Fetched(*adapter, "rich1").status, Status::kProcessing);
  EXPECT_EQ(Capacity(*adapter), Money("5.50"));
}

TEST_F(PixoutTest, TheSimulatorsWebhooksParseIntoTheSend) {
  auto adapter = Adapter();
  const ProviderPayout created = Created(*adapter, Request("wh1"));
  ASSERT_EQ(Call("POST", "/sandbox/pixout/payouts/wh1/realizado", R"({"deliveries":2})").status,
            200);
  const std::vector<HttpRequest> webhooks = AwaitWebhooks("wh1", 2);
  ASSERT_EQ(webhooks.size(), 2u);
  EXPECT_EQ(webhooks[0].body, webhooks[1].body);  // a duplicate is the same webhook
  EXPECT_EQ(webhooks[0].target, "/callbacks/payouts/pixout");
  const ProviderPayout paid = Parsed(*adapter, webhooks[0]);
  EXPECT_EQ(paid.provider_id, created.provider_id);
  EXPECT_EQ(paid.reference, "wh1");
  EXPECT_EQ(paid.status, Status::kPaid);
  EXPECT_TRUE(paid.is_final);
  EXPECT_EQ(paid.amount, Money("12.34"));
  EXPECT_EQ(At(View("wh1"), "webhooks").items().size(), 2u);
  // Realizado, then a stale EM_PROCESSAMENTO: both arrive, in that order.
  Created(*adapter, Request("wh2"));
  ASSERT_EQ(
      Call("POST", "/sandbox/pixout/payouts/wh2/realizado", R"({"out_of_order":true})").status,
      200);
  const std::vector<HttpRequest> late = AwaitWebhooks("wh2", 2);
  EXPECT_EQ(Parsed(*adapter, late[0]).status, Status::kPaid);
  const ProviderPayout stale = Parsed(*adapter, late[1]);
  EXPECT_EQ(stale.status, Status::kProcessing);
  EXPECT_FALSE(stale.is_final);
  // No webhook at all when told so.
  Created(*adapter, Request("wh3"));
  ASSERT_EQ(Call("POST", "/sandbox/pixout/payouts/wh3/realizado", R"({"deliveries":0})").status,
            200);
  EXPECT_TRUE(At(View("wh3"), "webhooks").items().empty());
}

TEST_F(PixoutTest, TheWebhookMayArriveBeforeTheCreateIsAnswered) {
  ASSERT_EQ(
      Call("POST", "/sandbox/pixout/faults", R"({"idEnvio":"early1","webhook_before_answer":true})")
          .status,
      200);
  auto adapter = Adapter();
  const ProviderPayout created = Created(*adapter, Request("early1"));
  EXPECT_EQ(created.status, Status::kProcessing);             // the create's own answer
  const std::vector<HttpRequest> early = Webhooks("early1");  // already there, no waiting
  ASSERT_EQ(early.size(), 1u);
  const ProviderPayout settled = Parsed(*adapter, early[0]);
  EXPECT_EQ(settled.status, Status::kPaid);
  EXPECT_EQ(settled.provider_id, created.provider_id);
  EXPECT_EQ(Fetched(*adapter, "early1").status, Status::kPaid);
}

TEST_F(PixoutTest, SendsSettleByThemselvesOnATimer) {
  ASSERT_EQ(Call("POST", "/sandbox/pixout/settings", R"({"auto_settle_ms":20})").status, 200);
  auto adapter = Adapter();
  Created(*adapter, Request("auto1"));
  EXPECT_TRUE(WaitFor([&] { return Fetched(*adapter, "auto1").status == Status::kPaid; }));
  const ProviderPayout webhook = Parsed(*adapter, AwaitWebhooks("auto1", 1)[0]);
  EXPECT_EQ(webhook.status, Status::kPaid);
  EXPECT_TRUE(webhook.is_final);
}

TEST_F(PixoutTest, ListGoesThroughEveryPage) {
  ASSERT_EQ(Call("POST", "/sandbox/pixout/settings", R"({"page_size":2})").status, 200);
  auto adapter = Adapter();
  for (int i = 0; i < 5; ++i) Created(*adapter, Request("list" + std::to_string(i)));
  std::vector<std::string> seen;
  std::string cursor;
  int pages = 0;
  do {
    auto page = adapter->List(clock_.NowMs() - 60'000, cursor);
    ASSERT_TRUE(page.ok()) << page.error().message;
    EXPECT_LE(page.value().payouts.size(), 2u);
    for (const ProviderPayout& payout : page.value().payouts) {
      seen.push_back(payout.reference);
      EXPECT_EQ(payout.amount, Money("12.34"));
    }
    cursor = page.value().next_cursor;
    ASSERT_LT(++pages, 10);
  } while (!cursor.empty());
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(seen, (std::vector<std::string>{"list0", "list1", "list2", "list3", "list4"}));
  // Sends requested before `since` are not listed.
  auto later = adapter->List(clock_.NowMs() + 60'000, "");
  ASSERT_TRUE(later.ok()) << later.error().message;
  EXPECT_TRUE(later.value().payouts.empty());
  EXPECT_TRUE(later.value().next_cursor.empty());
  EXPECT_EQ(adapter->List(0, "not-a-cursor").error().kind, ProviderError::Kind::kInvalidRequest);
}

TEST_F(PixoutTest, ReadCapacityFollowsTheBalance) {
  auto adapter = Adapter();
  EXPECT_EQ(Capacity(*adapter), Money("100000.00"));
  Created(*adapter, Request("cap1", "1000.01"));
  EXPECT_EQ(Capacity(*adapter), Money("98999.99"));
  ASSERT_EQ(Call("POST", "/sandbox/pixout/payouts/cap1/nao_realizado").status, 200);
  EXPECT_EQ(Capacity(*adapter), Money("100000.00"));  // a send not made gives its amount back
  Created(*adapter, Request("cap2", "0.01"));
  ASSERT_EQ(Call("POST", "/sandbox/pixout/payouts/cap2/realizado").status, 200);
  EXPECT_EQ(Capacity(*adapter), Money("99999.99"));
}

TEST_F(PixoutTest, RefusesWhatThePspWouldRefuseWithoutCalling) {
  auto adapter = Adapter();
  const payouts::ProviderDescription& description = adapter->Describe();
  EXPECT_EQ(description.name, PixoutPayouts::kName);
  EXPECT_FALSE(description.can_cancel);
  EXPECT_FALSE(description.signs_callbacks);
  ASSERT_EQ(description.routes.size(), 1u);
  EXPECT_EQ(description.routes[0].asset, "BRL");
  EXPECT_EQ(description.routes[0].kind, payouts::DestinationKind::kPixKey);
  EXPECT_EQ(description.routes[0].minimum, Money("0.01"));
  EXPECT_EQ(adapter->Cancel("any").error().kind, ProviderError::Kind::kInvalidRequest);
  std::vector<payouts::PayoutRequest> refused;
  refused.push_back(Request("zero", "0.00"));
  refused.push_back(Request("huge", "1000000.01"));
  refused.push_back(Request("po_1"));                // idEnvio is [A-Za-z0-9] only
  refused.push_back(Request(std::string(36, 'a')));  // and 35 at most
  refused.push_back(Request(""));
  refused.push_back(Request("crypto"));
  refused.back().destination.kind = payouts::DestinationKind::kCryptoAddress;
  refused.push_back(Request("nokey", "1.00", ""));
  refused.push_back(Request("usdt"));
  refused.back().amount = Amount::Parse("12.34", Asset::Make("USDT", 6).value()).value();
  for (const payouts::PayoutRequest& request : refused) {
    auto created = adapter->Create(request);
    ASSERT_FALSE(created.ok()) << request.reference;
    EXPECT_EQ(created.error().kind, ProviderError::Kind::kInvalidRequest) << request.reference;
  }
  EXPECT_EQ(SendsHeld(), 0u);
  EXPECT_EQ(Created(*adapter, Request(std::string(35, 'z'), "1000000.00")).amount,
            Money("1000000.00"));
  EXPECT_EQ(Fetched(*adapter, std::string(35, 'z')).reason, "saldo insuficiente");
  // Credentials are checked when the adapter is built.
  payouts::ProviderContext context{&client_, &clock_, Url("/sandbox/pixout"), 1'000};
  payouts::Credentials credentials = PixoutSandboxCredentials();
  credentials["payer_key"] = "not a key";
  EXPECT_EQ(PixoutPayouts::Create(credentials, context).error().kind,
            ProviderError::Kind::kInvalidRequest);
  credentials.erase("payer_key");
  EXPECT_EQ(PixoutPayouts::Create(credentials, context).error().kind,
            ProviderError::Kind::kInvalidRequest);
}

TEST_F(PixoutTest, TheControlApiAndThePspRefuseWhatTheyCannotDo) {
  const auto post = [&](std::string_view path, std::string body) {
    return Call("POST", path, std::move(body)).status;
  };
  EXPECT_EQ(post("/sandbox/pixout/faults", R"({"idEnvio":"x1","create_status":418})"), 400);
  EXPECT_EQ(post("/sandbox/pixout/faults", R"({"idEnvio":"x_1"})"), 400);
  EXPECT_EQ(post("/sandbox/pixout/faults", R"({"idEnvio":"x1","typo":1})"), 400);
  EXPECT_EQ(post("/sandbox/pixout/settings", R"({"balance":"ten"})"), 400);
  EXPECT_EQ(post("/sandbox/pixout/settings", R"({"webhook_url":"ftp://x"})"), 400);
  EXPECT_EQ(post("/sandbox/pixout/payouts/none/realizado", ""), 404);
  auto adapter = Adapter();
  Created(*adapter, Request("ctl1"));
  EXPECT_EQ(post("/sandbox/pixout/payouts/ctl1/realizado", R"({"motivo":"x"})"), 400);
  EXPECT_EQ(Setting("auto_settle_ms"), "0");
  EXPECT_EQ(Setting("balance"), "99987.66");
  // The PSP's own validation: 400 {nome, mensagem}, nothing recorded.
  const std::string token =
      Text(ParseJson(Call("POST", "/sandbox/pixout/oauth/token",
                          R"({"grant_type":"client_credentials"})",
                          Basic(kSandboxPixoutClientId, kSandboxPixoutClientSecret))
                         .body),
           "access_token");
  const Headers bearer = {{"Authorization", "Bearer " + token}};
  const std::string payer = std::string(kSandboxPixoutPayerKey);
  for (
      const std::string& body :
      {R"({"valor":"12.3","pagador":{"chave":")" + payer + R"("},"favorecido":{"chave":"a@b.co"}})",
       R"({"valor":12.34,"pagador":{"chave":")" + payer + R"("},"favorecido":{"chave":"a@b.co"}})",
       std::string(
           R"({"valor":"12.34","pagador":{"chave":"other@b.co"},"favorecido":{"chave":"a@b.co"}})"),
       R"({"valor":"12.34","pagador":{"chave":")" + payer + R"("}})"}) {
    const net::ClientResponse invalid = Call("PUT", "/sandbox/pixout/v3/gn/pix/bad1", body, bearer);
    EXPECT_EQ(invalid.status, 400) << body;
    EXPECT_EQ(Text(ParseJson(invalid.body), "nome"), "json_invalido");
  }
  EXPECT_EQ(
      Call("GET", "/sandbox/pixout/v2/gn/pix/enviados?inicio=yesterday&fim=now", "", bearer).status,
      400);
  EXPECT_EQ(SendsHeld(), 1u);
}

// --- callbacks without the simulator: golden payloads and each field --------------------------

class PixoutCallbackTest : public ::testing::Test {
 protected:
  PixoutCallbackTest() {
    payouts::ProviderContext context{&client_, &clock_, "http://127.0.0.1:9/unused", 1'000};
    adapter_ = PixoutPayouts::Create(PixoutSandboxCredentials(), context).value();
  }
  Result<ProviderPayout, CallbackRejection> Parse(std::string_view body) {
    return adapter_->ParseCallback({body, {}});
  }
  Result<ProviderPayout, CallbackRejection> ParseGolden(std::string_view name) {
    const std::string body = ReadFixture(name);
    return Parse(body);
  }

  ManualClock clock_;
  net::HttpClient client_;
  std::unique_ptr<PixoutPayouts> adapter_;
};

TEST_F(PixoutCallbackTest, GoldenCallbacksParseExactly) {
  auto paid = ParseGolden("send_realizado.json");
  ASSERT_TRUE(paid.ok()) << paid.error().field << ": " << paid.error().message;
  EXPECT_EQ(paid.value().reference, "a1b2c3d4e5f60718293a4b5c6d7e8f90");
  EXPECT_EQ(paid.value().provider_id, "E09089356202612071830aB3dE5fG7hJ");
  EXPECT_EQ(paid.value().txid, paid.value().provider_id);
  EXPECT_EQ(paid.value().status, Status::kPaid);
  EXPECT_TRUE(paid.value().is_final);
  EXPECT_EQ(paid.value().amount, Money("12.34"));
  EXPECT_TRUE(paid.value().reason.empty());
  auto failed = ParseGolden("send_nao_realizado.json");
  ASSERT_TRUE(failed.ok()) << failed.error().message;
  EXPECT_EQ(failed.value().status, Status::kFailed);
  EXPECT_TRUE(failed.value().is_final);
  EXPECT_EQ(failed.value().raw_status, "NAO_REALIZADO");
  EXPECT_EQ(failed.value().reason, "chave inexistente");
  EXPECT_EQ(failed.value().amount, Money("1500"));
  auto processing = ParseGolden("send_em_processamento.json");
  ASSERT_TRUE(processing.ok()) << processing.error().message;
  EXPECT_EQ(processing.value().status, Status::kProcessing);
  EXPECT_FALSE(processing.value().is_final);
  EXPECT_EQ(processing.value().amount, Money("0.01"));
  // Several sends in one body: the first is the one returned.
  auto several = ParseGolden("sends_two_items.json");
  ASSERT_TRUE(several.ok()) << several.error().message;
  EXPECT_EQ(several.value().reference, "first0001");
  EXPECT_EQ(several.value().status, Status::kPaid);
  // A PIX received, posted to the same URL: not about a send.
  auto received = ParseGolden("pix_received.json");
  ASSERT_FALSE(received.ok());
  EXPECT_EQ(received.error().kind, CallbackRejection::Kind::kIgnored);
}

// A callback {"pix":[{members}]}.
std::string Callback(std::string_view members) {
  return R"({"pix":[{)" + std::string(members) + "}]}";
}

TEST_F(PixoutCallbackTest, EachFieldIsCheckedByName) {
  const std::vector<std::pair<std::string, std::string>> fields = {
      {"idEnvio", R"("idEnvio":"abc123")"},
      {"e2eId", R"("e2eId":"E09089356202612071830aB3dE5fG7hJ")"},
      {"valor", R"("valor":"12.34")"},
      {"chave", R"("chave":"maria@example.com")"},
      {"status", R"("status":"REALIZADO")"},
      {"horario", R"("horario":{"solicitacao":"2026-12-07T18:30:00.000Z"})"},
      {"motivo", R"("motivo":null)"}};
  const auto body_with = [&](std::string_view skip, std::string_view replacement) {
    std::string members;
    for (const auto& [name, text] : fields) {
      const std::string member = name == skip ? std::string(replacement) : text;
      if (member.empty()) continue;
      members += (members.empty() ? "" : ",") + member;
    }
    return Callback(members);
  };
  ASSERT_TRUE(Parse(body_with("", "")).ok());
  for (const std::string_view required : {"idEnvio", "e2eId", "valor", "status"}) {
    const auto missing = Parse(body_with(required, ""));
    ASSERT_FALSE(missing.ok()) << required;
    EXPECT_EQ(missing.error().kind, CallbackRejection::Kind::kMalformed) << required;
    EXPECT_EQ(missing.error().field, "pix[0]." + std::string(required));
  }
  const std::vector<std::pair<std::string, std::string>> ill_typed = {
      {"idEnvio", R"("idEnvio":7)"},
      {"idEnvio", R"("idEnvio":"")"},
      {"e2eId", R"("e2eId":{})"},
      {"valor", R"("valor":"doze")"},
      {"valor", R"("valor":"-1.00")"},
      {"valor", R"("valor":"12.345")"},
      {"valor", R"("valor":true)"},
      {"chave", R"("chave":1)"},
      {"status", R"("status":"PAGO")"},
      {"status", R"("status":["REALIZADO"])"},
      {"horario", R"("horario":"2026-12-07")"},
      {"motivo", R"("motivo":5)"}};
  for (const auto& [field, member] : ill_typed) {
    const auto wrong = Parse(body_with(field, member));
    ASSERT_FALSE(wrong.ok()) << member;
    EXPECT_EQ(wrong.error().kind, CallbackRejection::Kind::kMalformed) << member;
    EXPECT_EQ(wrong.error().field, "pix[0]." + field) << member;
    EXPECT_FALSE(wrong.error().message.empty());
  }
  // Statuses in any case; valor as a JSON number, read from its text.
  const auto lower = Parse(body_with("status", R"("status":"realizado")"));
  ASSERT_TRUE(lower.ok());
  EXPECT_EQ(lower.value().status, Status::kPaid);
  const auto number = Parse(body_with("valor", R"("valor":12.3)"));
  ASSERT_TRUE(number.ok());
  EXPECT_EQ(number.value().amount, Money("12.30"));
  // The envelope.
  const std::vector<std::pair<std::string, std::string>> envelopes = {
      {R"({"pix":[]})", "pix"},   {R"({"pix":{}})", "pix"},
      {R"({"other":1})", "pix"},  {R"({"pix":[1]})", "pix[0]"},
      {R"({"pix":null})", "pix"}, {"[]", ""},
      {"not json", ""},           {"", ""}};
  for (const auto& [body, field] : envelopes) {
    const auto refused = Parse(body);
    ASSERT_FALSE(refused.ok()) << body;
    EXPECT_EQ(refused.error().kind, CallbackRejection::Kind::kMalformed) << body;
    EXPECT_EQ(refused.error().field, field) << body;
  }
}

}  // namespace
}  // namespace cambista::sandbox
