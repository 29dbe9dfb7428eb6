// One gateway transaction settles one charge, whatever the webhooks say (criterion 3 of the
// integrity issue), as a property over real HTTP on both backends. Two tenants' charges at every
// sandbox gateway go through a seeded random interleaving of real moves at the gateway (paid, paid
// another amount, failed, expired, refunded; webhooks sent twice, late, out of order, a refund
// overtaking its payment, or lost where a status API and the expiry sweep can find the truth) and
// forged deliveries (no token, a random token, another charge's token, a false status as a hint, a
// bad signature, replays of real bodies). At the end every charge is in the state its gateway
// holds, with the amount it holds, and the books, the ledger's own audit and the events agree.
//
// A failure prints its seed; CAMBISTA_TEST_SEED=<seed> replays the same run.
#include <cstdlib>
#include <map>
#include <random>
#include <tuple>

#include "charges_fixture.hpp"
#include "ledger/auditor.hpp"
#include "payins/fees.hpp"

namespace cambista::payins {
namespace {

using test_support::WaitFor;

constexpr int kChargeCount = 24;
constexpr int kStepCount = 400;
// Charges whose webhooks may be lost expire after this; the others long after the run.
constexpr int64_t kLossyLifetimeSeconds = 6 * 3600;
constexpr int64_t kLifetimeSeconds = 3 * 24 * 3600;
constexpr int64_t kSweepRoundsMax = 30;

bool HasStatusApi(std::string_view gateway) {
  return gateway == "syncpay" || gateway == "pushinpay" || gateway == "paradise" ||
         gateway == "atomopay";
}

// What a charge closed unpaid at the gateway becomes: the gateway's own word decides, and SyncPay
// ("failed") and PushinPay ("canceled") have one word for failed and expired.
ChargeStatus ClosedUnpaid(std::string_view gateway, std::string_view state) {
  if (gateway == "syncpay") return ChargeStatus::kFailed;
  if (gateway == "pushinpay") return ChargeStatus::kExpired;
  return state == "failed" ? ChargeStatus::kFailed : ChargeStatus::kExpired;
}

uint32_t RunSeed() {
  if (const char* text = std::getenv("CAMBISTA_TEST_SEED")) {
    return static_cast<uint32_t>(std::strtoul(text, nullptr, 10));
  }
  return std::random_device{}();
}

// What the test knows of one charge: ours, and what it did to it at the gateway.
struct Tracked {
  Charge charge;
  std::string callback_path;  // /webhooks/<gateway>/<tenant>/<token>
  // At a status-API gateway, with a short expiry: its webhooks may be lost, and the expiry sweep
  // at the end asks the gateway.
  bool may_lose = false;
  std::string at_gateway = "pending";  // the simulator's state, as the test moved it
  // Moves the test may still make at the gateway (0, 1 or 2 when made): the charges end in every
  // state, not only the last one a long run reaches.
  int moves_left = 0;
};

// The simulator's view of a charge (GET /sandbox/<gateway>/charges/{id}).
struct GatewayView {
  std::string status;
  std::string hash;
  std::optional<std::string> paid_amount;  // "10.50"
  struct Webhook {
    std::string word;     // the gateway's status word it carried
    std::string outcome;  // queued | delivered | failed
    int64_t attempts = 0;
  };
  std::vector<Webhook> webhooks;
};

class ChargesPropertyTest : public test_support::ChargesTest {
 protected:
  void SetUp() override {
    ChargesTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    for (std::string_view gateway : {"syncpay", "pushinpay", "wiinpay", "buhopago"}) {
      auto set = service_->SetGateway("acme", gateway, sandbox_->Credentials(gateway), 10);
      ASSERT_TRUE(set.ok()) << gateway << ": " << set.error().detail;
    }
  }

