// Trading over real HTTP against the whole server in sandbox mode (the gateways', Heleket's and the
// PIX send PSP's simulators, the sandbox rate feed), on each backend: quotes, trades from pay-in to
// payout, every exit (expiry, cancellation, review, refund), the limits, and another tenant's view.
// `ledger verify` passes after each flow.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "jobs/job_queue.hpp"
#include "ledger/auditor.hpp"
#include "payouts/payouts_server_fixture.hpp"

namespace cambista::app {
namespace {

constexpr std::string_view kTron = "TNPeeaaFB7K9cmo4uQpcU32zGK8G1NYqeL";

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

class TradesTest : public PayoutsServerTest {
 protected:
  void Configure(Config& config) override {
    config.module_values["trading.sandbox_liquidity"] = "true";  // what serve --sandbox records
  }
  void SetUp() override {
    PayoutsServerTest::SetUp();
    if (IsSkipped()) return;
    trader_ = server_->keys().Create(
        "default", ScopeSet{Scope::kQuotesWrite, Scope::kTradesWrite, Scope::kTradesRead});
    other_ = server_->keys().Create(
        "other", ScopeSet{Scope::kQuotesWrite, Scope::kTradesWrite, Scope::kTradesRead});
    SetRate("USDT-BRL", "5.40", "5.50");
    SetRate("USDT-VES", "36.00", "36.50");
    ASSERT_EQ(Send("PUT", "/v1/customers/c1", writer_, R"({"name":"Ana","kyc_level":1})").status,
              201);
  }

  void SetRate(std::string_view pair, std::string_view bid, std::string_view ask) {
    const Reply set =
        Send("PUT", "/sandbox/rates/" + std::string(pair), "",
             R"({"bid":")" + std::string(bid) + R"(","ask":")" + std::string(ask) + R"("})");
    ASSERT_EQ(set.status, 200) << set.body;
  }
  Reply Quote(std::string_view from, std::string_view to, std::string_view amount,
              std::string_view side = "spend", const std::string& key = "") {
    return Send("POST", "/v1/quotes", key.empty() ? trader_ : key,
                R"({"from_asset":")" + std::string(from) + R"(","to_asset":")" + std::string(to) +
                    R"(","amount":")" + std::string(amount) + R"(","amount_side":")" +
                    std::string(side) + R"("})");
  }
  static std::string TronDestination() {
    return R"({"kind":"crypto_address","network":"TRON","address":")" + std::string(kTron) +
           R"("})";
  }
  Reply Trade(const std::string& quote_id, const std::string& extra = "",
              const std::string& customer = "c1") {
    return Send("POST", "/v1/trades", trader_,
                R"({"quote_id":")" + quote_id + R"(","customer":")" + customer +
                    R"(","destination":)" + TronDestination() + extra + "}",
                "trade-" + std::to_string(++idempotency_keys_));
  }
  // A trade of `amount` BRL for USDT, awaiting payment.
  Reply NewTrade(std::string_view amount = "100.00", const std::string& extra = "") {
    const Reply quote = Quote("BRL", "USDT", amount);
    EXPECT_EQ(quote.status, 201) << quote.body;
    const Reply trade = Trade(quote.Field("id"), extra);
    EXPECT_EQ(trade.status, 201) << trade.body;
    EXPECT_EQ(trade.Field("status"), "AWAITING_PAYMENT");
    return trade;
  }
  Reply Pay(const Reply& trade, const std::string& body = "") {
    const std::string gateway = Path(trade.body, {"charge", "gateway"});
    const std::string id = Path(trade.body, {"charge", "gateway_charge_id"});
    return Send("POST", "/sandbox/" + gateway + "/charges/" + id + "/pay", "", body);
  }
  // The trade once it reaches `status` (the jobs move it), or as it is after 30 s.
  Reply WaitFor(const std::string& id, std::string_view status) {
    Reply trade;
    for (int i = 0; i < 1500; ++i) {
      trade = Send("GET", "/v1/trades/" + id, trader_);
      if (trade.Field("status") == status) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    EXPECT_EQ(trade.Field("status"), status) << trade.body;
    return trade;
  }
  std::vector<std::string> Steps(const std::string& id) {
    const Reply history = Send("GET", "/v1/trades/" + id + "/history", trader_);
    std::vector<std::string> steps;
    auto document = payins::JsonDocument::Parse(history.body);
    if (!document.ok()) return steps;
    const payins::JsonNode& data = *document.value().root().Find("data");
    for (size_t i = 0; i < data.size(); ++i) {
      steps.emplace_back(data.child(i).Find("to")->text());
    }
    return steps;
  }
  void ExpectLedgerConsistent() {
    auto connection = db().Connect();
    const ledger::AuditReport report = ledger::AuditLedger(*connection);
    EXPECT_TRUE(report.consistent()) << report.ToJson();
  }

  std::string trader_, other_;
};

