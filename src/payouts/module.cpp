#include "payouts/module.hpp"

#include <charconv>
#include <memory>
#include <optional>
#include <stdexcept>
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
#include "payouts/treasury_sweeps.hpp"

namespace cambista::payouts {
namespace {

// One key per asset of the desk's standard set, each a positive amount of its asset.
void AddAmountKeys(std::vector<module::ConfigKey>& keys, std::string_view section) {
  for (const Asset& asset : AssetRegistry::WithBuiltins().assets()) {
    keys.push_back({std::string(section) + "." + std::string(asset.code()),
                    module::ConfigKey::Type::kString,
                    [asset](std::string_view text) -> std::optional<std::string> {
                      auto amount = Amount::Parse(text, asset);
                      if (amount.ok() && amount.value().minor() > 0) return std::nullopt;
                      return "expected a positive amount of " + std::string(asset.code()) +
                             " such as \"1000.00\"";
                    }});
  }
}

// [treasury]: the sweeps of payouts/treasury_sweeps.hpp. The bank account is checked field by
// field here, and as a whole (the account's bank) at Install.
constexpr std::string_view kTreasury = "treasury.";
constexpr int64_t kSweepIntervalMinutesMax = 24 * 60;

// The text of a flag as the file or the environment gives it.
std::optional<bool> ParseFlag(std::string_view text) {
  if (text == "true" || text == "1") return true;
  if (text == "false" || text == "0") return false;
  return std::nullopt;
}

std::optional<int64_t> ParseMinutes(std::string_view text) {
  int64_t minutes = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), minutes);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  if (minutes < 1 || minutes > kSweepIntervalMinutesMax) return std::nullopt;
  return minutes;
}

// The account alone: its first four digits must be a known bank's code (ValidateVesBankAccount
// with that code and a placeholder holder); that they are treasury.bank's is checked at Install.
std::optional<std::string> CheckAccount(std::string_view text) {
  std::string digits;
  for (char c : text) {
    if (c != '-' && c != ' ') digits.push_back(c);
  }
  auto valid = ValidateVesBankAccount(std::string_view(digits).substr(0, 4), text, "V1");
  if (valid.ok()) return std::nullopt;
  if (valid.error().field == "bank") {
    return "expected a 20-digit account whose first four digits are a Venezuelan bank's code";
  }
  return "expected a 20-digit account: " + valid.error().reason;
}

void AddTreasuryKeys(std::vector<module::ConfigKey>& keys) {
  using Type = module::ConfigKey::Type;
  const auto key = [](std::string_view name) { return std::string(kTreasury) + std::string(name); };
  keys.push_back(
      {key("sweep_enabled"), Type::kBool, [](std::string_view text) -> std::optional<std::string> {
         if (ParseFlag(text)) return std::nullopt;
         return "expected true or false";
       }});
  keys.push_back({key("sweep_interval_minutes"), Type::kInteger,
                  [](std::string_view text) -> std::optional<std::string> {
                    if (ParseMinutes(text)) return std::nullopt;
                    return "expected whole minutes from 1 to 1440";
                  }});
  keys.push_back(
      {key("tenant"), Type::kString, [](std::string_view text) -> std::optional<std::string> {
         if (IsValidCustomerId(text)) return std::nullopt;
         return "expected a tenant id: 1 to 64 of A-Z, a-z, 0-9, '_', '.' and '-'";
       }});
  keys.push_back(
      {key("bank"), Type::kString, [](std::string_view text) -> std::optional<std::string> {
         if (!VesBankName(text).empty()) return std::nullopt;
         return "expected the 4-digit code of a Venezuelan bank, such as \"0134\"";
       }});
  keys.push_back({key("bank_account"), Type::kString, CheckAccount});
  keys.push_back({key("bank_document"), Type::kString,
                  [](std::string_view text) -> std::optional<std::string> {
                    auto valid = ValidateVesDocument(text);
                    if (valid.ok()) return std::nullopt;
                    return "expected a cédula or RIF: " + valid.error().reason;
                  }});
  AddAmountKeys(keys, key("min_withdrawal"));
  AddAmountKeys(keys, key("capacity_alert"));
}

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
  AddAmountKeys(keys, "payouts.approval_thresholds");
  AddTreasuryKeys(keys);
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

// `serve --sandbox` sweeps the BuhoPago simulator to a bank account of its own unless [treasury]
// names one, and alerts at seed 000's level.
constexpr std::string_view kSandboxBank = "0134";
constexpr std::string_view kSandboxBankAccount = "01340000000000000001";
constexpr std::string_view kSandboxBankDocument = "J000029610";
constexpr std::string_view kSandboxCapacityAlert = "10000.00";  // VES

// Sweeps run when [treasury] names the bank account (bank, bank_account, bank_document), or in
// the sandbox, unless sweep_enabled = false. Throws, for people, on a configuration that cannot
// work: part of the account, the account of another bank, sweeps enabled without an account.
Destination SweepBank(const module::ModuleContext& context) {
  const auto setting = [&](std::string_view name) {
    return context.Setting(std::string(kTreasury) + std::string(name));
  };
  const auto bank = setting("bank");
  const auto account = setting("bank_account");
  const auto document = setting("bank_document");
  auto destination =
      bank && account && document
          ? ValidateVesBankAccount(*bank, *account, *document)
          : ValidateVesBankAccount(kSandboxBank, kSandboxBankAccount, kSandboxBankDocument);
  if (!destination.ok()) {
    throw std::runtime_error("treasury.bank_account: " + destination.error().reason);
  }
  return std::move(destination).value();
}

