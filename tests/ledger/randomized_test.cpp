// A randomized workload against each backend, checked after every round against an independent
// in-memory model of the ledger's rules; `ledger verify` (the auditor) must be clean at the end.
//
// The model is deliberately written differently from the engine: it snapshots its whole state at
// the start of a linked chain and restores it on failure, and it covers only the operations the
// generator makes (valid and invalid transfers, two-phase, chains, retries, expiry).
#include <gtest/gtest.h>

#include <future>
#include <map>
#include <random>

#include "ledger/auditor.hpp"
#include "ledger/ledger.hpp"
#include "test_database.hpp"

namespace cambista::ledger {
namespace {

using R = CreateTransferResult;

struct ModelAccount {
  std::string asset;
  uint32_t flags = 0;
  u128 debits_pending = 0, debits_posted = 0, credits_pending = 0, credits_posted = 0;
};

struct ModelPending {
  u128 debit = 0, credit = 0, amount = 0;
  PendingState state = PendingState::kPending;
  uint32_t timeout_s = 0;
  int64_t expires_at = 0;  // filled from the ledger-assigned timestamp after creation
};

struct ModelState {
  std::map<u128, ModelAccount> accounts;
  std::map<u128, Transfer> transfers;  // as submitted (post/void keep the request's fields)
  std::map<u128, R> failures;
  std::map<u128, ModelPending> pendings;
};

class Model {
 public:
  ModelState state;

  std::vector<R> Apply(const std::vector<Transfer>& submission, int64_t now) {
    std::vector<R> results(submission.size(), R::kOk);
    size_t i = 0;
    while (i < submission.size()) {
      size_t end = i;  // the chain is [i, end]
      while (end < submission.size() && (submission[end].flags & TransferFlags::kLinked)) ++end;
      const bool open = end == submission.size();  // the last event still says "linked"
      if (open) --end;
      if (end == i && !open) {
        results[i] = One(submission[i], now);
        RecordFailure(submission[i], results[i]);
        ++i;
        continue;
      }
      const ModelState snapshot = state;
      size_t failed_at = end + 1;
      R failure = R::kOk;
      for (size_t j = i; j <= end; ++j) {
        if (open && j == end) {
          failed_at = j;
          failure = R::kLinkedEventChainOpen;
          break;
        }
        const R result = One(submission[j], now);
        if (result != R::kOk && result != R::kExists) {
          failed_at = j;
          failure = result;
          break;
        }
        results[j] = result;
      }
      if (failed_at <= end) {
        state = snapshot;
        for (size_t j = i; j <= end; ++j) results[j] = R::kLinkedEventFailed;
        results[failed_at] = failure;
        RecordFailure(submission[failed_at], failure);
        if (open) results[end] = R::kLinkedEventChainOpen;
      }
      i = end + 1;
    }
    return results;
  }

  void ExpireAll(int64_t now) {
    for (auto& [id, p] : state.pendings) {
      if (p.state == PendingState::kPending && p.timeout_s != 0 && p.expires_at <= now) {
        p.state = PendingState::kExpired;
        state.accounts[p.debit].debits_pending -= p.amount;
        state.accounts[p.credit].credits_pending -= p.amount;
      }
    }
  }

 private:
  void RecordFailure(const Transfer& t, R result) {
    const auto value = static_cast<uint32_t>(result);
    if (value >= 21 && value <= 44 && !state.failures.contains(t.id)) {
      state.failures[t.id] = result;
    }
  }