TEST_P(TradesTest, BuyingUsdtWithBrlGoesFromThePixPaymentToThePayout) {
  const Reply quote = Quote("BRL", "USDT", "100.00");
  ASSERT_EQ(quote.status, 201) << quote.body;
  EXPECT_EQ(quote.Field("amount_in"), "100.00");
  EXPECT_EQ(quote.Field("rate"), "5.5");  // the ask
  EXPECT_EQ(quote.Field("spread_bps"), "300");
  EXPECT_EQ(quote.Field("amount_out"), "17.590909");  // (100 - 3.25) / 5.5, rounded down
  const Reply trade = Trade(quote.Field("id"));
  ASSERT_EQ(trade.status, 201) << trade.body;
  EXPECT_EQ(trade.Field("status"), "AWAITING_PAYMENT");
  EXPECT_FALSE(Path(trade.body, {"charge", "pix_code"}).empty()) << trade.body;
  EXPECT_EQ(Path(trade.body, {"charge", "amount"}), "100.00");
  ASSERT_EQ(Pay(trade).status, 200);
  const Reply done = WaitFor(trade.Field("id"), "COMPLETED");
  EXPECT_EQ(Steps(trade.Field("id")),
            (std::vector<std::string>{"AWAITING_PAYMENT", "PAYMENT_CONFIRMED", "PAYOUT_PENDING",
                                      "COMPLETED"}));
  const Reply payout = Send("GET", "/v1/payouts/" + done.Field("payout_id"), writer_);
  EXPECT_EQ(payout.Field("status"), "CONFIRMED");
  EXPECT_EQ(payout.Field("origin"), "trade");
  EXPECT_EQ(payout.Field("amount"), "17.590909");
  EXPECT_EQ(payout.Field("reference"), trade.Field("id"));
  ExpectLedgerConsistent();
}

TEST_P(TradesTest, BuyingUsdtWithVesGoesThroughBuhoPago) {
  const Reply quote = Quote("VES", "USDT", "1000.00");
  ASSERT_EQ(quote.status, 201) << quote.body;
  const Reply trade = Trade(quote.Field("id"));
  ASSERT_EQ(trade.status, 201) << trade.body;
  EXPECT_EQ(Path(trade.body, {"charge", "gateway"}), "buhopago");
  ASSERT_EQ(Pay(trade).status, 200);
  WaitFor(trade.Field("id"), "COMPLETED");
  ExpectLedgerConsistent();
}

TEST_P(TradesTest, APayoutThatFailsForGoodIsRefundedToTheCustomersPixKey) {
  const Reply fault = Send("POST", "/sandbox/heleket/faults", "",
                           R"({"order_id":"*","finish_status":"fail","finish_after_ms":0})");
  ASSERT_EQ(fault.status, 200) << fault.body;
  const Reply trade =
      NewTrade("100.00", R"(,"refund_destination":{"kind":"pix_key","key":"ana@example.com"})");
  ASSERT_EQ(Pay(trade).status, 200);
  const Reply refunded = WaitFor(trade.Field("id"), "REFUNDED");
  EXPECT_EQ(Steps(trade.Field("id")),
            (std::vector<std::string>{"AWAITING_PAYMENT", "PAYMENT_CONFIRMED", "PAYOUT_PENDING",
                                      "REFUND_PENDING", "REFUNDED"}));
  const Reply refund = Send("GET", "/v1/payouts/" + refunded.Field("refund_payout_id"), writer_);
  EXPECT_EQ(refund.Field("status"), "CONFIRMED");
  EXPECT_EQ(refund.Field("origin"), "refund");
  EXPECT_EQ(refund.Field("amount"), "100.00");  // the whole payment, fees included
  ExpectLedgerConsistent();
}

