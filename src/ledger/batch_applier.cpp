#include "ledger/batch_applier.hpp"

#include <limits>

#include "core/assert.hpp"

namespace cambista::ledger {
namespace {

using R = CreateTransferResult;
constexpr int64_t kNsPerSecond = 1'000'000'000;
constexpr uint32_t kCodeMax = 0xFFFF;

bool AddOverflows(u128 a, u128 b) {
  return a > kU128Max - b;
}

// The checks of a new transfer that need nothing but the transfer itself, in TigerBeetle's order;
// kOk when it passes them all.
R CheckCreateFields(const Transfer& t) {
  if ((t.flags & ~TransferFlags::kKnown) != 0) return R::kReservedFlag;
  if (t.id == 0) return R::kIdMustNotBeZero;
  if (t.id == kU128Max) return R::kIdMustNotBeIntMax;
  if (t.debit_account_id == 0) return R::kDebitAccountIdMustNotBeZero;
  if (t.debit_account_id == kU128Max) return R::kDebitAccountIdMustNotBeIntMax;
  if (t.credit_account_id == 0) return R::kCreditAccountIdMustNotBeZero;
  if (t.credit_account_id == kU128Max) return R::kCreditAccountIdMustNotBeIntMax;
  if (t.debit_account_id == t.credit_account_id) return R::kAccountsMustBeDifferent;
  if (t.pending_id != 0) return R::kPendingIdMustBeZero;
  const bool is_pending = (t.flags & TransferFlags::kPending) != 0;
  if (!is_pending && t.timeout_s != 0) return R::kTimeoutReservedForPendingTransfer;
  if (t.amount == 0) return R::kAmountMustNotBeZero;
  if (!IsValidAssetCode(t.asset)) return R::kAssetInvalid;
  if (t.code == 0) return R::kCodeMustNotBeZero;
  if (t.code > kCodeMax) return R::kCodeOutOfRange;
  return R::kOk;
}

// Whether the new transfer fits its two accounts: no balance or timeout overflows, and the
// accounts' balance limits (counting pending amounts) hold; kOk when it does.
R CheckCreateLimits(const Transfer& t, bool is_pending, const Account& dr, const Account& cr,
                    int64_t timestamp) {
  if (is_pending) {
    if (AddOverflows(dr.debits_pending, t.amount)) return R::kOverflowsDebitsPending;
    if (AddOverflows(cr.credits_pending, t.amount)) return R::kOverflowsCreditsPending;
  } else {
    if (AddOverflows(dr.debits_posted, t.amount)) return R::kOverflowsDebitsPosted;
    if (AddOverflows(cr.credits_posted, t.amount)) return R::kOverflowsCreditsPosted;
  }
  if (AddOverflows(dr.debits_pending, dr.debits_posted) ||
      AddOverflows(dr.debits_pending + dr.debits_posted, t.amount)) {
    return R::kOverflowsDebits;
  }
  if (AddOverflows(cr.credits_pending, cr.credits_posted) ||
      AddOverflows(cr.credits_pending + cr.credits_posted, t.amount)) {
    return R::kOverflowsCredits;
  }
  if (t.timeout_s != 0 && static_cast<int64_t>(t.timeout_s) >
                              (std::numeric_limits<int64_t>::max() - timestamp) / kNsPerSecond) {
    return R::kOverflowsTimeout;
  }
  if ((dr.flags & AccountFlags::kDebitsMustNotExceedCredits) != 0 &&
      dr.debits_pending + dr.debits_posted + t.amount > dr.credits_posted) {
    return R::kExceedsCredits;
  }
  if ((cr.flags & AccountFlags::kCreditsMustNotExceedDebits) != 0 &&
      cr.credits_pending + cr.credits_posted + t.amount > cr.debits_posted) {
    return R::kExceedsDebits;
  }
  return R::kOk;
}

// The checks of a post or void that need nothing but the transfer itself; kOk when it passes.
R CheckPostOrVoidFields(const Transfer& t) {
  if ((t.flags & ~TransferFlags::kKnown) != 0) return R::kReservedFlag;
  if (t.id == 0) return R::kIdMustNotBeZero;
  if (t.id == kU128Max) return R::kIdMustNotBeIntMax;
  const bool post = (t.flags & TransferFlags::kPostPendingTransfer) != 0;
  const bool is_void = (t.flags & TransferFlags::kVoidPendingTransfer) != 0;
  if ((post && is_void) || (t.flags & TransferFlags::kPending) != 0) {
    return R::kFlagsAreMutuallyExclusive;
  }
  if (t.pending_id == 0) return R::kPendingIdMustNotBeZero;
  if (t.pending_id == kU128Max) return R::kPendingIdMustNotBeIntMax;
  if (t.pending_id == t.id) return R::kPendingIdMustBeDifferent;
  if (t.timeout_s != 0) return R::kTimeoutReservedForPendingTransfer;
  if (!t.asset.empty() && !IsValidAssetCode(t.asset)) return R::kAssetInvalid;
  if (t.code > kCodeMax) return R::kCodeOutOfRange;
  return R::kOk;
}

// Whether a post or void `t` agrees with the pending transfer `p` it resolves (fields left zero or
// empty take the pending transfer's); kOk when it does.
R CheckAgainstPending(const Transfer& t, const Transfer& p) {
  const bool post = (t.flags & TransferFlags::kPostPendingTransfer) != 0;
  const bool is_void = (t.flags & TransferFlags::kVoidPendingTransfer) != 0;
  if ((p.flags & TransferFlags::kPending) == 0) return R::kPendingTransferNotPending;
  if (t.debit_account_id != 0 && t.debit_account_id != p.debit_account_id) {
    return R::kPendingTransferHasDifferentDebitAccountId;
  }
  if (t.credit_account_id != 0 && t.credit_account_id != p.credit_account_id) {
    return R::kPendingTransferHasDifferentCreditAccountId;
  }
  if (!t.asset.empty() && t.asset != p.asset) return R::kPendingTransferHasDifferentAsset;
  if (t.code != 0 && t.code != p.code) return R::kPendingTransferHasDifferentCode;
  if (post && t.amount > p.amount) return R::kExceedsPendingTransferAmount;
  if (is_void && t.amount != 0 && t.amount != p.amount) {
    return R::kPendingTransferHasDifferentAmount;
  }
  return R::kOk;
}

// kOk while the pending transfer can still be posted or voided at `now_ns`.
R CheckStillPending(const PendingInfo& state, int64_t now_ns) {
  switch (state.state) {
    case PendingState::kPosted:
      return R::kPendingTransferAlreadyPosted;
    case PendingState::kVoided:
      return R::kPendingTransferAlreadyVoided;
    case PendingState::kExpired:
      return R::kPendingTransferExpired;
    case PendingState::kPending:
      break;
  }
  if (state.expires_at != 0 && state.expires_at <= now_ns) return R::kPendingTransferExpired;
  return R::kOk;
}

}  // namespace

std::vector<CreateTransferResult> BatchApplier::Apply(std::span<const Transfer> submission,
                                                      int64_t now_ns) {
  std::vector<CreateTransferResult> results(submission.size(), R::kOk);
  bool in_chain = false;
  bool chain_broken = false;
  size_t chain_start = 0;
  size_t chain_undo = 0;
  for (size_t i = 0; i < submission.size(); ++i) {
    const Transfer& transfer = submission[i];
    const bool linked = (transfer.flags & TransferFlags::kLinked) != 0;
    if (!in_chain && linked) {
      in_chain = true;
      chain_broken = false;
      chain_start = i;
      chain_undo = undo_.size();
    }
    R result;
    if (linked && i + 1 == submission.size()) {
      result = R::kLinkedEventChainOpen;  // takes precedence, as in TigerBeetle
    } else if (in_chain && chain_broken) {
      result = R::kLinkedEventFailed;
    } else {
      result = (transfer.flags &
                (TransferFlags::kPostPendingTransfer | TransferFlags::kVoidPendingTransfer)) != 0
                   ? PostOrVoid(transfer, now_ns)
                   : Create(transfer, now_ns);
    }
    // `exists` is success for a chain: retrying a committed chain reports every event as exists.
    const bool failed = !IsSuccess(result) && result != R::kLinkedEventFailed;
    if (failed && in_chain && !chain_broken) {
      chain_broken = true;
      RollBackTo(chain_undo);
      for (size_t j = chain_start; j < i; ++j) results[j] = R::kLinkedEventFailed;
    }
    results[i] = result;
    if (failed && IsRecordedFailure(result) && !failures.contains(transfer.id)) {
      failures.emplace(transfer.id, result);
      new_failures.push_back({transfer.id, result, next_timestamp_++});
    }
    if (in_chain && (!linked || result == R::kLinkedEventChainOpen)) in_chain = false;
  }
  if (!in_chain) undo_.clear();
  return results;
}

CreateTransferResult BatchApplier::Create(const Transfer& t, int64_t now_ns) {
  if (const R invalid = CheckCreateFields(t); invalid != R::kOk) return invalid;
  const bool is_pending = (t.flags & TransferFlags::kPending) != 0;

  if (auto failure = failures.find(t.id); failure != failures.end()) return failure->second;
  auto debit_it = accounts.find(t.debit_account_id);
  if (debit_it == accounts.end()) return R::kDebitAccountNotFound;
  auto credit_it = accounts.find(t.credit_account_id);
  if (credit_it == accounts.end()) return R::kCreditAccountNotFound;
  Account& dr = debit_it->second;
  Account& cr = credit_it->second;
  if (dr.asset != cr.asset) return R::kAccountsMustHaveTheSameAsset;
  if (t.asset != dr.asset) return R::kTransferMustHaveTheSameAssetAsAccounts;

  if (auto existing = transfers.find(t.id); existing != transfers.end()) {
    return CompareExisting(t, existing->second);
  }

  const int64_t timestamp = next_timestamp_;
  if (const R refused = CheckCreateLimits(t, is_pending, dr, cr, timestamp); refused != R::kOk) {
    return refused;
  }

  TouchAccount(dr);
  TouchAccount(cr);
  if (is_pending) {
    dr.debits_pending += t.amount;
    cr.credits_pending += t.amount;
    SetPending(t.id, PendingInfo{PendingState::kPending,
                                 t.timeout_s == 0 ? 0 : timestamp + t.timeout_s * kNsPerSecond, 0});
  } else {
    dr.debits_posted += t.amount;
    cr.credits_posted += t.amount;
  }
  Transfer stored = t;
  stored.timestamp = next_timestamp_++;
  Insert(std::move(stored));
  (void)now_ns;
  return R::kOk;
}

CreateTransferResult BatchApplier::PostOrVoid(const Transfer& t, int64_t now_ns) {
  if (const R invalid = CheckPostOrVoidFields(t); invalid != R::kOk) return invalid;
  const bool post = (t.flags & TransferFlags::kPostPendingTransfer) != 0;

  if (auto failure = failures.find(t.id); failure != failures.end()) return failure->second;
  auto pending_it = transfers.find(t.pending_id);
  if (pending_it == transfers.end()) return R::kPendingTransferNotFound;
  const Transfer& p = pending_it->second;
  if (const R mismatch = CheckAgainstPending(t, p); mismatch != R::kOk) return mismatch;

  if (auto existing = transfers.find(t.id); existing != transfers.end()) {
    return CompareExistingPostOrVoid(t, existing->second, p);
  }

  auto state_it = pending.find(t.pending_id);
  CAMBISTA_CHECK(state_it != pending.end());  // every pending transfer has a state row
  const PendingInfo& state = state_it->second;
  if (const R resolved = CheckStillPending(state, now_ns); resolved != R::kOk) return resolved;

  auto debit_it = accounts.find(p.debit_account_id);
  auto credit_it = accounts.find(p.credit_account_id);
  CAMBISTA_CHECK(debit_it != accounts.end() && credit_it != accounts.end());
  Account& dr = debit_it->second;
  Account& cr = credit_it->second;
  CAMBISTA_CHECK(dr.debits_pending >= p.amount && cr.credits_pending >= p.amount);

  const u128 amount = post ? (t.amount == 0 ? p.amount : t.amount) : p.amount;
  if (post) {
    if (AddOverflows(dr.debits_posted, amount)) return R::kOverflowsDebitsPosted;
    if (AddOverflows(cr.credits_posted, amount)) return R::kOverflowsCreditsPosted;
  }
  TouchAccount(dr);
  TouchAccount(cr);
  dr.debits_pending -= p.amount;
  cr.credits_pending -= p.amount;
  if (post) {
    dr.debits_posted += amount;
    cr.credits_posted += amount;
  }
  const int64_t timestamp = next_timestamp_++;
  SetPending(t.pending_id, PendingInfo{post ? PendingState::kPosted : PendingState::kVoided,
                                       state.expires_at, timestamp});
  Transfer stored = t;
  stored.debit_account_id = p.debit_account_id;
  stored.credit_account_id = p.credit_account_id;
  stored.asset = p.asset;
  stored.code = p.code;
  stored.amount = amount;
  stored.timestamp = timestamp;
  Insert(std::move(stored));
  return R::kOk;
}

bool BatchApplier::Expire(u128 pending_id, int64_t now_ns) {
  auto state_it = pending.find(pending_id);
  auto transfer_it = transfers.find(pending_id);
  if (state_it == pending.end() || transfer_it == transfers.end()) return false;
  const PendingInfo state = state_it->second;
  if (state.state != PendingState::kPending || state.expires_at == 0 || state.expires_at > now_ns) {
    return false;
  }
  const Transfer& p = transfer_it->second;
  Account& dr = accounts.at(p.debit_account_id);
  Account& cr = accounts.at(p.credit_account_id);
  CAMBISTA_CHECK(dr.debits_pending >= p.amount && cr.credits_pending >= p.amount);
  TouchAccount(dr);
  TouchAccount(cr);
  dr.debits_pending -= p.amount;
  cr.credits_pending -= p.amount;
  SetPending(pending_id, PendingInfo{PendingState::kExpired, state.expires_at, next_timestamp_++});
  undo_.clear();  // expiry is never rolled back
  return true;
}

CreateTransferResult BatchApplier::CompareExisting(const Transfer& t, const Transfer& e) {
  if (t.flags != e.flags) return R::kExistsWithDifferentFlags;
  if (t.debit_account_id != e.debit_account_id) return R::kExistsWithDifferentDebitAccountId;
  if (t.credit_account_id != e.credit_account_id) return R::kExistsWithDifferentCreditAccountId;
  if (t.amount != e.amount) return R::kExistsWithDifferentAmount;
  if (t.pending_id != e.pending_id) return R::kExistsWithDifferentPendingId;
  if (t.user_data_128 != e.user_data_128) return R::kExistsWithDifferentUserData128;
  if (t.user_data_64 != e.user_data_64) return R::kExistsWithDifferentUserData64;
  if (t.user_data_32 != e.user_data_32) return R::kExistsWithDifferentUserData32;
  if (t.timeout_s != e.timeout_s) return R::kExistsWithDifferentTimeout;
  if (t.asset != e.asset) return R::kExistsWithDifferentAsset;
  if (t.code != e.code) return R::kExistsWithDifferentCode;
  return R::kExists;
}

CreateTransferResult BatchApplier::CompareExistingPostOrVoid(const Transfer& t, const Transfer& e,
                                                             const Transfer& p) {
  if (t.flags != e.flags) return R::kExistsWithDifferentFlags;
  if (t.debit_account_id != 0 && t.debit_account_id != e.debit_account_id) {
    return R::kExistsWithDifferentDebitAccountId;
  }
  if (t.credit_account_id != 0 && t.credit_account_id != e.credit_account_id) {
    return R::kExistsWithDifferentCreditAccountId;
  }
  const bool post = (t.flags & TransferFlags::kPostPendingTransfer) != 0;
  if (post && (t.amount == 0 ? p.amount : t.amount) != e.amount) {
    return R::kExistsWithDifferentAmount;
  }
  if (t.pending_id != e.pending_id) return R::kExistsWithDifferentPendingId;
  if (t.user_data_128 != e.user_data_128) return R::kExistsWithDifferentUserData128;
  if (t.user_data_64 != e.user_data_64) return R::kExistsWithDifferentUserData64;
  if (t.user_data_32 != e.user_data_32) return R::kExistsWithDifferentUserData32;
  if (t.timeout_s != e.timeout_s) return R::kExistsWithDifferentTimeout;
  if (!t.asset.empty() && t.asset != e.asset) return R::kExistsWithDifferentAsset;
  if (t.code != 0 && t.code != e.code) return R::kExistsWithDifferentCode;
  return R::kExists;
}

void BatchApplier::TouchAccount(Account& account) {
  undo_.push_back(Undo{Undo::Kind::kAccount, account.id,
                       Balances{account.debits_pending, account.debits_posted,
                                account.credits_pending, account.credits_posted}});
  dirty_accounts.insert(account.id);
}

void BatchApplier::SetPending(u128 id, const PendingInfo& info) {
  Undo undo{Undo::Kind::kPending, id};
  if (auto it = pending.find(id); it != pending.end()) {
    undo.had_pending = true;
    undo.pending = it->second;
    it->second = info;
  } else {
    pending.emplace(id, info);
  }
  undo_.push_back(undo);
  dirty_pending.insert(id);
}

void BatchApplier::Insert(Transfer transfer) {
  const u128 id = transfer.id;
  transfers.emplace(id, std::move(transfer));
  created.push_back(id);
  undo_.push_back(Undo{Undo::Kind::kCreated, id});
}

void BatchApplier::RollBackTo(size_t undo_size) {
  while (undo_.size() > undo_size) {
    const Undo& undo = undo_.back();
    switch (undo.kind) {
      case Undo::Kind::kAccount: {
        Account& account = accounts.at(undo.id);
        account.debits_pending = undo.balances.debits_pending;
        account.debits_posted = undo.balances.debits_posted;
        account.credits_pending = undo.balances.credits_pending;
        account.credits_posted = undo.balances.credits_posted;
        break;
      }
      case Undo::Kind::kCreated:
        CAMBISTA_CHECK(!created.empty() && created.back() == undo.id);
        created.pop_back();
        transfers.erase(undo.id);
        break;
      case Undo::Kind::kPending:
        if (undo.had_pending) {
          pending[undo.id] = undo.pending;
        } else {
          pending.erase(undo.id);
        }
        break;
    }
    undo_.pop_back();
  }
}

}  // namespace cambista::ledger
