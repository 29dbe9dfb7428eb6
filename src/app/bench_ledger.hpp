// `cambista bench ledger`: the ledger benchmark, through the same group-commit path the server
// uses.
#pragma once

#include <cstdint>
#include <string>

namespace cambista::app {

struct LedgerBenchOptions {
  std::string database_url;
  uint64_t transfers = 100'000;
  int concurrency = 64;  // submissions in flight at once, like concurrent API connections
  uint64_t accounts = 10'000;
  int transfers_per_submission = 1;
  bool random_ids = false;  // random 128-bit transfer ids instead of time-ordered ones
  bool naive = false;       // the baseline instead (bench_ledger_naive.cpp): RunNaiveLedgerBench
  uint64_t seed = 0;        // 0: random
  int committers = 0;       // LedgerOptions::committer_count (0: the ledger's default)
};

// Runs the benchmark, prints progress to stderr and the JSON result as the last line of stdout.
// Returns the process exit code.
int RunLedgerBench(const LedgerBenchOptions& options);

// The baseline: a naive double-entry transfer (two UPDATEs, one INSERT), one durable transaction
// per transfer, from `concurrency` threads; prints one JSON line like RunLedgerBench.
int RunNaiveLedgerBench(const LedgerBenchOptions& options);

}  // namespace cambista::app
