// Every CreateTransferResult, produced by the ledger's rules without a database.
#include "ledger/batch_applier.hpp"

#include <gtest/gtest.h>

#include "transfer_builders.hpp"

namespace cambista::ledger {
namespace {

using R = CreateTransferResult;
constexpr int64_t kNow = 1'000'000'000'000;

Account MakeAccount(u128 id, std::string asset = "BRL", uint32_t flags = 0) {
  Account a;
  a.id = id;
  a.asset = std::move(asset);
  a.code = 1;
  a.flags = flags;
  return a;
}

class BatchApplierTest : public ::testing::Test {
 protected:
  BatchApplierTest() : applier_(kNow) {
    for (u128 id : {1, 2, 3}) applier_.accounts.emplace(id, MakeAccount(id));
    applier_.accounts.emplace(4, MakeAccount(4, "USDT"));
    applier_.accounts.emplace(5, MakeAccount(5, "BRL", AccountFlags::kDebitsMustNotExceedCredits));
    applier_.accounts.emplace(6, MakeAccount(6, "BRL", AccountFlags::kCreditsMustNotExceedDebits));
  }
  R One(const Transfer& t, int64_t now = kNow) {
    auto results = applier_.Apply(std::vector<Transfer>{t}, now);
    return results.at(0);
  }
  const Account& account(u128 id) { return applier_.accounts.at(id); }

