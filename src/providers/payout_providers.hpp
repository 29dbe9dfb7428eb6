// The payout providers by name, for whoever needs an adapter outside the server's directory
// (`cambista reconcile`) and for the directory itself (providers/module.cpp).
#pragma once

#include <memory>
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
// kInvalidRequest for an unknown name or missing credentials.
Result<std::unique_ptr<payouts::PayoutProvider>, payouts::ProviderError> BuildPayoutProvider(
    std::string_view name, const payouts::Credentials& credentials,
    const payouts::ProviderContext& context);

}  // namespace cambista::providers