SweepOptions SweepOptionsOf(const module::ModuleContext& context) {
  const auto setting = [&](std::string_view name) {
    return context.Setting(std::string(kTreasury) + std::string(name));
  };
  const int given = static_cast<int>(setting("bank").has_value()) +
                    static_cast<int>(setting("bank_account").has_value()) +
                    static_cast<int>(setting("bank_document").has_value());
  if (given != 0 && given != 3) {
    throw std::runtime_error(
        "[treasury] bank, bank_account and bank_document go together: the sweeps' bank account "
        "needs all three");
  }
  const bool sandbox = context.host().sandbox;
  SweepOptions options;
  const auto enabled = setting("sweep_enabled");
  options.enabled = enabled ? ParseFlag(*enabled).value_or(false) : given == 3 || sandbox;
  if (!options.enabled) return options;
  if (given == 0 && !sandbox) {
    throw std::runtime_error(
        "treasury.sweep_enabled = true needs the bank account: [treasury] bank, bank_account and "
        "bank_document");
  }
  options.bank = SweepBank(context);
  options.tenant = std::string(setting("tenant").value_or("default"));
  if (const auto minutes = setting("sweep_interval_minutes")) {
    options.interval_ms = ParseMinutes(*minutes).value_or(30) * 60'000;  // checked by the key
  }
  for (const Asset& asset : context.services().assets.assets()) {
    const std::string code(asset.code());
    if (auto text = setting("min_withdrawal." + code)) {
      options.min_withdrawal[code] = Amount::Parse(*text, asset).value().minor();
    }
    const auto alert = setting("capacity_alert." + code);
    if (alert || (sandbox && code == "VES")) {
      options.capacity_alert[code] =
          Amount::Parse(alert.value_or(kSandboxCapacityAlert), asset).value().minor();
    }
  }
  options.event_attempts_max = static_cast<int>(context.host().delivery_attempts_max);
  return options;
}

// The job's run: a log line per provider and asset; a provider that could not be read is asked
// again in a minute (the window's row keeps a retry from crediting twice).
constexpr int64_t kSweepRetryMs = 60'000;
constexpr int kSweepAttemptsMax = 5;

jobs::JobOutcome RunSweeps(TreasurySweeps& sweeps, obs::JsonLogger& logger) {
  std::string unavailable;
  for (const SweepRun& run : sweeps.RunOnce()) {
    const bool worrying =
        run.result == SweepRunResult::kUnavailable || run.result == SweepRunResult::kLedgerShort;
    if (run.result == SweepRunResult::kUnavailable) unavailable += run.provider + ": " + run.detail;
    const std::vector<obs::LogField> fields = {
        {"provider", run.provider},
        {"asset", run.asset},
        {"result", SweepRunResultName(run.result)},
        {"detail", run.detail},
        {"payout_id", run.sweep ? std::string_view(run.sweep->payout_id) : std::string_view()}};
    logger.Log(worrying ? obs::LogLevel::kWarn : obs::LogLevel::kInfo, "treasury sweep", fields);
  }
  if (unavailable.empty()) return jobs::JobOutcome::Done();
  return jobs::JobOutcome::Retry(unavailable, kSweepRetryMs);
}

// The treasury sweeps: their routes and metrics always (a disabled sweep lists what it did
// before), their job always (one a removed schedule left behind does nothing), their schedule
// when enabled, declared once the server listens (the sandbox's providers need its URL).
void InstallSweeps(module::ModuleContext& context, PayoutService& payouts) {
  const module::ModuleContext::Services& services = context.services();
  TreasurySweeps& sweeps = context.Keep(std::make_unique<TreasurySweeps>(
      services.database, services.ledger, payouts, context.Find<ProviderDirectory>(),
      services.assets, services.clock, SweepOptionsOf(context)));
  AddTreasuryRoutes(services.router, services.gate, sweeps, services.assets);
  sweeps.RegisterMetrics(services.metrics);
  services.jobs.Register(std::string(kSweepJobKind),
                         [&sweeps, &logger = services.logger](const jobs::JobContext&) {
                           return RunSweeps(sweeps, logger);
                         });
  context.OnStart([&sweeps, &jobs = services.jobs] {
    if (!sweeps.options().enabled) {
      jobs.RemoveSchedule("treasury-sweep");
      return;
    }
    jobs::JobSchedule schedule =
        jobs::Every("treasury-sweep", std::string(kSweepJobKind), sweeps.options().interval_ms);
    schedule.max_attempts = kSweepAttemptsMax;
    jobs.AddSchedule(schedule);
  });
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
  InstallSweeps(context, payouts);
}

}  // namespace

const module::Module kModule{"payouts", Migrations, ConfigKeys, Install};

}  // namespace cambista::payouts
