// EventFeed on both backends: where it starts, once-each delivery in seq order, rolled-back
// events, and the wait at a gap in seq (PostgreSQL hands out seq at insert and shows rows at
// commit, so a smaller seq can appear after a larger one).
#include "events/event_feed.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "events_fixture.hpp"

namespace cambista::events {
namespace {

using namespace std::chrono_literals;

constexpr int64_t kGapWaitMs = 5'000;

EventFeedOptions TestOptions() {
  EventFeedOptions options;
  options.poll_ms = 5;
  options.gap_wait_ms = kGapWaitMs;
  return options;
}

class EventFeedTest : public EventsTest {
 protected:
  std::unique_ptr<EventFeed> MakeFeed(EventFeedOptions options = TestOptions()) {
    return std::make_unique<EventFeed>(
        db(), clock_,
        [this](const StoredEvent& event) {
          std::lock_guard lock(mutex_);
          seen_.push_back(event);
        },
        options);
  }

  std::vector<StoredEvent> TakeSeen() {
    std::lock_guard lock(mutex_);
    return std::exchange(seen_, {});
  }

  std::vector<std::string> TakeSeenIds() {
    std::vector<std::string> ids;
    for (const StoredEvent& event : TakeSeen()) ids.push_back(event.id);
    return ids;
  }

  std::vector<int64_t> TakeSeenSeqs() {
    std::vector<int64_t> seqs;
    for (const StoredEvent& event : TakeSeen()) seqs.push_back(event.seq);
    return seqs;
  }

  std::string Emit(std::string tenant = "acme") {
    return EmitCommitted(NewEvent{std::move(tenant), "charge.paid", "charges", R"({"n":1})"}).id;
  }

  // An event row with a chosen seq, as a transaction that took it long ago would commit it. Tests
  // that use it never call EmitEvent (PostgreSQL's sequence would hand out the same numbers).
  void InsertWithSeq(int64_t seq) {
    const std::string id = "evt_seq" + std::to_string(seq);
    connection().Execute(
        "INSERT INTO events (seq, id, tenant, type, channel, data, created_at_ms) VALUES ($1, $2, "
        "'acme', 'charge.paid', 'charges', '{}', $3)",
        {seq, std::string_view(id), clock_.NowMs()});
  }

  std::mutex mutex_;
  std::vector<StoredEvent> seen_;
};

template <class Condition>
bool WaitFor(Condition condition, std::chrono::milliseconds limit = 20s) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(2ms);
  }
  return true;
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
  clock_.AdvanceMs(kGapWaitMs * 2);
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
  const std::string rolled_back =
      EmitEvent(connection(), clock_, NewEvent{"acme", "charge.paid", "charges", "{}"}, 5).id;
  connection().Rollback();
  const std::string committed = Emit();

  EXPECT_EQ(feed->Poll(), 1);
  EXPECT_EQ(TakeSeenIds(), std::vector<std::string>{committed});
  // On PostgreSQL the rolled-back seq is a gap for ever: after the wait the feed steps over it and
  // goes on handing on new events, each once.
  clock_.AdvanceMs(kGapWaitMs);
  EXPECT_EQ(feed->Poll(), 0);
  const std::string later = Emit();
  EXPECT_EQ(feed->Poll(), 1);
  EXPECT_EQ(feed->Poll(), 0);
  EXPECT_EQ(TakeSeenIds(), std::vector<std::string>{later});
  EXPECT_NE(rolled_back, later);
}

TEST_P(EventFeedTest, ASeqFillingAGapWithinTheWaitIsHandedOn) {
  for (int64_t seq = 1; seq <= 3; ++seq) InsertWithSeq(seq);
  auto feed = MakeFeed();  // watermark 3

  InsertWithSeq(5);
  EXPECT_EQ(feed->Poll(), 1);
  EXPECT_EQ(feed->Poll(), 0);  // 5 waits above the gap, but is not handed on twice
  EXPECT_EQ(TakeSeenSeqs(), std::vector<int64_t>{5});

  clock_.AdvanceMs(kGapWaitMs - 1);
  InsertWithSeq(4);  // its transaction commits late, but within the wait
  EXPECT_EQ(feed->Poll(), 1);
  EXPECT_EQ(TakeSeenSeqs(), std::vector<int64_t>{4});

  // The watermark is past 5 now: nothing repeats, and the next seq flows at once.
  clock_.AdvanceMs(kGapWaitMs);
  EXPECT_EQ(feed->Poll(), 0);
  InsertWithSeq(6);
  EXPECT_EQ(feed->Poll(), 1);
  EXPECT_EQ(TakeSeenSeqs(), std::vector<int64_t>{6});
}

