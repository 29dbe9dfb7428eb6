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
namespace {

std::string EnvName(std::string_view provider, std::string_view credential) {
  std::string name = "CAMBISTA_";
  for (std::string_view part : {provider, std::string_view("_"), credential}) {
    for (char c : part) name += (c >= 'a' && c <= 'z') ? static_cast<char>(c - 32) : c;
  }
  return name;
}

}  // namespace

int RunReconcile(const ReconcileFlags& flags) {
  const auto since = ParseKeyLifetimeMs(flags.since);
  if (!since.ok()) {
    std::fprintf(stderr, "cambista reconcile: --since must be a number and s, m, h, d or w\n");
    return 2;
  }
  payouts::Credentials credentials;
  for (const std::string& name : providers::PayoutProviderCredentials(flags.provider)) {
    const std::string variable = EnvName(flags.provider, name);
    const char* value = std::getenv(variable.c_str());
    if (value == nullptr || *value == '\0') {
      std::fprintf(stderr, "cambista reconcile: set %s\n", variable.c_str());
      return 2;
    }
    credentials[name] = value;
  }
  const net::HttpClient http;
  SystemClock clock;
  auto provider = providers::BuildPayoutProvider(
      flags.provider, credentials, payouts::ProviderContext{&http, &clock, flags.url, 30'000});
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
