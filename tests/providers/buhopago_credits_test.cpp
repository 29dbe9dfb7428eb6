// The BuhoPago credits adapter (providers/buhopago/buhopago_credits.hpp) against the BuhoPago
// simulator over real HTTP: the simulator served by the project's HttpServer, the adapter calling
// it through the real net::HttpClient, the simulator's signed credit webhooks received by a second
// server and read back by the adapter's ParseCallback. The capacity comes from paid payment links,
// as at BuhoPago. Then callbacks built by hand, field by field.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "api/http_server.hpp"
#include "core/clock.hpp"
#include "http/router.hpp"
#include "net/http_client.hpp"
#include "providers/buhopago/buhopago_credits.hpp"
#include "providers/providers.hpp"
#include "response_recording.hpp"
#include "sandbox_fixture.hpp"
#include "security/hmac.hpp"

namespace cambista::sandbox {
namespace {

using namespace test_support;  // NOLINT: the shared fixture helpers
using payouts::BuhoPagoCredits;
using payouts::CallbackRejection;
using payouts::CallbackRequest;
using payouts::ProviderError;
using payouts::ProviderPayout;
using Status = payouts::ProviderPayoutStatus;

constexpr std::string_view kBankAccount = "550e8400-e29b-41d4-a716-446655440000";

Amount Ves(std::string_view text) {
  return Money(text, "VES");
}

class BuhoPagoCreditsTest : public ::testing::Test {
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
  }
  void TearDown() override {
    server_->Stop(1'000);
    sandbox_->Stop();
  }

  std::string Url(std::string_view path) const {
    return "http://127.0.0.1:" + std::to_string(server_->port()) + std::string(path);
  }
  net::ClientResponse Send(std::string method, std::string_view path, std::string body,
                           std::vector<std::pair<std::string, std::string>> headers = {}) {
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
  // Pays a payment link of `amount` bolívares: the capacity grows by it less 5.8%.
  void Fund(std::string_view amount) {
    const std::string key(SandboxCredentials("buhopago").at("api_key"));
    const net::ClientResponse link =
        Send("POST", "/sandbox/buhopago/api/v1/payment-links",
             R"({"amount":)" + std::string(amount) + R"(,"description":"Sandbox funding"})",
             {{"Authorization", "Bearer " + key}});
    ASSERT_EQ(link.status, 201) << link.body;
    const std::string id = Text(ParseJson(link.body), "id");
    ASSERT_EQ(Send("POST", "/sandbox/buhopago/charges/" + id + "/pay", "").status, 200);
  }
  void Fault(std::string body) {
    ASSERT_EQ(Send("POST", "/sandbox/buhopago/faults", std::move(body)).status, 200);
  }
  std::vector<JsonNode> CreditsHeld() {
    const net::ClientResponse response = Send("GET", "/sandbox/buhopago/credits", "");
    EXPECT_EQ(response.status, 200);
    // The same list where every payout simulator has it.
    EXPECT_EQ(Send("GET", "/sandbox/buhopago/payouts", "").body, response.body);
    const JsonNode body = ParseJson(response.body);
    const auto items = At(body, "data").items();
    return std::vector<JsonNode>(items.begin(), items.end());
  }

  std::unique_ptr<BuhoPagoCredits> Adapter(int64_t timeout_ms = 10'000,
                                           std::string key = "bp_test_sandbox_buhopago_api_key",
                                           std::string secret = "") {
    payouts::ProviderContext context;
    context.http = &client_;
    context.clock = &clock_;
    context.base_url = Url("/sandbox/buhopago");
    context.timeout_ms = timeout_ms;
    payouts::Credentials credentials = {{"api_key", std::move(key)},
                                        {"bank_account_id", std::string(kBankAccount)}};
    credentials["webhook_secret"] =
        secret.empty() ? std::string(kSandboxBuhoPagoWebhookSecret) : std::move(secret);
    auto adapter = BuhoPagoCredits::Create(credentials, context);
    EXPECT_TRUE(adapter.ok()) << (adapter.ok() ? "" : adapter.error().message);
    return adapter.ok() ? std::move(adapter).value() : nullptr;
  }
  payouts::PayoutRequest Request(std::string reference, std::string_view amount = "100.00",
                                 std::string callback_url = "") {
    payouts::PayoutRequest request{.reference = std::move(reference),
                                   .amount = Ves(amount),
                                   .destination = {},
                                   .callback_url = std::move(callback_url)};
    request.destination.kind = payouts::DestinationKind::kVesBank;
    request.destination.bank = "0102";
    request.destination.account = "01020000000000000001";
    request.destination.document = "V12345678";
    return request;
  }
  ProviderPayout Created(BuhoPagoCredits& adapter, const payouts::PayoutRequest& request) {
    auto created = adapter.Create(request);
    EXPECT_TRUE(created.ok()) << (created.ok() ? "" : created.error().message);
    return created.ok() ? created.value() : ProviderPayout();
  }
  static CallbackRequest AsCallback(const HttpRequest& request) {
    return CallbackRequest{request.body, request.headers};
  }

  ManualClock clock_;
  net::HttpClient client_;
  Receiver receiver_;
  std::unique_ptr<Sandbox> sandbox_;
  std::unique_ptr<api::ResponseRecorder> recorder_;  // outlives the router's server
  std::unique_ptr<http::Router> router_;
  std::unique_ptr<api::HttpServer> server_;
};

TEST_F(BuhoPagoCreditsTest, RefusesBadCredentials) {
  Fund("1000");
  payouts::ProviderContext context;
  context.http = &client_;
  context.clock = &clock_;
  context.base_url = Url("/sandbox/buhopago");
  EXPECT_EQ(BuhoPagoCredits::Create({{"api_key", "bp_test_x"}}, context).error().kind,
            ProviderError::Kind::kInvalidRequest);  // no bank_account_id
  EXPECT_EQ(BuhoPagoCredits::Create({{"api_key", "sk_x"}, {"bank_account_id", "b"}}, context)
                .error()
                .kind,
            ProviderError::Kind::kInvalidRequest);  // not a BuhoPago key
  auto wrong = Adapter(10'000, "bp_test_wrong_key");
  auto refused = wrong->Create(Request("sweep_bad_key"));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().kind, ProviderError::Kind::kAuth);
  EXPECT_EQ(refused.error().message.find("bp_test_wrong_key"), std::string::npos);
  EXPECT_EQ(wrong->ReadCapacity().error().kind, ProviderError::Kind::kAuth);
  EXPECT_EQ(wrong->Fetch("sweep_bad_key").error().kind, ProviderError::Kind::kAuth);
  EXPECT_TRUE(CreditsHeld().empty());
}

TEST_F(BuhoPagoCreditsTest, TheSameReferenceTwiceMakesOneCredit) {
  Fund("1000");
  auto adapter = Adapter();
  const ProviderPayout first = Created(*adapter, Request("sweep_1"));
  EXPECT_FALSE(first.provider_id.empty());
  EXPECT_EQ(first.reference, "sweep_1");
  EXPECT_EQ(first.status, Status::kPaid);
  EXPECT_TRUE(first.is_final);
  EXPECT_EQ(first.raw_status, "APROBADA");
  EXPECT_EQ(first.amount, Ves("100.00"));
  const ProviderPayout second = Created(*adapter, Request("sweep_1"));
  EXPECT_EQ(second.provider_id, first.provider_id);
  const std::vector<JsonNode> held = CreditsHeld();
  ASSERT_EQ(held.size(), 1u);
  EXPECT_EQ(Text(held[0], "requests"), "2");
  EXPECT_EQ(Text(held[0], "idempotency_key"), "sweep_1");
  EXPECT_EQ(Text(held[0], "concept"), "Cambista sweep_1");
  EXPECT_EQ(Text(held[0], "bank_account_id"), kBankAccount);
  // The reference names that credit: another amount under it is refused, not sent.
  auto other = adapter->Create(Request("sweep_1", "200.00"));
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.error().kind, ProviderError::Kind::kRejected);
  EXPECT_EQ(CreditsHeld().size(), 1u);
  auto fetched = adapter->Fetch("sweep_1");
  ASSERT_TRUE(fetched.ok()) << fetched.error().message;
  EXPECT_EQ(fetched.value().provider_id, first.provider_id);
  EXPECT_EQ(fetched.value().status, Status::kPaid);
  EXPECT_EQ(adapter->Fetch("sweep_unknown").error().kind, ProviderError::Kind::kNotFound);
  // "sweep_1" is inside "Cambista sweep_10"'s concept too: Fetch matches the reference exactly.
  Created(*adapter, Request("sweep_10", "150.00"));
  EXPECT_EQ(adapter->Fetch("sweep_1").value().provider_id, first.provider_id);
  EXPECT_EQ(adapter->Fetch("sweep_10").value().amount, Ves("150.00"));
}

TEST_F(BuhoPagoCreditsTest, ACreditThatTimesOutAfterAcceptanceIsRetriedIntoOne) {
  Fund("1000");
  Fault(R"({"idempotency_key":"sweep_slow","answer_delay_ms":1500})");
  auto impatient = Adapter(300);
  auto lost = impatient->Create(Request("sweep_slow"));
  ASSERT_FALSE(lost.ok());
  EXPECT_EQ(lost.error().kind, ProviderError::Kind::kUnavailable);  // the outcome is unknown
  auto fetched = impatient->Fetch("sweep_slow");
  ASSERT_TRUE(fetched.ok()) << fetched.error().message;
  const ProviderPayout retried = Created(*impatient, Request("sweep_slow"));
  EXPECT_EQ(retried.provider_id, fetched.value().provider_id);
  const std::vector<JsonNode> held = CreditsHeld();
  ASSERT_EQ(held.size(), 1u);
  EXPECT_EQ(Text(held[0], "requests"), "2");
}

TEST_F(BuhoPagoCreditsTest, AFailedExecuteRecordsNothing) {
  Fund("1000");
  Fault(R"({"idempotency_key":"sweep_503","execute_status":503})");
  auto adapter = Adapter();
  auto refused = adapter->Create(Request("sweep_503"));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().kind, ProviderError::Kind::kUnavailable);
  EXPECT_EQ(refused.error().http_status, 503);
  EXPECT_TRUE(CreditsHeld().empty());
  EXPECT_EQ(adapter->Fetch("sweep_503").error().kind, ProviderError::Kind::kNotFound);
  Created(*adapter, Request("sweep_503"));  // the fault was for one call
  EXPECT_EQ(CreditsHeld().size(), 1u);
}

TEST_F(BuhoPagoCreditsTest, ReadsTheCapacityAndRefusesACreditAboveIt) {
  auto adapter = Adapter();
  auto empty = adapter->ReadCapacity();
  ASSERT_TRUE(empty.ok()) << empty.error().message;
  ASSERT_EQ(empty.value().size(), 1u);
  EXPECT_EQ(empty.value()[0].available, Ves("0"));
  Fund("1000.50");
  Created(*adapter, Request("sweep_cap", "100.25"));
  auto capacity = adapter->ReadCapacity();
  ASSERT_TRUE(capacity.ok()) << capacity.error().message;
  ASSERT_EQ(capacity.value().size(), 1u);
  // 1000.50 received, 58.03 kept (5.8%, rounded up), 100.25 credited.
  EXPECT_EQ(capacity.value()[0].asset, "VES");
  EXPECT_EQ(capacity.value()[0].available, Ves("842.22"));
  EXPECT_EQ(capacity.value()[0].processed_total, Ves("1000.50"));
  EXPECT_EQ(capacity.value()[0].credited_total, Ves("100.25"));
  // BuhoPago refuses a credit above volume_available (422 insufficient_capacity): nothing created.
  auto above = adapter->Create(Request("sweep_above", "842.23"));
  ASSERT_FALSE(above.ok());
  EXPECT_EQ(above.error().kind, ProviderError::Kind::kRejected);
  EXPECT_EQ(above.error().http_status, 422);
  EXPECT_EQ(CreditsHeld().size(), 1u);
  Created(*adapter, Request("sweep_all", "842.22"));
  EXPECT_EQ(adapter->ReadCapacity().value()[0].available, Ves("0"));
}

TEST_F(BuhoPagoCreditsTest, ACreditThatSettlesFailedGivesItsVolumeBack) {
  Fund("1000");
  Fault(R"({"idempotency_key":"sweep_fail","settle_failed":true})");
  auto adapter = Adapter();
  const ProviderPayout created =
      Created(*adapter, Request("sweep_fail", "500.00", receiver_.Url("/callbacks/bp")));
  EXPECT_EQ(created.status, Status::kProcessing);
  EXPECT_FALSE(created.is_final);
  EXPECT_EQ(created.raw_status, "EN PROCESO");
  auto fetched = adapter->Fetch("sweep_fail");
  ASSERT_TRUE(fetched.ok()) << fetched.error().message;
  EXPECT_EQ(fetched.value().status, Status::kFailed);
  EXPECT_TRUE(fetched.value().is_final);
  EXPECT_EQ(fetched.value().raw_status, "RECHAZADA");
  EXPECT_EQ(adapter->ReadCapacity().value()[0].available, Ves("942"));
  ASSERT_TRUE(
      WaitFor([&] { return !receiver_.For("data.concept", "Cambista sweep_fail").empty(); }));
  const HttpRequest callback = receiver_.For("data.concept", "Cambista sweep_fail").at(0);
  auto parsed = adapter->ParseCallback(AsCallback(callback));
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(parsed.value().status, Status::kFailed);
  EXPECT_EQ(parsed.value().reference, "sweep_fail");
  EXPECT_EQ(parsed.value().provider_id, created.provider_id);
}

TEST_F(BuhoPagoCreditsTest, TheSimulatorsCallbacksAreSignedAndForgeriesRefused) {
  Fund("1000");
  auto adapter = Adapter();
  const ProviderPayout created =
      Created(*adapter, Request("sweep_cb", "100.00", receiver_.Url("/callbacks/bp")));
  ASSERT_TRUE(WaitFor([&] { return !receiver_.For("data.concept", "Cambista sweep_cb").empty(); }));
  const HttpRequest callback = receiver_.For("data.concept", "Cambista sweep_cb").at(0);
  EXPECT_EQ(Text(ParseJson(callback.body), "event"), "credit.completed");
  auto parsed = adapter->ParseCallback(AsCallback(callback));
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(parsed.value().status, Status::kPaid);
  EXPECT_TRUE(parsed.value().is_final);
  EXPECT_EQ(parsed.value().reference, "sweep_cb");
  EXPECT_EQ(parsed.value().provider_id, created.provider_id);
  EXPECT_EQ(parsed.value().amount, Ves("100.00"));
  std::string tampered = callback.body;
  tampered.replace(tampered.find("100"), 3, "900");
  EXPECT_EQ(adapter->ParseCallback({tampered, callback.headers}).error().kind,
            CallbackRejection::Kind::kBadSignature);
  EXPECT_EQ(adapter->ParseCallback({callback.body, {}}).error().kind,
            CallbackRejection::Kind::kBadSignature);
  auto other_secret = Adapter(10'000, "bp_test_sandbox_buhopago_api_key", "another-secret");
  EXPECT_EQ(other_secret->ParseCallback(AsCallback(callback)).error().kind,
            CallbackRejection::Kind::kBadSignature);
  // webhook_secret is optional: without it no callback is believed (Fetch tells).
  payouts::ProviderContext context;
  context.http = &client_;
  context.clock = &clock_;
  context.base_url = Url("/sandbox/buhopago");
  auto unsigned_only = BuhoPagoCredits::Create(
      {{"api_key", "bp_test_sandbox_buhopago_api_key"}, {"bank_account_id", "b"}}, context);
  ASSERT_TRUE(unsigned_only.ok());
  EXPECT_EQ(unsigned_only.value()->ParseCallback(AsCallback(callback)).error().kind,
            CallbackRejection::Kind::kBadSignature);
}

TEST_F(BuhoPagoCreditsTest, ListGoesThroughEveryPage) {
  Fund("10000");
  auto adapter = Adapter();
  const int64_t start_ms = clock_.NowMs();
  for (int i = 0; i < 25; ++i) {
    Created(*adapter, Request("sweep_list_" + std::to_string(i)));
    clock_.AdvanceMs(1'000);
  }
  std::vector<std::string> references;
  std::string cursor;
  int pages = 0;
  do {
    auto page = adapter->List(start_ms, cursor);
    ASSERT_TRUE(page.ok()) << page.error().message;
    for (const ProviderPayout& payout : page.value().payouts)
      references.push_back(payout.reference);
    cursor = page.value().next_cursor;
    ++pages;
  } while (!cursor.empty() && pages < 10);
  EXPECT_EQ(pages, 2);
  ASSERT_EQ(references.size(), 25u);
  EXPECT_EQ(references.front(), "sweep_list_0");
  EXPECT_EQ(references.back(), "sweep_list_24");
  // Since the 21st credit: the last five.
  auto recent = adapter->List(start_ms + 20'000, "");
  ASSERT_TRUE(recent.ok()) << recent.error().message;
  ASSERT_EQ(recent.value().payouts.size(), 5u);
  EXPECT_EQ(recent.value().payouts.front().reference, "sweep_list_20");
  EXPECT_TRUE(recent.value().next_cursor.empty());
}

TEST_F(BuhoPagoCreditsTest, RefusesWhatBuhoPagoWouldRefuseWithoutCalling) {
  Fund("1000");
  auto adapter = Adapter();
  const auto kind_of = [&](const payouts::PayoutRequest& request) {
    auto result = adapter->Create(request);
    return result.ok() ? std::optional<ProviderError::Kind>() : result.error().kind;
  };
  EXPECT_EQ(kind_of(Request("sweep_min", "99.99")), ProviderError::Kind::kInvalidRequest);
  EXPECT_EQ(kind_of(Request("bad reference")), ProviderError::Kind::kInvalidRequest);
  EXPECT_EQ(kind_of(Request(std::string(33, 'r'))), ProviderError::Kind::kInvalidRequest);
  payouts::PayoutRequest pix = Request("sweep_pix");
  pix.destination.kind = payouts::DestinationKind::kPixKey;
  EXPECT_EQ(kind_of(pix), ProviderError::Kind::kInvalidRequest);
  payouts::PayoutRequest brl = Request("sweep_brl");
  brl.amount = Money("100.00", "BRL");
  EXPECT_EQ(kind_of(brl), ProviderError::Kind::kInvalidRequest);
  EXPECT_TRUE(CreditsHeld().empty());
  EXPECT_EQ(adapter->Cancel("sweep_1").error().kind, ProviderError::Kind::kInvalidRequest);
  const payouts::ProviderDescription description = BuhoPagoCredits::Description();
  EXPECT_EQ(description.name, "buhopago");
  ASSERT_EQ(description.routes.size(), 1u);
  EXPECT_EQ(description.routes[0].kind, payouts::DestinationKind::kVesBank);
  EXPECT_EQ(description.routes[0].minimum, Ves("100.00"));
  EXPECT_FALSE(description.routes[0].maximum);
  EXPECT_FALSE(description.can_cancel);
}

// Callbacks built by hand and signed with the secret the adapter holds.
class BuhoPagoCreditCallbackTest : public ::testing::Test {
 protected:
  void SetUp() override {
    payouts::ProviderContext context;
    context.http = &client_;
    context.clock = &clock_;
    context.base_url = "http://127.0.0.1:9";
    adapter_ = BuhoPagoCredits::Create({{"api_key", "bp_test_k"},
                                        {"bank_account_id", "acct"},
                                        {"webhook_secret", std::string(kSecret)}},
                                       context)
                   .value();
  }
  static std::string Body(std::string_view event, std::string_view data) {
    return R"({"id":"evt_1","event":")" + std::string(event) +
           R"(","timestamp":"2026-12-07T10:00:00.000Z","data":)" + std::string(data) + "}";
  }
  static std::string Data(std::string_view status, std::string_view extra = "") {
    return R"({"status":")" + std::string(status) +
           R"(","transaction_id":"tx1","amount":250.5,"bank_account_id":"acct",)" +
           R"("concept":"Cambista sweep_9","created_at":"2026-12-07T10:00:00.000Z")" +
           std::string(extra) + "}";
  }
  Result<ProviderPayout, CallbackRejection> Parse(const std::string& body) const {
    const std::string signature = HexEncode(HmacSha256(kSecret, body));
    return adapter_->ParseCallback({body, {{"x-signature", signature}}});
  }

  static constexpr std::string_view kSecret = "callback-test-secret";
  ManualClock clock_;
  net::HttpClient client_;
  std::unique_ptr<BuhoPagoCredits> adapter_;
};

