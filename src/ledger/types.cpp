#include "ledger/types.hpp"

#include <array>

namespace cambista::ledger {

std::string_view Name(CreateTransferResult result) {
  static constexpr std::array<std::string_view, kCreateTransferResultMax + 1> kNames = {
      "ok",
      "linked_event_failed",
      "linked_event_chain_open",
      "reserved_flag",
      "id_must_not_be_zero",
      "id_must_not_be_int_max",
      "flags_are_mutually_exclusive",
      "debit_account_id_must_not_be_zero",
      "debit_account_id_must_not_be_int_max",
      "credit_account_id_must_not_be_zero",
      "credit_account_id_must_not_be_int_max",
      "accounts_must_be_different",
      "pending_id_must_be_zero",
      "pending_id_must_not_be_zero",
      "pending_id_must_not_be_int_max",
      "pending_id_must_be_different",
      "timeout_reserved_for_pending_transfer",
      "amount_must_not_be_zero",
      "asset_invalid",
      "code_must_not_be_zero",
      "code_out_of_range",
      "debit_account_not_found",
      "credit_account_not_found",
      "accounts_must_have_the_same_asset",
      "transfer_must_have_the_same_asset_as_accounts",
      "pending_transfer_not_found",
      "pending_transfer_not_pending",
      "pending_transfer_has_different_debit_account_id",
      "pending_transfer_has_different_credit_account_id",
      "pending_transfer_has_different_asset",
      "pending_transfer_has_different_code",
      "exceeds_pending_transfer_amount",
      "pending_transfer_has_different_amount",
      "pending_transfer_already_posted",
      "pending_transfer_already_voided",
      "pending_transfer_expired",
      "overflows_debits_pending",
      "overflows_credits_pending",
      "overflows_debits_posted",
      "overflows_credits_posted",
      "overflows_debits",
      "overflows_credits",
      "overflows_timeout",
      "exceeds_credits",
      "exceeds_debits",
      "exists_with_different_flags",
      "exists_with_different_debit_account_id",
      "exists_with_different_credit_account_id",
      "exists_with_different_amount",
      "exists_with_different_pending_id",
      "exists_with_different_user_data_128",
      "exists_with_different_user_data_64",
      "exists_with_different_user_data_32",
      "exists_with_different_timeout",
      "exists_with_different_asset",
      "exists_with_different_code",
      "exists",
  };
  const auto index = static_cast<uint32_t>(result);
  return index < kNames.size() ? kNames[index] : std::string_view("unknown");
}

std::string_view Name(CreateAccountResult result) {
  static constexpr std::array<std::string_view, kCreateAccountResultMax + 1> kNames = {
      "ok",
      "reserved_flag",
      "id_must_not_be_zero",
      "id_must_not_be_int_max",
      "flags_are_mutually_exclusive",
      "asset_invalid",
      "code_must_not_be_zero",
      "code_out_of_range",
      "exists_with_different_flags",
      "exists_with_different_user_data_128",
      "exists_with_different_user_data_64",
      "exists_with_different_user_data_32",
      "exists_with_different_asset",
      "exists_with_different_code",
      "exists",
  };
  const auto index = static_cast<uint32_t>(result);
  return index < kNames.size() ? kNames[index] : std::string_view("unknown");
}

bool IsValidAssetCode(std::string_view code) {
  if (code.size() < 2 || code.size() > 10) return false;
  for (char c : code) {
    if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) return false;
  }
  return true;
}

}  // namespace cambista::ledger
