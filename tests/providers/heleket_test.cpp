// The Heleket payout adapter (providers/heleket/heleket_payouts.hpp) against its simulator over
// real HTTP: the simulator served by the project's HttpServer, the adapter calling it through the
// real net::HttpClient, the simulator's callbacks received by a second server and read back by the
// adapter's ParseCallback. Then the golden callbacks (src/providers/heleket/fixtures/) and the
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
#include "providers/heleket/heleket_payouts.hpp"
#include "providers/heleket/heleket_sign.hpp"
#include "providers/heleket/heleket_simulator.hpp"
#include "providers/providers.hpp"
#include "response_recording.hpp"
#include "sandbox_fixture.hpp"

namespace cambista::sandbox {
namespace {

using namespace test_support;  // NOLINT: the shared fixture helpers
using payouts::CallbackRejection;
using payouts::CallbackRequest;
using payouts::HeleketPayouts;
using payouts::ProviderError;
using payouts::ProviderPayout;
using payouts::ProviderPayoutStatus;
using Status = ProviderPayoutStatus;

constexpr std::string_view kTronAddress = "TYBNgWfhGuNzdLtjKtxXTfskAhTbMcqbaG";
constexpr std::string_view kGoldenKey = "heleket_golden_test_payout_key";

Asset Usdt() {
  return Asset::Make("USDT", 6).value();
}
Amount Usd(std::string_view text) {
  return Amount::Parse(text, Usdt()).value();
}

std::string ReadFixture(std::string_view name) {
  std::ifstream file(std::string(CAMBISTA_PROVIDERS_DIR) + "/heleket/fixtures/" +
                     std::string(name));
  EXPECT_TRUE(file.good()) << name;
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

std::optional<Amount> CapacityOf(const std::vector<payouts::ProviderCapacity>& capacities,
                                 std::string_view asset) {
  for (const payouts::ProviderCapacity& capacity : capacities) {
    if (capacity.asset == asset) return capacity.available;
  }
  return std::nullopt;
}

class HeleketTest : public ::testing::Test {
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
    // Payouts move on command only, unless a test says otherwise.
    ASSERT_EQ(Post("/sandbox/heleket/settings", R"({"auto_settle_ms":0})").status, 200);
  }
  void TearDown() override {
    server_->Stop(1'000);
    sandbox_->Stop();
  }

  std::string Url(std::string_view path) const {
    return "http://127.0.0.1:" + std::to_string(server_->port()) + std::string(path);
  }
  net::ClientResponse Post(std::string_view path, std::string body,
                           std::vector<std::pair<std::string, std::string>> headers = {}) {
    net::ClientRequest request;
    request.method = "POST";
    request.url = Url(path);
    request.body = std::move(body);
    request.headers = std::move(headers);
    request.headers.emplace_back("Content-Type", "application/json");
    auto response = client_.Send(request);
    EXPECT_TRUE(response.ok()) << (response.ok() ? "" : response.error().message);
    return response.ok() ? std::move(response).value() : net::ClientResponse();
  }
  JsonNode GetJson(std::string_view path) {
    net::ClientRequest request;
    request.url = Url(path);
    auto response = client_.Send(request);
    EXPECT_TRUE(response.ok() && response.value().status == 200);
    return response.ok() ? ParseJson(response.value().body) : JsonNode();
  }
  JsonNode View(std::string_view order_id) {
    return GetJson("/sandbox/heleket/payouts/" + std::string(order_id));
  }
  size_t PayoutsHeld() { return At(GetJson("/sandbox/heleket/payouts"), "data").items().size(); }

  std::unique_ptr<HeleketPayouts> Adapter(
      int64_t timeout_ms = 10'000, std::string key = std::string(kSandboxHeleketPayoutApiKey)) {
    payouts::ProviderContext context;
    context.http = &client_;
    context.clock = &clock_;
    context.base_url = Url("/sandbox/heleket");
    context.timeout_ms = timeout_ms;
    auto adapter = HeleketPayouts::Create(
        {{"merchant", std::string(kSandboxHeleketMerchant)}, {"payout_api_key", std::move(key)}},
        context);
    EXPECT_TRUE(adapter.ok());
    return adapter.ok() ? std::move(adapter).value() : nullptr;
  }
  payouts::PayoutRequest Request(std::string reference, std::string_view amount = "10.5") {
    payouts::PayoutRequest request{.reference = std::move(reference),
                                   .amount = Usd(amount),
                                   .destination = {},
                                   .callback_url = receiver_.Url("/callbacks/heleket/default")};
    request.destination.kind = payouts::DestinationKind::kCryptoAddress;
    request.destination.network = payouts::Network::kTron;
    request.destination.address = std::string(kTronAddress);
    return request;
  }
  ProviderPayout Created(HeleketPayouts& adapter, const payouts::PayoutRequest& request) {
    auto created = adapter.Create(request);
    EXPECT_TRUE(created.ok()) << (created.ok() ? "" : created.error().message);
    return created.ok() ? created.value() : ProviderPayout();
  }
  // The callbacks the receiver got about `order_id`, once there are at least `count`.
  std::vector<HttpRequest> AwaitCallbacks(std::string_view order_id, size_t count) {
    EXPECT_TRUE(WaitFor([&] { return receiver_.For("order_id", order_id).size() >= count; }))
        << count << " callback(s) about " << order_id << " did not arrive";
    return receiver_.For("order_id", order_id);
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

TEST_F(HeleketTest, TheSimulatorRefusesForgedSignsAndMerchants) {
  const std::string body = R"({"order_id":"po_none"})";
  const std::string right = payouts::HeleketSign(body, kSandboxHeleketPayoutApiKey);
  const std::string merchant(kSandboxHeleketMerchant);
  // Signed right: the simulator looks the payout up (and has none).
  EXPECT_EQ(Post("/sandbox/heleket/v1/payout/info", body, {{"merchant", merchant}, {"sign", right}})
                .status,
            404);
  const std::vector<std::vector<std::pair<std::string, std::string>>> forged = {
      {{"merchant", merchant}, {"sign", payouts::HeleketSign(body, "another-key")}},
      {{"merchant", merchant},
       {"sign", payouts::HeleketSign(body + " ", kSandboxHeleketPayoutApiKey)}},
      {{"merchant", "00000000-0000-4000-8000-000000000002"}, {"sign", right}},
      {{"merchant", merchant}},
      {{"sign", right}},
  };
  for (const auto& headers : forged) {
    const net::ClientResponse refused = Post("/sandbox/heleket/v1/payout/info", body, headers);
    EXPECT_EQ(refused.status, 401);
    const JsonNode error = ParseJson(refused.body);
    EXPECT_EQ(At(error, "state").text(), "1");
    EXPECT_EQ(Text(error, "message"), "Invalid Sign");
  }
  // Through the adapter: a wrong key is kAuth, and nothing is created.
  auto wrong = Adapter(10'000, "not-the-key");
  auto created = wrong->Create(Request("po_forged"));
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.error().kind, ProviderError::Kind::kAuth);
  EXPECT_EQ(created.error().http_status, 401);
  EXPECT_EQ(created.error().message.find("not-the-key"), std::string::npos);
  EXPECT_EQ(wrong->Fetch("po_forged").error().kind, ProviderError::Kind::kAuth);
  EXPECT_EQ(PayoutsHeld(), 0u);
}

TEST_F(HeleketTest, CreatesAPayoutAndReadsItBack) {
  auto adapter = Adapter();
  const ProviderPayout created = Created(*adapter, Request("po_1"));
  EXPECT_FALSE(created.provider_id.empty());
  EXPECT_EQ(created.reference, "po_1");
  EXPECT_EQ(created.status, Status::kProcessing);
  EXPECT_FALSE(created.is_final);
  EXPECT_EQ(created.raw_status, "process");
  EXPECT_EQ(created.amount, Usd("10.5"));
  EXPECT_EQ(created.commission, Usd("1"));  // TRON
  const JsonNode view = View("po_1");
  EXPECT_EQ(Text(view, "amount"), "10.500000");
  EXPECT_EQ(Text(view, "network"), "TRON");
  EXPECT_EQ(Text(view, "address"), kTronAddress);
  EXPECT_EQ(Text(view, "url_callback"), receiver_.Url("/callbacks/heleket/default"));
  auto fetched = adapter->Fetch("po_1");
  ASSERT_TRUE(fetched.ok()) << fetched.error().message;
  EXPECT_EQ(fetched.value().provider_id, created.provider_id);
  auto unknown = adapter->Fetch("po_unknown");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().kind, ProviderError::Kind::kNotFound);
}

TEST_F(HeleketTest, TheSameOrderIdCreatedTwiceMakesOnePayout) {
  auto adapter = Adapter();
  const ProviderPayout first = Created(*adapter, Request("po_twice"));
  const ProviderPayout second = Created(*adapter, Request("po_twice"));
  EXPECT_EQ(second.provider_id, first.provider_id);
  EXPECT_EQ(PayoutsHeld(), 1u);
  EXPECT_EQ(At(View("po_twice"), "create_requests").text(), "2");
  // The order_id names that payout whatever else is asked: another amount is refused, not sent.
  auto other = adapter->Create(Request("po_twice", "20"));
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.error().kind, ProviderError::Kind::kRejected);
  EXPECT_EQ(PayoutsHeld(), 1u);
  EXPECT_EQ(Text(View("po_twice"), "amount"), "10.500000");
}

TEST_F(HeleketTest, ACreateThatTimesOutAfterAcceptanceIsRetriedIntoOnePayout) {
  ASSERT_EQ(
      Post("/sandbox/heleket/faults", R"({"order_id":"po_slow","answer_delay_ms":1500})").status,
      200);
  auto impatient = Adapter(300);
  auto lost = impatient->Create(Request("po_slow"));
  ASSERT_FALSE(lost.ok());
  EXPECT_EQ(lost.error().kind, ProviderError::Kind::kUnavailable);  // the outcome is unknown
  // Heleket has it: the caller asks by the same reference, then retries with it.
  auto fetched = impatient->Fetch("po_slow");
  ASSERT_TRUE(fetched.ok()) << fetched.error().message;
  const ProviderPayout retried = Created(*impatient, Request("po_slow"));
  EXPECT_EQ(retried.provider_id, fetched.value().provider_id);
  EXPECT_EQ(PayoutsHeld(), 1u);
  EXPECT_EQ(At(View("po_slow"), "create_requests").text(), "2");
}

TEST_F(HeleketTest, AFailedCreateRecordsNothing) {
  ASSERT_EQ(Post("/sandbox/heleket/faults", R"({"order_id":"po_500","create_status":503})").status,
            200);
  auto adapter = Adapter();
  auto refused = adapter->Create(Request("po_500"));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().kind, ProviderError::Kind::kUnavailable);
  EXPECT_EQ(refused.error().http_status, 503);
  EXPECT_EQ(PayoutsHeld(), 0u);
  Created(*adapter, Request("po_500"));  // the fault was for one call
  EXPECT_EQ(PayoutsHeld(), 1u);
}

TEST_F(HeleketTest, AFaultForAnyOrderIdAppliesToTheNextCreateWithoutItsOwnOnce) {
  // For a caller whose order_ids are fixed where the test cannot see them first (the e2e crash
  // test: a server makes them). An order_id's own fault goes first and leaves "*" waiting.
  ASSERT_EQ(Post("/sandbox/heleket/faults", R"({"order_id":"*","create_status":503})").status, 200);
  ASSERT_EQ(Post("/sandbox/heleket/faults", R"({"order_id":"po_own","create_status":502})").status,
            200);
  auto adapter = Adapter();
  auto own = adapter->Create(Request("po_own"));
  ASSERT_FALSE(own.ok());
  EXPECT_EQ(own.error().http_status, 502);
  auto any = adapter->Create(Request("po_any"));
  ASSERT_FALSE(any.ok());
  EXPECT_EQ(any.error().http_status, 503);
  EXPECT_EQ(PayoutsHeld(), 0u);
  Created(*adapter, Request("po_next"));  // used once
  EXPECT_EQ(PayoutsHeld(), 1u);
}

TEST_F(HeleketTest, FetchMapsEveryStatusAndIsFinal) {
  struct Case {
    std::string action;  // empty: left in process
    std::string body;
    Status status;
    bool is_final;
  };
  const std::vector<Case> cases = {
      {"", "", Status::kProcessing, false},
      {"check", "", Status::kProcessing, false},
      {"paid", "", Status::kPaid, true},
      {"fail", "", Status::kFailed, true},
      {"fail", R"({"is_final":false})", Status::kFailed, false},
      {"cancel", "", Status::kCancelled, true},
      {"system_fail", "", Status::kFailed, true},
  };
  auto adapter = Adapter();
  int index = 0;
  for (const Case& c : cases) {
    const std::string reference = "po_status_" + std::to_string(index++);
    Created(*adapter, Request(reference));
    if (!c.action.empty()) {
      ASSERT_EQ(Post("/sandbox/heleket/payouts/" + reference + "/" + c.action, c.body).status, 200);
    }
    auto fetched = adapter->Fetch(reference);
    ASSERT_TRUE(fetched.ok()) << fetched.error().message;
    EXPECT_EQ(fetched.value().status, c.status) << reference;
    EXPECT_EQ(fetched.value().is_final, c.is_final) << reference;
    EXPECT_EQ(fetched.value().raw_status, c.action.empty() ? "process" : c.action);
    EXPECT_EQ(fetched.value().reference, reference);
    EXPECT_EQ(fetched.value().amount, Usd("10.5"));
    EXPECT_EQ(fetched.value().txid.empty(), c.status != Status::kPaid) << reference;
    EXPECT_EQ(fetched.value().reason.empty(), c.status != Status::kFailed) << reference;
  }
  // A final payout moves no more.
  EXPECT_EQ(Post("/sandbox/heleket/payouts/po_status_2/fail", "").status, 409);
  // A non-final fail may still turn out paid.
  ASSERT_EQ(Post("/sandbox/heleket/payouts/po_status_4/paid", "").status, 200);
  EXPECT_EQ(adapter->Fetch("po_status_4").value().status, Status::kPaid);
}

TEST_F(HeleketTest, TheSimulatorsCallbacksAreSignedAndParseFieldByField) {
  auto adapter = Adapter();
  const ProviderPayout created = Created(*adapter, Request("po_cb"));
  ASSERT_EQ(Post("/sandbox/heleket/payouts/po_cb/paid", R"({"deliveries":2})").status, 200);
  const std::vector<HttpRequest> callbacks = AwaitCallbacks("po_cb", 2);
  ASSERT_EQ(callbacks.size(), 2u);
  EXPECT_EQ(callbacks[0].body, callbacks[1].body);  // a duplicate is the same callback
  auto parsed = adapter->ParseCallback(AsCallback(callbacks[0]));
  ASSERT_TRUE(parsed.ok()) << parsed.error().field << ": " << parsed.error().message;
  EXPECT_EQ(parsed.value().provider_id, created.provider_id);
  EXPECT_EQ(parsed.value().reference, "po_cb");
  EXPECT_EQ(parsed.value().status, Status::kPaid);
  EXPECT_TRUE(parsed.value().is_final);
  EXPECT_EQ(parsed.value().amount, Usd("10.5"));
  EXPECT_EQ(parsed.value().commission, Usd("1"));
  EXPECT_EQ(parsed.value().txid, adapter->Fetch("po_cb").value().txid);
  EXPECT_NE(callbacks[0].body.find("\"network\":\"tron\""), std::string::npos);
  // Changed in transit: refused, whichever way the sign is checked.
  std::string tampered = callbacks[0].body;
  tampered.replace(tampered.find("10.50000000"), 11, "99.50000000");
  EXPECT_EQ(adapter->ParseCallback({tampered, {}}).error().kind,
            CallbackRejection::Kind::kBadSignature);
  // Signed under another key (a sender that is not Heleket): refused.
  auto other = Adapter(10'000, "another-key");
  EXPECT_EQ(other->ParseCallback(AsCallback(callbacks[0])).error().kind,
            CallbackRejection::Kind::kBadSignature);
}

TEST_F(HeleketTest, CallbacksOutOfOrderBeforeTheAnswerAndSystemFail) {
  auto adapter = Adapter();
  // Paid, then a stale process: both arrive, in that order; the second is not final.
  Created(*adapter, Request("po_order"));
  ASSERT_EQ(Post("/sandbox/heleket/payouts/po_order/paid", R"({"out_of_order":true})").status, 200);
  const std::vector<HttpRequest> late = AwaitCallbacks("po_order", 2);
  EXPECT_EQ(adapter->ParseCallback(AsCallback(late[0])).value().status, Status::kPaid);
  const ProviderPayout stale = adapter->ParseCallback(AsCallback(late[1])).value();
  EXPECT_EQ(stale.status, Status::kProcessing);
  EXPECT_FALSE(stale.is_final);
  // The process callback is delivered before the create call returns.
  ASSERT_EQ(
      Post("/sandbox/heleket/faults", R"({"order_id":"po_early","callback_before_answer":true})")
          .status,
      200);
  Created(*adapter, Request("po_early"));
  const std::vector<HttpRequest> early = receiver_.For("order_id", "po_early");
  ASSERT_EQ(early.size(), 1u);
  EXPECT_EQ(adapter->ParseCallback(AsCallback(early[0])).value().raw_status, "process");
  // Ends system_fail by itself (after "hours"; here at once), with its callback.
  ASSERT_EQ(Post("/sandbox/heleket/faults",
                 R"({"order_id":"po_sys","finish_status":"system_fail","finish_after_ms":0})")
                .status,
            200);
  Created(*adapter, Request("po_sys"));
  const ProviderPayout ended =
      adapter->ParseCallback(AsCallback(AwaitCallbacks("po_sys", 1)[0])).value();
  EXPECT_EQ(ended.raw_status, "system_fail");
  EXPECT_EQ(ended.status, Status::kFailed);
  EXPECT_TRUE(ended.is_final);
  EXPECT_TRUE(adapter->Fetch("po_sys").value().is_final);
}

TEST_F(HeleketTest, APayoutAboveTheBalanceEndsFailNotAnHttpError) {
  ASSERT_EQ(Post("/sandbox/heleket/settings", R"({"currency":"USDT","balance":"5"})").status, 200);
  auto adapter = Adapter();
  const ProviderPayout failed = Created(*adapter, Request("po_poor"));
  EXPECT_EQ(failed.status, Status::kFailed);
  EXPECT_TRUE(failed.is_final);
  EXPECT_NE(failed.reason.find("Insufficient funds"), std::string::npos) << failed.reason;
  const ProviderPayout callback =
      adapter->ParseCallback(AsCallback(AwaitCallbacks("po_poor", 1)[0])).value();
  EXPECT_EQ(callback.status, Status::kFailed);
  // Nothing was taken: the balance is still 5, and a payout that fits goes through.
  auto capacity = adapter->ReadCapacity();
  ASSERT_TRUE(capacity.ok());
  EXPECT_EQ(CapacityOf(capacity.value(), "USDT"), Usd("5"));
  EXPECT_EQ(Created(*adapter, Request("po_rich", "3")).status, Status::kProcessing);
  EXPECT_EQ(CapacityOf(adapter->ReadCapacity().value(), "USDT"), Usd("1"));  // 5 - 3 - 1
}

TEST_F(HeleketTest, ReadCapacityGivesTheMerchantBalances) {
  auto adapter = Adapter();
  auto before = adapter->ReadCapacity();
  ASSERT_TRUE(before.ok()) << before.error().message;
  ASSERT_EQ(before.value().size(), 3u);
  EXPECT_EQ(CapacityOf(before.value(), "USDT"), Usd("100000"));
  EXPECT_EQ(CapacityOf(before.value(), "TRX"),
            Amount::Parse("100000", Asset::Make("TRX", 6).value()).value());
  EXPECT_EQ(CapacityOf(before.value(), "ETH"),
            Amount::Parse("100", Asset::Make("ETH", 18).value()).value());
  Created(*adapter, Request("po_cap"));
  EXPECT_EQ(CapacityOf(adapter->ReadCapacity().value(), "USDT"), Usd("99988.5"));
  // A payout that ends unpaid gives its amount and commission back.
  ASSERT_EQ(Post("/sandbox/heleket/payouts/po_cap/cancel", "").status, 200);
  EXPECT_EQ(CapacityOf(adapter->ReadCapacity().value(), "USDT"), Usd("100000"));
}

TEST_F(HeleketTest, ListGoesThroughEveryPage) {
  ASSERT_EQ(Post("/sandbox/heleket/settings", R"({"page_size":2})").status, 200);
  auto adapter = Adapter();
  for (int i = 0; i < 5; ++i) Created(*adapter, Request("po_list_" + std::to_string(i)));
  std::set<std::string> seen;
  std::string cursor;
  int pages = 0;
  do {
    auto page = adapter->List(clock_.NowMs() - 60'000, cursor);
    ASSERT_TRUE(page.ok()) << page.error().message;
    EXPECT_LE(page.value().payouts.size(), 2u);
    for (const ProviderPayout& payout : page.value().payouts) {
      EXPECT_TRUE(seen.insert(payout.reference).second) << payout.reference << " twice";
      EXPECT_EQ(payout.amount, Usd("10.5"));
    }
    cursor = page.value().next_cursor;
    ASSERT_LT(++pages, 10);
  } while (!cursor.empty());
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(seen.size(), 5u);
  // Payouts created before `since` are not listed.
  auto later = adapter->List(clock_.NowMs() + 60'000, "");
  ASSERT_TRUE(later.ok());
  EXPECT_TRUE(later.value().payouts.empty());
  EXPECT_TRUE(later.value().next_cursor.empty());
}

TEST_F(HeleketTest, PayoutsSettleByThemselvesOnATimer) {
  ASSERT_EQ(Post("/sandbox/heleket/settings", R"({"auto_settle_ms":20})").status, 200);
  auto adapter = Adapter();
  Created(*adapter, Request("po_auto"));
  EXPECT_TRUE(WaitFor([&] { return adapter->Fetch("po_auto").value().status == Status::kPaid; }));
  const ProviderPayout callback =
      adapter->ParseCallback(AsCallback(AwaitCallbacks("po_auto", 1)[0])).value();
  EXPECT_EQ(callback.status, Status::kPaid);
  EXPECT_TRUE(callback.is_final);
}

TEST_F(HeleketTest, RefusesWhatHeleketWouldRefuseWithoutCalling) {
  auto adapter = Adapter();
  const payouts::ProviderDescription& description = adapter->Describe();
  EXPECT_EQ(description.name, "heleket");
  EXPECT_FALSE(description.can_cancel);
  EXPECT_TRUE(description.signs_callbacks);
  auto cancel = adapter->Cancel("po_any");
  ASSERT_FALSE(cancel.ok());
  EXPECT_EQ(cancel.error().kind, ProviderError::Kind::kInvalidRequest);
  std::vector<payouts::PayoutRequest> refused;
  refused.push_back(Request("po_small", "0.99"));    // below 1 USDT
  refused.push_back(Request("po with space"));       // the reference's alphabet
  refused.push_back(Request(std::string(33, 'a')));  // the reference's length
  refused.push_back(Request("po_btc"));
  refused.back().destination.network = payouts::Network::kBtc;  // USDT is not sent on BTC
  refused.push_back(Request("po_pix"));
  refused.back().destination.kind = payouts::DestinationKind::kPixKey;
  refused.push_back(Request("po_brl"));
  refused.back().amount = Money("10.00", "BRL");
  refused.push_back(Request("po_eth"));
  refused.back().destination.network = payouts::Network::kEth;
  refused.back().amount =
      Amount::Parse("0.001000000000000001", Asset::Make("ETH", 18).value()).value();
  for (const payouts::PayoutRequest& request : refused) {
    auto created = adapter->Create(request);
    ASSERT_FALSE(created.ok()) << request.reference;
    EXPECT_EQ(created.error().kind, ProviderError::Kind::kInvalidRequest) << request.reference;
  }
  EXPECT_EQ(PayoutsHeld(), 0u);
  payouts::PayoutRequest eth = Request("po_eth_ok");
  eth.destination.network = payouts::Network::kEth;
  eth.destination.address = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";
  eth.amount = Amount::Parse("0.00150001", Asset::Make("ETH", 18).value()).value();
  EXPECT_EQ(Created(*adapter, eth).amount, eth.amount);
}

TEST_F(HeleketTest, TheControlApiRefusesWhatItCannotDo) {
  EXPECT_EQ(Post("/sandbox/heleket/faults", R"({"order_id":"po_x","create_status":418})").status,
            400);
  EXPECT_EQ(Post("/sandbox/heleket/faults", R"({"order_id":"po_x","finish_status":"done"})").status,
            400);
  EXPECT_EQ(Post("/sandbox/heleket/faults", R"({"order_id":"po_x","typo":1})").status, 400);
  EXPECT_EQ(Post("/sandbox/heleket/settings", R"({"currency":"USDT"})").status, 400);
  EXPECT_EQ(Post("/sandbox/heleket/settings", R"({"currency":"DOGE","balance":"1"})").status, 400);
  EXPECT_EQ(Post("/sandbox/heleket/payouts/po_none/paid", "").status, 404);
  const JsonNode settings = GetJson("/sandbox/heleket/settings");
  EXPECT_EQ(At(settings, "auto_settle_ms").text(), "0");
  EXPECT_EQ(Text(settings, "balances.USDT"), "100000.000000");
  // Heleket's own validation answers: 422 naming the field.
  const std::string body = R"({"amount":"1","currency":"DOGE","order_id":"po_v","address":"T",)"
                           R"("network":"TRON"})";
  const net::ClientResponse invalid =
      Post("/sandbox/heleket/v1/payout", body,
           {{"merchant", std::string(kSandboxHeleketMerchant)},
            {"sign", payouts::HeleketSign(body, kSandboxHeleketPayoutApiKey)}});
  EXPECT_EQ(invalid.status, 422);
  EXPECT_EQ(At(ParseJson(invalid.body), "errors.currency").items().size(), 1u);
}

// --- callbacks without the simulator: golden payloads and each field --------------------------

class HeleketCallbackTest : public ::testing::Test {
 protected:
  std::unique_ptr<HeleketPayouts> Adapter(std::string_view key) {
    payouts::ProviderContext context;
    context.http = &client_;
    context.clock = &clock_;
    context.base_url = "http://127.0.0.1:9/unused";
    return HeleketPayouts::Create({{"merchant", std::string(kSandboxHeleketMerchant)},
                                   {"payout_api_key", std::string(key)}},
                                  context)
        .value();
  }
  Result<ProviderPayout, CallbackRejection> ParseGolden(std::string_view name) {
    const std::string body = ReadFixture(name);
    return Adapter(kGoldenKey)->ParseCallback({body, {}});
  }

  ManualClock clock_;
  net::HttpClient client_;
};

TEST_F(HeleketCallbackTest, GoldenCallbacksParseExactly) {
  auto process = ParseGolden("payout_process.json");
  ASSERT_TRUE(process.ok()) << process.error().field << ": " << process.error().message;
  EXPECT_EQ(process.value().provider_id, "9f3c1a52-6d7e-4b8a-a1c2-3e4f5a6b7c8d");
  EXPECT_EQ(process.value().reference, "po_0001");
  EXPECT_EQ(process.value().status, Status::kProcessing);
  EXPECT_FALSE(process.value().is_final);
  EXPECT_FALSE(process.value().amount.has_value());  // the documented shape names no currency
  EXPECT_TRUE(process.value().txid.empty());
  // Paid, network "tron", a URL written "https:\/\/...": verified both as sent and re-encoded.
  for (const std::string_view name : {"payout_paid.json", "payout_paid_reencoded.json"}) {
    auto paid = ParseGolden(name);
    ASSERT_TRUE(paid.ok()) << name << ": " << paid.error().message;
    EXPECT_EQ(paid.value().status, Status::kPaid);
    EXPECT_TRUE(paid.value().is_final);
    EXPECT_EQ(paid.value().amount, Usd("10.5"));
    EXPECT_EQ(paid.value().commission, Usd("1"));
    EXPECT_EQ(paid.value().txid,
              "b7f0a3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f80");
  }
  // Each of the two rebuilt texts is needed: the re-encoded callback verifies only through the PHP
  // encoding, the spaced one only through the raw text with its sign cut out.
  const auto sign_of = [](const std::string& body) { return Text(ParseJson(body), "sign"); };
  const auto php_sign = [](const std::string& body) {
    return payouts::HeleketSign(payouts::HeleketPhpJson(ParseJson(body), "sign"), kGoldenKey);
  };
  const auto cut_sign = [](const std::string& body) {
    return payouts::HeleketSign(payouts::CutTopLevelMember(body, "sign").value(), kGoldenKey);
  };
  const std::string reencoded = ReadFixture("payout_paid_reencoded.json");
  EXPECT_EQ(php_sign(reencoded), sign_of(reencoded));
  EXPECT_NE(cut_sign(reencoded), sign_of(reencoded));
  const std::string spaced = ReadFixture("payout_system_fail_spaced.json");
  EXPECT_NE(php_sign(spaced), sign_of(spaced));
  EXPECT_EQ(cut_sign(spaced), sign_of(spaced));
  const std::string as_sent = ReadFixture("payout_paid.json");
  EXPECT_EQ(php_sign(as_sent), sign_of(as_sent));
  EXPECT_EQ(cut_sign(as_sent), sign_of(as_sent));
  // Signed over the text as sent, spaces and all: only the raw text with the sign cut out matches.
  auto system_fail = ParseGolden("payout_system_fail_spaced.json");
  ASSERT_TRUE(system_fail.ok()) << system_fail.error().message;
  EXPECT_EQ(system_fail.value().raw_status, "system_fail");
  EXPECT_EQ(system_fail.value().status, Status::kFailed);
  EXPECT_EQ(system_fail.value().commission, Usd("0.3"));
  auto fail = ParseGolden("payout_fail.json");
  ASSERT_TRUE(fail.ok()) << fail.error().message;
  EXPECT_EQ(fail.value().amount, Amount::Parse("0.0015", Asset::Make("ETH", 18).value()).value());
  EXPECT_EQ(fail.value().reason, "Insufficient funds");
  EXPECT_EQ(ParseGolden("payment_paid.json").error().kind, CallbackRejection::Kind::kIgnored);
  const auto forged = ParseGolden("payout_paid_forged.json");
  ASSERT_FALSE(forged.ok());
  EXPECT_EQ(forged.error().kind, CallbackRejection::Kind::kBadSignature);
  EXPECT_EQ(forged.error().field, "sign");
  // The golden files are signed with the golden key only.
  EXPECT_EQ(
      Adapter("another-key")->ParseCallback({ReadFixture("payout_paid.json"), {}}).error().kind,
      CallbackRejection::Kind::kBadSignature);
}

// A callback as Heleket signs it, with `members` (JSON text without braces).
std::string Signed(std::string_view members) {
  return payouts::HeleketSignCallback("{" + std::string(members) + "}",
                                      kSandboxHeleketPayoutApiKey);
}

TEST_F(HeleketCallbackTest, EachFieldIsCheckedByName) {
  auto adapter = Adapter(kSandboxHeleketPayoutApiKey);
  const std::vector<std::pair<std::string, std::string>> fields = {
      {"type", R"("type":"payout")"},
      {"uuid", R"("uuid":"u-1")"},
      {"order_id", R"("order_id":"po_1")"},
      {"amount", R"("amount":"10.50000000")"},
      {"commission", R"("commission":"1.00000000")"},
      {"is_final", R"("is_final":true)"},
      {"status", R"("status":"paid")"},
      {"txid", R"("txid":"abc")"},
      {"network", R"("network":"tron")"},
      {"currency", R"("currency":"USDT")"}};
  const auto body_with = [&](std::string_view skip, std::string_view replacement) {
    std::string members;
    for (const auto& [name, text] : fields) {
      const std::string member = name == skip ? std::string(replacement) : text;
      if (member.empty()) continue;
      members += (members.empty() ? "" : ",") + member;
    }
    return Signed(members);
  };
  ASSERT_TRUE(adapter->ParseCallback({body_with("", ""), {}}).ok());
  for (const std::string_view required :
       {"type", "uuid", "order_id", "amount", "is_final", "status"}) {
    const auto missing = adapter->ParseCallback({body_with(required, ""), {}});
    ASSERT_FALSE(missing.ok()) << required;
    EXPECT_EQ(missing.error().kind, CallbackRejection::Kind::kMalformed) << required;
    EXPECT_EQ(missing.error().field, required);
  }
  const std::vector<std::pair<std::string, std::string>> ill_typed = {
      {"type", R"("type":1)"},
      {"uuid", R"("uuid":{})"},
      {"order_id", R"("order_id":7)"},
      {"amount", R"("amount":"ten")"},
      {"amount", R"("amount":"-1")"},
      {"amount", R"("amount":"10.5000001")"},
      {"commission", R"("commission":true)"},
      {"is_final", R"("is_final":"true")"},
      {"status", R"("status":"done")"},
      {"txid", R"("txid":5)"},
      {"network", R"("network":"DOGE")"},
      {"currency", R"("currency":"DOGE")"}};
  for (const auto& [field, member] : ill_typed) {
    const auto wrong = adapter->ParseCallback({body_with(field, member), {}});
    ASSERT_FALSE(wrong.ok()) << member;
    EXPECT_EQ(wrong.error().kind, CallbackRejection::Kind::kMalformed) << member;
    EXPECT_EQ(wrong.error().field, field) << member;
    EXPECT_FALSE(wrong.error().message.empty());
  }
  // Statuses and networks in any case; a commission finer than USDT's 6 decimals rounds up.
  const auto upper = adapter->ParseCallback({body_with("status", R"("status":"PAID")"), {}});
  ASSERT_TRUE(upper.ok());
  EXPECT_EQ(upper.value().status, Status::kPaid);
  const auto fine =
      adapter->ParseCallback({body_with("commission", R"("commission":"0.12345601")"), {}});
  ASSERT_TRUE(fine.ok());
  EXPECT_EQ(fine.value().commission, Usd("0.123457"));
  for (const std::string_view junk : {"", "not json", "[]", R"({"sign":1})", R"({"a":1})"}) {
    const auto refused = adapter->ParseCallback({junk, {}});
    ASSERT_FALSE(refused.ok()) << junk;
    EXPECT_NE(refused.error().kind, CallbackRejection::Kind::kIgnored) << junk;
  }
}

TEST(HeleketSign, MatchesAnIndependentComputation) {
  // echo -n '{"a":1}' | base64 -> eyJhIjoxfQ==; md5("eyJhIjoxfQ==key").
  EXPECT_EQ(payouts::HeleketSign(R"({"a":1})", "key"), "52984746e1bfcb9d436d81804d2b0046");
  EXPECT_EQ(payouts::HeleketPhpString("a/b\"c\\d\n\x01é"), R"("a\/b\"c\\d\n\u0001é")");
  EXPECT_EQ(payouts::CutTopLevelMember(R"({"sign":"x","a":1})", "sign"), R"({"a":1})");
  EXPECT_EQ(payouts::CutTopLevelMember(R"({"a":1, "sign" : "x" } )", "sign"), R"({"a":1 })");
  EXPECT_EQ(payouts::CutTopLevelMember(R"({"a":{"sign":1}})", "sign"), std::nullopt);
  EXPECT_EQ(payouts::HeleketSignCallback("{}", "k"),
            R"({"sign":")" + payouts::HeleketSign("{}", "k") + R"("})");
}

}  // namespace
}  // namespace cambista::sandbox