  // Fees at two PIX gateways besides BuhoPago's default, so that refunds of fee-bearing
  // payments happen in both currencies.
  static const std::map<std::string, FeeSchedule, std::less<>>& Fees() {
    static const std::map<std::string, FeeSchedule, std::less<>> fees{
        {"syncpay", ParseFeeSchedule("0.99% + 0.50", 2).value()},
        {"pushinpay", ParseFeeSchedule("1.5%", 2).value()},
        {"buhopago", DefaultFeeSchedule("buhopago")},
    };
    return fees;
  }
  ChargeServiceOptions Options() override {
    ChargeServiceOptions options = ChargesTest::Options();
    options.fees = Fees();
    return options;
  }
  // Every delivery here comes from 127.0.0.1: the rate limit (tested elsewhere) stays out of it.
  payins::ChargeRoutesOptions RouteOptions() override {
    payins::ChargeRoutesOptions options;
    options.webhook_rate = {1'000'000, 1'000'000, 1'000};
    return options;
  }

  // --- randomness
  bool Chance(double probability) { return std::bernoulli_distribution(probability)(random_); }
  int64_t Uniform(int64_t low, int64_t high) {
    return std::uniform_int_distribution<int64_t>(low, high)(random_);
  }
  std::string RandomHex(size_t digits) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string text;
    for (size_t i = 0; i < digits; ++i) text += kDigits[Uniform(0, 15)];
    return text;
  }

  // --- the charges
  void CreateCharges();
  std::string AmountText(const Charge& charge, i128 minor) {
    return Amount(minor, assets_.Find(charge.currency).value()).ToString();
  }
  std::optional<i128> Minor(const Charge& charge, const std::optional<std::string>& text) {
    if (!text) return std::nullopt;
    return Money(*text, charge.currency).minor();
  }
  GatewayView ViewOf(const Charge& charge);

  // --- the steps
  void RunSteps();
  void Step(Tracked& target);
  void Move(Tracked& target);
  void Pay(Tracked& target);
  std::string Knobs(const Tracked& target, bool pay_knobs);
  void ForgeWithoutToken(const Tracked& target);
  void ForgeWithAnothersToken(const Tracked& target);
  void HintFalseStatus(const Tracked& target);
  void ForgeSignature(const Tracked& target);
  void Replay(const Tracked& target);
  std::string BuhoPagoBody(const Tracked& target, const GatewayView& view, std::string_view word);
  std::string WiinPayBody(const Tracked& target, const GatewayView& view, std::string_view word);

  // --- the end
  void DeliverEverything();
  void SweepLostWebhooks();
  std::string DeliveriesOf(const std::string& charge_id);
  void CheckCharge(const Tracked& target);
  void CheckBooks();
  void CheckEvents();

