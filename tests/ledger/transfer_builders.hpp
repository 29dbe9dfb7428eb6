// Small builders shared by the ledger tests.
#pragma once

#include "ledger/types.hpp"

namespace cambista::ledger {

// A BRL transfer with code 1.
inline Transfer MakeTransfer(u128 id, u128 debit, u128 credit, u128 amount, uint32_t flags = 0) {
  Transfer t;
  t.id = id;
  t.debit_account_id = debit;
  t.credit_account_id = credit;
  t.amount = amount;
  t.asset = "BRL";
  t.code = 1;
  t.flags = flags;
  return t;
}

}  // namespace cambista::ledger
