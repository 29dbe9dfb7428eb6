#include "providers/payout_providers.hpp"

#include "core/ascii.hpp"

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

std::vector<std::string> PayoutProviderOptionalCredentials(std::string_view name) {
  const Entry* entry = Find(name);
  return entry == nullptr ? std::vector<std::string>() : entry->describe().optional_credentials;
}

std::string PayoutCredentialVariable(std::string_view provider, std::string_view credential) {
  std::string name = "CAMBISTA_";
  for (std::string_view part : {provider, std::string_view("_"), credential}) {
    for (char c : part) name += AsciiUpper(c);
  }
  return name;
}

std::optional<std::string> CheckPayoutCredential(std::string_view text) {
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || byte >= 0x7f) {
      return "has a space, a control character (a stray newline?) or a character outside ASCII";
    }
  }
  return std::nullopt;
}

Result<payouts::Credentials, std::string> ReadPayoutCredentials(std::string_view provider,
                                                                const CredentialLookup& lookup) {
  if (Find(provider) == nullptr) {
    return Failure("no payout provider is called \"" + std::string(provider) + "\"");
  }
  payouts::Credentials credentials;
  const auto read = [&](const std::string& name, bool required) -> std::optional<std::string> {
    const std::string variable = PayoutCredentialVariable(provider, name);
    const std::optional<std::string> value = lookup(name);
    if (!value || value->empty()) {
      if (required) return "set " + variable;
      return std::nullopt;
    }
    if (auto problem = CheckPayoutCredential(*value)) return variable + ": " + *problem;
    credentials[name] = *value;
    return std::nullopt;
  };
  for (const std::string& name : PayoutProviderCredentials(provider)) {
    if (auto error = read(name, true)) return Failure(*error);
  }
  for (const std::string& name : PayoutProviderOptionalCredentials(provider)) {
    if (auto error = read(name, false)) return Failure(*error);
  }
  return credentials;
}

Built BuildPayoutProvider(std::string_view name, const payouts::Credentials& credentials,
                          const payouts::ProviderContext& context) {
  if (const Entry* entry = Find(name)) return entry->build(credentials, context);
  return Failure(
      payouts::ProviderError{payouts::ProviderError::Kind::kInvalidRequest,
                             "No payout provider is called \"" + std::string(name) + "\".", 0});
}

}  // namespace cambista::providers
