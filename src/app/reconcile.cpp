#include "app/reconcile.hpp"

#include <cstdio>
#include <cstdlib>

#include "core/asset.hpp"
#include "core/clock.hpp"
#include "net/http_client.hpp"
#include "payouts/reconciliation.hpp"
#include "providers/payout_providers.hpp"
#include "security/api_key.hpp"
#include "store/database.hpp"

namespace cambista::app {

int RunReconcile(const ReconcileFlags& flags) {
  const auto since = ParseKeyLifetimeMs(flags.since);
  if (!since.ok()) {
    std::fprintf(stderr, "cambista reconcile: --since must be a number and s, m, h, d or w\n");
    return 2;
  }
  // A command run by hand: its credentials come from the environment directly, as `serve` reads
  // them through its configuration (providers/payout_providers.hpp).
  auto credentials = providers::ReadPayoutCredentials(
      flags.provider, [&flags](std::string_view name) -> std::optional<std::string> {
        const std::string variable = providers::PayoutCredentialVariable(flags.provider, name);
        const char* value = std::getenv(variable.c_str());
        if (value == nullptr) return std::nullopt;
        return std::string(value);
      });
  if (!credentials.ok()) {
    std::fprintf(stderr, "cambista reconcile: %s\n", credentials.error().c_str());
    return 2;
  }
  const net::HttpClient http;
  SystemClock clock;
  auto provider =
      providers::BuildPayoutProvider(flags.provider, credentials.value(),
                                     payouts::ProviderContext{&http, &clock, flags.url, 30'000});
  if (!provider.ok()) {
    std::fprintf(stderr, "cambista reconcile: %s\n", provider.error().message.c_str());
    return 2;
  }
  auto database = store::Open(flags.database_url);
  payouts::ReconcileOptions options;
  options.since_ms = clock.NowMs() - since.value();
  const AssetRegistry assets = AssetRegistry::WithBuiltins();
  auto mismatches = payouts::Reconcile(*database, *provider.value(), assets, clock, options);
  if (!mismatches.ok()) {
    std::fprintf(stderr, "cambista reconcile: %s\n", mismatches.error().message.c_str());
    return 2;
  }
  for (const payouts::Mismatch& mismatch : mismatches.value()) {
    std::printf("%s\n", payouts::MismatchJson(mismatch).c_str());
  }
  std::fprintf(stderr, "cambista reconcile: %zu mismatches\n", mismatches.value().size());
  return mismatches.value().empty() ? 0 : 1;
}

}  // namespace cambista::app
