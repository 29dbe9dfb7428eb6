// The process the crash test kills with SIGKILL at random moments.
//
//   ledger_crash_child DB_URL FIRST LAST [drain]
//
// Submits workload transfers FIRST..LAST-1 with many in flight (through group commit), and for
// every kJobEvery-th transfer enqueues a job in a transaction of its own. It prints "T <i>" only
// after the transfer is durable and "J <i>" only after the job's transaction committed, flushing
// each line, so every line the test reads is a promise the database must keep. Job workers run all
// along; the job handler records its effect idempotently. With "drain" it also waits until every
// job is done, then prints "DONE".
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>

#include "crash_workload.hpp"
#include "jobs/job_queue.hpp"
#include "jobs/job_table.hpp"
#include "ledger/ledger.hpp"
#include "store/database.hpp"

using namespace cambista;

namespace {

std::mutex output_mutex;
void Say(const char* tag, uint64_t i) {
  std::lock_guard lock(output_mutex);
  std::printf("%s %llu\n", tag, static_cast<unsigned long long>(i));
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: ledger_crash_child DB_URL FIRST LAST [drain]\n");
    return 2;
  }
  const std::string url = argv[1];
  const uint64_t first = std::strtoull(argv[2], nullptr, 10);
  const uint64_t last = std::strtoull(argv[3], nullptr, 10);
  const bool drain = argc > 4 && std::string(argv[4]) == "drain";

  SystemClock clock;
  auto database = store::Open(url);
  {
    auto connection = database->Connect();
    connection->Execute(
        "CREATE TABLE IF NOT EXISTS crash_effects (job_key TEXT PRIMARY KEY, runs INTEGER)");
  }

  jobs::JobQueueOptions job_options;
  job_options.lease_ms = 400;  // a killed worker's job is claimed again soon after restart
  job_options.poll_interval_ms = 20;
  job_options.worker_count = 2;
  job_options.backoff.base_ms = 10;
  job_options.backoff.max_ms = 100;
  jobs::JobQueue queue(*database, clock, job_options);
  queue.Register(ledger::crash::kJobKind, [](const jobs::JobContext& context) {
    context.connection.Execute(
        "INSERT INTO crash_effects (job_key, runs) VALUES ($1, 1) "
        "ON CONFLICT (job_key) DO UPDATE SET runs = crash_effects.runs + 1",
        {std::string_view(context.job.payload)});
    return jobs::JobOutcome::Done();
  });
  queue.Start();

  // What the ledger's callbacks touch is declared before it, so it outlives the ledger's threads.
  constexpr int kInFlightMax = 32;
  std::mutex mutex;
  std::condition_variable slot_free;
  int in_flight = 0;
  std::atomic<bool> failed{false};
  ledger::Ledger ledger(*database, clock);
  std::vector<ledger::Account> accounts;
  for (uint64_t id = 1; id <= ledger::crash::kAccounts; ++id) {
    ledger::Account account;
    account.id = id;
    account.asset = "BRL";
    account.code = 1;
    accounts.push_back(account);
  }
  ledger.CreateAccounts(accounts);  // ok or exists

  auto job_connection = database->Connect();
  for (uint64_t i = first; i < last; ++i) {
    {
      std::unique_lock lock(mutex);
      slot_free.wait(lock, [&] { return in_flight < kInFlightMax; });
      ++in_flight;
    }
    ledger.SubmitAsync({ledger::crash::WorkloadTransfer(i)}, [&, i](ledger::SubmitResult result) {
      if (result.ok() && ledger::IsSuccess(result.results.at(0))) {
        Say("T", i);
      } else {
        std::fprintf(stderr, "transfer %llu failed: %s\n", static_cast<unsigned long long>(i),
                     result.ok() ? std::string(ledger::Name(result.results.at(0))).c_str()
                                 : result.error.c_str());
        failed = true;
      }
      {
        std::lock_guard lock(mutex);
        --in_flight;
      }
      slot_free.notify_one();
    });
    if (i % ledger::crash::kJobEvery == 0) {
      store::Transaction transaction(*job_connection, store::TransactionMode::kWrite);
      jobs::NewJob job;
      job.kind = ledger::crash::kJobKind;
      job.payload = "job-" + std::to_string(i);
      job.dedupe_key = job.payload;
      jobs::Enqueue(*job_connection, clock, job);
      transaction.Commit();
      queue.Wake();
      Say("J", i);
    }
  }
  {
    std::unique_lock lock(mutex);
    slot_free.wait(lock, [&] { return in_flight == 0; });
  }
  if (failed) return 1;
  if (drain) {
    for (;;) {
      const auto stats = queue.Stats();
      if (stats.ready == 0 && stats.running == 0) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    std::printf("DONE\n");
    std::fflush(stdout);
  }
  queue.Stop();
  return 0;
}
