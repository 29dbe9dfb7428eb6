// The ledger on real databases (SQLite and PostgreSQL): persistence of every rule the batch applier
// implements, group commit under concurrency, several writers at once, and the auditor.
#include "ledger/ledger.hpp"

#include <gtest/gtest.h>

#include "transfer_builders.hpp"

#include <thread>

#include "ledger/auditor.hpp"
#include "ledger/ledger_store.hpp"
#include "test_database.hpp"

namespace cambista::ledger {
namespace {

using R = CreateTransferResult;

Transfer Resolve(u128 id, u128 pending_id, uint32_t flag, u128 amount = 0) {
  Transfer t;
  t.id = id;
  t.pending_id = pending_id;
  t.flags = flag;
  t.amount = amount;
  return t;
}

class LedgerTest : public cambista::testing::DatabaseTest {
 protected:
  void SetUp() override {
    cambista::testing::DatabaseTest::SetUp();
    if (IsSkipped()) return;
    options_.expiry_interval_ms = 3'600'000;  // expiry only when a test asks
    ledger_ = std::make_unique<Ledger>(db(), clock_, options_);
    std::vector<Account> accounts;
    for (u128 id = 1; id <= 4; ++id) {
      Account a;
      a.id = id;
      a.asset = "BRL";
      a.code = 10;
      accounts.push_back(a);
    }
    accounts[0].flags = AccountFlags::kDebitsMustNotExceedCredits;  // a customer balance
    for (auto result : ledger_->CreateAccounts(accounts))
      ASSERT_EQ(result, CreateAccountResult::kOk);
  }
  // The ledger's threads use the database: they stop before it goes.
  void TearDown() override {
    ledger_.reset();
    cambista::testing::DatabaseTest::TearDown();
  }
  std::vector<R> Submit(std::vector<Transfer> transfers) {
    SubmitResult result = ledger_->Submit(std::move(transfers));
    EXPECT_TRUE(result.ok()) << result.error;
    return result.results;
  }
  Account Get(u128 id) { return ledger_->LookupAccount(id).value(); }
  void ExpectConsistent() {
    auto connection = db().Connect();
    const AuditReport report = AuditLedger(*connection);
    EXPECT_TRUE(report.consistent()) << report.ToJson();
  }