  std::mt19937 random_;
  std::vector<Tracked> tracked_;
};

void ChargesPropertyTest::CreateCharges() {
  const std::vector<std::pair<std::string, std::string>> places = {
      {"default", "syncpay"}, {"default", "pushinpay"}, {"default", "paradise"},
      {"default", "wiinpay"}, {"default", "atomopay"},  {"default", "buhopago"},
      {"acme", "syncpay"},    {"acme", "pushinpay"},    {"acme", "wiinpay"},
      {"acme", "buhopago"}};
  for (int i = 0; i < kChargeCount; ++i) {
    const auto& [tenant, gateway] = places[static_cast<size_t>(i) % places.size()];
    Tracked tracked;
    tracked.may_lose = HasStatusApi(gateway) && Chance(0.4);
    tracked.moves_left = static_cast<int>(std::discrete_distribution<int>({25, 45, 30})(random_));
    const std::string currency = gateway == "buhopago" ? "VES" : "BRL";
    const i128 amount = Uniform(500, 9'999);
    NewCharge request{
        gateway,
        Amount(amount, assets_.Find(currency).value()),
        "Pedido " + std::to_string(i),
        "",
        Customer{"Joao da Silva", "12345678909", "joao@example.com", "+5511999999999"},
        tracked.may_lose ? kLossyLifetimeSeconds : kLifetimeSeconds};
    auto created = service_->Create(tenant, "property-" + std::to_string(i), request);
    ASSERT_TRUE(created.ok()) << created.error().detail;
    ASSERT_EQ(created.value().status, ChargeStatus::kPending) << created.value().last_error;
    tracked.charge = created.value();
    tracked.callback_path = CallbackPath(tracked.charge);
    ASSERT_FALSE(tracked.callback_path.empty());
    tracked_.push_back(std::move(tracked));
  }
}

GatewayView ChargesPropertyTest::ViewOf(const Charge& charge) {
  GatewayView view;
  auto document = JsonDocument::Parse(AtGateway(charge));
  if (!document.ok()) {
    ADD_FAILURE() << "the sandbox's view of " << charge.id << " is not JSON";
    return view;
  }
  const JsonNode& root = document.value().root();
  const auto text = [](const JsonNode* node) {
    return node != nullptr && node->IsString() ? std::optional(std::string(node->text()))
                                               : std::nullopt;
  };
  view.status = text(root.Find("status")).value_or("");
  view.hash = text(root.Find("hash")).value_or("");
  view.paid_amount = text(root.Find("paid_amount"));
  if (const JsonNode* webhooks = root.Find("webhooks"); webhooks && webhooks->IsArray()) {
    for (const JsonNode& webhook : webhooks->items()) {
      const JsonNode* attempts = webhook.Find("attempts");
      view.webhooks.push_back(GatewayView::Webhook{
          text(webhook.Find("status")).value_or(""), text(webhook.Find("outcome")).value_or(""),
          attempts != nullptr && attempts->IsNumber() ? std::stoll(std::string(attempts->text()))
                                                      : 0});
    }
  }
  return view;
}

void ChargesPropertyTest::RunSteps() {
  for (int step = 0; step < kStepCount && !HasFailure(); ++step) {
    Tracked& target = tracked_[static_cast<size_t>(Uniform(0, kChargeCount - 1))];
    SCOPED_TRACE("step " + std::to_string(step) + " on " + target.charge.id + " at " +
                 target.charge.gateway + " (" + target.charge.tenant + ")");
    Step(target);
  }
}

void ChargesPropertyTest::Step(Tracked& target) {
  const std::string& gateway = target.charge.gateway;
  int64_t roll = Uniform(0, 99);
  if (roll < 35) {
    if (target.moves_left > 0) return Move(target);
    roll = Uniform(35, 99);  // done at the gateway: something else happens to it
  }
  if (roll < 45) return ForgeWithoutToken(target);
  if (roll < 57) return ForgeWithAnothersToken(target);
  if (roll < 93) {
    if (HasStatusApi(gateway)) return HintFalseStatus(target);
    if (gateway == "buhopago" && Chance(0.5)) return ForgeSignature(target);
    return Replay(target);  // WiinPay: the right token only ever carries a real body
  }
  // Time passes: confirmations waiting for PushinPay's once-a-minute limit may run.
  clock_.AdvanceMs(Uniform(1'000, 61'000));
  jobs_->Wake();
}

std::string ChargesPropertyTest::Knobs(const Tracked& target, bool pay_knobs) {
  std::vector<std::string> knobs;
  // A lost webhook only where the expiry sweep finds the truth: a status-API gateway, and a
  // charge still pending at the gateway (the sweep looks at PENDING charges).
  if (pay_knobs || target.at_gateway == "pending") {
    if (target.may_lose && Chance(0.3)) {
      knobs.push_back("\"deliveries\":0");
    } else if (Chance(0.2)) {
      knobs.push_back("\"deliveries\":2");
    }
  } else if (Chance(0.2)) {
    knobs.push_back("\"deliveries\":2");
  }
  if (Chance(0.25)) knobs.push_back("\"delay_ms\":" + std::to_string(Uniform(1, 250)));
  if (pay_knobs && Chance(0.2)) knobs.push_back("\"out_of_order\":true");
  std::string body = "{";
  for (size_t i = 0; i < knobs.size(); ++i) body += (i == 0 ? "" : ",") + knobs[i];
  return body;
}

void ChargesPropertyTest::Move(Tracked& target) {
  --target.moves_left;
  if (target.at_gateway == "pending") {
    const int64_t roll = Uniform(0, 99);
    if (roll < 64) return Pay(target);
    const std::string action = roll < 82 ? "fail" : "expire";
    const std::string body = Knobs(target, false) + "}";
    ASSERT_EQ(Control(target.charge, action, body), 200) << action << " " << body;
    target.at_gateway = action == "fail" ? "failed" : "expired";
    return;
  }
  if (target.at_gateway == "paid") {
    const std::string body = Knobs(target, false) + "}";
    ASSERT_EQ(Control(target.charge, "refund", body), 200) << body;
    target.at_gateway = "refunded";
    return;
  }
  // Closed at the gateway: it refuses any move, and nothing changes.
  EXPECT_EQ(Control(target.charge, Chance(0.5) ? "pay" : "refund"), 409);
}

void ChargesPropertyTest::Pay(Tracked& target) {
  std::string body = Knobs(target, true);
  if (Chance(0.2)) {  // another amount than the charge's
    const i128 other = target.charge.amount + (Chance(0.5) ? -1 : 1) * Uniform(1, 400);
    body += std::string(body.size() > 1 ? "," : "") + "\"amount\":\"" +
            AmountText(target.charge, other) + "\"";
  }
  // Now and then the refund overtakes its payment: the paid webhook leaves late, the refunded
  // one at once.
  const bool refund_first = Chance(0.1) && body.find("\"delay_ms\"") == std::string::npos &&
                            body.find("\"deliveries\":0") == std::string::npos;
  if (refund_first) {
    body += std::string(body.size() > 1 ? "," : "") +
            "\"delay_ms\":" + std::to_string(Uniform(150, 300));
  }
  body += "}";
  ASSERT_EQ(Control(target.charge, "pay", body), 200) << body;
  target.at_gateway = "paid";
  if (refund_first) {
    ASSERT_EQ(Control(target.charge, "refund"), 200);
    target.at_gateway = "refunded";
    target.moves_left = 0;
  }
}

void ChargesPropertyTest::ForgeWithoutToken(const Tracked& target) {
  const std::string base = "/webhooks/" + target.charge.gateway;
  const int64_t roll = Uniform(0, 2);
  const std::string path = roll == 0   ? base
                           : roll == 1 ? base + "/" + target.charge.tenant
                                       : base + "/" + target.charge.tenant + "/" + RandomHex(32);
  const auto answer = Post(path, PaidWebhook(target.charge, target.charge.amount),
                           {{"X-Signature", RandomHex(64)}});
  EXPECT_EQ(answer.status, 401) << path << ": " << answer.body;
  EXPECT_NE(answer.body.find("invalid_token"), std::string::npos) << answer.body;
}

void ChargesPropertyTest::ForgeWithAnothersToken(const Tracked& target) {
  std::vector<const Tracked*> others;
  for (const Tracked& other : tracked_) {
    if (other.charge.gateway == target.charge.gateway && other.charge.id != target.charge.id) {
      others.push_back(&other);
    }
  }
  if (others.empty()) return;
  const Tracked& other = *others[static_cast<size_t>(Uniform(0, int64_t(others.size()) - 1))];
  // This charge's body at the other's URL; at BuhoPago signed as the gateway signs this charge's
  // state (a replay), so that only the mismatch can refuse it.
  std::string body = PaidWebhook(target.charge, target.charge.amount);
  std::vector<std::pair<std::string, std::string>> headers;
  if (target.charge.gateway == "buhopago") {
    const std::string word = target.at_gateway == "paid" ? "completed" : target.at_gateway;
    body = BuhoPagoBody(target, ViewOf(target.charge), word);
    headers.emplace_back("X-Signature",
                         HexEncode(HmacSha256(sandbox::kSandboxBuhoPagoWebhookSecret, body)));
    if (word == "pending") {  // payment.pending says no outcome: acknowledged, nothing read
      EXPECT_NE(Post(other.callback_path, body, headers).body.find("\"ignored\""),
                std::string::npos);
      return;
    }
  }
  const auto answer = Post(other.callback_path, body, headers);
  EXPECT_EQ(answer.status, 422) << answer.body;
  EXPECT_NE(answer.body.find("charge_mismatch"), std::string::npos) << answer.body;
}

void ChargesPropertyTest::HintFalseStatus(const Tracked& target) {
  // Only a hint at a status-API gateway: the confirmation asks the gateway.
  const i128 claimed = Chance(0.5) ? target.charge.amount : Uniform(1, 99'999);
  const auto answer = Post(target.callback_path, PaidWebhook(target.charge, claimed));
  EXPECT_EQ(answer.status, 200) << answer.body;
  EXPECT_NE(answer.body.find("\"confirming\""), std::string::npos) << answer.body;
}

void ChargesPropertyTest::ForgeSignature(const Tracked& target) {
  const GatewayView view = ViewOf(target.charge);
  const std::string body = BuhoPagoBody(target, view, "completed");
  const int64_t roll = Uniform(0, 2);
  const std::string signature =
      roll == 0   ? RandomHex(64)
      : roll == 1 ? HexEncode(HmacSha256("not-the-webhook-secret", body))
                  : HexEncode(HmacSha256(sandbox::kSandboxBuhoPagoWebhookSecret, body + " "));
  const auto answer = Post(target.callback_path, body, {{"X-Signature", signature}});
  EXPECT_EQ(answer.status, 401) << answer.body;
  EXPECT_NE(answer.body.find("invalid_signature"), std::string::npos) << answer.body;
}

void ChargesPropertyTest::Replay(const Tracked& target) {
  const GatewayView view = ViewOf(target.charge);
  std::vector<std::string> delivered;
  for (const GatewayView::Webhook& webhook : view.webhooks) {
    if (webhook.outcome == "delivered") delivered.push_back(webhook.word);
  }
  if (delivered.empty()) return;
  const std::string& word =
      delivered[static_cast<size_t>(Uniform(0, int64_t(delivered.size()) - 1))];
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  if (target.charge.gateway == "buhopago") {
    body = BuhoPagoBody(target, view, word);
    headers.emplace_back("X-Signature",
                         HexEncode(HmacSha256(sandbox::kSandboxBuhoPagoWebhookSecret, body)));
  } else {
    body = WiinPayBody(target, view, word);
  }
  // A fact already received: it changes nothing a second time (BuhoPago's payment.pending is no
  // outcome, and acknowledged as such).
  const auto answer = Post(target.callback_path, body, headers);
  EXPECT_EQ(answer.status, 200) << answer.body;
  const std::string expected_outcome =
      word == "pending" && target.charge.gateway == "buhopago" ? "\"ignored\"" : "\"stale\"";
  EXPECT_TRUE(answer.body.find("\"duplicate\"") != std::string::npos ||
              answer.body.find(expected_outcome) != std::string::npos)
      << word << ": " << answer.body;
}

// The amount a webhook in `word` reports: what was paid once paid, else the charge's.
std::string ReportedAmount(const GatewayView& view, std::string_view word,
                           const std::string& charge_amount) {
  const bool settled = word == "paid" || word == "completed" || word == "refunded";
  return settled && view.paid_amount ? *view.paid_amount : charge_amount;
}

std::string ChargesPropertyTest::BuhoPagoBody(const Tracked& target, const GatewayView& view,
                                              std::string_view word) {
  const std::string amount =
      ReportedAmount(view, word, AmountText(target.charge, target.charge.amount));
  return R"({"id":"evt_)" + RandomHex(24) + R"(","event":"payment.)" + std::string(word) +
         R"(","timestamp":"2024-05-01T12:00:00.000Z","data":{"payment_link_id":")" +
         target.charge.gateway_charge_id + R"(","transaction_id":")" + view.hash +
         R"(","amount":)" + amount + R"(,"currency":"VES","status":")" + std::string(word) +
         R"("}})";
}

std::string ChargesPropertyTest::WiinPayBody(const Tracked& target, const GatewayView& view,
                                             std::string_view word) {
  const std::string amount =
      ReportedAmount(view, word, AmountText(target.charge, target.charge.amount));
  return R"({"id":")" + target.charge.gateway_charge_id + R"(","status":")" + std::string(word) +
         R"(","value":)" + amount + "}";
}

