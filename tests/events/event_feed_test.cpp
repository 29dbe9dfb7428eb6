// EventFeed on both backends: where it starts, once-each delivery in seq order, batches,
// rolled-back events; and on PostgreSQL, where seq is taken at insert and shown at commit, events
// that appear below the cursor however late they commit, from a second node and a deliberately slow
// transaction. Poll() is driven by hand; the clock is moved by hours to show that no wait expires.
#include "events/event_feed.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <latch>
#include <string>
#include <thread>
#include <vector>

#include "event_feed_fixture.hpp"

namespace cambista::events {
namespace {

using namespace std::chrono_literals;

// Far beyond the 5 s the feed used to wait for a missing seq before giving up on it.
constexpr int64_t kLongAfterMs = 3'600'000;

template <class Condition>
bool WaitFor(Condition condition, std::chrono::milliseconds limit = 20s) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(2ms);
  }
  return true;
}

bool OnPostgres(store::Backend backend) {
  return backend == store::Backend::kPostgres;
}

#define SKIP_UNLESS_POSTGRES()                                                                  \
  if (!OnPostgres(backend())) {                                                                 \
    GTEST_SKIP() << "SQLite has one writer at a time: seq is visible in the order it is taken"; \
  }

TEST_P(EventFeedTest, StartsAfterTheEventsAlreadyThere) {
  Emit();
  Emit();
  auto feed = MakeFeed();
  EXPECT_EQ(feed->Poll(), 0);
  EXPECT_TRUE(TakeSeen().empty());

  const std::string fresh = Emit();
  EXPECT_EQ(feed->Poll(), 1);
  EXPECT_EQ(TakeSeenIds(), std::vector<std::string>{fresh});
}

TEST_P(EventFeedTest, OnAnEmptyTableStartsAtTheBeginning) {
  auto feed = MakeFeed();
  const std::string first = Emit();
  EXPECT_EQ(feed->Poll(), 1);
  EXPECT_EQ(TakeSeenIds(), std::vector<std::string>{first});
}

TEST_P(EventFeedTest, HandsOnEachEventOnceInSeqOrderWithItsFields) {
  auto feed = MakeFeed();
  const std::string first = Emit("acme");
  clock_.AdvanceMs(10);
  const std::string second = Emit("globex");
  const std::string third = EmitCommitted(NewEvent{"acme", "test.ping", "rates", "{}"}).id;

  EXPECT_EQ(feed->Poll(), 3);
  const std::vector<StoredEvent> seen = TakeSeen();
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0].id, first);
  EXPECT_EQ(seen[1].id, second);
  EXPECT_EQ(seen[2].id, third);
  EXPECT_LT(seen[0].seq, seen[1].seq);
  EXPECT_LT(seen[1].seq, seen[2].seq);
  EXPECT_EQ(seen[0].tenant, "acme");
  EXPECT_EQ(seen[0].type, "charge.paid");
  EXPECT_EQ(seen[0].channel, "charges");
  EXPECT_EQ(seen[0].data, R"({"n":1})");
  EXPECT_EQ(seen[0].created_at_ms, clock_.NowMs() - 10);
  EXPECT_EQ(seen[1].tenant, "globex");
  EXPECT_EQ(seen[1].created_at_ms, clock_.NowMs());
  EXPECT_EQ(seen[2].type, "test.ping");
  EXPECT_EQ(seen[2].channel, "rates");

  EXPECT_EQ(feed->Poll(), 0);
  clock_.AdvanceMs(kLongAfterMs);
  EXPECT_EQ(feed->Poll(), 0);
  EXPECT_TRUE(TakeSeen().empty());
}

TEST_P(EventFeedTest, ReadsInBatchesOfBatchMax) {
  EventFeedOptions options = TestOptions();
  options.batch_max = 2;
  auto feed = MakeFeed(options);
  std::vector<std::string> emitted;
  for (int i = 0; i < 5; ++i) emitted.push_back(Emit());

  EXPECT_EQ(feed->Poll(), 2);
  EXPECT_EQ(feed->Poll(), 2);
  EXPECT_EQ(feed->Poll(), 1);
  EXPECT_EQ(feed->Poll(), 0);
  EXPECT_EQ(TakeSeenIds(), emitted);
}

