#include "app/reconcile.hpp"

#include <cstdio>
#include <cstdlib>

#include "api/api_key_store.hpp"
#include "app/master_key.hpp"
#include "core/asset.hpp"
#include "core/clock.hpp"
#include "net/http_client.hpp"
#include "payins/charge_service.hpp"
#include "payins/reconciliation.hpp"
#include "payins/registry.hpp"
#include "payouts/reconciliation.hpp"
#include "providers/payout_providers.hpp"
#include "providers/providers.hpp"
#include "security/api_key.hpp"
#include "store/database.hpp"

namespace cambista::app {
namespace {

constexpr int64_t kTimeoutMs = 30'000;

int Report(const std::vector<events::Mismatch>& mismatches) {
  for (const events::Mismatch& mismatch : mismatches) {
    std::printf("%s\n", events::MismatchJson(mismatch).c_str());
  }
  std::fprintf(stderr, "cambista reconcile: %zu mismatches\n", mismatches.size());
  return mismatches.empty() ? 0 : 1;
}

int ReconcilePayouts(const ReconcileFlags& flags, int64_t since_ms, const Clock& clock) {
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
  auto provider = providers::BuildPayoutProvider(
      flags.provider, credentials.value(),
      payouts::ProviderContext{&http, &clock, flags.url, kTimeoutMs});
  if (!provider.ok()) {
    std::fprintf(stderr, "cambista reconcile: %s\n", provider.error().message.c_str());
    return 2;
  }
  auto database = store::Open(flags.database_url);
  payouts::ReconcileOptions options;
  options.since_ms = since_ms;
  const AssetRegistry assets = AssetRegistry::WithBuiltins();
  auto mismatches = payouts::Reconcile(*database, *provider.value(), assets, clock, options);
  if (!mismatches.ok()) {
    std::fprintf(stderr, "cambista reconcile: %s\n", mismatches.error().message.c_str());
    return 2;
  }
  return Report(mismatches.value());
}

int ReconcileCharges(const ReconcileFlags& flags, const Config& config,
                     const payins::GatewayRegistry& registry, int64_t since_ms,
                     const Clock& clock) {
  auto database = store::Open(flags.database_url);
  auto unsealed = MigrateAndUnseal(config, *database, clock);
  if (!unsealed.ok()) {
    std::fprintf(stderr, "cambista reconcile: %s\n", unsealed.error().c_str());
    return 2;
  }
  const SecretBox box = api::MakeSecretBox(unsealed.value().keys.master_key);
  const net::HttpClient http;
  const payins::GatewayContext context{&http, &clock, flags.url, kTimeoutMs};
  const std::string gateway = flags.provider;
  const auto adapter = [&](store::Connection& connection, std::string_view tenant)
      -> Result<std::shared_ptr<payins::PayinGateway>, payins::ChargeError> {
    auto credentials = payins::LoadTenantCredentials(connection, box, tenant, gateway);
    if (!credentials.ok()) return Failure(credentials.error());
    auto built = registry.Build(gateway, credentials.value(), context);
    if (!built.ok()) return Failure(payins::AsChargeError(built.error()));
    return std::shared_ptr<payins::PayinGateway>(std::move(built).value());
  };
  auto connection = database->Connect();
  const AssetRegistry assets = AssetRegistry::WithBuiltins();
  const payins::ChargeReconciliation result =
      payins::ReconcileCharges(*connection, gateway, adapter, assets, since_ms);
  std::fprintf(stderr, "cambista reconcile: %d charges checked, %d could not be asked\n",
               result.checked, result.unchecked);
  return Report(result.mismatches);
}

}  // namespace

int RunReconcile(const ReconcileFlags& flags, const Config& config) {
  const auto since = ParseKeyLifetimeMs(flags.since);
  if (!since.ok()) {
    std::fprintf(stderr, "cambista reconcile: --since must be a number and s, m, h, d or w\n");
    return 2;
  }
  SystemClock clock;
  const int64_t since_ms = clock.NowMs() - since.value();
  if (!flags.charges) {
    for (const std::string& name : providers::PayoutProviderNames()) {
      if (name == flags.provider) return ReconcilePayouts(flags, since_ms, clock);
    }
  }
  payins::GatewayRegistry registry;
  payins::RegisterPayinGateways(registry);
  const payins::GatewayDescription* description = registry.Describe(flags.provider);
  if (description == nullptr) {
    std::fprintf(stderr, "cambista reconcile: no payout provider or gateway \"%s\"\n",
                 flags.provider.c_str());
    return 2;
  }
  if (!description->can_fetch_status) {
    std::fprintf(stderr, "cambista reconcile: %s has no status API to reconcile against\n",
                 flags.provider.c_str());
    return 2;
  }
  return ReconcileCharges(flags, config, registry, since_ms, clock);
}

}  // namespace cambista::app
