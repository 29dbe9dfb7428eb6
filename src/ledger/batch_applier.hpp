// Applies transfers to in-memory ledger state: the ledger's rules, without I/O.
//
// The group committer loads (and on PostgreSQL locks) everything a batch touches — accounts,
// transfers with the batch's ids and pending ids, recorded failures, pending states — into a
// BatchApplier, applies every submission in arrival order, and writes back what changed, all in one
// database transaction. Keeping the rules here, apart from SQL, makes them testable on their own
// and identical on both backends.
#pragma once

#include <cstdint>
#include <span>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "ledger/types.hpp"

namespace cambista::ledger {

struct PendingInfo {
  PendingState state = PendingState::kPending;
  int64_t expires_at = 0;  // ns since epoch; 0 = never
  int64_t resolved_at = 0;
};

class BatchApplier {
 public:
  // ---- loaded state (filled by the caller before applying) ----
  std::unordered_map<u128, Account, U128Hash> accounts;
  std::unordered_map<u128, Transfer, U128Hash> transfers;  // existing, and created by this batch
  std::unordered_map<u128, CreateTransferResult, U128Hash> failures;
  std::unordered_map<u128, PendingInfo, U128Hash> pending;

  // ---- changes to write back ----
  std::vector<u128> created;  // ids of created transfers, in timestamp order
  struct NewFailure {
    u128 id;
    CreateTransferResult result;
    int64_t timestamp;
  };
  std::vector<NewFailure> new_failures;
  std::unordered_set<u128, U128Hash> dirty_accounts;
  std::unordered_set<u128, U128Hash> dirty_pending;

  // `next_timestamp` is the first timestamp this batch may assign; it advances by one per event.
  explicit BatchApplier(int64_t next_timestamp) : next_timestamp_(next_timestamp) {}

  // Applies one submission (its linked chains commit all or nothing) at time `now_ns`.
  std::vector<CreateTransferResult> Apply(std::span<const Transfer> submission, int64_t now_ns);

  // Voids a pending transfer whose timeout passed; false if it is no longer pending.
  bool Expire(u128 pending_id, int64_t now_ns);

  int64_t next_timestamp() const { return next_timestamp_; }

 private:
  struct Balances {
    u128 debits_pending, debits_posted, credits_pending, credits_posted;
  };
  struct Undo {
    enum class Kind { kAccount, kCreated, kPending } kind;
    u128 id;
    Balances balances{};
    bool had_pending = false;
    PendingInfo pending{};
  };

  CreateTransferResult Create(const Transfer& transfer, int64_t now_ns);
  CreateTransferResult PostOrVoid(const Transfer& transfer, int64_t now_ns);
  static CreateTransferResult CompareExisting(const Transfer& request, const Transfer& existing);
  static CreateTransferResult CompareExistingPostOrVoid(const Transfer& request,
                                                        const Transfer& existing,
                                                        const Transfer& pending_transfer);
  void TouchAccount(Account& account);
  void SetPending(u128 id, const PendingInfo& info);
  void Insert(Transfer transfer);
  void RollBackTo(size_t undo_size);

  int64_t next_timestamp_;
  std::vector<Undo> undo_;
};

}  // namespace cambista::ledger
