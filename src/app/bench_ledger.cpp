#include "app/bench_ledger.hpp"

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <random>
#include <vector>

#include "app/modules.hpp"
#include "core/clock.hpp"
#include "ledger/auditor.hpp"
#include "ledger/ids.hpp"
#include "ledger/ledger.hpp"
#include "store/database.hpp"
#include "store/migrations.hpp"

namespace cambista::app {
namespace {

constexpr uint64_t kAccountCreateChunk = 1000;

using Submission = std::vector<ledger::Transfer>;

// Keeps `concurrency` submissions in flight: each submitter, when it learns its result, sends the
// next. An instance must outlive the Ledger it submits to (the Ledger's destructor joins the
// threads its callbacks run on), so it is declared before the Ledger.
class Submitters {
 public:
  // Submits every submission and returns when all have been answered.
  void Run(ledger::Ledger& engine, std::vector<Submission> submissions, int concurrency) {
    engine_ = &engine;
    submissions_ = std::move(submissions);
    for (int i = 0; i < concurrency; ++i) SubmitNext();
    std::unique_lock lock(mutex_);
    finished_.wait(lock, [&] { return completed_ == submissions_.size(); });
  }
  uint64_t failed() const { return failed_; }
  const std::string& error() const { return error_; }

 private:
  void SubmitNext() {
    size_t index;
    {
      std::lock_guard lock(mutex_);
      if (next_submission_ >= submissions_.size()) return;
      index = next_submission_++;
    }
    engine_->SubmitAsync(std::move(submissions_[index]), [this](ledger::SubmitResult result) {
      {
        std::lock_guard lock(mutex_);
        ++completed_;
        if (!result.ok() && error_.empty()) error_ = result.error;
        for (auto code : result.results) {
          if (code != ledger::CreateTransferResult::kOk) ++failed_;
        }
      }
      finished_.notify_one();
      SubmitNext();
    });
  }

  std::vector<Submission> submissions_;
  ledger::Ledger* engine_ = nullptr;
  std::mutex mutex_;
  std::condition_variable finished_;
  size_t next_submission_ = 0;
  size_t completed_ = 0;
  uint64_t failed_ = 0;
  std::string error_;
};

bool CreateAccounts(ledger::Ledger& engine, const LedgerBenchOptions& options, u128 run_prefix) {
  std::fprintf(stderr, "bench ledger: creating %llu accounts\n",
               static_cast<unsigned long long>(options.accounts));
  for (uint64_t start = 0; start < options.accounts; start += kAccountCreateChunk) {
    std::vector<ledger::Account> chunk;
    for (uint64_t i = start; i < std::min(options.accounts, start + kAccountCreateChunk); ++i) {
      ledger::Account account;
      account.id = run_prefix | (i + 1);
      account.asset = "USDT";
      account.code = 1;
      chunk.push_back(account);
    }
    for (auto result : engine.CreateAccounts(chunk)) {
      if (result != ledger::CreateAccountResult::kOk) {
        std::fprintf(stderr, "bench ledger: account creation failed: %s\n",
                     std::string(ledger::Name(result)).c_str());
        return false;
      }
    }
  }
  return true;
}

// All transfers are generated up front so the timed part is only submission and commit.
std::vector<Submission> GenerateSubmissions(const LedgerBenchOptions& options, u128 run_prefix,
                                            std::mt19937_64& random, const Clock& clock) {
  std::vector<Submission> submissions;
  const auto per = static_cast<uint64_t>(options.transfers_per_submission);
  submissions.reserve((options.transfers + per - 1) / per);
  std::uniform_int_distribution<uint64_t> pick_account(1, options.accounts);
  std::uniform_int_distribution<uint64_t> pick_amount(1, 1'000'000);
  for (uint64_t i = 0; i < options.transfers; ++i) {
    if (i % per == 0) submissions.emplace_back();
    ledger::Transfer t;
    t.id = options.random_ids ? (static_cast<u128>(random()) << 64 | random()) | 1
                              : ledger::TimeOrderedId(clock);
    const uint64_t debit = pick_account(random);
    uint64_t credit = pick_account(random);
    if (credit == debit) credit = debit % options.accounts + 1;
    t.debit_account_id = run_prefix | debit;
    t.credit_account_id = run_prefix | credit;
    t.amount = pick_amount(random);
    t.asset = "USDT";
    t.code = 1;
    submissions.back().push_back(std::move(t));
  }
  return submissions;
}

void PrintBatchStats(const ledger::LedgerStats& stats) {
  std::fprintf(stderr, "bench ledger: %llu batches, %.1f transfers per batch, %llu retried\n",
               static_cast<unsigned long long>(stats.batches.load()),
               static_cast<double>(stats.transfers_submitted.load()) /
                   static_cast<double>(std::max<uint64_t>(1, stats.batches.load())),
               static_cast<unsigned long long>(stats.batch_retries.load()));
}

bool VerifyLedger(store::Database& database) {
  std::fprintf(stderr, "bench ledger: verifying the ledger\n");
  auto connection = database.Connect();
  const ledger::AuditReport report = ledger::AuditLedger(*connection);
  if (!report.consistent()) {
    std::fprintf(stderr, "bench ledger: ledger verify failed: %s\n", report.ToJson().c_str());
    return false;
  }
  return true;
}

}  // namespace

int RunLedgerBench(const LedgerBenchOptions& options) {
  if (options.concurrency < 1 || options.accounts < 2 || options.transfers < 1 ||
      options.transfers_per_submission < 1) {
    std::fprintf(stderr, "bench ledger: need concurrency >= 1, accounts >= 2, transfers >= 1\n");
    return 2;
  }
  auto database = store::Open(options.database_url);
  {
    auto connection = database->Connect();
    store::Migrate(*connection, AllMigrations());
  }
  SystemClock clock;
  const uint64_t seed = options.seed != 0 ? options.seed : std::random_device{}();
  std::mt19937_64 random(seed);
  // Ids carry a per-run prefix so runs can be repeated on the same database.
  const u128 run_prefix = static_cast<u128>(random() | 1) << 64;

  Submitters submitters;  // before the Ledger, so it outlives the Ledger's threads
  ledger::LedgerOptions ledger_options;
  ledger_options.committer_count = options.committers;
  ledger::Ledger ledger_service(*database, clock, ledger_options);
  if (!CreateAccounts(ledger_service, options, run_prefix)) return 1;
  std::vector<Submission> submissions = GenerateSubmissions(options, run_prefix, random, clock);

  std::fprintf(stderr, "bench ledger: submitting %llu transfers from %d concurrent submitters\n",
               static_cast<unsigned long long>(options.transfers), options.concurrency);
  const auto started = std::chrono::steady_clock::now();
  submitters.Run(ledger_service, std::move(submissions), options.concurrency);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (!submitters.error().empty() || submitters.failed() != 0) {
    std::fprintf(stderr, "bench ledger: %llu transfers failed; error: %s\n",
                 static_cast<unsigned long long>(submitters.failed()), submitters.error().c_str());
    return 1;
  }

  PrintBatchStats(ledger_service.stats());
  if (!VerifyLedger(*database)) return 1;
  // Timing is reported, never asserted; a double is fine here (no money).
  std::printf(
      "{\"backend\":\"%s\",\"transfers\":%llu,\"concurrency\":%d,\"seconds\":%.3f,"
      "\"transfers_per_sec\":%.0f}\n",
      std::string(store::BackendName(database->backend())).c_str(),
      static_cast<unsigned long long>(options.transfers), options.concurrency, seconds,
      static_cast<double>(options.transfers) / seconds);
  return 0;
}

}  // namespace cambista::app
