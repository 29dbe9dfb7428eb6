#include "payouts/module.hpp"

#include <charconv>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/asset.hpp"
#include "jobs/job_queue.hpp"
#include "jobs/job_schedule.hpp"
#include "payouts/reconciliation.hpp"
#include "payouts/routes.hpp"
#include "payouts/schema.hpp"
#include "payouts/send_lanes.hpp"
#include "payouts/service.hpp"

namespace cambista::payouts {
namespace {

// [payouts.approval_thresholds] USDT = "1000.00": one key per asset of the desk's standard set.
std::string ThresholdKey(std::string_view asset) {
  return "payouts.approval_thresholds." + std::string(asset);
}

// [payouts] track_after_send_ms, review_after_ms: whole milliseconds within these bounds.
struct DurationKey {
  std::string_view path;
  int64_t min_ms;
  int64_t max_ms;
};
constexpr DurationKey kTrackAfterSend{"payouts.track_after_send_ms", 100, 3'600'000};
constexpr DurationKey kReviewAfter{"payouts.review_after_ms", 60'000, 30 * 86'400'000LL};

std::optional<int64_t> ParseDuration(const DurationKey& key, std::string_view text) {
  int64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value < key.min_ms ||
      value > key.max_ms) {
    return std::nullopt;
  }
  return value;
}

module::ConfigKey DurationConfigKey(const DurationKey& key) {
  return {std::string(key.path), module::ConfigKey::Type::kInteger,
          [key](std::string_view text) -> std::optional<std::string> {
            if (ParseDuration(key, text)) return std::nullopt;
            return "expected milliseconds from " + std::to_string(key.min_ms) + " to " +
                   std::to_string(key.max_ms);
          }};
}

std::vector<module::ConfigKey> ConfigKeys() {
  std::vector<module::ConfigKey> keys{DurationConfigKey(kTrackAfterSend),
                                      DurationConfigKey(kReviewAfter)};
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

// The lanes that send a payout as soon as it is REQUESTED: as many as the job workers, each
// waiting on a provider's answer most of the time.
constexpr int kSendThreads = 16;
constexpr size_t kSendQueuedMax = 100'000;

PayoutOptions OptionsOf(const module::ModuleContext& context, SendLanes& lanes) {
  const module::ModuleContext::Services& services = context.services();
  PayoutOptions options;
  options.providers = context.Find<ProviderDirectory>();
  options.assets = &services.assets;
  options.public_base_url = services.public_url;
  options.event_attempts_max = static_cast<int>(context.host().delivery_attempts_max);
  options.wake_jobs = [&jobs = services.jobs] { jobs.Wake(); };
  options.send_soon = [&lanes](std::function<void()> task) { return lanes.Post(std::move(task)); };
  for (auto [key, field] : {std::pair{&kTrackAfterSend, &options.track_after_send_ms},
                            std::pair{&kReviewAfter, &options.review_after_ms}}) {
    if (auto text = context.Setting(key->path)) *field = ParseDuration(*key, *text).value();
  }
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

// Once a day, every provider's list of the last two days against ours: mismatches become
// reconciliation.mismatch events (and a log line); nothing is changed.
constexpr int64_t kReconcileIntervalMs = 24 * 3'600'000;
constexpr int64_t kReconcileWindowMs = 2 * kReconcileIntervalMs;

jobs::JobOutcome ReconcileAll(const module::ModuleContext::Services& services,
                              const ProviderDirectory* providers, int event_attempts_max) {
  if (providers == nullptr) return jobs::JobOutcome::Done();
  std::string failures;
  for (const std::string& name : providers->Names()) {
    PayoutProvider* provider = providers->Find(name);
    if (provider == nullptr) continue;
    ReconcileOptions options;
    options.since_ms = services.clock.NowMs() - kReconcileWindowMs;
    options.emit_events = true;
    options.event_attempts_max = event_attempts_max;
    auto result = Reconcile(services.database, *provider, services.assets, services.clock, options);
    if (!result.ok()) {
      failures += name + ": " + result.error().message + "; ";
      continue;
    }
    services.logger.Info(
        "payouts reconciled",
        {{"provider", name}, {"mismatches", std::to_string(result.value().size())}});
  }
  if (failures.empty()) return jobs::JobOutcome::Done();
  return jobs::JobOutcome::Retry(failures, 15 * 60'000);
}

void Install(module::ModuleContext& context) {
  const module::ModuleContext::Services& services = context.services();
  SendLanes& lanes = context.Keep(std::make_unique<SendLanes>(kSendThreads, kSendQueuedMax));
  PayoutService& payouts = context.Keep(
      std::make_unique<PayoutService>(services.database, services.ledger, services.chart,
                                      services.clock, OptionsOf(context, lanes)));
  // Sends under way finish; those not started are the fallback submit jobs' (after a restart).
  context.OnStop([&lanes] { lanes.Stop(); });
  context.Provide(payouts);
  AddPayoutRoutes(services.router, services.gate, services.idempotency, payouts, services.assets,
                  services.clock);
  services.jobs.Register(std::string(kSubmitJobKind), [&payouts](const jobs::JobContext& job) {
    return Outcome(payouts.Submit(job.job.payload));
  });
  services.jobs.Register(std::string(kTrackJobKind), [&payouts](const jobs::JobContext& job) {
    return Outcome(payouts.Track(job.job.payload));
  });
  services.jobs.Register(
      "payouts.reconcile",
      [services, providers = context.Find<ProviderDirectory>(),
       attempts = static_cast<int>(context.host().delivery_attempts_max)](const jobs::JobContext&) {
        return ReconcileAll(services, providers, attempts);
      });
  services.jobs.AddSchedule(
      jobs::Every("payouts-reconcile", "payouts.reconcile", kReconcileIntervalMs));
}

}  // namespace

const module::Module kModule{"payouts", Migrations, ConfigKeys, Install};

}  // namespace cambista::payouts