void ChargesPropertyTest::DeliverEverything() {
  // Every webhook the simulators queued has been answered (late ones included) ...
  ASSERT_TRUE(WaitFor([&] {
    for (const Tracked& target : tracked_) {
      for (const GatewayView::Webhook& webhook : ViewOf(target.charge).webhooks) {
        if (webhook.outcome == "queued") return false;
      }
    }
    return true;
  })) << "a simulator webhook was never answered";
  // ... and taken at the first attempt: a real webhook is never refused, nor fails on the way
  // (a lock wait, a busy database), whatever came before it.
  for (const Tracked& target : tracked_) {
    for (const GatewayView::Webhook& webhook : ViewOf(target.charge).webhooks) {
      EXPECT_EQ(webhook.outcome, "delivered") << target.charge.id << " " << webhook.word;
      EXPECT_EQ(webhook.attempts, 1) << target.charge.id << " " << webhook.word;
    }
  }
  // Every confirmation asked for has been made.
  ASSERT_TRUE(SettleJobs());
}

void ChargesPropertyTest::SweepLostWebhooks() {
  // A charge whose webhooks were lost and is still pending at the gateway expires there
  // (silently), so that the sweep below meets every kind of lost news.
  for (Tracked& target : tracked_) {
    if (!target.may_lose || target.at_gateway != "pending") continue;
    ASSERT_EQ(Control(target.charge, "expire", R"({"deliveries":0})"), 200);
    target.at_gateway = "expired";
  }
  clock_.AdvanceMs(kLossyLifetimeSeconds * 1000 + 60'000);
  const auto lossy_pending = [&] {
    for (const Tracked& target : tracked_) {
      if (target.may_lose && StatusOf(target.charge) == ChargeStatus::kPending) return true;
    }
    return false;
  };
  // PushinPay answers a status once a minute: a charge it cannot answer for yet is asked again
  // after the check backoff.
  for (int round = 0; round < kSweepRoundsMax && lossy_pending(); ++round) {
    service_->ExpireDue(100);
    clock_.AdvanceMs(10 * 60'000);
  }
  EXPECT_FALSE(lossy_pending()) << "the expiry sweep left a charge whose webhooks were lost";
  ASSERT_TRUE(SettleJobs());
}

std::string Describe(const std::vector<ChargeHistoryEntry>& history) {
  std::string text;
  for (const ChargeHistoryEntry& entry : history) {
    text += "\n  " + std::string(entry.from ? ChargeStatusName(*entry.from) : "-") + " -> " +
            std::string(ChargeStatusName(entry.to)) + " by " + entry.actor + ": " + entry.reason;
  }
  return text;
}

std::string ChargesPropertyTest::DeliveriesOf(const std::string& charge_id) {
  std::string text = "\n  deliveries:";
  auto connection = db().Connect();
  connection->Query(
      "SELECT outcome, verified, detail FROM gateway_deliveries WHERE charge_id = $1 ORDER BY id",
      {std::string_view(charge_id)}, [&text](const store::Row& row) {
        text += " " + std::string(row.Text(0)) + (row.Int64(1) != 0 ? "" : "(unverified)") +
                (row.IsNull(2) || row.Text(2).empty() ? "" : "[" + std::string(row.Text(2)) + "]");
      });
  return text;
}

void ChargesPropertyTest::CheckCharge(const Tracked& target) {
  const Charge& charge = target.charge;
  const GatewayView view = ViewOf(charge);
  ASSERT_EQ(view.status, target.at_gateway) << charge.id << ": the simulator disagrees with "
                                            << "the moves the test made";
  const std::optional<i128> paid_there = Minor(charge, view.paid_amount);
  std::optional<ChargeStatus> expected;
  if (view.status == "pending") expected = ChargeStatus::kPending;
  if (view.status == "paid") {
    expected = paid_there == charge.amount ? ChargeStatus::kPaid : ChargeStatus::kManualReview;
  }
  if (view.status == "failed" || view.status == "expired") {
    expected = ClosedUnpaid(charge.gateway, view.status);
  }
  if (view.status == "refunded") expected = ChargeStatus::kRefunded;
  const Charge ours = service_->Get(charge.tenant, charge.id).value();
  const std::string trace = charge.id + " at " + charge.gateway + " (" + charge.tenant +
                            "), the gateway holds it " + view.status +
                            Describe(*service_->History(charge.tenant, charge.id)) +
                            DeliveriesOf(charge.id);
  EXPECT_EQ(ours.status, expected) << trace;
  // What was paid is what the gateway says was paid (also when it was refunded since).
  EXPECT_EQ(ours.paid_amount, paid_there) << trace;
  if (ours.status == ChargeStatus::kPaid) {
    auto schedule = Fees().find(charge.gateway);
    const i128 fee = schedule == Fees().end() ? 0 : FeeFor(schedule->second, *paid_there);
    EXPECT_EQ(ours.fee_amount, std::optional(fee)) << trace;
  }
}

void ChargesPropertyTest::CheckBooks() {
  // Expected balances: (tenant, currency) for merchant and suspense, plus the gateway for the
  // clearing accounts.
  using Key = std::tuple<std::string, std::string, std::string>;
  std::map<Key, i128> merchant, suspense, clearing;
  for (const Tracked& target : tracked_) {
    const Charge ours = service_->Get(target.charge.tenant, target.charge.id).value();
    const Key account{ours.tenant, ours.currency, ""};
    const Key at_gateway{ours.tenant, ours.currency, ours.gateway};
    merchant[account] += 0;
    suspense[account] += 0;
    clearing[at_gateway] += 0;
    const i128 paid = ours.paid_amount.value_or(0);
    if (ours.status == ChargeStatus::kPaid) {
      merchant[account] += paid - ours.fee_amount.value_or(0);
      clearing[at_gateway] += paid - ours.fee_amount.value_or(0);
    }
    if (ours.status == ChargeStatus::kManualReview) {
      suspense[account] += paid;
      clearing[at_gateway] += paid;  // its fee is booked once an operator accepts it
    }
  }
  for (const auto& [key, amount] : merchant) {
    const auto& [tenant, currency, unused] = key;
    EXPECT_EQ(Balance(accounting::MerchantAccount(tenant, currency)), amount)
        << "merchant:" << tenant << ":" << currency;
    EXPECT_EQ(Balance(accounting::SuspenseAccount(tenant, currency)), suspense[key])
        << "suspense:" << tenant << ":" << currency;
  }
  for (const auto& [key, amount] : clearing) {
    const auto& [tenant, currency, gateway] = key;
    EXPECT_EQ(Balance(accounting::GatewayClearingAccount(tenant, gateway, currency)), amount)
        << "clearing:" << tenant << ":" << gateway << ":" << currency;
  }
  auto connection = db().Connect();
  const ledger::AuditReport audit = ledger::AuditLedger(*connection);
  EXPECT_TRUE(audit.consistent()) << audit.ToJson();
}

void ChargesPropertyTest::CheckEvents() {
  for (const Tracked& target : tracked_) {
    const std::string& id = target.charge.id;
    const int64_t paid_events = Count(
        "SELECT COUNT(*) FROM events WHERE type = 'charge.paid' AND data LIKE '%" + id + "%'");
    const int64_t paid_changes = Count("SELECT COUNT(*) FROM charge_history WHERE charge_id = '" +
                                       id + "' AND to_status = 'PAID'");
    EXPECT_LE(paid_changes, 1) << id;
    EXPECT_EQ(paid_events, paid_changes) << id;
    if (StatusOf(target.charge) == ChargeStatus::kPaid) {
      EXPECT_EQ(paid_events, 1) << id;
    }
  }
  EXPECT_EQ(jobs_->Stats().dead, 0) << "a confirmation gave up";
  // Only a verified delivery ever changed a charge.
  EXPECT_EQ(Count("SELECT COUNT(*) FROM gateway_deliveries WHERE outcome = 'applied' AND "
                  "verified = 0"),
            0);
}

TEST_P(ChargesPropertyTest, EveryChargeEndsInTheStateItsGatewayHolds) {
  const uint32_t seed = RunSeed();
  SCOPED_TRACE("CAMBISTA_TEST_SEED=" + std::to_string(seed));
  random_.seed(seed);
  ASSERT_NO_FATAL_FAILURE(CreateCharges());
  ASSERT_NO_FATAL_FAILURE(RunSteps());
  ASSERT_NO_FATAL_FAILURE(DeliverEverything());
  ASSERT_NO_FATAL_FAILURE(SweepLostWebhooks());
  for (const Tracked& target : tracked_) CheckCharge(target);
  CheckBooks();
  CheckEvents();
}

// What the property found, one case each.

TEST_P(ChargesPropertyTest, ARefundReturnsTheWholePaymentTheGatewaysFeeIncluded) {
  // SyncPay keeps 0.99% + 0.50 of a payment: of 40.00, 0.40 + 0.50. The merchant holds 39.10, and
  // the refund used to take 40.00 from it: refused, the charge went to review as "the merchant's
  // balance cannot cover it", while the gateway had given everything back.
  const Charge charge = CreateAt("syncpay", "40.00");
  ASSERT_EQ(Control(charge, "pay"), 200);
  ASSERT_TRUE(WaitForStatus(charge, ChargeStatus::kPaid));
  EXPECT_EQ(service_->Get("default", charge.id)->fee_amount, std::optional<i128>(90));
  EXPECT_EQ(MerchantBalance("default", "BRL"), 3910);
  ASSERT_EQ(Control(charge, "refund"), 200);
  ASSERT_TRUE(WaitForStatus(charge, ChargeStatus::kRefunded));
  EXPECT_EQ(MerchantBalance("default", "BRL"), 0);
  EXPECT_EQ(Balance(accounting::GatewayClearingAccount("default", "syncpay", "BRL")), 0);
  auto connection = db().Connect();
  EXPECT_TRUE(ledger::AuditLedger(*connection).consistent());
}

TEST_P(ChargesPropertyTest, BuhoPagosSignedRefundAndExpiryAreApplied) {
  // BuhoPago signs payment.refunded and payment.expired like its payments; they used to be
  // acknowledged and ignored, and its status API cannot tell a refunded link from a paid one
  // ("used"): the charge stayed PAID for good, its money counted twice.
  const Charge paid = CreateAt("buhopago", "150.00", "default", "VES");
  ASSERT_EQ(Control(paid, "pay"), 200);
  ASSERT_TRUE(WaitForStatus(paid, ChargeStatus::kPaid));
  EXPECT_EQ(MerchantBalance("default", "VES"), 14130);  // less 8.70 (5% and 16% IVA on it)
  ASSERT_EQ(Control(paid, "refund"), 200);
  ASSERT_TRUE(WaitForStatus(paid, ChargeStatus::kRefunded));
  EXPECT_EQ(service_->Get("default", paid.id)->proof, Proof::kSignature);
  EXPECT_EQ(MerchantBalance("default", "VES"), 0);
  EXPECT_EQ(Balance(accounting::GatewayClearingAccount("default", "buhopago", "VES")), 0);
  const Charge unpaid = CreateAt("buhopago", "20.00", "default", "VES");
  ASSERT_EQ(Control(unpaid, "expire"), 200);
  ASSERT_TRUE(WaitForStatus(unpaid, ChargeStatus::kExpired));
}

TEST_P(ChargesPropertyTest, APaymentRefundedBeforeItWasBookedStillSaysWhatWasPaid) {
  // The refund's webhook overtakes the payment's: nothing is booked, and the charge keeps the
  // amount the gateway says was paid (it used to keep none).
  const Charge charge = CreateAt("wiinpay", "12.00");
  ASSERT_EQ(Control(charge, "pay", R"({"amount":"11.50","delay_ms":300})"), 200);
  ASSERT_EQ(Control(charge, "refund"), 200);
  ASSERT_TRUE(WaitForStatus(charge, ChargeStatus::kRefunded));
  ASSERT_TRUE(WaitForDeliveries(charge, 2));  // the late "paid": stale
  const Charge refunded = service_->Get("default", charge.id).value();
  EXPECT_EQ(refunded.status, ChargeStatus::kRefunded);
  EXPECT_EQ(refunded.paid_amount, std::optional<i128>(1150));
  EXPECT_EQ(MerchantBalance("default", "BRL"), 0);
  EXPECT_EQ(Balance(accounting::SuspenseAccount("default", "BRL")), 0);
}

INSTANTIATE_BACKENDS(ChargesPropertyTest);

}  // namespace
}  // namespace cambista::payins
