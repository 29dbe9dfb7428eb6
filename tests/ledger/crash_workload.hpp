// The deterministic workload shared by the crash test and the process it kills: transfer i has
// fixed fields, so the test knows what the ledger must hold without asking the process.
#pragma once

#include <cstdint>

#include "ledger/types.hpp"

namespace cambista::ledger::crash {

inline constexpr uint64_t kAccounts = 20;
inline constexpr uint64_t kJobEvery = 5;  // transfer i with i % kJobEvery == 0 also enqueues a job
inline constexpr const char* kJobKind = "crash.effect";

inline Transfer WorkloadTransfer(uint64_t i) {
  Transfer t;
  t.id = u128{0xC0FFEE} << 64 | (i + 1);
  t.debit_account_id = 1 + (i * 7) % kAccounts;
  t.credit_account_id = 1 + (i * 7 + 3 + i % 5) % kAccounts;
  if (t.credit_account_id == t.debit_account_id)
    t.credit_account_id = t.debit_account_id % kAccounts + 1;
  t.amount = 1 + (i * 2654435761u) % 100000;
  t.asset = "BRL";
  t.code = 1;
  return t;
}

}  // namespace cambista::ledger::crash