  R One(const Transfer& t, int64_t now) {
    const bool post = t.flags & TransferFlags::kPostPendingTransfer;
    const bool is_void = t.flags & TransferFlags::kVoidPendingTransfer;
    if (post || is_void) return PostOrVoid(t, post, now);
    if (t.debit_account_id == t.credit_account_id) return R::kAccountsMustBeDifferent;
    if (t.amount == 0) return R::kAmountMustNotBeZero;
    if (state.failures.contains(t.id)) return state.failures[t.id];
    if (!state.accounts.contains(t.debit_account_id)) return R::kDebitAccountNotFound;
    if (!state.accounts.contains(t.credit_account_id)) return R::kCreditAccountNotFound;
    ModelAccount& dr = state.accounts[t.debit_account_id];
    ModelAccount& cr = state.accounts[t.credit_account_id];
    if (dr.asset != cr.asset) return R::kAccountsMustHaveTheSameAsset;
    if (auto it = state.transfers.find(t.id); it != state.transfers.end()) {
      if (it->second.flags != t.flags) return R::kExistsWithDifferentFlags;
      if (it->second.debit_account_id != t.debit_account_id) {
        return R::kExistsWithDifferentDebitAccountId;
      }
      if (it->second.credit_account_id != t.credit_account_id) {
        return R::kExistsWithDifferentCreditAccountId;
      }
      return it->second.amount == t.amount ? R::kExists : R::kExistsWithDifferentAmount;
    }
    if ((dr.flags & AccountFlags::kDebitsMustNotExceedCredits) &&
        dr.debits_pending + dr.debits_posted + t.amount > dr.credits_posted) {
      return R::kExceedsCredits;
    }
    if ((cr.flags & AccountFlags::kCreditsMustNotExceedDebits) &&
        cr.credits_pending + cr.credits_posted + t.amount > cr.debits_posted) {
      return R::kExceedsDebits;
    }
    if (t.flags & TransferFlags::kPending) {
      dr.debits_pending += t.amount;
      cr.credits_pending += t.amount;
      state.pendings[t.id] = ModelPending{t.debit_account_id,     t.credit_account_id, t.amount,
                                          PendingState::kPending, t.timeout_s,         0};
    } else {
      dr.debits_posted += t.amount;
      cr.credits_posted += t.amount;
    }
    state.transfers[t.id] = t;
    return R::kOk;
  }

