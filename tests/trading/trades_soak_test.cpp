// The trades' randomized soak (issue [trading] #14, criterion 8), on each backend: the whole server
// in process on a manual clock, over real HTTP in sandbox mode. Several client threads carry many
// trades at once, BRL -> USDT through the PIX gateways' simulators and VES -> USDT through
// BuhoPago's, each with a fate drawn from the seed:
//   - paid: normally, with its webhook twice, late, or followed by a stale one (out of order);
//     then its USDT payout at Heleket goes through, or meets a fault armed for its create: refused
//     (400, 409: the payout FAILED, the trade refunded), no answer that says anything (429, 5xx:
//     the payout UNKNOWN until it goes to review), answered late or after our deadline (UNKNOWN,
//     resolved by asking), its `process` callback before the answer, callbacks twice, none or out
//     of order, and the payout paid, or failed or cancelled there for good (the trade refunded);
//   - paid another amount: MANUAL_REVIEW, left there, or the charge resolved by an operator
//     (refund: REFUNDED; accept: the charge PAID with that other amount, the trade still in
//     review);
//   - never paid and expired at the gateway, or failed there: EXPIRED;
//   - cancelled by the customer before payment: CANCELLED, its charge closed with it; or
//     cancelled, then paid anyway: still CANCELLED, the payment in the charge's review (suspense);
//   - paid and cancelled at once: CANCELLED as above if the cancellation came first, else the
//     cancellation is refused (409) and the trade goes on to COMPLETED.
// A BRL trade names a PIX key for its refund (now and then one the PSP does not know: the refund
// fails, the trade goes to review), or gives it only once the trade waits for it (POST
// /v1/trades/{id}/refund). No payout provider serves VES bank accounts for a customer (BuhoPago's
// credits go to the desk's own account only), so a VES trade has no refund destination and one
// whose payout fails stays REFUND_PENDING, its bolivares back on the customer's account.
// Meanwhile the clock moves, now and then past the job leases (never while a trade's charge is
// being made: its creation has a deadline on the server's clock). Then the jobs are driven until
// every trade is COMPLETED, CANCELLED, REFUNDED, EXPIRED or in MANUAL_REVIEW (or REFUND_PENDING
// without a refund destination), and:
//   - each trade ended where its fate leads, through allowed transitions only, its charge in the
//     state that goes with it: no CANCELLED or EXPIRED trade's payment is kept by the merchant;
//   - no trade has two payouts (or two refunds), Heleket and the PIX send PSP hold each of our
//     references once, created by one call, and nothing else; a COMPLETED trade's payout is
//     CONFIRMED with amount_out and paid there, a REFUNDED one's refund CONFIRMED with amount_in;
//   - `ledger verify` passes; every customer's USDT is paid out (posted: only what payouts in
//     review still hold, and nothing available), its BRL and VES are spent or refunded (posted:
//     only refunds that could not go), suspense holds exactly the payments under review, and each
//     payout provider's float paid exactly the confirmed payouts and their commissions.
//
// Heleket's faults are armed for the next create of any order_id ("*"): the payouts' references are
// made when the trade is paid. So a flow whose payout gets a fault holds a gate alone from arming
// it until its create was answered, and the flows whose payouts get none share that gate from their
// payment to their create.
//
// CAMBISTA_SOAK_SEED replays a run's choices (the seed is printed with every failure; timing still
// varies), CAMBISTA_SOAK_N sets how many trades are made.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <shared_mutex>
#include <string>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include "jobs/job_queue.hpp"
#include "ledger/auditor.hpp"
#include "payouts/model.hpp"
#include "payouts/payouts_server_fixture.hpp"
#include "support/soak.hpp"
#include "trading/model.hpp"