TEST_P(EventFeedTest, ASeqCommittedAfterTheWaitIsNotHandedOn) {
  for (int64_t seq = 1; seq <= 3; ++seq) InsertWithSeq(seq);
  auto feed = MakeFeed();

  InsertWithSeq(5);
  EXPECT_EQ(feed->Poll(), 1);
  clock_.AdvanceMs(kGapWaitMs);
  EXPECT_EQ(feed->Poll(), 0);  // gives up on 4: the watermark steps over it to 5

  InsertWithSeq(4);
  EXPECT_EQ(feed->Poll(), 0);
  EXPECT_EQ(TakeSeenSeqs(), std::vector<int64_t>{5});

  InsertWithSeq(6);
  EXPECT_EQ(feed->Poll(), 1);
  EXPECT_EQ(feed->Poll(), 0);
  EXPECT_EQ(TakeSeenSeqs(), std::vector<int64_t>{6});
}

TEST_P(EventFeedTest, WaitsForAGapOnlyUntilTheWaitHasPassed) {
  for (int64_t seq = 1; seq <= 3; ++seq) InsertWithSeq(seq);
  auto feed = MakeFeed();

  InsertWithSeq(5);
  EXPECT_EQ(feed->Poll(), 1);
  clock_.AdvanceMs(kGapWaitMs - 1);
  EXPECT_EQ(feed->Poll(), 0);  // still waiting for 4
  clock_.AdvanceMs(1);
  EXPECT_EQ(feed->Poll(), 0);  // now given up
  InsertWithSeq(4);
  EXPECT_EQ(feed->Poll(), 0);
  EXPECT_EQ(TakeSeenSeqs(), std::vector<int64_t>{5});
}

TEST_P(EventFeedTest, EveryGapIsWaitedForFromWhenItWasSeen) {
  for (int64_t seq = 1; seq <= 3; ++seq) InsertWithSeq(seq);
  auto feed = MakeFeed();

  // Two gaps seen at once, 4 and 6: both wait the same gap_wait_ms, not one after the other.
  InsertWithSeq(5);
  InsertWithSeq(7);
  EXPECT_EQ(feed->Poll(), 2);
  EXPECT_EQ(TakeSeenSeqs(), (std::vector<int64_t>{5, 7}));
  clock_.AdvanceMs(kGapWaitMs);
  EXPECT_EQ(feed->Poll(), 0);

  InsertWithSeq(4);
  InsertWithSeq(6);
  EXPECT_EQ(feed->Poll(), 0);
  EXPECT_TRUE(TakeSeen().empty());
  InsertWithSeq(8);
  EXPECT_EQ(feed->Poll(), 1);
  EXPECT_EQ(TakeSeenSeqs(), std::vector<int64_t>{8});
}

TEST_P(EventFeedTest, AGapSeenLaterWaitsItsOwnTime) {
  for (int64_t seq = 1; seq <= 3; ++seq) InsertWithSeq(seq);
  auto feed = MakeFeed();

  InsertWithSeq(5);
  EXPECT_EQ(feed->Poll(), 1);
  clock_.AdvanceMs(kGapWaitMs - 10);
  InsertWithSeq(7);  // 6 is first missed now
  EXPECT_EQ(feed->Poll(), 1);
  clock_.AdvanceMs(10);
  EXPECT_EQ(feed->Poll(), 0);  // gives up on 4, not yet on 6
  InsertWithSeq(4);
  InsertWithSeq(6);
  EXPECT_EQ(feed->Poll(), 1);
  EXPECT_EQ(TakeSeenSeqs(), (std::vector<int64_t>{5, 7, 6}));
}

TEST_P(EventFeedTest, ATransactionCommittingAfterALaterOneIsStillHandedOn) {
  if (backend() != store::Backend::kPostgres) {
    GTEST_SKIP() << "SQLite writers are serialized: seq is visible in the order it is taken";
  }
  auto feed = MakeFeed();
  auto slow = db().Connect();
  slow->Begin(store::TransactionMode::kWrite);
  const std::string early =
      EmitEvent(*slow, clock_, NewEvent{"acme", "charge.paid", "charges", "{}"}, 5).id;
  const std::string late = Emit();  // takes the next seq and commits first

  EXPECT_EQ(feed->Poll(), 1);
  EXPECT_EQ(TakeSeenIds(), std::vector<std::string>{late});
  slow->Commit();
  EXPECT_EQ(feed->Poll(), 1);
  EXPECT_EQ(TakeSeenIds(), std::vector<std::string>{early});
  EXPECT_EQ(feed->Poll(), 0);
  clock_.AdvanceMs(kGapWaitMs);
  EXPECT_EQ(feed->Poll(), 0);
  EXPECT_TRUE(TakeSeen().empty());
}

TEST_P(EventFeedTest, TheThreadHandsOnCommittedEvents) {
  auto feed = MakeFeed();
  feed->Start();
  const std::string first = Emit();
  const std::string second = Emit();
  EXPECT_TRUE(WaitFor([&] {
    std::lock_guard lock(mutex_);
    return seen_.size() >= 2;
  }));
  feed->Stop();
  EXPECT_EQ(TakeSeenIds(), (std::vector<std::string>{first, second}));
  feed->Stop();  // a second Stop is harmless
}

INSTANTIATE_BACKENDS(EventFeedTest);

}  // namespace
}  // namespace cambista::events
