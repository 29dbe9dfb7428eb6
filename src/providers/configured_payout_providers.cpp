#include "providers/configured_payout_providers.hpp"

#include "providers/payout_providers.hpp"

namespace cambista::providers {
namespace {

std::string ProviderKey(std::string_view provider, std::string_view leaf) {
  return "payouts.providers." + std::string(provider) + "." + std::string(leaf);
}

std::optional<std::string> CheckProviderUrl(std::string_view text) {
  if (!text.empty() && !text.starts_with("http://") && !text.starts_with("https://")) {
    return "expected an http:// or https:// URL";
  }
  return std::nullopt;
}

// The provider's variables, for a message about credentials its adapter refused.
std::string Variables(std::string_view provider) {
  std::string list;
  for (auto names :
       {PayoutProviderCredentials(provider), PayoutProviderOptionalCredentials(provider)}) {
    for (const std::string& name : names) {
      list += (list.empty() ? "" : ", ") + PayoutCredentialVariable(provider, name);
    }
  }
  return list;
}

}  // namespace

std::vector<module::ConfigKey> PayoutProviderConfigKeys() {
  std::vector<module::ConfigKey> keys;
  for (const std::string& provider : PayoutProviderNames()) {
    keys.push_back(
        {ProviderKey(provider, "url"), module::ConfigKey::Type::kString, CheckProviderUrl});
    for (auto names :
         {PayoutProviderCredentials(provider), PayoutProviderOptionalCredentials(provider)}) {
      for (const std::string& name : names) {
        keys.push_back({ProviderKey(provider, name), module::ConfigKey::Type::kString,
                        CheckPayoutCredential, PayoutCredentialVariable(provider, name)});
      }
    }
  }
  return keys;
}

payouts::PayoutProvider* ConfiguredPayoutProviders::Find(std::string_view name) const {
  for (const auto& [enabled, provider] : enabled_) {
    if (enabled == name) return provider.get();
  }
  return nullptr;
}

std::vector<std::string> ConfiguredPayoutProviders::Names() const {
  std::vector<std::string> names;
  for (const auto& entry : enabled_) names.push_back(entry.first);
  return names;
}

Result<std::unique_ptr<ConfiguredPayoutProviders>, std::string> ConfigurePayoutProviders(
    const SettingLookup& setting, const payouts::ProviderContext& context) {
  ConfiguredPayoutProviders::Enabled enabled;
  for (const std::string& provider : PayoutProviderNames()) {
    std::string url(setting(ProviderKey(provider, "url")).value_or(""));
    while (url.ends_with('/')) url.pop_back();
    if (url.empty()) continue;
    const std::string why = "payout provider " + provider + " (its url is set): ";
    auto credentials =
        ReadPayoutCredentials(provider, [&](std::string_view name) -> std::optional<std::string> {
          const auto value = setting(ProviderKey(provider, name));
          return value ? std::optional<std::string>(*value) : std::nullopt;
        });
    if (!credentials.ok()) return Failure(why + credentials.error());
    payouts::ProviderContext own = context;
    own.base_url = url;
    auto built = BuildPayoutProvider(provider, credentials.value(), own);
    // The adapter's message names the credential, never its value (payouts/provider.hpp).
    if (!built.ok()) {
      return Failure(why + built.error().message + " (from " + Variables(provider) + ")");
    }
    enabled.emplace_back(provider, std::move(built).value());
  }
  return std::make_unique<ConfiguredPayoutProviders>(std::move(enabled));
}

}  // namespace cambista::providers
