// Kills a process that submits transfers and enqueues jobs with SIGKILL at random moments, restarts
// it, and checks that every transfer and job it acknowledged before a kill survived, that nothing
// was applied twice, that `ledger verify` passes, and that every enqueued job eventually ran.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <random>
#include <set>
#include <string>

#include "crash_workload.hpp"
#include "jobs/job_table.hpp"
#include "ledger/auditor.hpp"
#include "ledger/ledger_store.hpp"
#include "test_database.hpp"

namespace cambista::ledger {
namespace {

struct ChildRun {
  std::set<uint64_t> transfers;
  std::set<uint64_t> jobs;
  bool done = false;
  bool killed = false;
  int exit_code = -1;
};

void ParseLines(std::string& buffer, ChildRun& run) {
  size_t newline;
  while ((newline = buffer.find('\n')) != std::string::npos) {
    const std::string line = buffer.substr(0, newline);
    buffer.erase(0, newline + 1);
    if (line == "DONE")
      run.done = true;
    else if (line.rfind("T ", 0) == 0)
      run.transfers.insert(std::stoull(line.substr(2)));
    else if (line.rfind("J ", 0) == 0)
      run.jobs.insert(std::stoull(line.substr(2)));
  }
}

// When a kill's delay starts: at the child's start (a kill during start-up and recovery), or at
// its first acknowledged transfer (a kill while work is under way, however long start-up takes on
// a loaded machine).
enum class KillFrom { kStart, kFirstTransfer };
constexpr int kStartUpMsMax = 30'000;

// Runs the child; kills it kill_after_ms after `from` (if given and it is still running).
ChildRun RunChild(const std::string& url, uint64_t first, uint64_t last, bool drain,
                  int kill_after_ms, int timeout_ms, KillFrom from = KillFrom::kStart) {
  int pipe_fds[2];
  if (pipe(pipe_fds) != 0) throw std::runtime_error("pipe failed");
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(pipe_fds[1], STDOUT_FILENO);
    close(pipe_fds[0]);
    close(pipe_fds[1]);
    const std::string first_text = std::to_string(first), last_text = std::to_string(last);
    execl(CAMBISTA_CRASH_CHILD, CAMBISTA_CRASH_CHILD, url.c_str(), first_text.c_str(),
          last_text.c_str(), drain ? "drain" : "run", static_cast<char*>(nullptr));
    _exit(127);
  }
  close(pipe_fds[1]);
  ChildRun run;
  std::string buffer;
  auto started = std::chrono::steady_clock::now();
  const bool wait_for_work = kill_after_ms > 0 && from == KillFrom::kFirstTransfer;
  int deadline_ms = kill_after_ms > 0 ? kill_after_ms : timeout_ms;
  if (wait_for_work) deadline_ms = kStartUpMsMax;
  bool eof = false;
  while (!eof) {
    if (wait_for_work && deadline_ms == kStartUpMsMax && !run.transfers.empty()) {
      started = std::chrono::steady_clock::now();  // the delay runs from the first transfer
      deadline_ms = kill_after_ms;
    }
    const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::steady_clock::now() - started)
                             .count();
    if (elapsed >= deadline_ms) break;
    pollfd fd{pipe_fds[0], POLLIN, 0};
    if (poll(&fd, 1, static_cast<int>(deadline_ms - elapsed)) > 0) {
      char chunk[4096];
      const ssize_t n = read(pipe_fds[0], chunk, sizeof chunk);
      if (n <= 0)
        eof = true;
      else
        buffer.append(chunk, static_cast<size_t>(n));
      ParseLines(buffer, run);
    }
  }
  if (!eof) {
    run.killed = kill(pid, SIGKILL) == 0;
  }
  int status = 0;
  waitpid(pid, &status, 0);
  // Whatever the child wrote before it died is still in the pipe.
  char chunk[4096];
  ssize_t n;
  while ((n = read(pipe_fds[0], chunk, sizeof chunk)) > 0)
    buffer.append(chunk, static_cast<size_t>(n));
  ParseLines(buffer, run);
  close(pipe_fds[0]);
  if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) run.killed = true;
  if (WIFEXITED(status)) {
    run.exit_code = WEXITSTATUS(status);
    run.killed = false;
  }
  return run;
}

class LedgerCrashTest : public cambista::testing::DatabaseTest {};