TEST_P(TradesTest, ARefundWaitsForItsDestinationWhenTheTradeHadNone) {
  const Reply fault = Send("POST", "/sandbox/heleket/faults", "",
                           R"({"order_id":"*","finish_status":"fail","finish_after_ms":0})");
  ASSERT_EQ(fault.status, 200) << fault.body;
  const Reply trade = NewTrade();
  ASSERT_EQ(Pay(trade).status, 200);
  const std::string id = trade.Field("id");
  WaitFor(id, "REFUND_PENDING");
  const Reply bad = Send("POST", "/v1/trades/" + id + "/refund", trader_,
                         R"({"destination":{"kind":"pix_key","key":"not a key"}})", "refund-1");
  EXPECT_EQ(bad.status, 422) << bad.body;
  const Reply set =
      Send("POST", "/v1/trades/" + id + "/refund", trader_,
           R"({"destination":{"kind":"pix_key","key":"ana@example.com"}})", "refund-2");
  ASSERT_EQ(set.status, 200) << set.body;
  WaitFor(id, "REFUNDED");
  ExpectLedgerConsistent();
}

TEST_P(TradesTest, AnotherAmountGoesToReviewAndTheChargesRefundEndsTheTrade) {
  const Reply trade = NewTrade();
  ASSERT_EQ(Pay(trade, R"({"amount":"99.00"})").status, 200);
  const std::string id = trade.Field("id");
  WaitFor(id, "MANUAL_REVIEW");
  const std::string charge = trade.Field("charge_id");
  for (const char* action : {"refund", "refunded"}) {
    const Reply resolved =
        Send("POST", "/v1/charges/" + charge + "/resolve", admin_,
             R"({"action":")" + std::string(action) + R"(","reason":"paid 99.00, not 100.00"})",
             std::string("resolve-") + action);
    ASSERT_EQ(resolved.status, 200) << resolved.body;
  }
  WaitFor(id, "REFUNDED");
  ExpectLedgerConsistent();
}

TEST_P(TradesTest, AnExpiredOrFailedChargeExpiresTheTradeAndCancelIsBeforePaymentOnly) {
  const Reply expiring = NewTrade();
  const std::string gateway = Path(expiring.body, {"charge", "gateway"});
  const std::string charge_id = Path(expiring.body, {"charge", "gateway_charge_id"});
  ASSERT_EQ(Send("POST", "/sandbox/" + gateway + "/charges/" + charge_id + "/fail", "").status,
            200);
  WaitFor(expiring.Field("id"), "EXPIRED");
  const Reply cancelled = NewTrade();
  const std::string id = cancelled.Field("id");
  const Reply cancel = Send("POST", "/v1/trades/" + id + "/cancel", trader_);
  ASSERT_EQ(cancel.status, 200) << cancel.body;
  EXPECT_EQ(cancel.Field("status"), "CANCELLED");
  EXPECT_EQ(Send("POST", "/v1/trades/" + id + "/cancel", trader_).Field("code"),
            "invalid_transition");
  ExpectLedgerConsistent();
}