namespace cambista::app {
namespace {

constexpr int kTradesDefault = 100;
constexpr int kClientThreads = 4;
constexpr int kCustomers = 6;
// The providers' deadline (real time): a create answered after it is a timeout.
constexpr int64_t kProviderDeadlineMs = 2'000;
// How long a flow waits (real time) for its trade to move, e.g. for its payout's create.
constexpr auto kFollowRealTimeMax = std::chrono::seconds(40);
// Bounds of the quiet phase, far beyond what it takes (review comes an hour after a lost answer).
constexpr int64_t kQuietClockMsMax = 6 * 3'600'000;
constexpr auto kQuietRealTimeMax = std::chrono::seconds(180);
// A create still on its way holds the clock back this long at most (see Quiesce).
constexpr auto kInFlightRealTimeMax = std::chrono::seconds(20);
constexpr auto kCreateCallMax = std::chrono::milliseconds(kProviderDeadlineMs + 1'000);
constexpr std::string_view kUnknownPixKey = "invalid.payee@example.com";  // the PSP refuses it

using testing::Prng;
using testing::SoakSeed;

int SoakTrades() {
  return testing::SoakCount(kTradesDefault);
}

// How the customer pays (or does not).
enum class PayIn : uint8_t {
  kPaid,
  kPaidTwice,       // the webhook delivered twice
  kPaidLate,        // the webhook delayed
  kPaidOutOfOrder,  // a stale `pending` webhook after the paid one
  kOtherAmount,     // paid another amount than quoted
  kNeverPaid,       // expired at the gateway
  kFailedAtGateway,
  kCancelled,          // by the customer, before paying
  kCancelledThenPaid,  // and the customer pays anyway: the charge goes to review
  kPaidAndCancelled,   // both at once: whichever is first wins
};

std::string_view PayInName(PayIn pay_in) {
  switch (pay_in) {
    case PayIn::kPaid:
      return "paid";
    case PayIn::kPaidTwice:
      return "paid, webhook twice";
    case PayIn::kPaidLate:
      return "paid, webhook late";
    case PayIn::kPaidOutOfOrder:
      return "paid, webhooks out of order";
    case PayIn::kOtherAmount:
      return "paid another amount";
    case PayIn::kNeverPaid:
      return "never paid, expired";
    case PayIn::kFailedAtGateway:
      return "failed at the gateway";
    case PayIn::kCancelled:
      return "cancelled";
    case PayIn::kCancelledThenPaid:
      return "cancelled, then paid";
    case PayIn::kPaidAndCancelled:
      return "paid and cancelled at once";
  }
  return "?";
}

bool Pays(PayIn pay_in) {
  return pay_in == PayIn::kPaid || pay_in == PayIn::kPaidTwice || pay_in == PayIn::kPaidLate ||
         pay_in == PayIn::kPaidOutOfOrder;
}

// What an operator does with a payment of another amount.
enum class Review : uint8_t { kNone, kLeft, kRefunded, kAccepted };

// What happens to the trade's payout at Heleket.
enum class AtHeleket : uint8_t {
  kNoFault,
  kRefused,       // its create answered 400 or 409: refused for certain
  kNoAnswer,      // 429 or 5xx: nobody knows, nothing was made
  kPaidDespite,   // answered late or after our deadline, callbacks early, twice, none, stale...
  kFailsForGood,  // the same, and it ends fail, system_fail or cancel there
};

std::string_view AtHeleketName(AtHeleket at_heleket) {
  switch (at_heleket) {
    case AtHeleket::kNoFault:
      return "";
    case AtHeleket::kRefused:
      return ", create refused";
    case AtHeleket::kNoAnswer:
      return ", create unanswered";
    case AtHeleket::kPaidDespite:
      return ", heleket faults, paid";
    case AtHeleket::kFailsForGood:
      return ", heleket fails it";
  }
  return "?";
}

// One trade the soak makes, all of its choices drawn before any thread starts.
struct Plan {
  size_t index = 0;
  bool ves = false;  // else BRL
  std::string customer;
  i128 amount_in = 0;  // minor units of the asset paid
  PayIn pay_in = PayIn::kPaid;
  Review review = Review::kNone;
  AtHeleket at_heleket = AtHeleket::kNoFault;
  std::string fault;              // for POST /sandbox/heleket/faults; empty: none
  std::string pay_body;           // of the gateway's /pay
  std::string destination;        // JSON
  std::string refund_key;         // PIX key; empty: no refund destination
  bool refund_key_later = false;  // given once the trade waits for it, not with the trade
  bool asked_twice = false;
  int64_t cancel_after_ms = 0;  // kPaidAndCancelled: after the payment

  std::string Fate() const {
    std::string fate(PayInName(pay_in));
    if (review == Review::kLeft) fate += ", left in review";
    if (review == Review::kRefunded) fate += ", refunded by an operator";
    if (review == Review::kAccepted) fate += ", accepted by an operator";
    fate += AtHeleketName(at_heleket);
    if (refund_key_later) fate += ", refund key given later";
    if (refund_key == kUnknownPixKey) fate += ", refund key unknown";
    return std::string(ves ? "VES " : "BRL ") + fate;
  }
};

// Where the trade's fate leads (and, for a payment and a cancellation at once, which came first).
std::string ExpectedEnd(const Plan& plan, bool cancel_refused) {
  switch (plan.pay_in) {
    case PayIn::kNeverPaid:
    case PayIn::kFailedAtGateway:
      return "EXPIRED";
    case PayIn::kCancelled:
    case PayIn::kCancelledThenPaid:
      return "CANCELLED";
    case PayIn::kPaidAndCancelled:
      return cancel_refused ? "COMPLETED" : "CANCELLED";
    case PayIn::kOtherAmount:
      return plan.review == Review::kRefunded ? "REFUNDED" : "MANUAL_REVIEW";
    default:
      break;
  }
  switch (plan.at_heleket) {
    case AtHeleket::kNoFault:
    case AtHeleket::kPaidDespite:
      return "COMPLETED";
    case AtHeleket::kNoAnswer:
      return "MANUAL_REVIEW";
    case AtHeleket::kRefused:
    case AtHeleket::kFailsForGood:
      if (plan.refund_key.empty()) return "REFUND_PENDING";
      return plan.refund_key == kUnknownPixKey ? "MANUAL_REVIEW" : "REFUNDED";
  }
  return "?";
}

// What a client thread saw of its trade.
struct Flow {
  std::string trade_id;
  std::string gateway;
  std::string gateway_charge_id;
  std::string charge_id;
  std::string payout_id;           // once its payout's create was answered
  bool cancel_refused = false;     // kPaidAndCancelled: the payment was first
  bool charge_paid_first = false;  // ... and the trade had not moved yet
};

// A row of a JSON list ({"data": [...]}): each member's text (strings decoded, numbers as written,
// booleans "true"/"false", null "").
using Row = std::map<std::string, std::string, std::less<>>;

std::string NodeText(const payins::JsonNode& node) {
  if (node.kind() == payins::JsonNode::Kind::kBool) return node.bool_value() ? "true" : "false";
  return std::string(node.text());
}

std::vector<Row> DataRows(const std::string& body) {
  std::vector<Row> rows;
  auto document = payins::JsonDocument::Parse(body);
  const payins::JsonNode* data = document.ok() ? document.value().root().Find("data") : nullptr;
  if (data == nullptr || !data->IsArray()) {
    ADD_FAILURE() << "not a list: " << body.substr(0, 500);
    return rows;
  }
  for (const payins::JsonNode& item : data->items()) {
    Row row;
    for (size_t i = 0; i < item.size(); ++i)
      row[std::string(item.key(i))] = NodeText(item.child(i));
    rows.push_back(std::move(row));
  }
  return rows;
}

std::string Field(const Row& row, std::string_view name) {
  const auto found = row.find(name);
  return found == row.end() ? "" : found->second;
}

// A member of a nested object ("charge.gateway"), as text; "" when absent.
std::string Path(const std::string& body, std::initializer_list<std::string_view> names) {
  auto document = payins::JsonDocument::Parse(body);
  if (!document.ok()) return "";
  const payins::JsonNode* node = &document.value().root();
  for (std::string_view name : names) {
    node = node->Find(name);
    if (node == nullptr) return "";
  }
  return std::string(node->text());
}

bool IsSettled(std::string_view status) {
  return status == "COMPLETED" || status == "CANCELLED" || status == "REFUNDED" ||
         status == "EXPIRED" || status == "MANUAL_REVIEW";
}

bool PayoutSettled(std::string_view status) {
  return status == "CONFIRMED" || status == "FAILED" || status == "CANCELLED" ||
         status == "REJECTED" || status == "MANUAL_REVIEW";
}

// What a payout simulator holds under one of our references.
struct Held {
  std::string status;  // its own word: "paid", "REALIZADO", ...
  bool is_final = false;
  std::string amount;
  std::string commission;
  int64_t create_requests = 0;
};

// Heleket's fault for "*" goes to whichever create comes next. A flow that arms one holds this
// gate alone from arming it until its create was answered; the flows whose payouts get none share
// it from their payment until their create was answered. Waiting writers go first.
class CreateGate {
 public:
  void Enter(bool alone) {
    std::unique_lock lock(mutex_);
    if (!alone) {
      changed_.wait(lock, [&] { return !alone_inside_ && alone_waiting_ == 0; });
      ++sharing_;
      return;
    }
    ++alone_waiting_;
    changed_.wait(lock, [&] { return !alone_inside_ && sharing_ == 0; });
    --alone_waiting_;
    alone_inside_ = true;
  }
  void Leave(bool alone) {
    std::lock_guard lock(mutex_);
    if (alone) {
      alone_inside_ = false;
    } else {
      --sharing_;
    }
    changed_.notify_all();
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  int sharing_ = 0;
  int alone_waiting_ = 0;
  bool alone_inside_ = false;
};

class GateHold {
 public:
  GateHold(CreateGate& gate, bool alone) : gate_(gate), alone_(alone) { gate_.Enter(alone_); }
  ~GateHold() { gate_.Leave(alone_); }
  GateHold(const GateHold&) = delete;
  GateHold& operator=(const GateHold&) = delete;

 private:
  CreateGate& gate_;
  bool alone_;
};

const Asset& Usdt() {
  static const Asset asset = AssetRegistry::WithBuiltins().Find("USDT").value();
  return asset;
}
const Asset& Brl() {
  static const Asset asset = AssetRegistry::WithBuiltins().Find("BRL").value();
  return asset;
}
const Asset& Ves() {
  static const Asset asset = AssetRegistry::WithBuiltins().Find("VES").value();
  return asset;
}

i128 Minor(const Asset& asset, const std::string& text) {
  auto amount = Amount::Parse(text, asset);
  EXPECT_TRUE(amount.ok()) << "not an amount of " << asset.code() << ": " << text;
  return amount.ok() ? amount.value().minor() : 0;
}

std::string Text(const Asset& asset, i128 minor) {
  return Amount(minor, asset).ToString();
}

class TradesSoakTest : public PayoutsServerTest {
 protected:
  void Configure(Config& config) override {
    // No trade expires by the clock, nor a quote or a rate while the clock jumps: every end is
    // the fate's. Payouts are first asked about a second after they are sent.
    config.module_values["trading.payment_window_seconds"] = "604800";
    config.module_values["trading.quote_ttl_seconds"] = "3600";
    config.module_values["pricing.max_age_seconds"] = "86400";
    config.module_values["payouts.track_after_send_ms"] = "1000";
    config.webhook_timeout_ms = kProviderDeadlineMs;
    config.rate_key_burst = 1'000'000'000;
    config.rate_ip_burst = 1'000'000'000;
    config.log_level = "warn";
  }
  const Clock* ServerClock() override { return &manual_clock_; }
  void SetUp() override {
    PayoutsServerTest::SetUp();
    if (IsSkipped()) return;
    trader_ = server_->keys().Create(
        "default", ScopeSet{Scope::kQuotesWrite, Scope::kTradesWrite, Scope::kTradesRead});
  }

  void SetUpDesk();
  Plan MakePlan(size_t index);
  void DrawPayIn(Plan& plan);
  void DrawHeleketFault(Plan& plan);
  void RunClients();
  void NudgeClock(const std::atomic<bool>& active, uint64_t seed);
  void RunFlow(const Plan& plan, Flow& flow);
  bool OpenTrade(const Plan& plan, Flow& flow);
  Reply AtGateway(const Flow& flow, std::string_view action, const std::string& body = "");
  void PayAndFollow(const Plan& plan, Flow& flow);
  void PayAndCancel(const Plan& plan, Flow& flow);
  bool FollowCreate(const Plan& plan, Flow& flow);
  bool CreateAnswered(const Plan& plan, Flow& flow);
  bool LostAnswerNoted(const std::string& payout_id);
  void PayOtherAmount(const Plan& plan, const Flow& flow);
  Reply WaitForTrade(const std::string& id, std::string_view status);
  void Quiesce();
  bool CreateOnItsWay(const std::vector<Row>& payouts,
                      std::map<std::string, std::chrono::steady_clock::time_point>& unknown_since);
  std::vector<Row> List(const std::string& path, const std::string& key);
  std::vector<Row> TradePayouts();
  std::map<std::string, Held> HeldAt(std::string_view provider);
  void CheckTrade(const Plan& plan, const Flow& flow, const Reply& trade,
                  const std::map<std::string, const Row*>& payouts);
  void CheckCharge(const Plan& plan, std::string_view gateway, const std::string& charge,
                   const std::string& status, bool paid_out);
  void CheckHistory(const std::string& id, const std::string& status);
  void CheckPayoutsOfTrades(const std::vector<Reply>& trades, const std::vector<Row>& payouts);
  void CheckAtProviders(const std::vector<Row>& payouts);
  void CheckBalances(const std::vector<Reply>& trades, const std::vector<Row>& payouts);
  void CheckAccount(const std::vector<Row>& balances, std::string_view kind,
                    std::string_view qualifier, const Asset& asset, i128 posted, i128 held);
  void Summarize(const std::vector<Reply>& trades);

  void AdvanceClock(int64_t ms) {
    manual_clock_.AdvanceMs(ms);
    server_->jobs().Wake();
  }
  const Asset& From(const Plan& plan) const { return plan.ves ? Ves() : Brl(); }

  ManualClock manual_clock_;
  Prng rng_{0};
  std::string trader_;
  std::vector<std::string> customers_;
  std::vector<Plan> plans_;
  std::vector<Flow> flows_;
  std::map<std::string, size_t> by_trade_;  // trade id -> index in plans_ and flows_
  CreateGate gate_;
  std::shared_mutex creating_;  // held (shared) while a trade is made: no clock jump past leases
  std::atomic<int> lease_jumps_{0};
  i128 heleket_float_ = 0;  // USDT on provider:heleket before the trades, minor units
  i128 pixout_float_ = 0;   // BRL on provider:pixout
};

// Rates, customers without daily limits (KYC level 3), floats that never run short, simulators
// that settle on their own, soon, and never run out themselves.
void TradesSoakTest::SetUpDesk() {
  for (const auto& [pair, bid, ask] :
       std::vector<std::tuple<std::string, std::string, std::string>>{
           {"USDT-BRL", "5.40", "5.50"}, {"USDT-VES", "36.00", "36.50"}}) {
    const Reply set = Send("PUT", "/sandbox/rates/" + pair, "",
                           R"({"bid":")" + bid + R"(","ask":")" + ask + R"("})");
    ASSERT_EQ(set.status, 200) << set.body;
  }
  for (int i = 1; i <= kCustomers; ++i) {
    customers_.push_back("c" + std::to_string(i));
    ASSERT_EQ(Send("PUT", "/v1/customers/" + customers_.back(), writer_,
                   R"({"name":"Soak )" + customers_.back() + R"(","kyc_level":3})")
                  .status,
              201);
  }
  for (const auto& [account, asset, amount] :
       std::vector<std::tuple<std::string, const Asset*, std::string>>{
           {"provider:heleket", &Usdt(), "10000000"},
           {"provider:pixout", &Brl(), "100000000.00"}}) {
    const Reply made =
        Deposit(R"({"account":")" + account + R"(","asset":")" + std::string(asset->code()) +
                R"(","amount":")" + amount + R"(","reference":"float-)" + account + "\"}");
    ASSERT_EQ(made.status, 201) << made.body;
  }
  // What the floats hold now (the sandbox funds them too).
  for (const Row& row : DataRows(Send("GET", "/v1/balances", admin_).body)) {
    if (Field(row, "kind") != "provider_float") continue;
    if (Field(row, "qualifier") == "heleket" && Field(row, "currency") == "USDT") {
      heleket_float_ = Minor(Usdt(), Field(row, "posted"));
    }
    if (Field(row, "qualifier") == "pixout" && Field(row, "currency") == "BRL") {
      pixout_float_ = Minor(Brl(), Field(row, "posted"));
    }
  }
  const std::string settle = std::to_string(rng_.Between(100, 800));
  for (const std::string& body : {R"({"auto_settle_ms":)" + settle + "}",
                                  std::string(R"({"currency":"USDT","balance":"1000000000"})")}) {
    ASSERT_EQ(Send("POST", "/sandbox/heleket/settings", "", body).status, 200) << body;
  }
  ASSERT_EQ(Send("POST", "/sandbox/pixout/settings", "",
                 R"({"auto_settle_ms":)" + settle + R"(,"balance":"1000000000.00"})")
                .status,
            200);
}

Plan TradesSoakTest::MakePlan(size_t index) {
  static const std::vector<std::string> addresses = {
      R"({"kind":"crypto_address","network":"TRON","address":"TNPeeaaFB7K9cmo4uQpcU32zGK8G1NYqeL"})",
      R"({"kind":"crypto_address","network":"POLYGON","address":"0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359"})",
      R"({"kind":"crypto_address","network":"BSC","address":"0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB"})"};
  static const std::vector<std::string> pix_keys = {"52998224725", "11222333000181",
                                                    "+5511987654321", "pix@example.com",
                                                    "123e4567-e89b-12d3-a456-426614174000"};
  Plan plan;
  plan.index = index;
  plan.ves = rng_.Chance(35);
  plan.customer = rng_.Pick(customers_);
  plan.amount_in = plan.ves ? rng_.Between(50'000, 5'000'000) : rng_.Between(2'000, 300'000);
  plan.destination = rng_.Pick(addresses);
  if (!plan.ves) plan.refund_key = rng_.Pick(pix_keys);
  plan.asked_twice = rng_.Chance(5);
  DrawPayIn(plan);
  if (Pays(plan.pay_in)) DrawHeleketFault(plan);
  const bool refunds =
      plan.at_heleket == AtHeleket::kRefused || plan.at_heleket == AtHeleket::kFailsForGood;
  if (refunds && !plan.ves && rng_.Chance(20)) plan.refund_key = kUnknownPixKey;
  plan.refund_key_later = refunds && !plan.ves && rng_.Chance(25);
  return plan;
}

void TradesSoakTest::DrawPayIn(Plan& plan) {
  static const std::vector<std::pair<PayIn, int>> weights = {
      {PayIn::kPaid, 21},           {PayIn::kPaidTwice, 12},   {PayIn::kPaidLate, 12},
      {PayIn::kPaidOutOfOrder, 12}, {PayIn::kOtherAmount, 12}, {PayIn::kNeverPaid, 9},
      {PayIn::kFailedAtGateway, 7}, {PayIn::kCancelled, 5},    {PayIn::kCancelledThenPaid, 4},
      {PayIn::kPaidAndCancelled, 6}};
  int64_t roll = rng_.Between(0, 99);
  for (const auto& [pay_in, weight] : weights) {
    plan.pay_in = pay_in;
    if ((roll -= weight) < 0) break;
  }
  switch (plan.pay_in) {
    case PayIn::kPaidTwice:
      plan.pay_body = R"({"deliveries":2})";
      break;
    case PayIn::kPaidLate:
      plan.pay_body = R"({"delay_ms":)" + std::to_string(rng_.Between(100, 1'500)) + "}";
      break;
    case PayIn::kPaidOutOfOrder:
      plan.pay_body = R"({"out_of_order":true})";
      break;
    case PayIn::kPaidAndCancelled:  // the webhook's way to us takes a few milliseconds
      plan.cancel_after_ms = rng_.Between(0, 40);
      break;
    case PayIn::kOtherAmount: {
      const i128 step = plan.ves ? 1'000 : 100;  // 10.00 VES, 1.00 BRL
      const i128 paid = plan.amount_in + (rng_.Chance(50) ? step : -step);
      plan.pay_body = R"({"amount":")" + Text(From(plan), paid) + "\"}";
      static const std::vector<Review> reviews = {Review::kLeft, Review::kRefunded,
                                                  Review::kAccepted};
      plan.review = rng_.Pick(reviews);
      break;
    }
    default:
      break;
  }
}

// The fault armed for the next create: refused or unanswered (nothing made there), or made and
// answered late or after our deadline, its first callback before the answer, ending by itself
// paid, failed or cancelled with callbacks twice, none, or a stale one after.
void TradesSoakTest::DrawHeleketFault(Plan& plan) {
  const int64_t roll = rng_.Between(0, 99);
  if (roll < 40) return;  // no fault: it settles by itself
  std::string fault = R"({"order_id":"*")";
  if (roll < 50) {
    plan.at_heleket = AtHeleket::kRefused;
    fault += R"(,"create_status":)" + std::to_string(rng_.Chance(50) ? 400 : 409);
  } else if (roll < 60) {
    static const std::vector<int> statuses = {429, 500, 502, 503};
    plan.at_heleket = AtHeleket::kNoAnswer;
    fault += R"(,"create_status":)" + std::to_string(rng_.Pick(statuses));
  } else {
    plan.at_heleket = roll < 80 ? AtHeleket::kPaidDespite : AtHeleket::kFailsForGood;
    if (rng_.Chance(50)) {
      const bool timeout = rng_.Chance(50);
      fault += R"(,"answer_delay_ms":)" +
               std::to_string(timeout ? kProviderDeadlineMs + rng_.Between(300, 1'200)
                                      : rng_.Between(50, 900));
    }
    if (rng_.Chance(35)) fault += R"(,"callback_before_answer":true)";
    static const std::vector<std::string> failures = {"fail", "system_fail", "cancel"};
    const bool failing = plan.at_heleket == AtHeleket::kFailsForGood;
    if (failing || rng_.Chance(60)) {
      fault += R"(,"finish_status":")" + (failing ? rng_.Pick(failures) : std::string("paid")) +
               R"(","finish_after_ms":)" + std::to_string(rng_.Between(0, 1'500)) +
               R"(,"deliveries":)" + std::to_string(rng_.Between(0, 2)) + R"(,"out_of_order":)" +
               (rng_.Chance(50) ? "true" : "false");
    }
  }
  plan.fault = fault + "}";
}

// The flows on kClientThreads threads, taking the plans in order, while another thread moves the
// clock.
void TradesSoakTest::RunClients() {
  std::atomic<size_t> next{0};
  std::atomic<bool> active{true};
  std::thread clock([&, seed = rng_.Next()] { NudgeClock(active, seed); });
  std::vector<std::thread> clients;
  for (int i = 0; i < kClientThreads; ++i) {
    clients.emplace_back([&] {
      for (size_t at = next++; at < plans_.size(); at = next++) RunFlow(plans_[at], flows_[at]);
    });
  }
  for (std::thread& client : clients) client.join();
  active = false;
  clock.join();
}

// Mostly a second or two every ~100 ms; now and then past a job's lease (30 s), so that a job
// still running is claimed again by another worker, but never while a trade's charge is being
// made: that takes milliseconds, and the charge's creation gives up (and a job fails it) once its
// deadline on the server's clock (45 s) has passed.
void TradesSoakTest::NudgeClock(const std::atomic<bool>& active, uint64_t seed) {
  Prng rng(seed);
  while (active) {
    std::this_thread::sleep_for(std::chrono::milliseconds(rng.Between(50, 150)));
    if (rng.Chance(3)) {
      std::unique_lock no_creation(creating_, std::try_to_lock);
      if (no_creation.owns_lock()) {
        AdvanceClock(rng.Between(31'000, 70'000));
        ++lease_jumps_;
        continue;
      }
    }
    AdvanceClock(rng.Between(0, 2'000));
  }
}

void TradesSoakTest::RunFlow(const Plan& plan, Flow& flow) {
  SCOPED_TRACE("trade " + std::to_string(plan.index) + ": " + plan.Fate());
  if (!OpenTrade(plan, flow)) return;
  switch (plan.pay_in) {
    case PayIn::kNeverPaid:
      EXPECT_EQ(AtGateway(flow, "expire").status, 200);
      break;
    case PayIn::kFailedAtGateway:
      EXPECT_EQ(AtGateway(flow, "fail").status, 200);
      break;
    case PayIn::kCancelled:
    case PayIn::kCancelledThenPaid: {
      const Reply cancelled = Send("POST", "/v1/trades/" + flow.trade_id + "/cancel", trader_);
      EXPECT_EQ(cancelled.Field("status"), "CANCELLED") << cancelled.body;
      if (plan.pay_in == PayIn::kCancelledThenPaid) {
        EXPECT_EQ(AtGateway(flow, "pay", plan.pay_body).status, 200);
      }
      break;
    }
    case PayIn::kOtherAmount:
      PayOtherAmount(plan, flow);
      break;
    case PayIn::kPaidAndCancelled:
      PayAndCancel(plan, flow);
      break;
    default:
      PayAndFollow(plan, flow);
  }
}

// A quote for the customer, and the trade from it (now and then asked twice with one key).
bool TradesSoakTest::OpenTrade(const Plan& plan, Flow& flow) {
  const Reply quote =
      Send("POST", "/v1/quotes", trader_,
           R"({"from_asset":")" + std::string(From(plan).code()) +
               R"(","to_asset":"USDT","amount":")" + Text(From(plan), plan.amount_in) +
               R"(","amount_side":"spend","customer":")" + plan.customer + "\"}");
  if (quote.status != 201) {
    ADD_FAILURE() << "quote: " << quote.status << " " << quote.body;
    return false;
  }
  EXPECT_EQ(quote.Field("amount_in"), Text(From(plan), plan.amount_in)) << quote.body;
  const std::string body =
      R"({"quote_id":")" + quote.Field("id") + R"(","customer":")" + plan.customer +
      R"(","destination":)" + plan.destination +
      (plan.refund_key.empty() || plan.refund_key_later
           ? std::string()
           : R"(,"refund_destination":{"kind":"pix_key","key":")" + plan.refund_key + "\"}") +
      "}";
  const std::string key = "soak-trade-" + std::to_string(plan.index);
  std::shared_lock creating(creating_);
  const Reply trade = Send("POST", "/v1/trades", trader_, body, key);
  if (trade.status != 201) {
    ADD_FAILURE() << "trade: " << trade.status << " " << trade.body;
    return false;
  }
  EXPECT_EQ(trade.Field("status"), "AWAITING_PAYMENT") << trade.body;
  if (plan.asked_twice) {
    EXPECT_EQ(Send("POST", "/v1/trades", trader_, body, key).Field("id"), trade.Field("id"));
  }
  flow.trade_id = trade.Field("id");
  flow.charge_id = trade.Field("charge_id");
  flow.gateway = Path(trade.body, {"charge", "gateway"});
  flow.gateway_charge_id = Path(trade.body, {"charge", "gateway_charge_id"});
  EXPECT_EQ(flow.gateway == "buhopago", plan.ves) << trade.body;
  return true;
}

Reply TradesSoakTest::AtGateway(const Flow& flow, std::string_view action,
                                const std::string& body) {
  return Send(
      "POST",
      "/sandbox/" + flow.gateway + "/charges/" + flow.gateway_charge_id + "/" + std::string(action),
      "", body);
}

// Paid, then followed until its payout's create was answered, within the gate (alone when a
// fault is armed for that create).
void TradesSoakTest::PayAndFollow(const Plan& plan, Flow& flow) {
  {
    const bool alone = !plan.fault.empty();
    GateHold hold(gate_, alone);
    if (alone) {
      const Reply armed = Send("POST", "/sandbox/heleket/faults", "", plan.fault);
      ASSERT_EQ(armed.status, 200) << plan.fault << " -> " << armed.body;
    }
    const Reply paid = AtGateway(flow, "pay", plan.pay_body);
    EXPECT_EQ(paid.status, 200) << plan.pay_body << " -> " << paid.body;
    if (!FollowCreate(plan, flow) && alone) {
      // Whatever the fault was not taken by, the next create must not take it.
      Send("POST", "/sandbox/heleket/faults", "", R"({"order_id":"*"})");
    }
  }
  if (!plan.refund_key_later) return;
  // The payout failed for good and the trade had nowhere to send the refund: the customer says.
  WaitForTrade(flow.trade_id, "REFUND_PENDING");
  const Reply given = Send("POST", "/v1/trades/" + flow.trade_id + "/refund", trader_,
                           R"({"destination":{"kind":"pix_key","key":")" + plan.refund_key + "\"}}",
                           "soak-refund-" + std::to_string(plan.index));
  EXPECT_EQ(given.status, 200) << given.body;
}

// Paid and cancelled at once: a cancellation that came first closed the charge (the payment goes
// to its review); one that came second is refused, and the trade goes on to its payout.
void TradesSoakTest::PayAndCancel(const Plan& plan, Flow& flow) {
  GateHold hold(gate_, false);
  const Reply paid = AtGateway(flow, "pay", plan.pay_body);
  EXPECT_EQ(paid.status, 200) << plan.pay_body << " -> " << paid.body;
  std::this_thread::sleep_for(std::chrono::milliseconds(plan.cancel_after_ms));
  const Reply cancelled = Send("POST", "/v1/trades/" + flow.trade_id + "/cancel", trader_);
  if (cancelled.status == 200) {
    EXPECT_EQ(cancelled.Field("status"), "CANCELLED") << cancelled.body;
    return;
  }
  EXPECT_EQ(cancelled.status, 409) << cancelled.body;
  EXPECT_EQ(cancelled.Field("code"), "invalid_transition") << cancelled.body;
  flow.cancel_refused = true;
  // Refused for the trade's state, or (its job not run yet) for its charge's.
  flow.charge_paid_first = cancelled.Field("detail").starts_with("The trade's charge is PAID");
  FollowCreate(plan, flow);
}

// Until the trade's payout's create was answered (false, a failure, after kFollowRealTimeMax).
bool TradesSoakTest::FollowCreate(const Plan& plan, Flow& flow) {
  const auto deadline = std::chrono::steady_clock::now() + kFollowRealTimeMax;
  while (!CreateAnswered(plan, flow)) {
    if (std::chrono::steady_clock::now() > deadline) {
      const Reply trade = Send("GET", "/v1/trades/" + flow.trade_id, trader_);
      ADD_FAILURE() << "its payout's create was not answered in time: " << trade.body;
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

// The trade's payout was made and its create answered: held at Heleket, refused (FAILED), or
// unanswered (a lost answer noted).
bool TradesSoakTest::CreateAnswered(const Plan& plan, Flow& flow) {
  const Reply trade = Send("GET", "/v1/trades/" + flow.trade_id, trader_);
  const std::string payout_id = trade.Field("payout_id");
  if (payout_id.empty()) return false;
  const Reply payout = Send("GET", "/v1/payouts/" + payout_id, writer_);
  const std::string status = payout.Field("status");
  bool answered = false;
  if (plan.at_heleket == AtHeleket::kRefused) {
    answered = status == "FAILED";
  } else if (plan.at_heleket == AtHeleket::kNoAnswer) {
    answered = status == "MANUAL_REVIEW" || (status == "UNKNOWN" && LostAnswerNoted(payout_id));
  } else {
    answered =
        Send("GET", "/sandbox/heleket/payouts/" + payout.Field("provider_reference"), "").status ==
        200;
  }
  if (answered) flow.payout_id = payout_id;
  return answered;
}

// The payouts' service notes an answer that said nothing (a 429 or 5xx to the create) with a
// track job of its own, to ask again soon.
bool TradesSoakTest::LostAnswerNoted(const std::string& payout_id) {
  auto connection = db().Connect();
  const std::string key = "payouts.track:default:" + payout_id + ":lost";
  int64_t count = 0;
  connection->Query("SELECT count(*) FROM jobs WHERE dedupe_key = $1", {std::string_view(key)},
                    [&](const store::Row& row) { count = row.Int64(0); });
  return count > 0;
}

// Paid another amount: in review, where an operator may refund it or accept it as it came.
void TradesSoakTest::PayOtherAmount(const Plan& plan, const Flow& flow) {
  const Reply paid = AtGateway(flow, "pay", plan.pay_body);
  EXPECT_EQ(paid.status, 200) << plan.pay_body << " -> " << paid.body;
  if (plan.review == Review::kLeft) return;
  WaitForTrade(flow.trade_id, "MANUAL_REVIEW");
  const std::vector<std::string> actions = plan.review == Review::kRefunded
                                               ? std::vector<std::string>{"refund", "refunded"}
                                               : std::vector<std::string>{"accept"};
  for (const std::string& action : actions) {
    const Reply resolved = Send("POST", "/v1/charges/" + flow.charge_id + "/resolve", admin_,
                                R"({"action":")" + action + R"(","reason":"soak"})",
                                "resolve-" + action + "-" + std::to_string(plan.index));
    EXPECT_EQ(resolved.status, 200) << action << " -> " << resolved.body;
  }
}

Reply TradesSoakTest::WaitForTrade(const std::string& id, std::string_view status) {
  const auto deadline = std::chrono::steady_clock::now() + kFollowRealTimeMax;
  Reply trade;
  while (std::chrono::steady_clock::now() < deadline) {
    trade = Send("GET", "/v1/trades/" + id, trader_);
    if (trade.Field("status") == status) return trade;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ADD_FAILURE() << "not " << status << " in time: " << trade.body;
  return trade;
}

std::vector<Row> TradesSoakTest::List(const std::string& path, const std::string& key) {
  std::vector<Row> rows;
  std::string cursor;
  while (true) {
    const Reply page =
        Send("GET", path + "?limit=200" + (cursor.empty() ? "" : "&cursor=" + cursor), key);
    EXPECT_EQ(page.status, 200) << page.body;
    if (page.status != 200) return rows;
    for (Row& row : DataRows(page.body)) rows.push_back(std::move(row));
    cursor = page.Field("next_cursor");
    if (cursor.empty()) return rows;
  }
}

// The trades' payouts and refunds. The others are the sandbox's treasury sweeps (BuhoPago's
// bolívares credited to the desk's bank account, as the VES payments come in).
std::vector<Row> TradesSoakTest::TradePayouts() {
  std::vector<Row> trades;
  for (Row& row : List("/v1/payouts", writer_)) {
    const std::string origin = Field(row, "origin");
    if (origin == "trade" || origin == "refund") {
      trades.push_back(std::move(row));
      continue;
    }
    EXPECT_TRUE(Field(row, "provider") == "buhopago" &&
                Field(row, "reference").starts_with("sweep:"))
        << "a payout of neither a trade nor a sweep: " << Field(row, "id") << " " << origin << " "
        << Field(row, "reference");
  }
  return trades;
}

// The jobs run, the clock moving on, until every trade is settled. A create on its way (its payout
// REQUESTED or UNKNOWN, the simulator not holding it yet) holds the clock back a while, so that no
// payout goes to review for want of an answer that is coming.
void TradesSoakTest::Quiesce() {
  const auto started = std::chrono::steady_clock::now();
  const int64_t started_ms = manual_clock_.NowMs();
  std::map<std::string, std::chrono::steady_clock::time_point> unknown_since;
  while (true) {
    size_t open = 0;
    std::string example;
    for (const Row& row : List("/v1/trades", trader_)) {
      const std::string status = Field(row, "status");
      const auto found = by_trade_.find(Field(row, "id"));
      const bool no_refund_destination =
          found != by_trade_.end() && plans_[found->second].refund_key.empty();
      if (IsSettled(status) || (status == "REFUND_PENDING" && no_refund_destination)) continue;
      ++open;
      example = Field(row, "id") + " " + status + " (" + Field(row, "reason") + ")";
    }
    if (open == 0) return;
    const auto now = std::chrono::steady_clock::now();
    if (now - started > kQuietRealTimeMax ||
        manual_clock_.NowMs() - started_ms > kQuietClockMsMax) {
      ADD_FAILURE() << open << " trades never settled, e.g. " << example;
      return;
    }
    const bool hold_back =
        now - started < kInFlightRealTimeMax && CreateOnItsWay(TradePayouts(), unknown_since);
    AdvanceClock(hold_back ? 1'000 : 300'000);
    std::this_thread::sleep_for(std::chrono::milliseconds(hold_back ? 50 : 20));
  }
}

// A payout not sent yet, UNKNOWN since moments ago (its create may be waiting for its answer), or
// UNKNOWN without its simulator holding it while no fault was armed against its create.
bool TradesSoakTest::CreateOnItsWay(
    const std::vector<Row>& payouts,
    std::map<std::string, std::chrono::steady_clock::time_point>& unknown_since) {
  const auto now = std::chrono::steady_clock::now();
  std::map<std::string, std::map<std::string, Held>> held;
  bool on_its_way = false;
  for (const Row& row : payouts) {
    const std::string status = Field(row, "status");
    if (status == "REQUESTED") on_its_way = true;
    if (status != "UNKNOWN") continue;
    if (now - unknown_since.emplace(Field(row, "id"), now).first->second < kCreateCallMax) {
      on_its_way = true;
    }
    const auto trade = by_trade_.find(Field(row, "reference"));
    const bool unanswered = trade != by_trade_.end() && Field(row, "origin") == "trade" &&
                            plans_[trade->second].at_heleket == AtHeleket::kNoAnswer;
    const std::string provider = Field(row, "provider");
    if (!held.contains(provider)) held[provider] = HeldAt(provider);
    if (!unanswered && !held[provider].contains(Field(row, "provider_reference"))) {
      on_its_way = true;
    }
  }
  return on_its_way;
}

// What the simulator of `provider` holds, by our reference; a reference held twice is a failure.
std::map<std::string, Held> TradesSoakTest::HeldAt(std::string_view provider) {
  const bool heleket = provider == "heleket";
  const Reply list = Send("GET", "/sandbox/" + std::string(provider) + "/payouts", "");
  EXPECT_EQ(list.status, 200) << list.body;
  std::map<std::string, Held> held;
  for (const Row& row : DataRows(list.body)) {
    Held payout;
    payout.status = Field(row, "status");
    payout.is_final =
        heleket ? Field(row, "is_final") == "true" : payout.status != "EM_PROCESSAMENTO";
    payout.amount = Field(row, heleket ? "amount" : "valor");
    payout.commission = Field(row, "commission");
    payout.create_requests = std::stoll("0" + Field(row, "create_requests"));
    const std::string reference = Field(row, heleket ? "order_id" : "idEnvio");
    EXPECT_TRUE(held.emplace(reference, payout).second)
        << provider << " holds " << reference << " twice";
  }
  return held;
}

// The trade ended where its fate leads, with its payouts as that end says.
void TradesSoakTest::CheckTrade(const Plan& plan, const Flow& flow, const Reply& trade,
                                const std::map<std::string, const Row*>& payouts) {
  const std::string status = trade.Field("status");
  SCOPED_TRACE("trade " + std::to_string(plan.index) + " " + flow.trade_id + ": " + plan.Fate() +
               " -> " + status + " (" + trade.Field("reason") + ")");
  EXPECT_EQ(status, ExpectedEnd(plan, flow.cancel_refused));
  CheckHistory(flow.trade_id, status);
  const auto find = [&](const std::string& id) -> const Row* {
    const auto found = payouts.find(id);
    EXPECT_TRUE(id.empty() || found != payouts.end()) << "no payout " << id;
    return id.empty() || found == payouts.end() ? nullptr : found->second;
  };
  const Row* payout = find(trade.Field("payout_id"));
  const Row* refund = find(trade.Field("refund_payout_id"));
  if (!flow.payout_id.empty()) {
    EXPECT_EQ(trade.Field("payout_id"), flow.payout_id);
  }
  const Asset& from = From(plan);
  if (status == "COMPLETED") {
    ASSERT_NE(payout, nullptr);
    EXPECT_EQ(Field(*payout, "status"), "CONFIRMED");
    EXPECT_EQ(Field(*payout, "asset"), "USDT");
    EXPECT_EQ(Field(*payout, "amount"), trade.Field("amount_out"));
    EXPECT_EQ(refund, nullptr);
  } else if (status == "REFUNDED" && payout != nullptr) {
    EXPECT_TRUE(Field(*payout, "status") == "FAILED" || Field(*payout, "status") == "CANCELLED");
    ASSERT_NE(refund, nullptr);
    EXPECT_EQ(Field(*refund, "status"), "CONFIRMED");
    EXPECT_EQ(Field(*refund, "asset"), from.code());
    EXPECT_EQ(Field(*refund, "amount"), Text(from, plan.amount_in));
  } else if (status == "REFUNDED" || status == "EXPIRED" || status == "CANCELLED") {
    EXPECT_EQ(payout, nullptr);  // refunded from the charge's review, or never paid
    EXPECT_EQ(refund, nullptr);
  }
  if (status == "REFUND_PENDING") {
    ASSERT_NE(payout, nullptr);
    EXPECT_TRUE(Field(*payout, "status") == "FAILED" || Field(*payout, "status") == "CANCELLED");
    EXPECT_EQ(refund, nullptr);
  }
  CheckCharge(plan, flow.gateway, Path(trade.body, {"charge", "status"}), status,
              payout != nullptr);
  if (payout != nullptr) {
    EXPECT_TRUE(PayoutSettled(Field(*payout, "status")));
  }
  if (refund != nullptr) {
    EXPECT_TRUE(PayoutSettled(Field(*refund, "status")));
  }
}

// The state of its charge that a fate leads to; empty where it says none.
std::string ExpectedCharge(const Plan& plan, std::string_view gateway) {
  switch (plan.pay_in) {
    case PayIn::kCancelled:
      return "EXPIRED";
    case PayIn::kNeverPaid:  // SyncPay has no word for expired: its expired charges are failed
      return gateway == "syncpay" ? "FAILED" : "EXPIRED";
    case PayIn::kCancelledThenPaid:
      return "MANUAL_REVIEW";  // paid after it was closed
    case PayIn::kFailedAtGateway:
      return "FAILED";
    case PayIn::kOtherAmount:
      return plan.review == Review::kLeft       ? "MANUAL_REVIEW"
             : plan.review == Review::kRefunded ? "REFUNDED"
                                                : "PAID";  // accepted as it came
    default:
      return "";
  }
}

// No payment is kept for a trade that never went: a CANCELLED or EXPIRED trade's charge was never
// paid, or its payment waits in review; a trade that converted was paid.
void TradesSoakTest::CheckCharge(const Plan& plan, std::string_view gateway,
                                 const std::string& charge, const std::string& status,
                                 bool paid_out) {
  SCOPED_TRACE("its charge: " + charge);
  if (status == "CANCELLED" || status == "EXPIRED") {
    EXPECT_TRUE(charge == "EXPIRED" || charge == "FAILED" || charge == "MANUAL_REVIEW");
  }
  if (status == "COMPLETED" || status == "REFUND_PENDING" || paid_out) {
    EXPECT_EQ(charge, "PAID");
  }
  if (const std::string expected = ExpectedCharge(plan, gateway); !expected.empty()) {
    EXPECT_EQ(charge, expected);
  }
}

// The trade's history is one chain of allowed transitions from its creation to its state.
void TradesSoakTest::CheckHistory(const std::string& id, const std::string& status) {
  const Reply history = Send("GET", "/v1/trades/" + id + "/history", trader_);
  std::optional<trading::TradeStatus> at;
  for (const Row& change : DataRows(history.body)) {
    const auto to = trading::ParseTradeStatus(Field(change, "to"));
    ASSERT_TRUE(to.has_value()) << history.body;
    if (at) {
      EXPECT_EQ(trading::ParseTradeStatus(Field(change, "from")), at) << history.body;
      EXPECT_TRUE(trading::TransitionAllowed(*at, *to)) << history.body;
    }
    at = to;
  }
  ASSERT_TRUE(at.has_value()) << history.body;
  EXPECT_EQ(trading::TradeStatusName(*at), status) << history.body;
}

// Every payout is one of a trade's, and no trade has two of a kind.
void TradesSoakTest::CheckPayoutsOfTrades(const std::vector<Reply>& trades,
                                          const std::vector<Row>& payouts) {
  std::map<std::pair<std::string, std::string>, int> per_trade;  // (trade, origin) -> payouts
  for (const Row& row : payouts) {
    EXPECT_TRUE(by_trade_.contains(Field(row, "reference")))
        << Field(row, "id") << " is no trade's: " << Field(row, "reference");
    const int count = ++per_trade[{Field(row, "reference"), Field(row, "origin")}];
    EXPECT_EQ(count, 1) << Field(row, "reference") << " has two payouts of origin "
                        << Field(row, "origin");
  }
  std::map<std::string, const Row*> by_id;
  for (const Row& row : payouts) by_id[Field(row, "id")] = &row;
  for (size_t i = 0; i < plans_.size(); ++i) {
    if (!flows_[i].trade_id.empty()) CheckTrade(plans_[i], flows_[i], trades[i], by_id);
  }
}

// Each simulator holds each of our references once, created by one call, and nothing else; a
// CONFIRMED payout is paid there with its amount, one that failed there failed for good.
void TradesSoakTest::CheckAtProviders(const std::vector<Row>& payouts) {
  for (const std::string provider : {"heleket", "pixout"}) {
    const std::map<std::string, Held> held = HeldAt(provider);
    std::set<std::string> ours;
    for (const Row& row : payouts) {
      if (Field(row, "provider") != provider) continue;
      ours.insert(Field(row, "provider_reference"));
      const auto found = held.find(Field(row, "provider_reference"));
      const std::string status = Field(row, "status");
      SCOPED_TRACE(provider + " " + Field(row, "id") + " " + status +
                   "; there: " + (found == held.end() ? "nothing" : found->second.status));
      if (status == "CONFIRMED") {
        ASSERT_NE(found, held.end());
        EXPECT_TRUE(found->second.status == "paid" || found->second.status == "REALIZADO");
        EXPECT_EQ(Minor(Field(row, "asset") == "USDT" ? Usdt() : Brl(), found->second.amount),
                  Minor(Field(row, "asset") == "USDT" ? Usdt() : Brl(), Field(row, "amount")));
      } else if (status == "MANUAL_REVIEW") {
        EXPECT_EQ(found, held.end());  // the create was never answered, nor made there
      } else if (found != held.end()) {
        EXPECT_TRUE(found->second.is_final);
        EXPECT_NE(found->second.status, "paid");
        EXPECT_NE(found->second.status, "REALIZADO");
      }
    }
    for (const auto& [reference, payout] : held) {
      EXPECT_TRUE(ours.contains(reference)) << provider << " holds " << reference << ", not ours";
      EXPECT_EQ(payout.create_requests, 1) << provider << " created " << reference << " twice";
    }
  }
}

// What each customer still has: only what payouts in review hold (USDT), and the refunds that
// could not go (the asset paid); each provider's float paid the confirmed payouts and commissions.
void TradesSoakTest::CheckBalances(const std::vector<Reply>& trades,
                                   const std::vector<Row>& payouts) {
  using Key = std::pair<std::string, std::string>;  // (customer or provider, asset)
  std::map<Key, i128> posted, held, commissions;
  for (const Row& row : payouts) {
    const std::string asset = Field(row, "asset");
    const i128 amount = Minor(asset == "USDT" ? Usdt() : Brl(), Field(row, "amount"));
    const std::string status = Field(row, "status");
    const Key customer{Field(row, "customer"), asset}, provider{Field(row, "provider"), asset};
    if (status == "MANUAL_REVIEW") {
      for (const Key& key : {customer, provider}) {
        posted[key] += key == provider ? 0 : amount;
        held[key] += amount;
      }
    }
    if (status == "CONFIRMED") {
      posted[provider] -= amount;
      const std::string commission = Field(row, "commission");
      if (!commission.empty()) {
        commissions[provider] += Minor(asset == "USDT" ? Usdt() : Brl(), commission);
      }
    }
  }
  for (size_t i = 0; i < plans_.size(); ++i) {
    if (Path(trades[i].body, {"charge", "status"}) == "MANUAL_REVIEW") {  // held in suspense
      posted[{"suspense", std::string(From(plans_[i]).code())}] +=
          Minor(From(plans_[i]), Path(trades[i].body, {"charge", "paid_amount"}));
    }
    const std::string status = trades[i].Field("status");
    const std::string refund_id = trades[i].Field("refund_payout_id");
    const bool refund_failed =
        !refund_id.empty() &&
        Send("GET", "/v1/payouts/" + refund_id, writer_).Field("status") == "FAILED";
    if (status == "REFUND_PENDING" || refund_failed) {
      posted[{plans_[i].customer, std::string(From(plans_[i]).code())}] += plans_[i].amount_in;
    }
  }
  const std::vector<Row> balances = DataRows(Send("GET", "/v1/balances", admin_).body);
  for (const Asset* asset : {&Usdt(), &Brl(), &Ves()}) {
    const std::string code(asset->code());
    for (const std::string& customer : customers_) {
      CheckAccount(balances, "customer", customer, *asset, posted[{customer, code}],
                   held[{customer, code}]);
    }
  }
  for (const Asset* asset : {&Brl(), &Ves()}) {
    CheckAccount(balances, "suspense", "", *asset, posted[{"suspense", std::string(asset->code())}],
                 0);
  }
  const Key heleket{"heleket", "USDT"}, pixout{"pixout", "BRL"};
  CheckAccount(balances, "provider_float", "heleket", Usdt(),
               heleket_float_ + posted[heleket] - commissions[heleket], held[heleket]);
  CheckAccount(balances, "provider_float", "pixout", Brl(),
               pixout_float_ + posted[pixout] - commissions[pixout], held[pixout]);
  CheckAccount(balances, "provider_fees", "heleket", Usdt(), commissions[heleket], 0);
}

void TradesSoakTest::CheckAccount(const std::vector<Row>& balances, std::string_view kind,
                                  std::string_view qualifier, const Asset& asset, i128 posted,
                                  i128 held) {
  const std::string name =
      std::string(kind) + ":" + std::string(qualifier) + ":" + std::string(asset.code());
  for (const Row& row : balances) {
    if (Field(row, "kind") != kind || Field(row, "qualifier") != qualifier ||
        Field(row, "currency") != asset.code()) {
      continue;
    }
    EXPECT_EQ(Field(row, "posted"), Text(asset, posted)) << name;
    EXPECT_EQ(Field(row, "available"), Text(asset, posted - held))
        << name << ": only the payouts in review are still held";
    return;
  }
  EXPECT_TRUE(posted == 0 && held == 0) << name << " has no ledger account";
}

// One line: how the trades were paid, what met their payouts at Heleket, where they ended.
void TradesSoakTest::Summarize(const std::vector<Reply>& trades) {
  std::map<std::string, int> pay_ins, at_heleket, refunds, ends;
  for (size_t i = 0; i < plans_.size(); ++i) {
    const Plan& plan = plans_[i];
    std::string pay_in =
        std::string(plan.ves ? "VES " : "BRL ") + std::string(PayInName(plan.pay_in));
    if (plan.pay_in == PayIn::kPaidAndCancelled) {
      pay_in += !flows_[i].cancel_refused     ? " (cancel first)"
                : flows_[i].charge_paid_first ? " (payment first, trade not moved yet)"
                                              : " (payment first)";
    }
    ++pay_ins[pay_in];
    if (Pays(plan.pay_in)) {
      const std::string_view fault = AtHeleketName(plan.at_heleket);
      ++at_heleket[fault.empty() ? "no fault" : std::string(fault.substr(2))];
    }
    if (plan.at_heleket == AtHeleket::kRefused || plan.at_heleket == AtHeleket::kFailsForGood) {
      ++refunds[plan.refund_key.empty()             ? "nowhere (VES)"
                : plan.refund_key == kUnknownPixKey ? "to an unknown key"
                : plan.refund_key_later             ? "to a key given later"
                                                    : "to the trade's key"];
    }
    ++ends[trades[i].status == 0 ? std::string("not made") : trades[i].Field("status")];
  }
  std::cout << "[ soak     ]";
  for (const auto& [title, counts] :
       {std::pair{"fates", &pay_ins}, std::pair{"payouts", &at_heleket},
        std::pair{"refunds", &refunds}, std::pair{"ends", &ends}}) {
    std::cout << " " << title;
    const char* separator = ": ";
    for (const auto& [name, count] : *counts) {
      std::cout << separator << name << " " << count;
      separator = ", ";
    }
    std::cout << ".";
  }
  std::cout << std::endl;
}

TEST_P(TradesSoakTest, ManyTradesUnderFaultsEndWhereTheirFatesLeadPaidOutOnceAndBalanced) {
  const uint64_t seed = SoakSeed();
  const int count = SoakTrades();
  SCOPED_TRACE("soak seed " + std::to_string(seed) + " (CAMBISTA_SOAK_SEED), " +
               std::to_string(count) + " trades (CAMBISTA_SOAK_N)");
  std::cout << "[ soak     ] seed " << seed << ", " << count << " trades" << std::endl;
  RecordProperty("soak_seed", std::to_string(seed));
  rng_ = Prng(seed);
  ASSERT_NO_FATAL_FAILURE(SetUpDesk());
  for (int i = 0; i < count; ++i) plans_.push_back(MakePlan(static_cast<size_t>(i)));
  flows_.resize(plans_.size());
  const auto started = std::chrono::steady_clock::now();
  RunClients();
  for (size_t i = 0; i < flows_.size(); ++i) {
    if (!flows_[i].trade_id.empty()) by_trade_[flows_[i].trade_id] = i;
  }
  const auto active = std::chrono::steady_clock::now();
  Quiesce();
  const auto quiet = std::chrono::steady_clock::now();

  std::vector<Reply> trades(plans_.size());
  for (size_t i = 0; i < plans_.size(); ++i) {
    if (!flows_[i].trade_id.empty())
      trades[i] = Send("GET", "/v1/trades/" + flows_[i].trade_id, trader_);
  }
  const std::vector<Row> payouts = TradePayouts();
  CheckPayoutsOfTrades(trades, payouts);
  CheckAtProviders(payouts);
  {
    auto connection = db().Connect();
    const ledger::AuditReport report = ledger::AuditLedger(*connection);
    EXPECT_TRUE(report.consistent()) << report.ToJson();
  }
  CheckBalances(trades, payouts);
  Summarize(trades);
  const auto seconds = [](auto duration) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(duration).count() / 1000.0;
  };
  std::cout << "[ soak     ] active " << seconds(active - started) << " s (" << lease_jumps_
            << " clock jumps past the job leases), quiet " << seconds(quiet - active) << " s"
            << std::endl;
}

// Found by the soak (a fate "cancelled, then paid anyway"): a trade cancelled before payment left
// its charge PENDING, so a payment that still arrived was booked PAID to the merchant while the
// trade stayed CANCELLED: the customer's money kept, and nothing for anyone to review, although
// TradeService::Cancel promised that such a payment "goes to review with the charge". Now the
// cancellation closes the charge in its transaction, and the payment waits in suspense for an
// operator, who refunds it.
TEST_P(TradesSoakTest, APaymentAfterTheCustomerCancelledGoesToReviewWithTheCharge) {
  ASSERT_NO_FATAL_FAILURE(SetUpDesk());
  Plan plan;
  plan.customer = customers_.front();
  plan.amount_in = 10'000;  // 100.00 BRL
  plan.destination =
      R"({"kind":"crypto_address","network":"TRON","address":"TNPeeaaFB7K9cmo4uQpcU32zGK8G1NYqeL"})";
  plan.refund_key = "pix@example.com";
  Flow flow;
  ASSERT_TRUE(OpenTrade(plan, flow));
  const Reply cancelled = Send("POST", "/v1/trades/" + flow.trade_id + "/cancel", trader_);
  ASSERT_EQ(cancelled.Field("status"), "CANCELLED") << cancelled.body;
  EXPECT_EQ(Send("GET", "/v1/charges/" + flow.charge_id, admin_).Field("status"), "EXPIRED");
  ASSERT_EQ(AtGateway(flow, "pay").status, 200);
  Reply charge;
  for (int i = 0; i < 1500 && charge.Field("status") != "MANUAL_REVIEW"; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    charge = Send("GET", "/v1/charges/" + flow.charge_id, admin_);
  }
  EXPECT_EQ(charge.Field("status"), "MANUAL_REVIEW") << charge.body;
  EXPECT_EQ(charge.Field("paid_amount"), "100.00") << charge.body;
  server_->jobs().Wake();
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // a trade job, if one moved it
  const Reply trade = Send("GET", "/v1/trades/" + flow.trade_id, trader_);
  EXPECT_EQ(trade.Field("status"), "CANCELLED") << trade.body;
  EXPECT_EQ(trade.Field("payout_id"), "") << trade.body;
  std::vector<Row> balances = DataRows(Send("GET", "/v1/balances", admin_).body);
  CheckAccount(balances, "merchant", "", Brl(), 0, 0);
  CheckAccount(balances, "suspense", "", Brl(), 10'000, 0);
  for (const std::string action : {"refund", "refunded"}) {
    const Reply resolved = Send("POST", "/v1/charges/" + flow.charge_id + "/resolve", admin_,
                                R"({"action":")" + action + R"(","reason":"cancelled, then paid"})",
                                "resolve-" + action);
    EXPECT_EQ(resolved.status, 200) << resolved.body;
  }
  balances = DataRows(Send("GET", "/v1/balances", admin_).body);
  CheckAccount(balances, "suspense", "", Brl(), 0, 0);
  CheckAccount(balances, "customer", plan.customer, Brl(), 0, 0);
  auto connection = db().Connect();
  const ledger::AuditReport report = ledger::AuditLedger(*connection);
  EXPECT_TRUE(report.consistent()) << report.ToJson();
}

INSTANTIATE_BACKENDS(TradesSoakTest);

}  // namespace
}  // namespace cambista::app