TEST_P(EventFeedTest, EventsOfARolledBackTransactionNeverAppear) {
  auto feed = MakeFeed();
  connection().Begin(store::TransactionMode::kWrite);
  const std::string rolled_back = EmitIn(connection());
  connection().Rollback();
  const std::string committed = Emit();

  EXPECT_EQ(feed->Poll(), 1);
  EXPECT_EQ(TakeSeenIds(), std::vector<std::string>{committed});
  // Nothing waits for the rolled-back seq: the next event comes at the next poll, and only once.
  const std::string later = Emit();
  EXPECT_EQ(feed->Poll(), 1);
  EXPECT_EQ(feed->Poll(), 0);
  EXPECT_EQ(TakeSeenIds(), std::vector<std::string>{later});
  EXPECT_NE(rolled_back, later);
}

TEST_P(EventFeedTest, TheThreadHandsOnCommittedEvents) {
  auto feed = MakeFeed();
  feed->Start();
  const std::string first = Emit();
  const std::string second = Emit();
  EXPECT_TRUE(WaitFor([&] { return SeenCount() >= 2; }));
  feed->Stop();
  EXPECT_EQ(TakeSeenIds(), (std::vector<std::string>{first, second}));
  feed->Stop();  // a second Stop is harmless
}

// ---- PostgreSQL: seq shown at commit ------------------------------------------------------------

TEST_P(EventFeedTest, ASeqAppearingBelowTheCursorIsHandedOnHoweverLate) {
  SKIP_UNLESS_POSTGRES();
  for (int64_t seq = 1; seq <= 3; ++seq) InsertWithSeq(seq);
  auto feed = MakeFeed();  // cursor 3

  InsertWithSeq(5);
  EXPECT_EQ(feed->Poll(), 1);
  EXPECT_EQ(feed->Poll(), 0);  // 5 is not handed on twice
  EXPECT_EQ(TakeSeenSeqs(), std::vector<int64_t>{5});

  // The feed used to give up on 4 after gap_wait_ms. A transaction that took 4 long ago and
  // commits an hour later (here, a row inserted now with seq 4) is still heard.
  clock_.AdvanceMs(kLongAfterMs);
  EXPECT_EQ(feed->Poll(), 0);
  InsertWithSeq(4);
  EXPECT_EQ(feed->Poll(), 1);
  EXPECT_EQ(TakeSeenSeqs(), std::vector<int64_t>{4});

  EXPECT_EQ(feed->Poll(), 0);
  InsertWithSeq(6);
  EXPECT_EQ(feed->Poll(), 1);
  EXPECT_EQ(feed->Poll(), 0);
  EXPECT_EQ(TakeSeenSeqs(), std::vector<int64_t>{6});
}

TEST_P(EventFeedTest, LateAndFreshEventsOfOneReadComeInSeqOrder) {
  SKIP_UNLESS_POSTGRES();
  for (int64_t seq = 1; seq <= 3; ++seq) InsertWithSeq(seq);
  auto feed = MakeFeed();
  InsertWithSeq(6);
  EXPECT_EQ(feed->Poll(), 1);

  InsertWithSeq(9);
  InsertWithSeq(5);
  InsertWithSeq(7);
  InsertWithSeq(4);
  EXPECT_EQ(feed->Poll(), 4);
  EXPECT_EQ(TakeSeenSeqs(), (std::vector<int64_t>{6, 4, 5, 7, 9}));
}

TEST_P(EventFeedTest, AnEventOfATransactionRunningAtTheStartComesWhenItCommits) {
  SKIP_UNLESS_POSTGRES();
  auto running = db().Connect();
  running->Begin(store::TransactionMode::kWrite);
  const std::string early = EmitIn(*running);
  const std::string before = Emit();  // committed before the feed starts: not handed on

  auto feed = MakeFeed();
  EXPECT_EQ(feed->Poll(), 0);
  running->Commit();
  EXPECT_EQ(feed->Poll(), 1);
  EXPECT_EQ(feed->Poll(), 0);
  EXPECT_EQ(TakeSeenIds(), std::vector<std::string>{early});
  EXPECT_NE(before, early);
}

