#include "providers/payout_providers.hpp"

#include "providers/buhopago/buhopago_credits.hpp"
#include "providers/heleket/heleket_payouts.hpp"

namespace cambista::providers {

std::vector<std::string> PayoutProviderNames() {
  return {std::string(payouts::HeleketPayouts::kName),
          std::string(payouts::BuhoPagoCredits::kName)};
}

std::vector<std::string> PayoutProviderCredentials(std::string_view name) {
  if (name == payouts::HeleketPayouts::kName) {
    return payouts::HeleketPayouts::Description().required_credentials;
  }
  if (name == payouts::BuhoPagoCredits::kName) {
    return payouts::BuhoPagoCredits::Description().required_credentials;
  }
  return {};
}

Result<std::unique_ptr<payouts::PayoutProvider>, payouts::ProviderError> BuildPayoutProvider(
    std::string_view name, const payouts::Credentials& credentials,
    const payouts::ProviderContext& context) {
  if (name == payouts::HeleketPayouts::kName) {
    auto made = payouts::HeleketPayouts::Create(credentials, context);
    if (!made.ok()) return Failure(made.error());
    return std::unique_ptr<payouts::PayoutProvider>(std::move(made).value());
  }
  if (name == payouts::BuhoPagoCredits::kName) {
    auto made = payouts::BuhoPagoCredits::Create(credentials, context);
    if (!made.ok()) return Failure(made.error());
    return std::unique_ptr<payouts::PayoutProvider>(std::move(made).value());
  }
  return Failure(
      payouts::ProviderError{payouts::ProviderError::Kind::kInvalidRequest,
                             "No payout provider is called \"" + std::string(name) + "\".", 0});
}

}  // namespace cambista::providers
