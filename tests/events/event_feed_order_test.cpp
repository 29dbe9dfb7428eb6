// EventFeed against many interleavings of writers on two nodes.
//
// RandomInterleavings: one thread plays four writers (two connections per node) through random
// steps: emit an event (beginning a transaction if needed), commit, roll back, poll, drain, move
// the clock by up to a minute. On PostgreSQL transactions stay open across polls and commit in any
// order; SQLite has one writer at a time. An auditor, an in-memory model of what committed,
// checks at every event handed on that it committed and was not handed on before, at every drain
// that every committed event was handed on, and at the end that an event whose transaction
// committed before another event's seq was taken came first. The seed is printed with any
// failure; CAMBISTA_TEST_SEED=<seed> replays it.
//
// ConcurrentNodes: two threads write through two nodes at once while the feed's own thread polls
// (and, on PostgreSQL, a third holds a transaction open until they are done); afterwards every
// committed event was handed on exactly once and no rolled-back one was.
#include <gtest/gtest.h>

#include <cstdlib>
#include <latch>
#include <map>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "event_feed_fixture.hpp"

namespace cambista::events {
namespace {

constexpr int kSteps = 2'000;
constexpr int kWritersPerNode = 2;

uint64_t TestSeed() {
  if (const char* text = std::getenv("CAMBISTA_TEST_SEED"); text != nullptr && *text != '\0') {
    return std::strtoull(text, nullptr, 10);
  }
  std::random_device device;
  return (static_cast<uint64_t>(device()) << 32) ^ device();
}

// What committed, told by the workload; checks what the feed hands on against it.
class FeedAuditor {
 public:
  void Emitted(const std::string& id, int64_t step) { emitted_step_[id] = step; }
  void Committed(const std::vector<std::string>& ids, int64_t step) {
    for (const std::string& id : ids) committed_step_[id] = step;
  }

  void HandedOn(const StoredEvent& event) {
    if (!committed_step_.contains(event.id)) {
      ADD_FAILURE() << "handed on " << event.id << " (seq " << event.seq
                    << ") whose transaction has not committed";
    }
    if (!position_.emplace(event.id, order_.size()).second) {
      ADD_FAILURE() << "handed on " << event.id << " (seq " << event.seq << ") twice";
    }
    if (event.seq < seq_max_) ++late_;
    seq_max_ = std::max(seq_max_, event.seq);
    order_.push_back(event.id);
  }

  void CheckAllHandedOn() const {
    for (const auto& [id, step] : committed_step_) {
      if (!position_.contains(id))
        ADD_FAILURE() << "skipped " << id << ", committed at step " << step;
    }
  }

  // An event whose transaction committed before another event's seq was taken comes first.
  void CheckCausalOrder() const {
    for (const auto& [first, committed_at] : committed_step_) {
      for (const auto& [second, unused] : committed_step_) {
        if (committed_at >= emitted_step_.at(second)) continue;
        if (position_.at(first) > position_.at(second)) {
          ADD_FAILURE() << first << " committed at step " << committed_at << " before " << second
                        << " was emitted, yet came after it";
        }
      }
    }
  }

  size_t committed() const { return committed_step_.size(); }
  size_t handed_on() const { return order_.size(); }
  int late() const { return late_; }

 private:
  std::map<std::string, int64_t> emitted_step_;
  std::map<std::string, int64_t> committed_step_;
  std::map<std::string, size_t> position_;  // in the order handed on
  std::vector<std::string> order_;
  int64_t seq_max_ = 0;
  int late_ = 0;  // events handed on below a seq handed on before them
};

struct Writer {
  std::unique_ptr<store::Connection> connection;
  std::vector<std::string> pending;  // emitted in the open transaction
  bool open = false;
};

class EventFeedOrderTest : public EventFeedTest {
 protected:
  void StartWorkload(uint64_t seed) {
    random_.seed(seed);
    node_b_ = OpenSecondNode();
    for (store::Database* node : {&db(), node_b_.get()}) {
      for (int i = 0; i < kWritersPerNode; ++i)
        writers_.push_back(Writer{node->Connect(), {}, false});
    }
    EventFeedOptions options = TestOptions();
    options.batch_max = static_cast<int>(Uniform(1, 8));
    feed_ = std::make_unique<EventFeed>(
        db(), [this](const StoredEvent& event) { auditor_.HandedOn(event); }, options);
  }