// Two nodes on one database; node B's transaction emits an event and then blocks on a latch while
// node A commits many events after it. A's events flow at once; B's comes when B commits, an hour
// (of the feed's old clock) later, once.
TEST_P(EventFeedTest, ASlowTransactionOnAnotherNodeIsHandedOnWhenItCommits) {
  SKIP_UNLESS_POSTGRES();
  auto node_b = OpenSecondNode();
  auto feed = MakeFeed();
  std::latch emitted(1);
  std::latch release(1);
  std::string slow_id;
  std::thread slow([&] {
    auto connection = node_b->Connect();
    store::Transaction tx(*connection, store::TransactionMode::kWrite);
    slow_id = EmitIn(*connection, "globex");
    emitted.count_down();
    release.wait();
    tx.Commit();
  });
  emitted.wait();

  std::vector<std::string> fast;
  for (int i = 0; i < 50; ++i) {
    clock_.AdvanceMs(100);
    fast.push_back(Emit());
    if (i % 10 == 9) feed->Poll();  // polls in the middle of the stream, as the thread would
  }
  Drain(*feed);
  const std::vector<StoredEvent> fast_seen = TakeSeen();
  std::vector<std::string> fast_seen_ids;
  for (const StoredEvent& event : fast_seen) fast_seen_ids.push_back(event.id);
  EXPECT_EQ(fast_seen_ids, fast);
  clock_.AdvanceMs(kLongAfterMs);
  EXPECT_EQ(feed->Poll(), 0);

  release.count_down();
  slow.join();
  EXPECT_EQ(feed->Poll(), 1);
  EXPECT_EQ(feed->Poll(), 0);
  const std::vector<StoredEvent> late = TakeSeen();
  ASSERT_EQ(late.size(), 1u);
  EXPECT_EQ(late[0].id, slow_id);
  EXPECT_EQ(late[0].tenant, "globex");
  // Its seq and timestamp are older than those of the events handed on before it.
  ASSERT_FALSE(fast_seen.empty());
  EXPECT_LT(late[0].seq, fast_seen.front().seq);
  EXPECT_LT(late[0].created_at_ms, fast_seen.front().created_at_ms);
}

TEST_P(EventFeedTest, ARolledBackSlowTransactionHoldsNothingUp) {
  SKIP_UNLESS_POSTGRES();
  auto node_b = OpenSecondNode();
  auto feed = MakeFeed();
  auto slow = node_b->Connect();
  slow->Begin(store::TransactionMode::kWrite);
  EmitIn(*slow);
  const std::string first = Emit();
  EXPECT_EQ(feed->Poll(), 1);  // while the slow transaction runs
  slow->Rollback();
  const std::string second = EmitCommittedOn(*slow);
  const std::string third = Emit();
  EXPECT_EQ(feed->Poll(), 2);
  EXPECT_EQ(feed->Poll(), 0);
  EXPECT_EQ(TakeSeenIds(), (std::vector<std::string>{first, second, third}));
}

TEST_P(EventFeedTest, EventsOfSeveralSlowTransactionsComeEachWhenItsTransactionCommits) {
  SKIP_UNLESS_POSTGRES();
  auto node_b = OpenSecondNode();
  auto feed = MakeFeed();
  auto slow_a = db().Connect();
  auto slow_b = node_b->Connect();
  slow_a->Begin(store::TransactionMode::kWrite);
  slow_b->Begin(store::TransactionMode::kWrite);
  const std::string a1 = EmitIn(*slow_a);
  const std::string b1 = EmitIn(*slow_b);
  const std::string fast = Emit();
  const std::string a2 = EmitIn(*slow_a);
  EXPECT_EQ(feed->Poll(), 1);
  EXPECT_EQ(TakeSeenIds(), std::vector<std::string>{fast});

  slow_b->Commit();
  EXPECT_EQ(feed->Poll(), 1);
  EXPECT_EQ(TakeSeenIds(), std::vector<std::string>{b1});
  clock_.AdvanceMs(kLongAfterMs);
  slow_a->Commit();
  EXPECT_EQ(feed->Poll(), 2);  // a1 below the cursor, a2 above it
  EXPECT_EQ(feed->Poll(), 0);
  EXPECT_EQ(TakeSeenIds(), (std::vector<std::string>{a1, a2}));
}

INSTANTIATE_BACKENDS(EventFeedTest);

}  // namespace
}  // namespace cambista::events
