#include "payouts/module.hpp"

#include <memory>
#include <string>
#include <vector>

#include "core/asset.hpp"
#include "jobs/job_queue.hpp"
#include "payouts/routes.hpp"
#include "payouts/schema.hpp"
#include "payouts/service.hpp"

namespace cambista::payouts {
namespace {

// [payouts.approval_thresholds] USDT = "1000.00": one key per asset of the desk's standard set.
std::string ThresholdKey(std::string_view asset) {
  return "payouts.approval_thresholds." + std::string(asset);
}

std::vector<module::ConfigKey> ConfigKeys() {
  std::vector<module::ConfigKey> keys;
  for (const Asset& asset : AssetRegistry::WithBuiltins().assets()) {
    keys.push_back({ThresholdKey(asset.code()), module::ConfigKey::Type::kString,
                    [asset](std::string_view text) -> std::optional<std::string> {
                      auto amount = Amount::Parse(text, asset);
                      if (amount.ok() && amount.value().minor() > 0) return std::nullopt;
                      return "expected a positive amount of " + std::string(asset.code()) +
                             " such as \"1000.00\"";
                    }});
  }
  return keys;
}

PayoutOptions OptionsOf(const module::ModuleContext& context) {
  const module::ModuleContext::Services& services = context.services();
  PayoutOptions options;
  options.providers = context.Find<ProviderDirectory>();
  options.assets = &services.assets;
  options.public_base_url = services.public_url;
  options.event_attempts_max = static_cast<int>(context.host().delivery_attempts_max);
  options.wake_jobs = [&jobs = services.jobs] { jobs.Wake(); };
  for (const Asset& asset : services.assets.assets()) {
    if (auto text = context.Setting(ThresholdKey(asset.code()))) {
      options.approval_thresholds[std::string(asset.code())] =
          Amount::Parse(*text, asset).value().minor();  // checked by ConfigKeys
    }
  }
  return options;
}

jobs::JobOutcome Outcome(const JobStep& step) {
  if (step.done) return jobs::JobOutcome::Done();
  return jobs::JobOutcome::Retry(
      step.error, step.retry_after_ms > 0 ? std::optional(step.retry_after_ms) : std::nullopt);
}

void Install(module::ModuleContext& context) {
  const module::ModuleContext::Services& services = context.services();
  PayoutService& payouts = context.Keep(std::make_unique<PayoutService>(
      services.database, services.ledger, services.chart, services.clock, OptionsOf(context)));
  context.Provide(payouts);
  AddPayoutRoutes(services.router, services.gate, services.idempotency, payouts, services.assets);
  services.jobs.Register(std::string(kSubmitJobKind), [&payouts](const jobs::JobContext& job) {
    return Outcome(payouts.Submit(job.job.payload));
  });
  services.jobs.Register(std::string(kTrackJobKind), [&payouts](const jobs::JobContext& job) {
    return Outcome(payouts.Track(job.job.payload));
  });
}

}  // namespace

const module::Module kModule{"payouts", Migrations, ConfigKeys, Install};

}  // namespace cambista::payouts
