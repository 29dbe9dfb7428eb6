// A desk's payout providers outside the sandbox (providers/module.cpp installs them): each provider
// whose API root is configured, `[payouts.providers.<name>] url = "https://..."` (or
// CAMBISTA_PAYOUTS_PROVIDERS_<NAME>_URL), is enabled, with its credentials from the environment
// only (CAMBISTA_<NAME>_<CREDENTIAL>, payout_providers.hpp: secret keys of the configuration,
// refused in a file) and its calls bounded by the host's outbound timeout. A provider whose url is
// set but whose credentials are missing, malformed or refused by its adapter makes the
// configuration an error that names the variables and never holds a value, so `serve` refuses to
// start rather than fail on the first payout.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.hpp"
#include "module/config_key.hpp"
#include "payouts/service.hpp"

namespace cambista::providers {

// payouts.providers.<name>.url for every payout provider (an http:// or https:// URL; empty or
// absent: disabled), and each of its credentials as a secret key read from its variable.
std::vector<module::ConfigKey> PayoutProviderConfigKeys();

class ConfiguredPayoutProviders final : public payouts::ProviderDirectory {
 public:
  using Enabled = std::vector<std::pair<std::string, std::unique_ptr<payouts::PayoutProvider>>>;
  explicit ConfiguredPayoutProviders(Enabled enabled) : enabled_(std::move(enabled)) {}

  payouts::PayoutProvider* Find(std::string_view name) const override;
  // The enabled ones, in the order a payout's provider is chosen (PayoutProviderNames()).
  std::vector<std::string> Names() const override;

 private:
  const Enabled enabled_;
};

// A key's checked value (module::ModuleContext::Setting), nothing when it is not set.
using SettingLookup = std::function<std::optional<std::string_view>(std::string_view path)>;

// The providers whose url `setting` gives, each built with `context` (its HTTP client, clock and
// timeout) at that url without trailing slashes; or, for people, what stops one of them.
Result<std::unique_ptr<ConfiguredPayoutProviders>, std::string> ConfigurePayoutProviders(
    const SettingLookup& setting, const payouts::ProviderContext& context);

}  // namespace cambista::providers