TEST_P(TradesTest, QuotesAndTradesRefuseWhatTheDeskDoesNotDo) {
  EXPECT_EQ(Quote("BRL", "VES", "100.00").Field("code"), "unsupported_pair");
  EXPECT_EQ(Quote("BRL", "USDT", "5.00").Field("code"), "amount_out_of_range");
  EXPECT_EQ(Quote("BRL", "USDT", "-5.00").Field("code"), "invalid_request");
  EXPECT_EQ(Quote("BRL", "USDT", "1e3").Field("code"), "invalid_request");
  EXPECT_EQ(Quote("BRL", "USDT", "100.00", "both").status, 400);
  EXPECT_EQ(Quote("BRL", "USDT", "100.00", "spend", reader_).status, 403);
  // Selling USDT is quoted, but the desk takes no deposits on chain yet.
  const Reply sell = Quote("USDT", "BRL", "10");
  ASSERT_EQ(sell.status, 201) << sell.body;
  EXPECT_EQ(sell.Field("amount_out"), "52.24");  // 9.675 at the bid 5.40 = 52.245, rounded down
  EXPECT_EQ(
      Send("POST", "/v1/trades", trader_,
           R"({"quote_id":")" + sell.Field("id") +
               R"(","customer":"c1","destination":{"kind":"pix_key","key":"ana@example.com"}})",
           "sell-1")
          .Field("code"),
      "unsupported_pair");
  // A destination no provider serves, or that is malformed, before anything is made.
  const Reply quote = Quote("BRL", "USDT", "100.00");
  const Reply bad = Send("POST", "/v1/trades", trader_,
                         R"({"quote_id":")" + quote.Field("id") +
                             R"(","customer":"c1","destination":{"kind":"crypto_address",)"
                             R"("network":"TRON","address":"TNPeeaaFB7K9cmo4uQpcU32zGK8G1NYqeM"}})",
                         "bad-1");
  EXPECT_EQ(bad.status, 422) << bad.body;
  EXPECT_EQ(bad.Field("code"), "invalid_destination");
  EXPECT_EQ(Trade(quote.Field("id"), "", "nobody").Field("code"), "not_found");
  // The quote is still unused: a good trade takes it, a second one is 409.
  ASSERT_EQ(Trade(quote.Field("id")).status, 201);
  EXPECT_EQ(Trade(quote.Field("id")).Field("code"), "quote_used");
}

TEST_P(TradesTest, ACustomersDailyLimitFollowsItsKycLevel) {
  ASSERT_EQ(Send("PUT", "/v1/customers/c0", writer_, R"({"name":"Bia","kyc_level":0})").status,
            201);
  // Level 0: 1,000 USDT a day. 5,000 BRL is about 880 USDT: once, not twice.
  const Reply first = Quote("BRL", "USDT", "5000.00");
  ASSERT_EQ(Trade(first.Field("id"), "", "c0").status, 201);
  const Reply second = Quote("BRL", "USDT", "5000.00");
  const Reply refused = Trade(second.Field("id"), "", "c0");
  EXPECT_EQ(refused.status, 422) << refused.body;
  EXPECT_EQ(refused.Field("code"), "limit_exceeded");
  // Named in the quote, the customer's limit is checked there already.
  const Reply named = Send("POST", "/v1/quotes", trader_,
                           R"({"from_asset":"BRL","to_asset":"USDT","amount":"5000.00",)"
                           R"("amount_side":"spend","customer":"c0"})");
  EXPECT_EQ(named.Field("code"), "limit_exceeded");
  // Level 1 (c1): 10,000 USDT.
  EXPECT_EQ(Trade(second.Field("id")).status, 201);
}

TEST_P(TradesTest, AnotherTenantsQuotesAndTradesAreNotFound) {
  const Reply trade = NewTrade();
  const std::string id = trade.Field("id");
  for (const std::string& path : {"/v1/trades/" + id, "/v1/trades/" + id + "/history",
                                  "/v1/quotes/" + trade.Field("quote_id")}) {
    EXPECT_EQ(Send("GET", path, other_).status, 404) << path;
  }
  EXPECT_EQ(Send("POST", "/v1/trades/" + id + "/cancel", other_).status, 404);
  const Reply list = Send("GET", "/v1/trades", other_);
  EXPECT_EQ(list.body.find(id), std::string::npos);
  const Reply theirs = Send("POST", "/v1/trades", other_,
                            R"({"quote_id":")" + trade.Field("quote_id") +
                                R"(","customer":"c1","destination":)" + TronDestination() + "}",
                            "other-1");
  EXPECT_EQ(theirs.status, 404) << theirs.body;
  const Reply mine = Send("GET", "/v1/trades?customer=c1&status=awaiting_payment", trader_);
  EXPECT_NE(mine.body.find(id), std::string::npos);
}

