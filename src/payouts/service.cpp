#include "payouts/service.hpp"

#include "ledger/ids.hpp"
#include "payouts/store.hpp"
#include "security/hmac.hpp"

namespace cambista::payouts {
namespace {

using accounting::AccountKind;
using accounting::AccountRef;

// A transfer id derived from the deposit's tenant and reference: booking it twice finds the first.
u128 DepositTransferId(std::string_view tenant, std::string_view reference) {
  const std::string digest =
      Sha256("cambista.deposit:" + std::string(tenant) + ":" + std::string(reference));
  u128 id = 0;
  for (int i = 0; i < 16; ++i) id = (id << 8) | static_cast<unsigned char>(digest[i]);
  id >>= 1;
  return id == 0 ? 1 : id;
}

// The kinds a deposit may name, by kind name, prefix, or the API's short form ("provider").
std::optional<AccountKind> DepositKind(std::string_view head) {
  if (head == "provider") return AccountKind::kProviderFloat;
  for (const accounting::KindInfo& info : accounting::AllKinds()) {
    if (info.name != head && info.prefix != head) continue;
    switch (info.kind) {
      case AccountKind::kTreasury:
      case AccountKind::kProviderFloat:
      case AccountKind::kCustomer:
      case AccountKind::kMerchant:
        return info.kind;
      default:
        return std::nullopt;
    }
  }
  return std::nullopt;
}

PayoutError AccountError(std::string detail) {
  return PayoutError(PayoutErrorKind::kInvalidRequest, std::move(detail), "account");
}

}  // namespace

PayoutService::PayoutService(store::Database& database, ledger::Ledger& ledger,
                             accounting::Chart& chart, const Clock& clock, PayoutOptions options)
    : pool_(database),
      ledger_(ledger),
      chart_(chart),
      clock_(clock),
      options_(std::move(options)) {}

Result<Put<Customer>, PayoutError> PayoutService::PutCustomer(std::string_view tenant,
                                                              std::string_view id,
                                                              const CustomerInput& input) {
  if (!IsValidCustomerId(id)) {
    return Failure(PayoutError(PayoutErrorKind::kInvalidRequest,
                               "A customer id is 1 to 64 of A-Z, a-z, 0-9, '_', '.' and '-'.",
                               "id"));
  }
  if (input.kyc_level < 0 || input.kyc_level > kKycLevelMax) {
    return Failure(PayoutError(PayoutErrorKind::kInvalidRequest,
                               "kyc_level is an integer from 0 to 9.", "kyc_level"));
  }
  auto connection = pool_.Acquire();
  store::Transaction transaction(*connection, store::TransactionMode::kWrite);
  std::optional<Customer> existing = PayoutStore::FindCustomer(*connection, tenant, id);
  Customer customer = existing.value_or(Customer{});
  customer.tenant = tenant;
  customer.id = id;
  customer.name = input.name;
  customer.document = input.document;
  customer.kyc_level = input.kyc_level;
  customer.updated_at_ms = clock_.NowMs();
  if (!existing) customer.created_at_ms = customer.updated_at_ms;
  PayoutStore::UpsertCustomer(*connection, customer);
  transaction.Commit();
  return Put<Customer>{std::move(customer), !existing};
}

Result<Customer, PayoutError> PayoutService::GetCustomer(std::string_view tenant,
                                                         std::string_view id) {
  auto connection = pool_.Acquire();
  std::optional<Customer> found = PayoutStore::FindCustomer(*connection, tenant, id);
  if (!found) {
    return Failure(PayoutError(PayoutErrorKind::kNotFound, "No customer has this id.", "id"));
  }
  return std::move(*found);
}

Result<Put<SavedDestination>, PayoutError> PayoutService::AddDestination(
    std::string_view tenant, std::string_view customer_id, const DestinationInput& input) {
  auto validated = ValidateDestination(input);
  if (!validated.ok()) {
    const DestinationError& error = validated.error();
    return Failure(PayoutError(PayoutErrorKind::kInvalidDestination, error.reason, error.field,
                               std::string(DestinationErrorCode(error.kind))));
  }
  auto connection = pool_.Acquire();
  store::Transaction transaction(*connection, store::TransactionMode::kWrite);
  if (!PayoutStore::FindCustomer(*connection, tenant, customer_id)) {
    return Failure(PayoutError(PayoutErrorKind::kNotFound, "No customer has this id.", "id"));
  }
  const std::string fingerprint = DestinationFingerprint(validated.value());
  if (auto same = PayoutStore::FindDestinationByFingerprint(*connection, tenant, customer_id,
                                                            fingerprint)) {
    return Put<SavedDestination>{std::move(*same), false};
  }
  SavedDestination saved;
  saved.id = "dst_" + ToHex32(ledger::TimeOrderedId(clock_));
  saved.tenant = tenant;
  saved.customer_id = customer_id;
  saved.destination = std::move(validated).value();
  saved.created_at_ms = clock_.NowMs();
  PayoutStore::InsertDestination(*connection, saved);
  transaction.Commit();
  return Put<SavedDestination>{std::move(saved), true};
}

Result<std::vector<SavedDestination>, PayoutError> PayoutService::ListDestinations(
    std::string_view tenant, std::string_view customer_id, std::string_view after_id, int limit) {
  auto connection = pool_.Acquire();
  if (!PayoutStore::FindCustomer(*connection, tenant, customer_id)) {
    return Failure(PayoutError(PayoutErrorKind::kNotFound, "No customer has this id.", "id"));
  }
  return PayoutStore::ListDestinations(*connection, tenant, customer_id, after_id, limit);
}

Result<AccountRef, PayoutError> PayoutService::DepositAccount(std::string_view tenant,
                                                              std::string_view name,
                                                              std::string_view currency) const {
  const size_t colon = name.find(':');
  const std::string_view head = name.substr(0, colon);
  const std::string_view qualifier =
      colon == std::string_view::npos ? std::string_view() : name.substr(colon + 1);
  const std::optional<AccountKind> kind = DepositKind(head);
  if (!kind) {
    return Failure(AccountError(
        "A deposit goes to customer:<id>, provider:<name>, treasury:<place> or merchant."));
  }
  const bool needs_qualifier = !accounting::Describe(*kind).qualifier.empty();
  if (needs_qualifier != !qualifier.empty() || (needs_qualifier && !IsValidCustomerId(qualifier))) {
    return Failure(AccountError(
        needs_qualifier ? "This kind of account is named <kind>:<name>, the name 1 to 64 of A-Z, "
                          "a-z, 0-9, '_', '.' and '-'."
                        : "This kind of account takes no qualifier."));
  }
  return AccountRef{std::string(tenant), *kind, std::string(qualifier), std::string(currency)};
}

Result<Put<Deposit>, PayoutError> PayoutService::RecordDeposit(std::string_view tenant,
                                                               std::string_view actor,
                                                               const DepositRequest& request) {
  const Asset& asset = request.amount.asset();
  i128 bound = kDepositMajorMax;
  for (int i = 0; i < asset.scale(); ++i) bound *= 10;  // scales are at most 18: no overflow
  if (request.amount.minor() <= 0 || request.amount.minor() > bound) {
    return Failure(PayoutError(PayoutErrorKind::kInvalidAmount,
                               "A deposit is a positive amount up to 10^12 of its asset.",
                               "amount"));
  }
  auto target = DepositAccount(tenant, request.account, asset.code());
  if (!target.ok()) return Failure(target.error());
  if (target.value().kind == AccountKind::kCustomer) {
    auto connection = pool_.Acquire();
    if (!PayoutStore::FindCustomer(*connection, tenant, target.value().qualifier)) {
      return Failure(
          PayoutError(PayoutErrorKind::kNotFound, "No customer has this id.", "account"));
    }
  }
  Deposit deposit;
  deposit.id = "dep_" + ToHex32(ledger::TimeOrderedId(clock_));
  deposit.tenant = tenant;
  deposit.account = target.value().Name();
  deposit.asset = asset.code();
  deposit.amount = request.amount.minor();
  deposit.reference = request.reference;
  deposit.actor = actor;
  deposit.created_at_ms = clock_.NowMs();
  return BookDeposit(std::move(deposit), target.value());
}

Result<Put<Deposit>, PayoutError> PayoutService::BookDeposit(Deposit deposit,
                                                             const AccountRef& target) {
  const AccountRef external{deposit.tenant, AccountKind::kExternal, "", deposit.asset};
  const AccountRef accounts[] = {target, external};
  chart_.Ensure(accounts);
  auto connection = pool_.Acquire();
  store::Transaction transaction(*connection, store::TransactionMode::kWrite);
  if (auto first =
          PayoutStore::FindDepositByReference(*connection, deposit.tenant, deposit.reference)) {
    if (first->account != deposit.account || first->asset != deposit.asset ||
        first->amount != deposit.amount) {
      return Failure(PayoutError(PayoutErrorKind::kConflict,
                                 "This reference was recorded for another deposit.", "reference"));
    }
    return Put<Deposit>{std::move(*first), false};
  }
  PayoutStore::InsertDeposit(*connection, deposit);
  const bool debit_target =
      accounting::Describe(target.kind).side == accounting::NormalSide::kDebit;
  ledger::Transfer transfer;
  transfer.id = DepositTransferId(deposit.tenant, deposit.reference);
  transfer.debit_account_id = debit_target ? target.Id() : external.Id();
  transfer.credit_account_id = debit_target ? external.Id() : target.Id();
  transfer.amount = static_cast<u128>(deposit.amount);
  transfer.asset = deposit.asset;
  transfer.code = accounting::Describe(AccountKind::kExternal).code;
  const ledger::Transfer transfers[] = {transfer};
  const auto results = ledger_.SubmitInTransaction(*connection, transfers);
  if (results.front() != ledger::CreateTransferResult::kOk) {
    return Failure(PayoutError(
        PayoutErrorKind::kInternal,
        "The ledger refused the deposit: " + std::string(ledger::Name(results.front())) + "."));
  }
  transaction.Commit();
  return Put<Deposit>{std::move(deposit), true};
}

}  // namespace cambista::payouts
