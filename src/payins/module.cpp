#include "payins/module.hpp"

#include <charconv>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/assert.hpp"
#include "payins/charge_service.hpp"
#include "payins/registry.hpp"
#include "payins/routes.hpp"
#include "payins/schema.hpp"
#include "payins/store.hpp"

namespace cambista::payins {
namespace {

// Charges a run of the periodic jobs looks at per batch (one short transaction each).
constexpr int kChargeBatchMax = 100;

// [payins] webhook_burst, webhook_per_second: the webhook limiter per gateway and source address
// (payins/routes.hpp). The defaults suit a gateway's real senders; a sandbox under load, whose
// simulators all send from 127.0.0.1, needs more (`bench flow` raises them).
constexpr std::string_view kWebhookBurstKey = "payins.webhook_burst";
constexpr std::string_view kWebhookPerSecondKey = "payins.webhook_per_second";
constexpr int64_t kWebhookRateMax = 1'000'000'000;

std::optional<int64_t> ParseRate(std::string_view text) {
  int64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value < 1 ||
      value > kWebhookRateMax) {
    return std::nullopt;
  }
  return value;
}

std::vector<module::ConfigKey> ConfigKeys() {
  std::vector<module::ConfigKey> keys;
  for (std::string_view path : {kWebhookBurstKey, kWebhookPerSecondKey}) {
    keys.push_back({std::string(path), module::ConfigKey::Type::kInteger,
                    [](std::string_view text) -> std::optional<std::string> {
                      if (ParseRate(text)) return std::nullopt;
                      return "expected an integer from 1 to " + std::to_string(kWebhookRateMax);
                    }});
  }
  return keys;
}

ChargeRoutesOptions RoutesOptionsOf(const module::ModuleContext& context) {
  ChargeRoutesOptions options;
  if (auto text = context.Setting(kWebhookBurstKey)) {
    options.webhook_rate.capacity_tokens = ParseRate(*text).value_or(1);
  }
  if (auto text = context.Setting(kWebhookPerSecondKey)) {
    options.webhook_rate.refill_tokens_per_second = ParseRate(*text).value_or(1);
  }
  return options;
}

// Adapters are built per tenant from its sealed credentials, at the catalog's URL for the gateway.
AdapterFactory AdapterFactoryOf(const GatewayCatalog& catalog,
                                const module::ModuleContext& context) {
  const net::HttpClient* client = &context.services().provider_client;
  const Clock* clock = &context.services().clock;
  const int64_t timeout_ms = context.host().outbound_timeout_ms;
  return [&catalog, client, clock, timeout_ms](
             std::string_view name,
             const Credentials& credentials) -> Result<std::unique_ptr<PayinGateway>, ChargeError> {
    if (!catalog.registry.Describe(name)) {
      return Failure(ChargeError{ChargeErrorKind::kUnknownGateway,
                                 "No gateway is called \"" + std::string(name) + "\".", "gateway"});
    }
    const std::string base_url = catalog.base_url(name);
    if (base_url.empty()) {
      return Failure(ChargeError{ChargeErrorKind::kGatewayNotConfigured,
                                 "No API URL is configured for gateway \"" + std::string(name) +
                                     "\" (gateways." + std::string(name) + "_url).",
                                 "gateway"});
    }
    GatewayContext gateway_context{client, clock, base_url, timeout_ms};
    auto built = catalog.registry.Build(name, credentials, gateway_context);
    if (!built.ok()) return Failure(AsChargeError(built.error()));
    return std::move(built).value();
  };
}

ChargeServiceOptions OptionsOf(const GatewayCatalog& catalog,
                               const module::ModuleContext& context) {
  ChargeServiceOptions options;
  // Gateways reach us at the configured public URL, else at the URL we listen on.
  options.public_base_url = context.services().public_url;
  options.event_delivery_attempts_max = static_cast<int>(context.host().delivery_attempts_max);
  options.wake_jobs = [&jobs = context.services().jobs] { jobs.Wake(); };
  options.fees = catalog.fees;
  return options;
}

void RegisterJobs(jobs::JobQueue& queue, ChargeService& charges) {
  queue.Register(std::string(kConfirmJobKind), [&charges](const jobs::JobContext& context) {
    const ConfirmOutcome outcome = charges.Confirm(context.job.payload);
    if (outcome.done) return jobs::JobOutcome::Done();
    return jobs::JobOutcome::Retry(outcome.error, outcome.retry_after_ms > 0
                                                      ? std::optional(outcome.retry_after_ms)
                                                      : std::nullopt);
  });
  queue.Register("charges.expire", [&charges](const jobs::JobContext& context) {
    return jobs::RunBatches(context, kChargeBatchMax,
                            [&charges] { return charges.ExpireDue(kChargeBatchMax); });
  });
  queue.Register("charges.recover", [&charges](const jobs::JobContext& context) {
    return jobs::RunBatches(context, kChargeBatchMax,
                            [&charges] { return charges.RecoverCreating(kChargeBatchMax); });
  });
  queue.AddSchedule(jobs::Every("charges-expire", "charges.expire", 30'000));
  queue.AddSchedule(jobs::Every("charges-recover", "charges.recover", 30'000));
}

// Once a day, every charge of the last two days at each gateway with a status API against what the
// gateway says now: mismatches become reconciliation.mismatch events (and a log line); nothing is
// changed.
constexpr int64_t kReconcileIntervalMs = 24 * 3'600'000;
constexpr int64_t kReconcileWindowMs = 2 * kReconcileIntervalMs;

void RegisterReconciliation(const module::ModuleContext::Services& services,
                            const GatewayCatalog& catalog, ChargeService& charges) {
  services.jobs.Register(
      "charges.reconcile", [services, &catalog, &charges](const jobs::JobContext&) {
        for (const std::string& gateway : catalog.registry.Names()) {
          const GatewayDescription* description = catalog.registry.Describe(gateway);
          if (description == nullptr || !description->can_fetch_status) continue;
          const ChargeReconciliation result =
              charges.Reconcile(gateway, services.clock.NowMs() - kReconcileWindowMs, true);
          services.logger.Info("charges reconciled",
                               {{"gateway", gateway},
                                {"checked", std::to_string(result.checked)},
                                {"unchecked", std::to_string(result.unchecked)},
                                {"mismatches", std::to_string(result.mismatches.size())}});
        }
        return jobs::JobOutcome::Done();
      });
  services.jobs.AddSchedule(
      jobs::Every("charges-reconcile", "charges.reconcile", kReconcileIntervalMs));
}

// In sandbox mode the tenant `default` takes payments through every simulator.
void GiveSandboxAccounts(const GatewayCatalog& catalog, ChargeService& charges,
                         obs::JsonLogger& logger) {
  int64_t priority = 10;
  for (const auto& [gateway, credentials] : catalog.sandbox_accounts) {
    auto set = charges.SetGateway("default", gateway, credentials, priority);
    if (!set.ok()) {
      logger.Warn("sandbox gateway", {{"gateway", gateway}, {"error", set.error().detail}});
    }
    priority += 10;
  }
}

void Install(module::ModuleContext& context) {
  const module::ModuleContext::Services& services = context.services();
  const GatewayCatalog* catalog = context.Find<GatewayCatalog>();
  CAMBISTA_CHECK(catalog != nullptr);  // the providers module comes first (app/modules.cpp)
  GatewayLanes& lanes = context.Keep(std::make_unique<GatewayLanes>(services.clock));
  ChargeService& charges = context.Keep(std::make_unique<ChargeService>(
      services.database, services.ledger, services.chart, services.assets, services.box,
      services.clock, AdapterFactoryOf(*catalog, context), lanes, OptionsOf(*catalog, context)));
  context.Provide(charges);
  AddChargeRoutes(services.router, services.gate, services.idempotency, charges, services.assets,
                  services.metrics, services.clock, RoutesOptionsOf(context));
  RegisterJobs(services.jobs, charges);
  RegisterReconciliation(services, *catalog, charges);
  services.retention.AddRule(DeliveryBodiesRetentionRule());
  context.OnStart([catalog, &charges, &logger = services.logger] {
    GiveSandboxAccounts(*catalog, charges, logger);
  });
  // Calls under way finish; their answers go nowhere once the server has stopped.
  context.OnStop([&lanes] { lanes.Stop(); });
}

}  // namespace

const module::Module kModule{"payins", Migrations, ConfigKeys, Install};

}  // namespace cambista::payins
