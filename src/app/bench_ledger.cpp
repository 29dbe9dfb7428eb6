#include "app/bench_ledger.hpp"

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <random>
#include <vector>

#include "core/clock.hpp"
#include "ledger/auditor.hpp"
#include "ledger/ids.hpp"
#include "ledger/ledger.hpp"
#include "store/database.hpp"
#include "store/migrations.hpp"

namespace cambista::app {
namespace {

constexpr uint64_t kAccountCreateChunk = 1000;

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
    store::Migrate(*connection);
  }
  SystemClock clock;
  const uint64_t seed = options.seed != 0 ? options.seed : std::random_device{}();
  std::mt19937_64 random(seed);
  // Ids carry a per-run prefix so runs can be repeated on the same database.
  const u128 run_prefix = static_cast<u128>(random() | 1) << 64;

  // Everything the submitters' callbacks touch is declared before the Ledger, so it outlives the
  // Ledger's threads (its destructor joins them) even if a callback is still finishing.
  std::vector<std::vector<ledger::Transfer>> submissions;
  ledger::Ledger* engine = nullptr;
  std::mutex mutex;
  std::condition_variable finished;
  size_t next_submission = 0;
  size_t completed = 0;
  uint64_t failed = 0;
  std::string error;
  // Each submitter keeps one submission in flight: when it learns its result, it sends the next.
  std::function<void()> submit_next = [&] {
    size_t index;
    {
      std::lock_guard lock(mutex);
      if (next_submission >= submissions.size()) return;
      index = next_submission++;
    }
    engine->SubmitAsync(std::move(submissions[index]), [&](ledger::SubmitResult result) {
      {
        std::lock_guard lock(mutex);
        ++completed;
        if (!result.ok() && error.empty()) error = result.error;
        for (auto code : result.results) {
          if (code != ledger::CreateTransferResult::kOk) ++failed;
        }
      }
      finished.notify_one();
      submit_next();
    });
  };
  ledger::Ledger ledger_service(*database, clock);
  engine = &ledger_service;
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
    for (auto result : engine->CreateAccounts(chunk)) {
      if (result != ledger::CreateAccountResult::kOk) {
        std::fprintf(stderr, "bench ledger: account creation failed: %s\n",
                     std::string(ledger::Name(result)).c_str());
        return 1;
      }
    }
  }

  // All transfers are generated up front so the timed part is only submission and commit.
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

  std::fprintf(stderr, "bench ledger: submitting %llu transfers from %d concurrent submitters\n",
               static_cast<unsigned long long>(options.transfers), options.concurrency);
  const auto started = std::chrono::steady_clock::now();
  for (int i = 0; i < options.concurrency; ++i) submit_next();
  {
    std::unique_lock lock(mutex);
    finished.wait(lock, [&] { return completed == submissions.size(); });
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (!error.empty() || failed != 0) {
    std::fprintf(stderr, "bench ledger: %llu transfers failed; error: %s\n",
                 static_cast<unsigned long long>(failed), error.c_str());
    return 1;
  }

  const auto& stats = engine->stats();
  std::fprintf(stderr, "bench ledger: %llu batches, %.1f transfers per batch, %llu retried\n",
               static_cast<unsigned long long>(stats.batches.load()),
               static_cast<double>(stats.transfers_submitted.load()) /
                   static_cast<double>(std::max<uint64_t>(1, stats.batches.load())),
               static_cast<unsigned long long>(stats.batch_retries.load()));
  std::fprintf(stderr, "bench ledger: verifying the ledger\n");
  auto connection = database->Connect();
  const ledger::AuditReport report = ledger::AuditLedger(*connection);
  if (!report.consistent()) {
    std::fprintf(stderr, "bench ledger: ledger verify failed: %s\n", report.ToJson().c_str());
    return 1;
  }
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
