#include "providers/payout_providers.hpp"

#include "providers/buhopago/buhopago_credits.hpp"
#include "providers/heleket/heleket_payouts.hpp"
#include "providers/pixout/pixout_payouts.hpp"

namespace cambista::providers {
namespace {

using Built = Result<std::unique_ptr<payouts::PayoutProvider>, payouts::ProviderError>;

template <typename Provider>
Built Build(const payouts::Credentials& credentials, const payouts::ProviderContext& context) {
  auto made = Provider::Create(credentials, context);
  if (!made.ok()) return Failure(made.error());
  return std::unique_ptr<payouts::PayoutProvider>(std::move(made).value());
}

struct Entry {
  std::string_view name;
  payouts::ProviderDescription (*describe)();
  Built (*build)(const payouts::Credentials&, const payouts::ProviderContext&);
};

// In the order a payout's provider is chosen when the request names none.
constexpr Entry kProviders[] = {
    {payouts::HeleketPayouts::kName, &payouts::HeleketPayouts::Description,
     &Build<payouts::HeleketPayouts>},
    {payouts::PixoutPayouts::kName, &payouts::PixoutPayouts::Description,
     &Build<payouts::PixoutPayouts>},
    {payouts::BuhoPagoCredits::kName, &payouts::BuhoPagoCredits::Description,
     &Build<payouts::BuhoPagoCredits>},
};

const Entry* Find(std::string_view name) {
  for (const Entry& entry : kProviders) {
    if (entry.name == name) return &entry;
  }
  return nullptr;
}

}  // namespace

std::vector<std::string> PayoutProviderNames() {
  std::vector<std::string> names;
  for (const Entry& entry : kProviders) names.emplace_back(entry.name);
  return names;
}

std::vector<std::string> PayoutProviderCredentials(std::string_view name) {
  const Entry* entry = Find(name);
  return entry == nullptr ? std::vector<std::string>() : entry->describe().required_credentials;
}

Built BuildPayoutProvider(std::string_view name, const payouts::Credentials& credentials,
                          const payouts::ProviderContext& context) {
  if (const Entry* entry = Find(name)) return entry->build(credentials, context);
  return Failure(
      payouts::ProviderError{payouts::ProviderError::Kind::kInvalidRequest,
                             "No payout provider is called \"" + std::string(name) + "\".", 0});
}

}  // namespace cambista::providers
