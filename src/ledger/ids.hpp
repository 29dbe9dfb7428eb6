// Ids for ledger records, TigerBeetle-style: time first, then randomness.
//
// Transfer and account ids are chosen by the client. Ids that grow with time keep the unique index
// append-mostly: a random 128-bit id lands on a random index page and costs about 40% of SQLite's
// throughput (docs/BENCHMARKS.md). Every Cambista service that creates ledger records uses these.
#pragma once

#include "core/clock.hpp"
#include "core/int128.hpp"

namespace cambista::ledger {

// 48 bits of milliseconds since the epoch, then 80 random bits (never 0, never all ones).
// Thread-safe. Ids from one process are strictly increasing, also within one millisecond.
u128 TimeOrderedId(const Clock& clock);

}  // namespace cambista::ledger
