// The rate book on a manual clock: degradation (live -> stale within max_age -> unavailable, and
// live again once the feed is back), the sources' circuit breakers and band, the provider's pause
// between fetches, and persistence (a new book on the same database serves the last value within
// max_age), on each backend.
#include <gtest/gtest.h>

#include <deque>
#include <string>
#include <vector>

#include "pricing/sandbox_feed.hpp"
#include "pricing/service.hpp"
#include "pricing/static_source.hpp"
#include "pricing/store.hpp"
#include "test_database.hpp"

namespace cambista::pricing {
namespace {

constexpr int64_t kMaxAgeMs = 300'000;
constexpr int64_t kPollIntervalMs = 60'000;

Rate R(std::string_view text) {
  return Rate::Parse(text).value();
}

Pair P(std::string_view text) {
  return *ParsePair(text);
}

RateBookOptions Options(std::vector<std::string_view> pairs = {"USDT/BRL"}) {
  RateBookOptions options;
  for (std::string_view pair : pairs) options.pairs.push_back(P(pair));
  options.poll_interval_ms = kPollIntervalMs;
  options.max_age_ms = kMaxAgeMs;
  options.breaker = {.failures_max = 3, .cooldown_ms = 60'000};
  return options;
}

// A source whose answers the test sets: a price, or a failure; counts its fetches.
class ScriptedSource final : public RateSource {
 public:
  ScriptedSource(std::string name, const Clock& clock) : name_(std::move(name)), clock_(clock) {}
  std::string_view name() const override { return name_; }
  int64_t MinIntervalMs() const override { return min_interval_ms; }
  Result<RateQuote, SourceError> Fetch(const Pair&) override {
    ++fetches;
    if (!price) return Failure{SourceError{SourceError::Kind::kUnavailable, "down"}};
    return RateQuote{R(price->first), R(price->second), clock_.NowMs()};
  }
  void Set(std::string_view bid, std::string_view ask) {
    price = {std::string(bid), std::string(ask)};
  }
  void Fail() { price.reset(); }

  std::optional<std::pair<std::string, std::string>> price;
  int fetches = 0;
  int64_t min_interval_ms = 0;

 private:
  std::string name_;
  const Clock& clock_;
};

TEST(RateBookTest, FeedStoppedServesUntilMaxAgeThenRefusesAndRecovers) {
  ManualClock clock;
  SandboxFeed feed(clock);  // starts from the sandbox book: USDT/BRL 5.40 / 5.46
  RateBook book(clock, Options(), {&feed});
  EXPECT_FALSE(book.Reference("USDT/BRL").ok());  // nothing polled yet: no price, ever assumed
  book.PollAll();
  auto live = book.Reference("USDT/BRL");
  ASSERT_TRUE(live.ok());
  EXPECT_TRUE(live.value().live);
  EXPECT_EQ(live.value().bid, R("5.40"));
  EXPECT_EQ(live.value().ask, R("5.46"));
  EXPECT_EQ(live.value().mid, R("5.43"));
  EXPECT_EQ(live.value().source, "sandbox");
  EXPECT_EQ(live.value().observed_at_ms, clock.NowMs());

  feed.SetRunning(false);
  clock.AdvanceMs(kPollIntervalMs);
  book.PollAll();
  auto stale = book.Reference("USDT-BRL");
  ASSERT_TRUE(stale.ok());
  EXPECT_FALSE(stale.value().live);
  EXPECT_EQ(stale.value().bid, R("5.40"));
  clock.AdvanceMs(kMaxAgeMs - kPollIntervalMs);  // exactly max_age old: still served
  book.PollAll();
  ASSERT_TRUE(book.Reference("USDT/BRL").ok());
  clock.AdvanceMs(1);
  auto gone = book.Reference("USDT/BRL");
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.error(), RateError::kUnavailable);
  EXPECT_EQ(book.Status().pairs[0].unavailable_reason, "max_age_exceeded");

  feed.SetRunning(true);
  feed.Set(P("USDT/BRL"), R("5.50"), R("5.56"));
  clock.AdvanceMs(kPollIntervalMs);  // two failures so far: the breaker never opened
  book.PollAll();
  auto back = book.Reference("USDT/BRL");
  ASSERT_TRUE(back.ok());
  EXPECT_TRUE(back.value().live);
  EXPECT_EQ(back.value().bid, R("5.50"));
}

TEST(RateBookTest, UnknownPairsAndNoSourcesGiveNoPrice) {
  ManualClock clock;
  RateBook book(clock, Options({"USDT/BRL", "POL/BRL"}), {});
  book.PollAll();
  EXPECT_EQ(book.Reference("USDT/ARS").error(), RateError::kUnknownPair);
  EXPECT_EQ(book.Reference("nonsense").error(), RateError::kUnknownPair);
  EXPECT_EQ(book.Reference("USDT/BRL").error(), RateError::kUnavailable);
  EXPECT_EQ(book.Pairs(), (std::vector<std::string>{"USDT/BRL", "POL/BRL"}));
  const RateBookStatus status = book.Status();
  ASSERT_EQ(status.pairs.size(), 2u);
  EXPECT_EQ(status.pairs[0].unavailable_reason, "no_source");
  EXPECT_EQ(book.PollPair("USDT/ARS").error(), RateError::kUnknownPair);
  EXPECT_EQ(RateErrorCode(RateError::kUnavailable), "rate_unavailable");
  EXPECT_EQ(RateErrorCode(RateError::kUnknownPair), "unknown_pair");
}

TEST(RateBookTest, AStaticSourceCoversOnlyItsPairs) {
  ManualClock clock;
  StaticSource fixed(clock, {{"USDT/BRL", {R("5.40"), R("5.46")}}});
  RateBook book(clock, Options({"USDT/BRL", "POL/BRL"}), {&fixed});
  book.PollAll();
  EXPECT_EQ(book.Reference("USDT/BRL").value().source, "static");
  EXPECT_EQ(book.Reference("POL/BRL").error(), RateError::kUnavailable);
  EXPECT_EQ(book.Status().pairs[1].unavailable_reason, "no_source");
  EXPECT_EQ(book.Status().sources[0].failures, 0);  // an uncovered pair is not a failure
}

TEST(RateBookTest, SeveralSourcesGiveTheirMedianAndAnOutlierIsReported) {
  ManualClock clock;
  ScriptedSource a("binance_p2p", clock), b("criptoya", clock), c("sandbox", clock);
  a.Set("5.40", "5.46");
  b.Set("5.42", "5.48");
  c.Set("5.41", "5.47");
  RateBook book(clock, Options(), {&a, &b, &c});
  book.PollAll();
  auto rate = book.Reference("USDT/BRL").value();
  EXPECT_EQ(rate.source, "median(binance_p2p,criptoya,sandbox)");
  EXPECT_EQ(rate.bid, R("5.41"));
  EXPECT_EQ(rate.ask, R("5.47"));

  c.Set("6.00", "6.06");  // 10% away
  book.PollAll();
  rate = book.Reference("USDT/BRL").value();
  EXPECT_EQ(rate.source, "median(binance_p2p,criptoya)");
  EXPECT_EQ(rate.bid, R("5.41"));
  EXPECT_EQ(rate.ask, R("5.47"));
  RateBookStatus status = book.Status();
  EXPECT_TRUE(status.sources[0].dropped_pairs.empty());
  EXPECT_EQ(status.sources[2].dropped_pairs, std::vector<std::string>{"USDT/BRL"});

  c.Set("5.41", "5.47");  // back in line: no longer reported
  book.PollAll();
  EXPECT_TRUE(book.Status().sources[2].dropped_pairs.empty());
  EXPECT_EQ(book.Reference("USDT/BRL").value().source, "median(binance_p2p,criptoya,sandbox)");
}

TEST(RateBookTest, TheBreakerSkipsADeadSourceAndProbesAfterTheCooldown) {
  ManualClock clock;
  ScriptedSource dead("binance_p2p", clock), alive("criptoya", clock);
  alive.Set("5.40", "5.46");
  RateBook book(clock, Options(), {&dead, &alive});
  for (int i = 0; i < 3; ++i) book.PollAll();
  EXPECT_EQ(dead.fetches, 3);
  EXPECT_EQ(book.Status().sources[0].state, BreakerState::kOpen);
  EXPECT_EQ(book.Status().sources[0].failures, 3);
  EXPECT_EQ(book.Status().sources[0].last_error, "USDT/BRL: down");
  book.PollAll();
  EXPECT_EQ(dead.fetches, 3);  // skipped while open
  EXPECT_EQ(book.Reference("USDT/BRL").value().source, "criptoya");
  EXPECT_TRUE(book.Reference("USDT/BRL").value().live);

  clock.AdvanceMs(60'000);
  EXPECT_EQ(book.Status().sources[0].state, BreakerState::kHalfOpen);
  dead.Set("5.41", "5.47");
  book.PollAll();
  EXPECT_EQ(dead.fetches, 4);  // the probe
  EXPECT_EQ(book.Status().sources[0].state, BreakerState::kClosed);
  EXPECT_EQ(book.Status().sources[0].last_error, "");
  EXPECT_EQ(book.Reference("USDT/BRL").value().source, "median(binance_p2p,criptoya)");
}

TEST(RateBookTest, AProviderAskingForAPauseIsNotCalledSooner) {
  ManualClock clock;
  ScriptedSource binance("binance_p2p", clock);
  binance.min_interval_ms = 55'000;
  binance.Set("5.40", "5.46");
  RateBook book(clock, Options(), {&binance});
  book.PollAll();
  clock.AdvanceMs(1'000);
  binance.Set("5.50", "5.56");
  book.PollAll();  // too soon: its last answer is used again
  EXPECT_EQ(binance.fetches, 1);
  EXPECT_EQ(book.Reference("USDT/BRL").value().bid, R("5.40"));
  EXPECT_TRUE(book.Reference("USDT/BRL").value().live);
  clock.AdvanceMs(54'000);
  book.PollAll();
  EXPECT_EQ(binance.fetches, 2);
  EXPECT_EQ(book.Reference("USDT/BRL").value().bid, R("5.50"));
}

TEST(RateBookTest, AStuckPollerMakesTheValueStale) {
  ManualClock clock;
  StaticSource fixed(clock, {{"USDT/BRL", {R("5.40"), R("5.46")}}});
  RateBook book(clock, Options(), {&fixed});
  book.PollAll();
  clock.AdvanceMs(2 * kPollIntervalMs);
  EXPECT_TRUE(book.Reference("USDT/BRL").value().live);
  clock.AdvanceMs(1);  // two poll intervals without a poll: no longer live
  EXPECT_FALSE(book.Reference("USDT/BRL").value().live);
}

class RateBookPersistenceTest : public testing::DatabaseTest {
 protected:
  int64_t Count(std::string_view sql) {
    auto connection = db().Connect();
    int64_t count = 0;
    connection->Query(sql, {}, [&](const store::Row& row) { count = row.Int64(0); });
    return count;
  }
};

TEST_P(RateBookPersistenceTest, ANewBookServesThePersistedValueWithinMaxAge) {
  ManualClock clock;
  RateStore store(db(), clock, 3);
  {
    SandboxFeed feed(clock);
    RateBook book(clock, Options({"USDT/BRL", "USDT/VES"}), {&feed}, &store);
    book.PollAll();
    clock.AdvanceMs(1'000);
    book.PollAll();  // unchanged and soon after: neither row nor event again
    feed.Set(P("USDT/BRL"), R("5.50"), R("5.56"));
    book.PollAll();
  }
  EXPECT_EQ(Count("SELECT count(*) FROM reference_rates"), 2);
  EXPECT_EQ(Count("SELECT count(*) FROM events WHERE type = 'rate.updated' AND tenant = '*'"), 3);
  EXPECT_EQ(Count("SELECT count(*) FROM rate_observations"), 3);

  clock.AdvanceMs(100'000);
  ScriptedSource dead("sandbox", clock);
  RateBook restarted(clock, Options({"USDT/BRL", "USDT/VES", "POL/BRL"}), {&dead}, &store);
  auto loaded = restarted.Reference("USDT/BRL");
  ASSERT_TRUE(loaded.ok());
  EXPECT_FALSE(loaded.value().live);  // not live until a poll makes it so
  EXPECT_EQ(loaded.value().bid, R("5.50"));
  EXPECT_EQ(loaded.value().ask, R("5.56"));
  EXPECT_EQ(loaded.value().mid, R("5.53"));
  EXPECT_EQ(loaded.value().source, "sandbox");
  EXPECT_EQ(restarted.Reference("POL/BRL").error(), RateError::kUnavailable);
  restarted.PollAll();  // its source is dead: still the persisted value
  ASSERT_TRUE(restarted.Reference("USDT/BRL").ok());
  clock.AdvanceMs(kMaxAgeMs);  // past max_age since it was observed
  EXPECT_EQ(restarted.Reference("USDT/BRL").error(), RateError::kUnavailable);
}

TEST_P(RateBookPersistenceTest, ObservationsAreUnderRetention) {
  const jobs::PurgeRule rule = RateStore::ObservationsRetentionRule();
  EXPECT_EQ(rule.table, "rate_observations");
  ManualClock clock;
  jobs::Retention retention(clock, jobs::RetentionOptions{.days = 1});
  retention.AddRule(rule);
  RateStore store(db(), clock, 3);
  store.AddObservations({{"USDT/BRL", "sandbox", "5.4", "5.46", clock.NowMs()}}, clock.NowMs());
  clock.AdvanceMs(2 * 86'400'000);
  store.AddObservations({{"USDT/BRL", "sandbox", "5.4", "5.46", clock.NowMs()}}, clock.NowMs());
  auto connection = db().Connect();
  EXPECT_EQ(retention.PurgeBatch(*connection, 0, retention.CutoffMs()), 1);
  EXPECT_EQ(Count("SELECT count(*) FROM rate_observations"), 1);
}

INSTANTIATE_BACKENDS(RateBookPersistenceTest);

}  // namespace
}  // namespace cambista::pricing