TEST_F(BuhoPagoCreditCallbackTest, StatusesMapInAnyCaseAndUnknownWordsAreRefused) {
  struct Case {
    std::string_view event;
    std::string_view status;
    Status expected;
  };
  for (const Case& c : {Case{"credit.completed", "APROBADA", Status::kPaid},
                        Case{"credit.completed", "aprobada", Status::kPaid},
                        Case{"CREDIT.FAILED", "Rechazada", Status::kFailed},
                        Case{"credit.failed", "failed", Status::kFailed}}) {
    auto parsed = Parse(Body(c.event, Data(c.status)));
    ASSERT_TRUE(parsed.ok()) << c.status << ": " << parsed.error().message;
    EXPECT_EQ(parsed.value().status, c.expected);
    EXPECT_TRUE(parsed.value().is_final);
    EXPECT_EQ(parsed.value().raw_status, c.status);
    EXPECT_EQ(parsed.value().reference, "sweep_9");
    EXPECT_EQ(parsed.value().provider_id, "tx1");
    EXPECT_EQ(parsed.value().amount, Ves("250.50"));
  }
  auto unknown = Parse(Body("credit.completed", Data("LIQUIDADA")));
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().kind, CallbackRejection::Kind::kMalformed);
  EXPECT_EQ(unknown.error().field, "data.status");
  // The event and the status must agree.
  auto disagree = Parse(Body("credit.completed", Data("RECHAZADA")));
  ASSERT_FALSE(disagree.ok());
  EXPECT_EQ(disagree.error().field, "data.status");
  auto processing = Parse(Body("credit.failed", Data("EN PROCESO")));
  ASSERT_FALSE(processing.ok());
  EXPECT_EQ(processing.error().kind, CallbackRejection::Kind::kMalformed);
}

