#include "trading/module.hpp"

#include <charconv>
#include <memory>

#include "jobs/job_schedule.hpp"
#include "payins/charge_service.hpp"
#include "payouts/service.hpp"
#include "pricing/service.hpp"
#include "trading/routes.hpp"
#include "trading/schema.hpp"
#include "trading/service.hpp"

namespace cambista::trading {
namespace {

// The desk's pairs (issue [trading]: seed 002's spread 3% and network fee 0.25%), each with the
// market it is priced on and the bounds of what the customer pays, in major units of that asset.
struct PairDefault {
  std::string_view from;
  std::string_view to;
  std::string_view market;
  bool buys_base;
  std::string_view min;
  std::string_view max;
  bool pays_on_chain;
};
constexpr PairDefault kPairs[] = {
    {"BRL", "USDT", "USDT/BRL", true, "10.00", "50000.00", false},
    {"VES", "USDT", "USDT/VES", true, "100.00", "10000000.00", false},
    {"COP", "USDT", "USDT/COP", true, "20000.00", "200000000.00", false},
    {"USDT", "BRL", "USDT/BRL", false, "2.000000", "10000.000000", true},
    {"USDT", "VES", "USDT/VES", false, "2.000000", "10000.000000", true},
    {"POL", "BRL", "POL/BRL", false, "1.000000000000000000", "100000.000000000000000000", true},
};
constexpr int64_t kSpreadBpsDefault = 300;
constexpr int64_t kNetworkFeeBpsDefault = 25;
// USDT per customer and 24 hours by KYC level; the levels not named have no limit.
constexpr std::string_view kDailyLimitDefaults[] = {"1000.000000", "10000.000000", "100000.000000"};

std::string PairKey(const PairDefault& pair, std::string_view name) {
  return "trading.pairs." + std::string(pair.from) + "_" + std::string(pair.to) + "." +
         std::string(name);
}

std::optional<int64_t> ParseInteger(std::string_view text, int64_t min, int64_t max) {
  int64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value < min || value > max) {
    return std::nullopt;
  }
  return value;
}

module::ConfigKey IntegerKey(std::string path, int64_t min, int64_t max) {
  return {std::move(path), module::ConfigKey::Type::kInteger,
          [min, max](std::string_view text) -> std::optional<std::string> {
            if (ParseInteger(text, min, max)) return std::nullopt;
            return "expected an integer from " + std::to_string(min) + " to " + std::to_string(max);
          }};
}

module::ConfigKey AmountKey(std::string path, std::string_view code, bool none_allowed) {
  return {std::move(path), module::ConfigKey::Type::kString,
          [code = std::string(code),
           none_allowed](std::string_view text) -> std::optional<std::string> {
            if (none_allowed && text == "none") return std::nullopt;
            auto asset = AssetRegistry::WithBuiltins().Find(code);
            auto amount = Amount::Parse(text, asset.value());
            if (amount.ok() && amount.value().minor() > 0) return std::nullopt;
            return "expected a positive amount of " + code + " such as \"1000.00\"" +
                   (none_allowed ? " or \"none\"" : "");
          }};
}

std::vector<module::ConfigKey> ConfigKeys() {
  std::vector<module::ConfigKey> keys = {
      IntegerKey("trading.quote_ttl_seconds", 5, 3600),
      IntegerKey("trading.payment_window_seconds", 60, 7 * 86'400),
      {"trading.sandbox_liquidity", module::ConfigKey::Type::kBool,
       [](std::string_view text) -> std::optional<std::string> {
         if (text == "true" || text == "false") return std::nullopt;
         return "expected true or false";
       }}};
  for (const PairDefault& pair : kPairs) {
    keys.push_back(IntegerKey(PairKey(pair, "spread_bps"), 0, 5000));
    keys.push_back(IntegerKey(PairKey(pair, "network_fee_bps"), 0, 5000));
    keys.push_back(AmountKey(PairKey(pair, "min"), pair.from, false));
    keys.push_back(AmountKey(PairKey(pair, "max"), pair.from, false));
  }
  for (int level = 0; level <= payouts::kKycLevelMax; ++level) {
    keys.push_back(AmountKey("trading.daily_limits.level_" + std::to_string(level), "USDT", true));
  }
  return keys;
}

PairTerms TermsOf(const module::ModuleContext& context, const PairDefault& pair) {
  const auto setting = [&](std::string_view name) { return context.Setting(PairKey(pair, name)); };
  const AssetRegistry& assets = context.services().assets;
  const Asset from = assets.Find(pair.from).value();
  PairTerms terms{.from = std::string(pair.from),
                  .to = std::string(pair.to),
                  .market = std::string(pair.market),
                  .buys_base = pair.buys_base,
                  .pays_on_chain = pair.pays_on_chain};
  terms.spread_bps =
      ParseInteger(setting("spread_bps").value_or("300"), 0, 5000).value_or(kSpreadBpsDefault);
  terms.network_fee_bps = ParseInteger(setting("network_fee_bps").value_or("25"), 0, 5000)
                              .value_or(kNetworkFeeBpsDefault);
  terms.min_in = Amount::Parse(setting("min").value_or(pair.min), from).value().minor();
  terms.max_in = Amount::Parse(setting("max").value_or(pair.max), from).value().minor();
  if (terms.min_in > terms.max_in) {
    throw std::runtime_error("[trading.pairs." + terms.from + "_" + terms.to +
                             "] min is above max");
  }
  return terms;
}

TradingOptions OptionsOf(const module::ModuleContext& context) {
  TradingOptions options;
  for (const PairDefault& pair : kPairs) {
    PairTerms terms = TermsOf(context, pair);
    options.pairs.emplace(terms.from + "->" + terms.to, std::move(terms));
  }
  if (auto ttl = context.Setting("trading.quote_ttl_seconds")) {
    options.quote_ttl_ms = ParseInteger(*ttl, 5, 3600).value_or(60) * 1000;
  }
  if (auto window = context.Setting("trading.payment_window_seconds")) {
    options.payment_window_ms = ParseInteger(*window, 60, 7 * 86'400).value_or(900) * 1000;
  }
  const Asset usdt = context.services().assets.Find("USDT").value();
  for (int level = 0; level <= payouts::kKycLevelMax; ++level) {
    const auto text = context.Setting("trading.daily_limits.level_" + std::to_string(level));
    const std::optional<std::string_view> given =
        text ? text
             : (level < static_cast<int>(std::size(kDailyLimitDefaults))
                    ? std::optional(kDailyLimitDefaults[level])
                    : std::nullopt);
    if (given && *given != "none") {
      options.daily_limits[static_cast<size_t>(level)] =
          Amount::Parse(*given, usdt).value().minor();
    }
  }
  options.event_attempts_max = static_cast<int>(context.host().delivery_attempts_max);
  options.wake_jobs = [&jobs = context.services().jobs] { jobs.Wake(); };
  return options;
}

// The pricing module's reference rates, as trading reads them.
RateLookup LookupOn(const pricing::RateBook* book) {
  return [book](std::string_view market) -> Result<MarketRate, TradeErrorKind> {
    if (book == nullptr) return Failure(TradeErrorKind::kRateUnavailable);
    auto rate = book->Reference(market);
    if (!rate.ok()) {
      return Failure(rate.error() == pricing::RateError::kUnknownPair
                         ? TradeErrorKind::kUnsupportedPair
                         : TradeErrorKind::kRateUnavailable);
    }
    return MarketRate{rate.value().bid, rate.value().ask, rate.value().source,
                      rate.value().observed_at_ms};
  };
}

jobs::JobOutcome Outcome(const payouts::JobStep& step) {
  if (step.done) return jobs::JobOutcome::Done();
  return jobs::JobOutcome::Retry(
      step.error, step.retry_after_ms > 0 ? std::optional(step.retry_after_ms) : std::nullopt);
}

// `serve --sandbox`: the desk's liquidity at the payout simulators (their starting balances) on the
// ledger, by a treasury deposit to each provider's float at first start (the deposit's reference
// finds the first one after a restart), so that a trade completes on a fresh database. [trading]
// sandbox_liquidity = false leaves the floats empty (to try the funding paths).
struct SandboxFloat {
  std::string_view provider;
  std::string_view asset;
  std::string_view amount;
};
constexpr SandboxFloat kSandboxFloats[] = {{"heleket", "USDT", "100000.000000"},
                                           {"pixout", "BRL", "100000.00"}};

void FundSandbox(payouts::PayoutService& payouts, const AssetRegistry& assets,
                 obs::JsonLogger& logger) {
  for (const SandboxFloat& fund : kSandboxFloats) {
    const Asset asset = assets.Find(fund.asset).value();
    const payouts::DepositRequest deposit{
        "provider:" + std::string(fund.provider), Amount::Parse(fund.amount, asset).value(),
        "sandbox-liquidity:" + std::string(fund.provider) + ":" + std::string(fund.asset)};
    auto made = payouts.RecordDeposit("default", "sandbox", deposit);
    if (!made.ok()) {
      logger.Warn("sandbox liquidity",
                  {{"provider", fund.provider}, {"error", made.error().detail}});
    } else if (made.value().created) {
      logger.Info("sandbox liquidity",
                  {{"provider", fund.provider}, {"asset", fund.asset}, {"amount", fund.amount}});
    }
  }
}

constexpr int64_t kExpireIntervalMs = 60'000;
constexpr int kExpireBatchMax = 200;

void Install(module::ModuleContext& context) {
  const module::ModuleContext::Services& services = context.services();
  auto* charges = context.Find<payins::ChargeService>();
  auto* payouts = context.Find<payouts::PayoutService>();
  if (charges == nullptr || payouts == nullptr) {
    throw std::runtime_error("trading needs the payins and payouts modules");
  }
  TradeService& trades = context.Keep(std::make_unique<TradeService>(
      services.database, services.ledger, services.chart, services.assets, services.clock, *charges,
      *payouts, LookupOn(context.Find<pricing::RateBook>()), OptionsOf(context)));
  context.Provide(trades);
  charges->Observe(
      {.changed = [&trades](store::Connection& tx,
                            const payins::Charge& charge) { trades.ChargeChanged(tx, charge); },
       .committed = [&jobs = services.jobs] { jobs.Wake(); }});
  payouts->Observe([&trades](store::Connection& tx, const payouts::Payout& payout) {
    trades.PayoutChanged(tx, payout);
  });
  AddTradingRoutes(services.router, services.gate, services.idempotency, trades, services.assets);
  services.jobs.Register(std::string(kAdvanceJobKind), [&trades](const jobs::JobContext& job) {
    return Outcome(trades.Advance(job.job.payload));
  });
  services.jobs.Register(std::string(kExpireJobKind), [&trades](const jobs::JobContext& job) {
    return jobs::RunBatches(job, kExpireBatchMax, [&trades] {
      return static_cast<int64_t>(trades.ExpireDue(kExpireBatchMax));
    });
  });
  services.jobs.AddSchedule(
      jobs::Every("trades-expire", std::string(kExpireJobKind), kExpireIntervalMs));
  if (context.host().sandbox && context.Setting("trading.sandbox_liquidity") != "false") {
    FundSandbox(*payouts, services.assets, services.logger);
  }
}

}  // namespace

const module::Module kModule{"trading", Migrations, ConfigKeys, Install};

}  // namespace cambista::trading