  ManualClock clock_;
  LedgerOptions options_;
  std::unique_ptr<Ledger> ledger_;
};

TEST_P(LedgerTest, CreateAccountsIsIdempotentAndValidated) {
  Account a;
  a.id = 1;
  a.asset = "BRL";
  a.code = 10;
  a.flags = AccountFlags::kDebitsMustNotExceedCredits;
  Account other_code = a;
  other_code.code = 11;
  Account other_asset = a;
  other_asset.asset = "VES";
  Account other_flags = a;
  other_flags.flags = 0;
  Account both_limits = a;
  both_limits.id = 9;
  both_limits.flags = AccountFlags::kKnown;
  Account bad_asset = a;
  bad_asset.id = 10;
  bad_asset.asset = "R$";
  Account zero = a;
  zero.id = 0;
  EXPECT_EQ(ledger_->CreateAccounts(
                {{a, other_code, other_asset, other_flags, both_limits, bad_asset, zero}}),
            (std::vector<CreateAccountResult>{
                CreateAccountResult::kExists, CreateAccountResult::kExistsWithDifferentCode,
                CreateAccountResult::kExistsWithDifferentAsset,
                CreateAccountResult::kExistsWithDifferentFlags,
                CreateAccountResult::kFlagsAreMutuallyExclusive, CreateAccountResult::kAssetInvalid,
                CreateAccountResult::kIdMustNotBeZero}));
  EXPECT_FALSE(ledger_->LookupAccount(9).has_value());
}

TEST_P(LedgerTest, EveryCreateAccountResult) {
  using A = CreateAccountResult;
  Account base;
  base.id = 50;
  base.asset = "USDT";
  base.code = 3;
  base.user_data_128 = 7;
  base.user_data_64 = 8;
  base.user_data_32 = 9;
  ASSERT_EQ(ledger_->CreateAccounts({{base}}), (std::vector<A>{A::kOk}));
  auto with = [&](auto mutate) {
    Account a = base;
    mutate(a);
    return ledger_->CreateAccounts({{a}}).at(0);
  };
  EXPECT_EQ(with([](Account& a) { a.flags = 1u << 9; }), A::kReservedFlag);
  EXPECT_EQ(with([](Account& a) { a.id = 0; }), A::kIdMustNotBeZero);
  EXPECT_EQ(with([](Account& a) { a.id = kU128Max; }), A::kIdMustNotBeIntMax);
  EXPECT_EQ(with([](Account& a) { a.flags = AccountFlags::kKnown; }),
            A::kFlagsAreMutuallyExclusive);
  EXPECT_EQ(with([](Account& a) { a.asset = "usdt"; }), A::kAssetInvalid);
  EXPECT_EQ(with([](Account& a) { a.code = 0; }), A::kCodeMustNotBeZero);
  EXPECT_EQ(with([](Account& a) { a.code = 65536; }), A::kCodeOutOfRange);
  EXPECT_EQ(with([](Account& a) { a.flags = AccountFlags::kCreditsMustNotExceedDebits; }),
            A::kExistsWithDifferentFlags);
  EXPECT_EQ(with([](Account& a) { a.user_data_128 = 1; }), A::kExistsWithDifferentUserData128);
  EXPECT_EQ(with([](Account& a) { a.user_data_64 = 1; }), A::kExistsWithDifferentUserData64);
  EXPECT_EQ(with([](Account& a) { a.user_data_32 = 1; }), A::kExistsWithDifferentUserData32);
  EXPECT_EQ(with([](Account& a) { a.asset = "USDC"; }), A::kExistsWithDifferentAsset);
  EXPECT_EQ(with([](Account& a) { a.code = 4; }), A::kExistsWithDifferentCode);
  EXPECT_EQ(with([](Account&) {}), A::kExists);
  const Account stored = Get(50);
  EXPECT_EQ(stored.user_data_128, 7u);
  EXPECT_EQ(stored.user_data_64, 8u);
  EXPECT_EQ(stored.user_data_32, 9u);
  EXPECT_EQ(stored.asset, "USDT");
  EXPECT_GT(stored.timestamp, 0);
  for (uint32_t code = 0; code <= kCreateAccountResultMax; ++code) {
    EXPECT_NE(Name(static_cast<A>(code)), "unknown");
  }
  for (uint32_t code = 0; code <= kCreateTransferResultMax; ++code) {
    EXPECT_NE(Name(static_cast<CreateTransferResult>(code)), "unknown");
  }
}

TEST_P(LedgerTest, TransfersPersistWithHistoryAndIdempotency) {
  EXPECT_EQ(Submit({MakeTransfer(100, 2, 1, 500)}), (std::vector<R>{R::kOk}));
  EXPECT_EQ(Submit({MakeTransfer(101, 1, 3, 200), MakeTransfer(102, 1, 4, 301)}),
            (std::vector<R>{R::kOk, R::kExceedsCredits}));
  // A restart (a new Ledger on the same database) keeps ids: exists, and failures fail the same way
  // even once the account could afford it.
  ledger_.reset();
  ledger_ = std::make_unique<Ledger>(db(), clock_, options_);
  EXPECT_EQ(Submit({MakeTransfer(103, 2, 1, 1000)}), (std::vector<R>{R::kOk}));
  EXPECT_EQ(Submit({MakeTransfer(100, 2, 1, 500), MakeTransfer(100, 2, 1, 501),
                    MakeTransfer(102, 1, 4, 301)}),
            (std::vector<R>{R::kExists, R::kExistsWithDifferentAmount, R::kExceedsCredits}));
  EXPECT_EQ(Get(1).credits_posted, 1500u);
  EXPECT_EQ(Get(1).debits_posted, 200u);

  auto first_page = ledger_->AccountTransfers(1, 2);
  ASSERT_EQ(first_page.size(), 2u);
  EXPECT_EQ(first_page[0].id, 100u);
  EXPECT_EQ(first_page[1].id, 101u);
  EXPECT_LT(first_page[0].timestamp, first_page[1].timestamp);
  auto second_page =
      ledger_->AccountTransfers(1, 2, first_page.back().timestamp, first_page.back().id);
  ASSERT_EQ(second_page.size(), 1u);
  EXPECT_EQ(second_page[0].id, 103u);
  EXPECT_EQ(second_page[0].amount, 1000u);
  EXPECT_FALSE(ledger_->LookupTransfer(102).has_value());
  ExpectConsistent();
}

TEST_P(LedgerTest, SubmitInTransactionCommitsAndRollsBackWithTheCaller) {
  Submit({MakeTransfer(100, 2, 1, 500)});  // the committer caches account 1 (SQLite)
  auto connection = db().Connect();
  {
    store::Transaction tx(*connection, store::TransactionMode::kWrite);
    const Transfer transfers[] = {MakeTransfer(200, 1, 3, 100), MakeTransfer(201, 1, 3, 1000)};
    EXPECT_EQ(ledger_->SubmitInTransaction(*connection, transfers),
              (std::vector<R>{R::kOk, R::kExceedsCredits}));
    // Rolled back with the caller: nothing of it stays, the failure included.
  }
  EXPECT_FALSE(ledger_->LookupTransfer(200).has_value());
  EXPECT_EQ(Get(1).debits_posted, 0u);
  {
    store::Transaction tx(*connection, store::TransactionMode::kWrite);
    const Transfer transfer[] = {MakeTransfer(202, 1, 3, 300)};
    EXPECT_EQ(ledger_->SubmitInTransaction(*connection, transfer), (std::vector<R>{R::kOk}));
    connection->Execute("CREATE TABLE caller_effect (x INTEGER)");  // the caller's own write
    tx.Commit();
  }
  EXPECT_EQ(Get(1).debits_posted, 300u);
  // The committer sees the balance written by another connection (its cache is not stale): 200
  // is what is left, so 203 (201) fails and 204 (200) passes.
  EXPECT_EQ(Submit({MakeTransfer(203, 1, 4, 201), MakeTransfer(204, 1, 4, 200)}),
            (std::vector<R>{R::kExceedsCredits, R::kOk}));
  EXPECT_EQ(Get(1).debits_posted, 500u);
  ExpectConsistent();
}

TEST_P(LedgerTest, HistoryPagesAcrossTheIndexedPartAndTheTail) {
  // On SQLite history is indexed in bulk (posting lists) and the newest transfers are read from
  // the table's tail; a page may straddle both. On PostgreSQL indexing is per row (no-op here).
  std::vector<u128> expected;
  auto index = [&] {
    auto connection = db().Connect();
    store::Transaction transaction(*connection, store::TransactionMode::kWrite);
    LedgerStore::IndexHistory(*connection);
    transaction.Commit();
  };
  for (u128 i = 0; i < 5; ++i) {
    ASSERT_EQ(Submit({MakeTransfer(200 + i, 2, 1, 10 + i), MakeTransfer(300 + i, 3, 4, 1)}),
              (std::vector<R>{R::kOk, R::kOk}));
    expected.push_back(200 + i);
  }
  index();
  for (u128 i = 5; i < 8; ++i) {
    ASSERT_EQ(Submit({MakeTransfer(200 + i, 1, 3, 1)}), (std::vector<R>{R::kOk}));
    expected.push_back(200 + i);
  }
  auto page_through = [&](int limit) {
    std::vector<u128> ids;
    int64_t cursor_timestamp = 0;
    u128 cursor_id = 0;
    for (int pages = 0; pages < 20; ++pages) {
      auto page = ledger_->AccountTransfers(1, limit, cursor_timestamp, cursor_id);
      if (page.empty()) break;
      for (const Transfer& t : page) ids.push_back(t.id);
      cursor_timestamp = page.back().timestamp;
      cursor_id = page.back().id;
    }
    return ids;
  };
  EXPECT_EQ(page_through(3), expected);
  EXPECT_EQ(page_through(100), expected);
  index();
  index();  // nothing new: changes nothing
  EXPECT_EQ(page_through(2), expected);
  EXPECT_EQ(ledger_->AccountTransfers(4, 10).size(), 5u);
}

TEST_P(LedgerTest, LinkedChainFailingInTheMiddlePersistsNothing) {
  Submit({MakeTransfer(1, 2, 1, 100)});
  auto results = Submit({MakeTransfer(10, 1, 3, 60, TransferFlags::kLinked),
                         MakeTransfer(11, 3, 4, 60, TransferFlags::kLinked),
                         MakeTransfer(12, 1, 4, 60, TransferFlags::kLinked),  // 120 > 100
                         MakeTransfer(13, 4, 2, 10)});
  EXPECT_EQ(results, (std::vector<R>{R::kLinkedEventFailed, R::kLinkedEventFailed,
                                     R::kExceedsCredits, R::kLinkedEventFailed}));
  for (u128 id : {10, 11, 12, 13}) EXPECT_FALSE(ledger_->LookupTransfer(id).has_value());
  EXPECT_EQ(Get(1).debits_posted, 0u);
  EXPECT_EQ(Get(3).credits_posted, 0u);
  ExpectConsistent();
}

TEST_P(LedgerTest, TwoPhasePartialPostVoidAndExpiry) {
  Submit({MakeTransfer(1, 2, 1, 1000)});
  Transfer hold = MakeTransfer(20, 1, 3, 700, TransferFlags::kPending);
  hold.timeout_s = 60;
  ASSERT_EQ(Submit({hold}), (std::vector<R>{R::kOk}));
  // Limits count pending amounts: 700 held + 301 > 1000.
  EXPECT_EQ(Submit({MakeTransfer(21, 1, 4, 301)}), (std::vector<R>{R::kExceedsCredits}));
  EXPECT_EQ(Submit({Resolve(22, 20, TransferFlags::kPostPendingTransfer, 250)}),
            (std::vector<R>{R::kOk}));
  EXPECT_EQ(Get(1).debits_pending, 0u);
  EXPECT_EQ(Get(1).debits_posted, 250u);
  EXPECT_EQ(Get(3).credits_posted, 250u);
  EXPECT_EQ(Submit({Resolve(23, 20, TransferFlags::kVoidPendingTransfer)}),
            (std::vector<R>{R::kPendingTransferAlreadyPosted}));

  ASSERT_EQ(Submit({MakeTransfer(30, 1, 3, 100, TransferFlags::kPending)}),
            (std::vector<R>{R::kOk}));
  EXPECT_EQ(Submit({Resolve(31, 30, TransferFlags::kVoidPendingTransfer)}),
            (std::vector<R>{R::kOk}));
  EXPECT_EQ(Get(1).debits_pending, 0u);

  Transfer expiring = MakeTransfer(40, 1, 3, 500, TransferFlags::kPending);
  expiring.timeout_s = 30;
  ASSERT_EQ(Submit({expiring}), (std::vector<R>{R::kOk}));
  clock_.AdvanceMs(29'000);
  EXPECT_EQ(ledger_->ExpirePending(), 0u);
  EXPECT_EQ(Get(1).debits_pending, 500u);
  clock_.AdvanceMs(2'000);
  EXPECT_EQ(ledger_->ExpirePending(), 1u);
  EXPECT_EQ(Get(1).debits_pending, 0u);
  EXPECT_EQ(Get(3).credits_pending, 0u);
  EXPECT_EQ(Submit({Resolve(41, 40, TransferFlags::kPostPendingTransfer)}),
            (std::vector<R>{R::kPendingTransferExpired}));
  ExpectConsistent();
}

// SQLite writes account balances behind the transfers: commits leave the rows as they were, every
// read adds the transfers, posts, voids and expiries after the mark, and MaterializeBalances
// writes exactly that into the rows. PostgreSQL's rows are always current.
TEST_P(LedgerTest, BalancesBehindTheTransfersReadCurrentAndMaterializeExactly) {
  ledger_.reset();
  options_.balance_interval_ms = 3'600'000;  // only when the test asks (and once at start)
  ledger_ = std::make_unique<Ledger>(db(), clock_, options_);
  Submit({MakeTransfer(1, 2, 1, 1000)});
  Transfer hold = MakeTransfer(20, 1, 3, 700, TransferFlags::kPending);
  ASSERT_EQ(Submit({hold, Resolve(21, 20, TransferFlags::kPostPendingTransfer, 250),
                    MakeTransfer(30, 1, 3, 100, TransferFlags::kPending),
                    Resolve(31, 30, TransferFlags::kVoidPendingTransfer),
                    MakeTransfer(50, 1, 4, 40, TransferFlags::kPending)}),
            (std::vector<R>(5, R::kOk)));
  Transfer expiring = MakeTransfer(40, 1, 3, 500, TransferFlags::kPending);
  expiring.timeout_s = 30;
  ASSERT_EQ(Submit({expiring}), (std::vector<R>{R::kOk}));
  clock_.AdvanceMs(31'000);
  ASSERT_EQ(ledger_->ExpirePending(), 1u);

  auto connection = db().Connect();
  const bool sqlite = connection->backend() == store::Backend::kSqlite;
  // (the committer wrote the balances once, after the first batch: account 3 moved only since)
  EXPECT_EQ(LedgerStore::FindStoredAccount(*connection, 3)->credits_posted, sqlite ? 0u : 250u);
  const Account current = Get(1);
  EXPECT_EQ(current.credits_posted, 1000u);
  EXPECT_EQ(current.debits_posted, 250u);
  EXPECT_EQ(current.debits_pending, 40u);
  EXPECT_EQ(Get(3).credits_posted, 250u);
  EXPECT_EQ(Get(3).credits_pending, 0u);
  EXPECT_EQ(Get(4).credits_pending, 40u);
  ExpectConsistent();
  {  // another connection's transaction checks limits against the current balances: 710 is left
    store::Transaction tx(*connection, store::TransactionMode::kWrite);
    const Transfer transfers[] = {MakeTransfer(60, 1, 4, 711), MakeTransfer(61, 1, 4, 710)};
    EXPECT_EQ(ledger_->SubmitInTransaction(*connection, transfers),
              (std::vector<R>{R::kExceedsCredits, R::kOk}));
    tx.Commit();
  }

  ledger_->MaterializeBalances();
  ledger_->MaterializeBalances();  // nothing new: changes nothing
  for (u128 id = 1; id <= 4; ++id) {
    const Account stored = LedgerStore::FindStoredAccount(*connection, id).value();
    const Account read = Get(id);
    EXPECT_EQ(ToDecimal(stored.debits_pending), ToDecimal(read.debits_pending)) << ToHex32(id);
    EXPECT_EQ(ToDecimal(stored.debits_posted), ToDecimal(read.debits_posted)) << ToHex32(id);
    EXPECT_EQ(ToDecimal(stored.credits_pending), ToDecimal(read.credits_pending)) << ToHex32(id);
    EXPECT_EQ(ToDecimal(stored.credits_posted), ToDecimal(read.credits_posted)) << ToHex32(id);
  }
  EXPECT_EQ(Get(1).debits_posted, 960u);
  EXPECT_EQ(Get(4).credits_posted, 710u);
  // After a restart, and after more transfers on top of the written rows, reads still add up.
  ledger_.reset();
  ledger_ = std::make_unique<Ledger>(db(), clock_, options_);
  EXPECT_EQ(Submit({MakeTransfer(70, 1, 2, 1), MakeTransfer(71, 4, 1, 1)}),
            (std::vector<R>{R::kExceedsCredits, R::kOk}));
  EXPECT_EQ(Get(1).credits_posted, 1001u);
  ExpectConsistent();
}

TEST_P(LedgerTest, ConcurrentSubmittersShareCommits) {
  constexpr int kThreads = 8, kPerThread = 150;
  Submit({MakeTransfer(1, 2, 1, 1'000'000)});
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int thread = 0; thread < kThreads; ++thread) {
    threads.emplace_back([&, thread] {
      for (int i = 0; i < kPerThread; ++i) {
        const u128 id = 1000 + static_cast<u128>(thread) * kPerThread + static_cast<u128>(i);
        auto result = ledger_->Submit({MakeTransfer(id, 1 + (i % 2) * 2, 4, 3)});
        if (!result.ok() || result.results.at(0) != R::kOk) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(Get(4).credits_posted, 3u * kThreads * kPerThread);
  EXPECT_EQ(ledger_->stats().transfers_created.load(), 1u + kThreads * kPerThread);
  ExpectConsistent();
}

TEST_P(LedgerTest, TwoLedgersOnOneDatabaseRaceSafely) {
  // Like two processes: same ids and accounts submitted through both at once.
  Ledger second(db(), clock_, options_);
  Submit({MakeTransfer(1, 2, 1, 1000)});
  constexpr int kCount = 300;
  std::atomic<int> created{0}, existed{0}, other{0};
  auto run = [&](Ledger& ledger) {
    for (int i = 0; i < kCount; ++i) {
      auto result = ledger.Submit({MakeTransfer(5000 + static_cast<u128>(i), 1, 3, 3)});
      if (!result.ok())
        ++other;
      else if (result.results[0] == R::kOk)
        ++created;
      else if (result.results[0] == R::kExists)
        ++existed;
      else if (result.results[0] != R::kExceedsCredits)
        ++other;
    }
  };
  std::thread a([&] { run(*ledger_); });
  std::thread b([&] { run(second); });
  a.join();
  b.join();
  EXPECT_EQ(other.load(), 0);
  EXPECT_EQ(created.load(), kCount);  // 300 * 3 = 900 <= 1000: each created exactly once
  EXPECT_EQ(existed.load(), kCount);
  EXPECT_EQ(Get(1).debits_posted, 3u * kCount);
  ExpectConsistent();
}

TEST_P(LedgerTest, AuditorNamesTamperedBalances) {
  Submit({MakeTransfer(1, 2, 1, 1000)});
  ledger_->MaterializeBalances();  // SQLite: the row holds the transfer before it is tampered with
  auto connection = db().Connect();
  connection->Execute("UPDATE ledger_accounts SET credits_posted = $1 WHERE id = $2",
                      {std::string_view("999"), store::Id{1}});
  const AuditReport report = AuditLedger(*connection);
  EXPECT_FALSE(report.consistent());
  ASSERT_GE(report.discrepancies.size(), 2u);  // the account, and the asset's totals
  EXPECT_NE(report.ToJson().find("credits_posted is 999 but its transfers give 1000"),
            std::string::npos);
}

INSTANTIATE_BACKENDS(LedgerTest);

}  // namespace
}  // namespace cambista::ledger