TEST_P(LedgerCrashTest, KillsLoseNothingAndDuplicateNothing) {
  constexpr uint64_t kTotal = 12000;
  constexpr int kKillsMin = 20;
  std::mt19937 random(4242);
  std::set<uint64_t> acknowledged_transfers, acknowledged_jobs;
  uint64_t first = 0;
  int kills = 0, kills_after_progress = 0;
  for (int attempt = 0; kills < kKillsMin && attempt < 60; ++attempt) {
    // Every other run is killed during start-up or soon after, the others while they work.
    const KillFrom from = attempt % 2 == 0 ? KillFrom::kStart : KillFrom::kFirstTransfer;
    const int kill_after_ms = from == KillFrom::kStart
                                  ? std::uniform_int_distribution<int>(20, 250)(random)
                                  : std::uniform_int_distribution<int>(1, 150)(random);
    ChildRun run = RunChild(url(), first, kTotal, false, kill_after_ms, 0, from);
    acknowledged_transfers.insert(run.transfers.begin(), run.transfers.end());
    acknowledged_jobs.insert(run.jobs.begin(), run.jobs.end());
    if (run.killed) {
      ++kills;
      if (!run.transfers.empty()) ++kills_after_progress;
    } else {
      ASSERT_EQ(run.exit_code, 0) << "the child failed on its own";
    }
    // Restart from the first transfer not acknowledged: those after it may or may not be durable,
    // and submitting them again must be harmless.
    while (acknowledged_transfers.contains(first)) ++first;
    if (first >= kTotal) first = 0;  // all done: later runs resubmit from the start (all "exists")
  }
  std::printf(
      "crash test: %d kills (%d while work was under way), %zu transfers and %zu jobs "
      "acknowledged before kills\n",
      kills, kills_after_progress, acknowledged_transfers.size(), acknowledged_jobs.size());
  EXPECT_GE(kills, kKillsMin);
  EXPECT_GE(kills_after_progress, kKillsMin / 2) << "kills should land while work is under way";

  ChildRun last = RunChild(url(), 0, kTotal, true, 0, 300'000);
  ASSERT_EQ(last.exit_code, 0);
  ASSERT_TRUE(last.done);
  EXPECT_EQ(last.transfers.size(), kTotal);  // every transfer reported ok or exists

  auto connection = db().Connect();
  std::set<u128> stored;
  connection->Query("SELECT id FROM ledger_transfers", {},
                    [&](const store::Row& row) { stored.insert(row.Id(0)); });
  for (uint64_t i : acknowledged_transfers) {
    ASSERT_TRUE(stored.contains(crash::WorkloadTransfer(i).id))
        << "lost acknowledged transfer " << i;
  }
  EXPECT_EQ(stored.size(), kTotal);

  // Balances equal exactly one application of each workload transfer.
  std::map<u128, u128> debits, credits;
  for (uint64_t i = 0; i < kTotal; ++i) {
    const Transfer t = crash::WorkloadTransfer(i);
    debits[t.debit_account_id] += t.amount;
    credits[t.credit_account_id] += t.amount;
  }
  for (u128 id = 1; id <= crash::kAccounts; ++id) {
    auto account = LedgerStore::FindAccount(*connection, id);
    ASSERT_TRUE(account.has_value());
    EXPECT_EQ(ToDecimal(account->debits_posted), ToDecimal(debits[id]));
    EXPECT_EQ(ToDecimal(account->credits_posted), ToDecimal(credits[id]));
  }
  const AuditReport report = AuditLedger(*connection);
  EXPECT_TRUE(report.consistent()) << report.ToJson();

  // Every enqueued job ran (at least once), none is left behind, none was enqueued twice.
  std::set<std::string> effects;
  connection->Query("SELECT job_key FROM crash_effects", {},
                    [&](const store::Row& row) { effects.insert(std::string(row.Text(0))); });
  for (uint64_t i : acknowledged_jobs) {
    EXPECT_TRUE(effects.contains("job-" + std::to_string(i)))
        << "acknowledged job " << i << " never ran";
  }
  EXPECT_EQ(effects.size(), kTotal / crash::kJobEvery);
  const jobs::QueueStats stats = jobs::LoadQueueStats(*connection);
  EXPECT_EQ(stats.ready, 0);
  EXPECT_EQ(stats.running, 0);
  EXPECT_EQ(stats.dead, 0);
  EXPECT_EQ(stats.done, static_cast<int64_t>(kTotal / crash::kJobEvery));
}

INSTANTIATE_BACKENDS(LedgerCrashTest);

}  // namespace
}  // namespace cambista::ledger
