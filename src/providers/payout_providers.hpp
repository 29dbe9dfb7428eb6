// The payout providers by name, for whoever needs an adapter outside the server's directory
// (`cambista reconcile`) and for the directories themselves (providers/module.cpp, the sandbox's;
// configured_payout_providers.hpp, a desk's). Outside the sandbox a provider's credentials come
// from the environment, one variable each, CAMBISTA_<PROVIDER>_<CREDENTIAL> upper-cased
// (CAMBISTA_HELEKET_PAYOUT_API_KEY): ReadPayoutCredentials is how `serve` and `reconcile` both
// read and check them, and its errors name the variable, never the value.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "payouts/provider.hpp"

namespace cambista::providers {

// "heleket", ...
std::vector<std::string> PayoutProviderNames();
// The credentials a provider needs, by name ("merchant", "payout_api_key").
std::vector<std::string> PayoutProviderCredentials(std::string_view name);
// Those it uses when given (BuhoPago's "webhook_secret").
std::vector<std::string> PayoutProviderOptionalCredentials(std::string_view name);

// "CAMBISTA_HELEKET_PAYOUT_API_KEY" for ("heleket", "payout_api_key").
std::string PayoutCredentialVariable(std::string_view provider, std::string_view credential);
// What is wrong with a credential's text, without repeating it (it is a secret): a space, a
// control character (a stray newline from a file) or a character outside ASCII. Empty is unset,
// not malformed.
std::optional<std::string> CheckPayoutCredential(std::string_view text);
// A credential's value by its name, empty or nothing when unset.
using CredentialLookup = std::function<std::optional<std::string>(std::string_view credential)>;
// Every credential `provider` needs, and those optional ones that are set, through `lookup`; else
// "set CAMBISTA_..." or "CAMBISTA_...: <problem>" for the first missing or malformed one.
Result<payouts::Credentials, std::string> ReadPayoutCredentials(std::string_view provider,
                                                                const CredentialLookup& lookup);
// kInvalidRequest for an unknown name or missing credentials.
Result<std::unique_ptr<payouts::PayoutProvider>, payouts::ProviderError> BuildPayoutProvider(
    std::string_view name, const payouts::Credentials& credentials,
    const payouts::ProviderContext& context);

}  // namespace cambista::providers