  BatchApplier applier_;
};

TEST_F(BatchApplierTest, ValidationResults) {
  EXPECT_EQ(One(MakeTransfer(10, 1, 2, 5, 1u << 7)), R::kReservedFlag);
  EXPECT_EQ(One(MakeTransfer(0, 1, 2, 5)), R::kIdMustNotBeZero);
  EXPECT_EQ(One(MakeTransfer(kU128Max, 1, 2, 5)), R::kIdMustNotBeIntMax);
  EXPECT_EQ(One(MakeTransfer(10, 0, 2, 5)), R::kDebitAccountIdMustNotBeZero);
  EXPECT_EQ(One(MakeTransfer(10, kU128Max, 2, 5)), R::kDebitAccountIdMustNotBeIntMax);
  EXPECT_EQ(One(MakeTransfer(10, 1, 0, 5)), R::kCreditAccountIdMustNotBeZero);
  EXPECT_EQ(One(MakeTransfer(10, 1, kU128Max, 5)), R::kCreditAccountIdMustNotBeIntMax);
  EXPECT_EQ(One(MakeTransfer(10, 1, 1, 5)), R::kAccountsMustBeDifferent);
  Transfer with_pending_id = MakeTransfer(10, 1, 2, 5);
  with_pending_id.pending_id = 3;
  EXPECT_EQ(One(with_pending_id), R::kPendingIdMustBeZero);
  Transfer with_timeout = MakeTransfer(10, 1, 2, 5);
  with_timeout.timeout_s = 1;
  EXPECT_EQ(One(with_timeout), R::kTimeoutReservedForPendingTransfer);
  EXPECT_EQ(One(MakeTransfer(10, 1, 2, 0)), R::kAmountMustNotBeZero);
  Transfer bad_asset = MakeTransfer(10, 1, 2, 5);
  bad_asset.asset = "brl";
  EXPECT_EQ(One(bad_asset), R::kAssetInvalid);
  Transfer no_code = MakeTransfer(10, 1, 2, 5);
  no_code.code = 0;
  EXPECT_EQ(One(no_code), R::kCodeMustNotBeZero);
  no_code.code = 70000;
  EXPECT_EQ(One(no_code), R::kCodeOutOfRange);
  EXPECT_TRUE(applier_.created.empty());
  EXPECT_TRUE(applier_.new_failures.empty());  // field errors are not recorded
}

TEST_F(BatchApplierTest, StateResultsAreRecordedAndRepeated) {
  EXPECT_EQ(One(MakeTransfer(10, 99, 2, 5)), R::kDebitAccountNotFound);
  EXPECT_EQ(One(MakeTransfer(11, 1, 99, 5)), R::kCreditAccountNotFound);
  EXPECT_EQ(One(MakeTransfer(12, 1, 4, 5)), R::kAccountsMustHaveTheSameAsset);
  Transfer usdt = MakeTransfer(13, 1, 2, 5);
  usdt.asset = "USDT";
  EXPECT_EQ(One(usdt), R::kTransferMustHaveTheSameAssetAsAccounts);
  EXPECT_EQ(One(MakeTransfer(14, 5, 2, 1)), R::kExceedsCredits);
  EXPECT_EQ(One(MakeTransfer(15, 1, 6, 1)), R::kExceedsDebits);
  ASSERT_EQ(applier_.new_failures.size(), 6u);
  // Account 99 appearing later does not change the answer for id 10: it failed, it stays failed.
  applier_.accounts.emplace(99, MakeAccount(99));
  EXPECT_EQ(One(MakeTransfer(10, 99, 2, 5)), R::kDebitAccountNotFound);
  EXPECT_EQ(applier_.new_failures.size(), 6u);
}

TEST_F(BatchApplierTest, ExistsAndEveryDifferentField) {
  Transfer t = MakeTransfer(20, 1, 2, 100);
  t.user_data_128 = 5;
  t.user_data_64 = 6;
  t.user_data_32 = 7;
  ASSERT_EQ(One(t), R::kOk);
  EXPECT_EQ(One(t), R::kExists);
  auto differ = [&](auto mutate) {
    Transfer copy = t;
    mutate(copy);
    return One(copy);
  };
  EXPECT_EQ(differ([](Transfer& c) { c.flags = TransferFlags::kPending; }),
            R::kExistsWithDifferentFlags);
  EXPECT_EQ(differ([](Transfer& c) { c.debit_account_id = 3; }),
            R::kExistsWithDifferentDebitAccountId);
  EXPECT_EQ(differ([](Transfer& c) { c.credit_account_id = 3; }),
            R::kExistsWithDifferentCreditAccountId);
  EXPECT_EQ(differ([](Transfer& c) { c.amount = 101; }), R::kExistsWithDifferentAmount);
  EXPECT_EQ(differ([](Transfer& c) { c.user_data_128 = 1; }), R::kExistsWithDifferentUserData128);
  EXPECT_EQ(differ([](Transfer& c) { c.user_data_64 = 1; }), R::kExistsWithDifferentUserData64);
  EXPECT_EQ(differ([](Transfer& c) { c.user_data_32 = 1; }), R::kExistsWithDifferentUserData32);
  EXPECT_EQ(differ([](Transfer& c) { c.code = 8; }), R::kExistsWithDifferentCode);
  Transfer pending = MakeTransfer(21, 1, 2, 10, TransferFlags::kPending);
  pending.timeout_s = 60;
  ASSERT_EQ(One(pending), R::kOk);
  pending.timeout_s = 61;
  EXPECT_EQ(One(pending), R::kExistsWithDifferentTimeout);
  EXPECT_EQ(account(1).debits_posted, 100u);
  EXPECT_EQ(account(2).credits_posted, 100u);
}

TEST_F(BatchApplierTest, ExistsWithDifferentPendingIdAndAsset) {
  ASSERT_EQ(One(MakeTransfer(30, 1, 2, 10, TransferFlags::kPending)), R::kOk);
  ASSERT_EQ(One(MakeTransfer(31, 1, 2, 10, TransferFlags::kPending)), R::kOk);
  Transfer post = MakeTransfer(32, 0, 0, 0, TransferFlags::kPostPendingTransfer);
  post.pending_id = 30;
  ASSERT_EQ(One(post), R::kOk);
  post.pending_id = 31;
  EXPECT_EQ(One(post), R::kExistsWithDifferentPendingId);
  // Same id as an existing USDT-less transfer but naming accounts of another asset pair.
  applier_.accounts.emplace(40, MakeAccount(40, "USDT"));
  ASSERT_EQ(One([] {
              Transfer t = MakeTransfer(33, 4, 40, 1);
              t.asset = "USDT";
              return t;
            }()),
            R::kOk);
  Transfer retry = MakeTransfer(33, 4, 40, 1);
  retry.asset = "USDT";
  retry.code = 9;
  EXPECT_EQ(One(retry), R::kExistsWithDifferentCode);
  Transfer other_asset_post = post;
  other_asset_post.id = 34;
  other_asset_post.asset = "VES";
  EXPECT_EQ(One(other_asset_post), R::kPendingTransferHasDifferentAsset);
  // exists_with_different_asset cannot be reached: the asset is checked against the accounts (or
  // the pending transfer) before the id, and a stored transfer's asset always equals theirs.
}

TEST_F(BatchApplierTest, TwoPhaseResults) {
  ASSERT_EQ(One(MakeTransfer(40, 1, 2, 100, TransferFlags::kPending)), R::kOk);
  EXPECT_EQ(account(1).debits_pending, 100u);
  EXPECT_EQ(account(2).credits_pending, 100u);
  auto post = [](u128 id, u128 pending_id, u128 amount) {
    Transfer t = MakeTransfer(id, 0, 0, amount, TransferFlags::kPostPendingTransfer);
    t.pending_id = pending_id;
    t.asset.clear();
    t.code = 0;
    return t;
  };
  Transfer both = post(41, 40, 0);
  both.flags |= TransferFlags::kVoidPendingTransfer;
  EXPECT_EQ(One(both), R::kFlagsAreMutuallyExclusive);
  EXPECT_EQ(One(post(41, 0, 0)), R::kPendingIdMustNotBeZero);
  EXPECT_EQ(One(post(41, kU128Max, 0)), R::kPendingIdMustNotBeIntMax);
  EXPECT_EQ(One(post(41, 41, 0)), R::kPendingIdMustBeDifferent);
  Transfer timed = post(41, 40, 0);
  timed.timeout_s = 5;
  EXPECT_EQ(One(timed), R::kTimeoutReservedForPendingTransfer);
  EXPECT_EQ(One(post(42, 777, 0)), R::kPendingTransferNotFound);
  ASSERT_EQ(One(MakeTransfer(43, 1, 2, 5)), R::kOk);
  EXPECT_EQ(One(post(44, 43, 0)), R::kPendingTransferNotPending);
  Transfer wrong_debit = post(45, 40, 0);
  wrong_debit.debit_account_id = 3;
  EXPECT_EQ(One(wrong_debit), R::kPendingTransferHasDifferentDebitAccountId);
  Transfer wrong_credit = post(46, 40, 0);
  wrong_credit.credit_account_id = 3;
  EXPECT_EQ(One(wrong_credit), R::kPendingTransferHasDifferentCreditAccountId);
  Transfer wrong_code = post(47, 40, 0);
  wrong_code.code = 99;
  EXPECT_EQ(One(wrong_code), R::kPendingTransferHasDifferentCode);
  EXPECT_EQ(One(post(48, 40, 101)), R::kExceedsPendingTransferAmount);
  Transfer void_wrong = post(49, 40, 50);
  void_wrong.flags = TransferFlags::kVoidPendingTransfer;
  EXPECT_EQ(One(void_wrong), R::kPendingTransferHasDifferentAmount);

  // Partial post: 60 of 100 posted, the other 40 released.
  ASSERT_EQ(One(post(50, 40, 60)), R::kOk);
  EXPECT_EQ(account(1).debits_pending, 0u);
  EXPECT_EQ(account(1).debits_posted, 65u);
  EXPECT_EQ(account(2).credits_posted, 65u);
  EXPECT_EQ(One(post(50, 40, 60)), R::kExists);
  EXPECT_EQ(One(post(50, 40, 61)), R::kExistsWithDifferentAmount);
  EXPECT_EQ(One(post(51, 40, 0)), R::kPendingTransferAlreadyPosted);

  ASSERT_EQ(One(MakeTransfer(60, 1, 2, 30, TransferFlags::kPending)), R::kOk);
  Transfer void_ok = post(61, 60, 0);
  void_ok.flags = TransferFlags::kVoidPendingTransfer;
  ASSERT_EQ(One(void_ok), R::kOk);
  EXPECT_EQ(account(1).debits_pending, 0u);
  EXPECT_EQ(account(1).debits_posted, 65u);
  void_ok.id = 62;
  EXPECT_EQ(One(void_ok), R::kPendingTransferAlreadyVoided);
}

TEST_F(BatchApplierTest, ExpiryAndTimeoutOverflow) {
  Transfer pending = MakeTransfer(70, 1, 2, 10, TransferFlags::kPending);
  pending.timeout_s = 30;
  ASSERT_EQ(One(pending), R::kOk);
  Transfer post = MakeTransfer(71, 0, 0, 0, TransferFlags::kPostPendingTransfer);
  post.pending_id = 70;
  post.asset.clear();
  post.code = 0;
  // Past the timeout but not yet swept: refused as expired.
  EXPECT_EQ(One(post, kNow + 31'000'000'000), R::kPendingTransferExpired);
  EXPECT_FALSE(applier_.Expire(70, kNow + 1));  // not yet due
  EXPECT_TRUE(applier_.Expire(70, kNow + 31'000'000'000));
  EXPECT_EQ(account(1).debits_pending, 0u);
  post.id = 72;
  EXPECT_EQ(One(post), R::kPendingTransferExpired);

  BatchApplier late(std::numeric_limits<int64_t>::max() - 10);
  late.accounts = applier_.accounts;
  Transfer long_timeout = MakeTransfer(73, 1, 2, 10, TransferFlags::kPending);
  long_timeout.timeout_s = 100;
  EXPECT_EQ(late.Apply(std::vector<Transfer>{long_timeout}, kNow).at(0), R::kOverflowsTimeout);
}

TEST_F(BatchApplierTest, Overflows) {
  applier_.accounts.at(1).debits_posted = kU128Max - 5;
  EXPECT_EQ(One(MakeTransfer(80, 1, 2, 10)), R::kOverflowsDebitsPosted);
  applier_.accounts.at(1).debits_posted = 0;
  applier_.accounts.at(2).credits_posted = kU128Max - 5;
  EXPECT_EQ(One(MakeTransfer(81, 1, 2, 10)), R::kOverflowsCreditsPosted);
  EXPECT_EQ(One(MakeTransfer(82, 1, 2, 10, TransferFlags::kPending)), R::kOverflowsCredits);
  applier_.accounts.at(2).credits_posted = 0;
  applier_.accounts.at(1).debits_pending = kU128Max - 5;
  EXPECT_EQ(One(MakeTransfer(83, 1, 2, 10, TransferFlags::kPending)), R::kOverflowsDebitsPending);
  EXPECT_EQ(One(MakeTransfer(84, 1, 2, 10)), R::kOverflowsDebits);
  applier_.accounts.at(1).debits_pending = 0;
  applier_.accounts.at(2).credits_pending = kU128Max - 5;
  EXPECT_EQ(One(MakeTransfer(85, 1, 2, 10, TransferFlags::kPending)), R::kOverflowsCreditsPending);
}

TEST_F(BatchApplierTest, LimitsCountPendingAmounts) {
  ASSERT_EQ(One(MakeTransfer(90, 1, 5, 100)), R::kOk);  // account 5 has 100 of credits
  ASSERT_EQ(One(MakeTransfer(91, 5, 2, 70, TransferFlags::kPending)), R::kOk);
  EXPECT_EQ(One(MakeTransfer(92, 5, 2, 31)), R::kExceedsCredits);  // 70 pending + 31 > 100
  EXPECT_EQ(One(MakeTransfer(93, 5, 2, 30)), R::kOk);
}

TEST_F(BatchApplierTest, LinkedChainFailingInTheMiddleChangesNothing) {
  std::vector<Transfer> chain = {
      MakeTransfer(100, 1, 2, 10, TransferFlags::kLinked),
      MakeTransfer(101, 2, 3, 10, TransferFlags::kLinked | TransferFlags::kPending),
      MakeTransfer(102, 5, 3, 10, TransferFlags::kLinked),  // exceeds credits
      MakeTransfer(103, 3, 1, 10),
      MakeTransfer(104, 1, 3, 1),  // after the chain: independent
  };
  auto results = applier_.Apply(chain, kNow);
  EXPECT_EQ(results, (std::vector<R>{R::kLinkedEventFailed, R::kLinkedEventFailed,
                                     R::kExceedsCredits, R::kLinkedEventFailed, R::kOk}));
  EXPECT_EQ(account(1).debits_posted, 1u);
  EXPECT_EQ(account(2).debits_pending, 0u);
  EXPECT_EQ(account(2).credits_posted, 0u);
  EXPECT_FALSE(applier_.transfers.contains(100));
  EXPECT_FALSE(applier_.pending.contains(101));
  EXPECT_EQ(applier_.created, (std::vector<u128>{104}));

  auto open =
      applier_.Apply(std::vector<Transfer>{MakeTransfer(110, 1, 2, 1),
                                           MakeTransfer(111, 1, 2, 1, TransferFlags::kLinked)},
                     kNow);
  EXPECT_EQ(open, (std::vector<R>{R::kOk, R::kLinkedEventChainOpen}));

  // A committed chain retried reports every event as existing.
  std::vector<Transfer> good = {MakeTransfer(120, 1, 2, 3, TransferFlags::kLinked),
                                MakeTransfer(121, 2, 3, 3)};
  EXPECT_EQ(applier_.Apply(good, kNow), (std::vector<R>{R::kOk, R::kOk}));
  EXPECT_EQ(applier_.Apply(good, kNow), (std::vector<R>{R::kExists, R::kExists}));
}

}  // namespace
}  // namespace cambista::ledger
