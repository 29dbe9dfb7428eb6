// Ledger records and result codes, with TigerBeetle's semantics.
//
// Accounts hold four materialized balances (debits/credits, pending/posted). Transfers move an
// amount from a debit account to a credit account of the same asset; they are immutable, identified
// by a client-chosen 128-bit id, and may be linked into chains that commit all or nothing, or be
// two-phase (pending, then posted fully or partly, voided, or expired by timeout).
//
// Every result is a stable number: the numbers below never change and are never reused.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/int128.hpp"

namespace cambista::ledger {

struct AccountFlags {
  static constexpr uint32_t kDebitsMustNotExceedCredits = 1u << 1;
  static constexpr uint32_t kCreditsMustNotExceedDebits = 1u << 2;
  static constexpr uint32_t kKnown = kDebitsMustNotExceedCredits | kCreditsMustNotExceedDebits;
};

struct TransferFlags {
  static constexpr uint32_t kLinked = 1u << 0;
  static constexpr uint32_t kPending = 1u << 1;
  static constexpr uint32_t kPostPendingTransfer = 1u << 2;
  static constexpr uint32_t kVoidPendingTransfer = 1u << 3;
  static constexpr uint32_t kKnown =
      kLinked | kPending | kPostPendingTransfer | kVoidPendingTransfer;
};

struct Account {
  u128 id = 0;
  std::string asset;  // asset code, e.g. "BRL"; [A-Z0-9]{2,10}
  uint32_t code = 0;  // chart-of-accounts kind chosen by the caller, 1..65535
  uint32_t flags = 0;
  u128 user_data_128 = 0;
  uint64_t user_data_64 = 0;
  uint32_t user_data_32 = 0;
  // Set by the ledger.
  u128 debits_pending = 0;
  u128 debits_posted = 0;
  u128 credits_pending = 0;
  u128 credits_posted = 0;
  int64_t timestamp = 0;  // ns since epoch, when created

  bool operator==(const Account&) const = default;
};

struct Transfer {
  u128 id = 0;
  u128 debit_account_id = 0;
  u128 credit_account_id = 0;
  u128 amount = 0;      // minor units of `asset`; for post_pending, 0 means the full pending amount
  u128 pending_id = 0;  // for post_pending / void_pending: the pending transfer's id
  u128 user_data_128 = 0;
  uint64_t user_data_64 = 0;
  uint32_t user_data_32 = 0;
  uint32_t timeout_s = 0;  // for pending: seconds until it expires (0 = never)
  std::string asset;
  uint32_t code = 0;
  uint32_t flags = 0;
  int64_t timestamp = 0;  // set by the ledger

  bool operator==(const Transfer&) const = default;
};

enum class CreateAccountResult : uint32_t {
  kOk = 0,
  kReservedFlag = 1,
  kIdMustNotBeZero = 2,
  kIdMustNotBeIntMax = 3,
  kFlagsAreMutuallyExclusive = 4,
  kAssetInvalid = 5,
  kCodeMustNotBeZero = 6,
  kCodeOutOfRange = 7,
  kExistsWithDifferentFlags = 8,
  kExistsWithDifferentUserData128 = 9,
  kExistsWithDifferentUserData64 = 10,
  kExistsWithDifferentUserData32 = 11,
  kExistsWithDifferentAsset = 12,
  kExistsWithDifferentCode = 13,
  kExists = 14,
};

enum class CreateTransferResult : uint32_t {
  kOk = 0,
  kLinkedEventFailed = 1,
  kLinkedEventChainOpen = 2,
  kReservedFlag = 3,
  kIdMustNotBeZero = 4,
  kIdMustNotBeIntMax = 5,
  kFlagsAreMutuallyExclusive = 6,
  kDebitAccountIdMustNotBeZero = 7,
  kDebitAccountIdMustNotBeIntMax = 8,
  kCreditAccountIdMustNotBeZero = 9,
  kCreditAccountIdMustNotBeIntMax = 10,
  kAccountsMustBeDifferent = 11,
  kPendingIdMustBeZero = 12,
  kPendingIdMustNotBeZero = 13,
  kPendingIdMustNotBeIntMax = 14,
  kPendingIdMustBeDifferent = 15,
  kTimeoutReservedForPendingTransfer = 16,
  kAmountMustNotBeZero = 17,
  kAssetInvalid = 18,
  kCodeMustNotBeZero = 19,
  kCodeOutOfRange = 20,
  // From here on results depend on the ledger's state; such a failure is recorded under the
  // transfer's id and returned again for every retry of that id (see IsRecordedFailure).
  kDebitAccountNotFound = 21,
  kCreditAccountNotFound = 22,
  kAccountsMustHaveTheSameAsset = 23,
  kTransferMustHaveTheSameAssetAsAccounts = 24,
  kPendingTransferNotFound = 25,
  kPendingTransferNotPending = 26,
  kPendingTransferHasDifferentDebitAccountId = 27,
  kPendingTransferHasDifferentCreditAccountId = 28,
  kPendingTransferHasDifferentAsset = 29,
  kPendingTransferHasDifferentCode = 30,
  kExceedsPendingTransferAmount = 31,
  kPendingTransferHasDifferentAmount = 32,
  kPendingTransferAlreadyPosted = 33,
  kPendingTransferAlreadyVoided = 34,
  kPendingTransferExpired = 35,
  kOverflowsDebitsPending = 36,
  kOverflowsCreditsPending = 37,
  kOverflowsDebitsPosted = 38,
  kOverflowsCreditsPosted = 39,
  kOverflowsDebits = 40,
  kOverflowsCredits = 41,
  kOverflowsTimeout = 42,
  kExceedsCredits = 43,
  kExceedsDebits = 44,
  // Idempotency: the id exists already.
  kExistsWithDifferentFlags = 45,
  kExistsWithDifferentDebitAccountId = 46,
  kExistsWithDifferentCreditAccountId = 47,
  kExistsWithDifferentAmount = 48,
  kExistsWithDifferentPendingId = 49,
  kExistsWithDifferentUserData128 = 50,
  kExistsWithDifferentUserData64 = 51,
  kExistsWithDifferentUserData32 = 52,
  kExistsWithDifferentTimeout = 53,
  kExistsWithDifferentAsset = 54,
  kExistsWithDifferentCode = 55,
  kExists = 56,
};
inline constexpr uint32_t kCreateTransferResultMax = 56;
inline constexpr uint32_t kCreateAccountResultMax = 14;

// snake_case names, stable like the numbers ("exceeds_credits").
std::string_view Name(CreateTransferResult result);
std::string_view Name(CreateAccountResult result);

// True for results that mean the transfer is in the ledger (created now, or already).
inline bool IsSuccess(CreateTransferResult result) {
  return result == CreateTransferResult::kOk || result == CreateTransferResult::kExists;
}
// A failure that depends on the ledger's state: recorded under the id so a retry fails the same
// way.
inline bool IsRecordedFailure(CreateTransferResult result) {
  const auto value = static_cast<uint32_t>(result);
  return value >= static_cast<uint32_t>(CreateTransferResult::kDebitAccountNotFound) &&
         value <= static_cast<uint32_t>(CreateTransferResult::kExceedsDebits);
}

// Valid asset code for the ledger: [A-Z0-9]{2,10}.
bool IsValidAssetCode(std::string_view code);

// State of a pending transfer, as stored in ledger_pending.state.
enum class PendingState : int64_t { kPending = 1, kPosted = 2, kVoided = 3, kExpired = 4 };

}  // namespace cambista::ledger