INSTANTIATE_BACKENDS(TradesTest);

// The same server on a manual clock: rate degradation, quote and payment deadlines.
class TradesClockTest : public TradesTest {
 protected:
  const Clock* ServerClock() override { return &manual_; }
  void Advance(int64_t ms) {
    manual_.AdvanceMs(ms);
    server_->jobs().Wake();
  }
  // WaitFor, moving the clock a second a turn (simulators and jobs wait on it).
  Reply WaitMoving(const std::string& id, std::string_view status) {
    Reply trade;
    for (int i = 0; i < 600 && trade.Field("status") != status; ++i) {
      Advance(1'000);
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      trade = Send("GET", "/v1/trades/" + id, trader_);
    }
    EXPECT_EQ(trade.Field("status"), status) << trade.body;
    return trade;
  }

  ManualClock manual_{1'800'000'000'000'000'000};
};

TEST_P(TradesClockTest, WhenTheFeedStopsQuotesGoOnUntilMaxAgeThenRefuse) {
  ASSERT_EQ(Send("POST", "/sandbox/rates/stop", "").status, 200);
  Advance(100'000);  // the last good value is 100 s old: still within max_age (300 s)
  const Reply stale = Quote("BRL", "USDT", "100.00");
  EXPECT_EQ(stale.status, 201) << stale.body;
  Advance(250'000);  // 350 s: too old to quote on
  const Reply refused = Quote("BRL", "USDT", "100.00");
  EXPECT_EQ(refused.status, 503) << refused.body;
  EXPECT_EQ(refused.Field("code"), "rate_unavailable");
  ASSERT_EQ(Send("POST", "/sandbox/rates/start", "").status, 200);
  SetRate("USDT-BRL", "5.40", "5.50");
  EXPECT_EQ(Quote("BRL", "USDT", "100.00").status, 201);
}

TEST_P(TradesClockTest, AQuoteIsTakenOnlyWithinItsTtl) {
  const Reply quote = Quote("BRL", "USDT", "100.00");
  ASSERT_EQ(quote.status, 201) << quote.body;
  Advance(61'000);
  const Reply late = Trade(quote.Field("id"));
  EXPECT_EQ(late.status, 410) << late.body;
  EXPECT_EQ(late.Field("code"), "quote_expired");
}

TEST_P(TradesClockTest, AnUnpaidTradeExpiresAndALatePaymentGoesToReviewThenOn) {
  const Reply trade = NewTrade();
  const std::string id = trade.Field("id");
  Advance(901'000);  // past the payment window (900 s): the charge expires, and the trade with it
  WaitMoving(id, "EXPIRED");
  ASSERT_EQ(Pay(trade).status, 200);  // paid after expiry: the money is held for review
  WaitMoving(id, "MANUAL_REVIEW");
  const Reply accepted =
      Send("POST", "/v1/charges/" + trade.Field("charge_id") + "/resolve", admin_,
           R"({"action":"accept","reason":"late, the desk honours the quote"})", "accept-1");
  ASSERT_EQ(accepted.status, 200) << accepted.body;
  WaitMoving(id, "COMPLETED");
  EXPECT_EQ(Steps(id),
            (std::vector<std::string>{"AWAITING_PAYMENT", "EXPIRED", "MANUAL_REVIEW",
                                      "PAYMENT_CONFIRMED", "PAYOUT_PENDING", "COMPLETED"}));
  ExpectLedgerConsistent();
}

INSTANTIATE_BACKENDS(TradesClockTest);

}  // namespace
}  // namespace cambista::app