TEST_F(BuhoPagoCreditCallbackTest, OtherEventsAreIgnoredAndFieldsCheckedByName) {
  auto payment = Parse(Body("payment.completed", R"({"payment_link_id":"pl_1"})"));
  ASSERT_FALSE(payment.ok());
  EXPECT_EQ(payment.error().kind, CallbackRejection::Kind::kIgnored);
  EXPECT_EQ(payment.error().field, "event");
  struct Case {
    std::string body;
    std::string field;
  };
  const std::string ok = Data("APROBADA");
  const auto without = [&](std::string_view member) {
    std::string data = ok;
    const size_t at = data.find("\"" + std::string(member) + "\"");
    const size_t end = data.find(',', at);
    data.erase(at, end - at + 1);
    return data;
  };
  for (const Case& c : {
           Case{"not json", ""},
           Case{R"({"event":1})", "event"},
           Case{R"({"event":"credit.completed"})", "data"},
           Case{Body("credit.completed", without("transaction_id")), "data.transaction_id"},
           Case{Body("credit.completed", without("status")), "data.status"},
           Case{Body("credit.completed", without("amount")), "data.amount"},
           Case{Body("credit.completed", R"({"status":"APROBADA","transaction_id":"t",)"
                                         R"("amount":"1.00","concept":"Cambista r"})"),
                "data.amount"},
           Case{Body("credit.completed", R"({"status":"APROBADA","transaction_id":"t",)"
                                         R"("amount":1.001,"concept":"Cambista r"})"),
                "data.amount"},
           Case{Body("credit.completed", R"({"status":"APROBADA","transaction_id":"t",)"
                                         R"("amount":1,"concept":"Auto-retiro"})"),
                "data.concept"},
           Case{Body("credit.completed", R"({"status":"APROBADA","transaction_id":"t",)"
                                         R"("amount":1,"concept":7})"),
                "data.concept"},
       }) {
    auto parsed = Parse(c.body);
    ASSERT_FALSE(parsed.ok()) << c.body;
    EXPECT_EQ(parsed.error().kind, CallbackRejection::Kind::kMalformed) << c.body;
    if (!c.field.empty()) {
      EXPECT_EQ(parsed.error().field, c.field) << c.body;
    }
  }
  // Unsigned, nothing is read: a forged body is refused before its event is looked at.
  EXPECT_EQ(adapter_->ParseCallback({Body("payment.completed", "{}"), {}}).error().kind,
            CallbackRejection::Kind::kBadSignature);
  EXPECT_EQ(adapter_->ParseCallback({ok, {{"X-Signature", "zz"}}}).error().kind,
            CallbackRejection::Kind::kBadSignature);
}

}  // namespace
}  // namespace cambista::sandbox