  R PostOrVoid(const Transfer& t, bool post, int64_t now) {
    if (state.failures.contains(t.id)) return state.failures[t.id];
    auto pending_transfer = state.transfers.find(t.pending_id);
    if (pending_transfer == state.transfers.end()) return R::kPendingTransferNotFound;
    if (!(pending_transfer->second.flags & TransferFlags::kPending)) {
      return R::kPendingTransferNotPending;
    }
    ModelPending& p = state.pendings[t.pending_id];
    if (post && t.amount > p.amount) return R::kExceedsPendingTransferAmount;
    if (!post && t.amount != 0 && t.amount != p.amount) {
      return R::kPendingTransferHasDifferentAmount;
    }
    auto effective = [&](u128 amount) { return amount == 0 ? p.amount : amount; };
    if (auto it = state.transfers.find(t.id); it != state.transfers.end()) {
      if (it->second.flags != t.flags) return R::kExistsWithDifferentFlags;
      if (post && effective(it->second.amount) != effective(t.amount)) {
        return R::kExistsWithDifferentAmount;
      }
      if (it->second.pending_id != t.pending_id) return R::kExistsWithDifferentPendingId;
      return R::kExists;
    }
    if (p.state == PendingState::kPosted) return R::kPendingTransferAlreadyPosted;
    if (p.state == PendingState::kVoided) return R::kPendingTransferAlreadyVoided;
    if (p.state == PendingState::kExpired) return R::kPendingTransferExpired;
    if (p.timeout_s != 0 && p.expires_at <= now) return R::kPendingTransferExpired;
    ModelAccount& dr = state.accounts[p.debit];
    ModelAccount& cr = state.accounts[p.credit];
    dr.debits_pending -= p.amount;
    cr.credits_pending -= p.amount;
    if (post) {
      const u128 amount = t.amount == 0 ? p.amount : t.amount;
      dr.debits_posted += amount;
      cr.credits_posted += amount;
      p.state = PendingState::kPosted;
    } else {
      p.state = PendingState::kVoided;
    }
    state.transfers[t.id] = t;
    return R::kOk;
  }
};

class RandomizedLedgerTest : public cambista::testing::DatabaseTest {};

TEST_P(RandomizedLedgerTest, ModelAgreesAfterEveryRound) {
  constexpr int kRounds = 700;
  constexpr u128 kAccountCount = 12;
  ManualClock clock(1'700'000'000'000'000'000);
  LedgerOptions options;
  options.expiry_interval_ms = 3'600'000;  // expiry only when the test asks
  options.committer_count = 1;  // submissions in flight together are applied in arrival order
  Ledger ledger(db(), clock, options);
  Model model;
  std::mt19937_64 random(20261124);
  auto pick = [&](uint64_t low, uint64_t high) {
    return std::uniform_int_distribution<uint64_t>(low, high)(random);
  };

  std::vector<Account> accounts;
  for (u128 id = 1; id <= kAccountCount; ++id) {
    Account a;
    a.id = id;
    a.asset = id <= 8 ? "BRL" : "USDT";
    a.code = 1;
    if (id == 1 || id == 2 || id == 9) a.flags = AccountFlags::kDebitsMustNotExceedCredits;
    if (id == 3) a.flags = AccountFlags::kCreditsMustNotExceedDebits;
    accounts.push_back(a);
    model.state.accounts[id] = ModelAccount{a.asset, a.flags};
  }
  for (auto result : ledger.CreateAccounts(accounts)) ASSERT_EQ(result, CreateAccountResult::kOk);

  u128 next_id = 1000;
  std::vector<u128> pending_ids;
  std::vector<Transfer> history;  // submitted transfers, for retries
  uint64_t operations = 0;
  std::map<R, int> seen;  // results met, to show the workload reaches the rules it should

  auto random_transfer = [&]() -> Transfer {
    Transfer t;
    const uint64_t kind = pick(0, 99);
    if (kind < 12 &&
        !history.empty()) {  // retry an earlier transfer, sometimes with another amount
      t = history[pick(0, history.size() - 1)];
      t.flags &= ~TransferFlags::kLinked;
      if (pick(0, 3) == 0) t.amount += 1;
      return t;
    }
    t.id = next_id++;
    t.code = 1;
    if (kind < 30 && !pending_ids.empty()) {  // post or void
      t.pending_id =
          pick(0, 9) == 0 ? next_id + 5000 : pending_ids[pick(0, pending_ids.size() - 1)];
      t.flags =
          pick(0, 1) ? TransferFlags::kPostPendingTransfer : TransferFlags::kVoidPendingTransfer;
      if (t.flags == TransferFlags::kPostPendingTransfer) {
        const uint64_t amount_kind = pick(0, 3);
        t.amount = amount_kind == 0 ? 0 : pick(1, amount_kind == 3 ? 3000 : 600);
      }
      return t;
    }
    t.debit_account_id = pick(1, kAccountCount + (pick(0, 30) == 0 ? 1 : 0));
    t.credit_account_id = pick(1, kAccountCount);
    if (pick(0, 6) != 0 && t.debit_account_id <= kAccountCount) {  // mostly the same asset
      while ((t.credit_account_id <= 8) != (t.debit_account_id <= 8) ||
             t.credit_account_id == t.debit_account_id) {
        t.credit_account_id = pick(1, kAccountCount);
      }
    }
    t.amount = pick(0, 40) == 0 ? 0 : pick(1, 1000);
    t.asset = t.debit_account_id <= 8 || t.debit_account_id > kAccountCount ? "BRL" : "USDT";
    if (t.debit_account_id > kAccountCount) t.asset = "BRL";
    if (pick(0, 3) == 0) {
      t.flags = TransferFlags::kPending;
      t.timeout_s = pick(0, 1) ? 0 : static_cast<uint32_t>(pick(1, 4));
    }
    return t;
  };

  for (int round = 0; round < kRounds; ++round) {
    // Several submissions in flight at once share group commits; arrival order is kept.
    const int in_flight = static_cast<int>(pick(1, 6));
    std::vector<std::vector<Transfer>> submissions;
    std::vector<std::future<SubmitResult>> futures;
    for (int s = 0; s < in_flight; ++s) {
      std::vector<Transfer> submission;
      const int size = static_cast<int>(pick(1, 4));
      const bool chain = size > 1 && pick(0, 2) == 0;
      for (int k = 0; k < size; ++k) {
        Transfer t = random_transfer();
        if (chain && (k + 1 < size || pick(0, 15) == 0)) t.flags |= TransferFlags::kLinked;
        submission.push_back(t);
      }
      operations += submission.size();
      auto promise = std::make_shared<std::promise<SubmitResult>>();
      futures.push_back(promise->get_future());
      ledger.SubmitAsync(submission,
                         [promise](SubmitResult r) { promise->set_value(std::move(r)); });
      submissions.push_back(std::move(submission));
    }
    for (size_t s = 0; s < submissions.size(); ++s) {
      SubmitResult result = futures[s].get();
      ASSERT_TRUE(result.ok()) << result.error;
      const auto expected = model.Apply(submissions[s], clock.NowNs());
      ASSERT_EQ(result.results.size(), expected.size());
      for (size_t k = 0; k < expected.size(); ++k) {
        ++seen[expected[k]];
        ASSERT_EQ(Name(result.results[k]), Name(expected[k]))
            << "round " << round << " submission " << s << " event " << k;
        const Transfer& t = submissions[s][k];
        history.push_back(t);
        if (expected[k] == R::kOk && (t.flags & TransferFlags::kPending)) {
          pending_ids.push_back(t.id);
          if (t.timeout_s != 0) {  // the ledger assigns the timestamp the timeout counts from
            auto stored = ledger.LookupTransfer(t.id);
            ASSERT_TRUE(stored.has_value());
            model.state.pendings[t.id].expires_at =
                stored->timestamp + int64_t{t.timeout_s} * 1'000'000'000;
          }
        }
      }
    }
    if (pick(0, 9) == 0) {  // time passes; expired pending transfers are voided
      clock.AdvanceMs(static_cast<int64_t>(pick(1, 3000)));
      if (pick(0, 1)) {
        ledger.ExpirePending();
        model.ExpireAll(clock.NowNs());
      }
    }
    for (const auto& [id, expected] : model.state.accounts) {
      auto actual = ledger.LookupAccount(id);
      ASSERT_TRUE(actual.has_value());
      ASSERT_EQ(ToDecimal(actual->debits_pending), ToDecimal(expected.debits_pending))
          << "round " << round << " account " << ToDecimal(id);
      ASSERT_EQ(ToDecimal(actual->debits_posted), ToDecimal(expected.debits_posted));
      ASSERT_EQ(ToDecimal(actual->credits_pending), ToDecimal(expected.credits_pending));
      ASSERT_EQ(ToDecimal(actual->credits_posted), ToDecimal(expected.credits_posted));
    }
  }
  EXPECT_GE(operations, 2000u);
  for (R result :
       {R::kOk, R::kExists, R::kExistsWithDifferentAmount, R::kExceedsCredits, R::kExceedsDebits,
        R::kLinkedEventFailed, R::kLinkedEventChainOpen, R::kDebitAccountNotFound,
        R::kAccountsMustHaveTheSameAsset, R::kAmountMustNotBeZero, R::kPendingTransferNotFound,
        R::kPendingTransferAlreadyPosted, R::kPendingTransferAlreadyVoided,
        R::kPendingTransferExpired, R::kExceedsPendingTransferAmount}) {
    EXPECT_GT(seen[result], 0) << "the workload never produced " << Name(result);
  }
  auto connection = db().Connect();
  const AuditReport report = AuditLedger(*connection);
  EXPECT_TRUE(report.consistent()) << report.ToJson();
  EXPECT_GT(report.transfers, 500u);
}

INSTANTIATE_BACKENDS(RandomizedLedgerTest);

}  // namespace
}  // namespace cambista::ledger
