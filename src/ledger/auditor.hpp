// The auditor behind `cambista ledger verify`: re-derives every account's four balances from the
// immutable transfers (and the pending transfers' states) and checks them against the materialized
// balances, and checks that per asset total debits equal total credits, posted and pending
// separately. It reads one consistent snapshot and writes nothing.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/int128.hpp"
#include "store/database.hpp"

namespace cambista::ledger {

struct AuditReport {
  struct AssetTotals {
    std::string asset;
    u128 debits_posted = 0, credits_posted = 0, debits_pending = 0, credits_pending = 0;
  };
  uint64_t accounts = 0;
  uint64_t transfers = 0;
  uint64_t pending_open = 0;
  std::vector<AssetTotals> assets;         // sorted by asset code
  std::vector<std::string> discrepancies;  // empty when consistent

  bool consistent() const { return discrepancies.empty(); }
  // One JSON object (amounts as decimal strings of minor units).
  std::string ToJson() const;
};

AuditReport AuditLedger(store::Connection& connection);

}  // namespace cambista::ledger
