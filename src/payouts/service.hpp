// The payouts' logic, without HTTP or SQL (payouts/routes.cpp and payouts/store.cpp hold those):
// the desk's customers, the destinations saved for them, and the deposits an operator records
// for money that arrived outside the system. Errors are PayoutErrors.
//
// A deposit is a ledger transfer between the named chart account and the tenant's `external`
// account, in the transaction that records it: a debit-normal account (a provider's float, a
// treasury place) is debited, a credit-normal one (a customer, the merchant) credited. Its transfer
// id is derived from the tenant and the reference, so recording the same deposit twice finds the
// first; the same reference with another account, asset or amount is a conflict.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "accounting/chart.hpp"
#include "core/amount.hpp"
#include "core/clock.hpp"
#include "core/result.hpp"
#include "ledger/ledger.hpp"
#include "payouts/model.hpp"
#include "store/connection_pool.hpp"

namespace cambista::payouts {

struct CustomerInput {
  std::string name;
  std::string document;
  int kyc_level = 0;
};

struct DepositRequest {
  std::string account;  // "customer:c1", "provider:heleket", "treasury:bank", "merchant"
  Amount amount;        // positive, at most kDepositMajorMax of the asset
  std::string reference;
};

// The largest deposit, in major units of its asset: a bound before anything is booked.
inline constexpr int64_t kDepositMajorMax = 1'000'000'000'000;

// The outcome of a write that may find what an earlier call made: `created` false when it did.
template <typename T>
struct Put {
  T value;
  bool created = false;
};

class PayoutService {
 public:
  PayoutService(store::Database& database, ledger::Ledger& ledger, accounting::Chart& chart,
                const Clock& clock);

  Result<Put<Customer>, PayoutError> PutCustomer(std::string_view tenant, std::string_view id,
                                                 const CustomerInput& input);
  Result<Customer, PayoutError> GetCustomer(std::string_view tenant, std::string_view id);

  // Validates (ValidateDestination) before anything is stored; the customer must exist.
  Result<Put<SavedDestination>, PayoutError> AddDestination(std::string_view tenant,
                                                            std::string_view customer_id,
                                                            const DestinationInput& input);
  Result<std::vector<SavedDestination>, PayoutError> ListDestinations(std::string_view tenant,
                                                                      std::string_view customer_id,
                                                                      std::string_view after_id,
                                                                      int limit);

  // `actor`: the API key's prefix, kept with the deposit.
  Result<Put<Deposit>, PayoutError> RecordDeposit(std::string_view tenant, std::string_view actor,
                                                  const DepositRequest& request);

 private:
  Result<accounting::AccountRef, PayoutError> DepositAccount(std::string_view tenant,
                                                             std::string_view name,
                                                             std::string_view currency) const;
  Result<Put<Deposit>, PayoutError> BookDeposit(Deposit deposit,
                                                const accounting::AccountRef& target);

  store::ConnectionPool pool_;
  ledger::Ledger& ledger_;
  accounting::Chart& chart_;
  const Clock& clock_;
};

}  // namespace cambista::payouts