  void RunStep(int64_t step) {
    Writer& writer = writers_[Uniform(0, writers_.size() - 1)];
    const uint64_t action = Uniform(0, 99);
    if (action < 35) {
      EmitOn(writer, step);
    } else if (action < 50) {
      Finish(writer, step, true);
    } else if (action < 57) {
      Finish(writer, step, false);
    } else if (action < 62) {
      clock_.AdvanceMs(static_cast<int64_t>(Uniform(0, 60'000)));
    } else if (action < 95) {
      feed_->Poll();
    } else {
      Drain(*feed_);
      auditor_.CheckAllHandedOn();
    }
  }

  void FinishWorkload(int64_t step) {
    for (Writer& writer : writers_) Finish(writer, step, true);
    Drain(*feed_);
  }

  void TearDown() override {
    // Open transactions end before the test schema is dropped.
    feed_.reset();
    writers_.clear();
    node_b_.reset();
    EventFeedTest::TearDown();
  }

  FeedAuditor auditor_;

 private:
  uint64_t Uniform(uint64_t low, uint64_t high) {
    return std::uniform_int_distribution<uint64_t>(low, high)(random_);
  }

  // SQLite: a second BEGIN IMMEDIATE would wait for the first, on this very thread.
  bool MayBegin() const {
    if (backend() == store::Backend::kPostgres) return true;
    for (const Writer& writer : writers_) {
      if (writer.open) return false;
    }
    return true;
  }

  void EmitOn(Writer& writer, int64_t step) {
    if (!writer.open) {
      if (!MayBegin()) return;
      writer.connection->Begin(store::TransactionMode::kWrite);
      writer.open = true;
    }
    const std::string id = EmitIn(*writer.connection);
    auditor_.Emitted(id, step);
    writer.pending.push_back(id);
  }

  void Finish(Writer& writer, int64_t step, bool commit) {
    if (!writer.open) return;
    if (commit) {
      writer.connection->Commit();
      auditor_.Committed(writer.pending, step);
    } else {
      writer.connection->Rollback();
    }
    writer.pending.clear();
    writer.open = false;
  }

  std::mt19937_64 random_;
  std::unique_ptr<store::Database> node_b_;
  std::vector<Writer> writers_;
  std::unique_ptr<EventFeed> feed_;
};

TEST_P(EventFeedOrderTest, RandomInterleavings) {
  const uint64_t seed = TestSeed();
  SCOPED_TRACE(::testing::Message()
               << "seed " << seed << " (CAMBISTA_TEST_SEED=" << seed << " replays it)");
  StartWorkload(seed);
  for (int64_t step = 0; step < kSteps; ++step) {
    RunStep(step);
    if (HasFailure()) return;
  }
  FinishWorkload(kSteps);

  auditor_.CheckAllHandedOn();
  auditor_.CheckCausalOrder();
  EXPECT_GT(auditor_.committed(), 0u);
  EXPECT_EQ(auditor_.handed_on(), auditor_.committed());
  std::printf("seed %llu: %zu events handed on, %d of them below a seq handed on before\n",
              static_cast<unsigned long long>(seed), auditor_.handed_on(), auditor_.late());
}

// One node's writer: `transactions` transactions of one to three events, one in ten rolled back.
// Returns the ids committed.
std::vector<std::string> WriteConcurrently(store::Database& node, const Clock& clock,
                                           int transactions, uint64_t seed) {
  std::mt19937_64 random(seed);
  auto connection = node.Connect();
  std::vector<std::string> committed;
  for (int i = 0; i < transactions; ++i) {
    store::Transaction tx(*connection, store::TransactionMode::kWrite);
    std::vector<std::string> ids;
    const int events = 1 + static_cast<int>(random() % 3);
    for (int j = 0; j < events; ++j) {
      ids.push_back(
          EmitEvent(*connection, clock, NewEvent{"acme", "charge.paid", "charges", "{}"}, 5).id);
    }
    if (random() % 10 == 0) continue;  // rolled back as tx goes out of scope
    tx.Commit();
    committed.insert(committed.end(), ids.begin(), ids.end());
  }
  return committed;
}

TEST_P(EventFeedOrderTest, ConcurrentNodes) {
  constexpr int kTransactions = 200;
  const uint64_t seed = TestSeed();
  SCOPED_TRACE(::testing::Message() << "seed " << seed);
  auto node_b = OpenSecondNode();
  EventFeedOptions options = TestOptions();
  options.poll_ms = 1;
  options.batch_max = 7;
  auto feed = MakeFeed(options);
  feed->Start();

  std::latch writers_done(2);
  std::vector<std::string> committed_a, committed_b, committed_slow;
  std::thread writer_a([&] {
    committed_a = WriteConcurrently(db(), clock_, kTransactions, seed);
    writers_done.count_down();
  });
  std::thread writer_b([&] {
    committed_b = WriteConcurrently(*node_b, clock_, kTransactions, seed + 1);
    writers_done.count_down();
  });
  std::thread slow([&] {
    if (backend() != store::Backend::kPostgres) return;  // it would hold SQLite's write lock
    auto connection = node_b->Connect();
    store::Transaction tx(*connection, store::TransactionMode::kWrite);
    committed_slow.push_back(EmitIn(*connection, "globex"));
    writers_done.wait();
    tx.Commit();
  });
  writer_a.join();
  writer_b.join();
  slow.join();
  feed->Stop();
  Drain(*feed);

  std::multiset<std::string> expected(committed_a.begin(), committed_a.end());
  expected.insert(committed_b.begin(), committed_b.end());
  expected.insert(committed_slow.begin(), committed_slow.end());
  std::multiset<std::string> handed_on;
  for (const StoredEvent& event : TakeSeen()) handed_on.insert(event.id);
  EXPECT_GT(expected.size(), 0u);
  EXPECT_EQ(handed_on, expected);
}

INSTANTIATE_BACKENDS(EventFeedOrderTest);

}  // namespace
}  // namespace cambista::events
