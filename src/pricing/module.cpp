#include "pricing/module.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "core/assert.hpp"
#include "core/asset.hpp"
#include "pricing/poller.hpp"
#include "pricing/routes.hpp"
#include "pricing/sandbox_feed.hpp"
#include "pricing/schema.hpp"
#include "pricing/service.hpp"
#include "pricing/static_source.hpp"
#include "pricing/store.hpp"

namespace cambista::pricing {
namespace {

constexpr std::string_view kDefaultPairs = "USDT/BRL,USDT/VES,USDT/COP,POL/BRL";
constexpr std::string_view kSandboxSources = "binance_p2p,criptoya,sandbox";
constexpr std::array<std::string_view, 4> kSourceNames = {"static", "binance_p2p", "criptoya",
                                                          "sandbox"};
constexpr int64_t kSandboxPollIntervalMs = 1'000;
constexpr int64_t kSandboxBreakerCooldownMs = 5'000;

// The whole-number keys of [pricing], each within its bounds.
struct IntegerKey {
  std::string_view path;
  int64_t min;
  int64_t max;
};
constexpr IntegerKey kPollInterval{"pricing.poll_interval_ms", 1'000, 3'600'000};
constexpr IntegerKey kMaxAge{"pricing.max_age_seconds", 1, 86'400};
constexpr IntegerKey kBand{"pricing.band_bps", 1, 5'000};
constexpr IntegerKey kMinSources{"pricing.min_sources", 1, 10};
constexpr IntegerKey kBreakerFailures{"pricing.breaker_failures", 1, 100};
constexpr IntegerKey kBreakerCooldown{"pricing.breaker_cooldown_ms", 1'000, 3'600'000};
constexpr std::array<const IntegerKey*, 6> kIntegerKeys = {
    &kPollInterval, &kMaxAge, &kBand, &kMinSources, &kBreakerFailures, &kBreakerCooldown};

std::optional<int64_t> ParseInteger(const IntegerKey& key, std::string_view text) {
  int64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value < key.min ||
      value > key.max) {
    return std::nullopt;
  }
  return value;
}

// "a, b ,c" -> {"a", "b", "c"}; empty items dropped.
std::vector<std::string> SplitList(std::string_view text) {
  std::vector<std::string> items;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t comma = std::min(text.find(',', start), text.size());
    std::string_view item = text.substr(start, comma - start);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (!item.empty()) items.emplace_back(item);
    start = comma + 1;
  }
  return items;
}

std::optional<std::string> CheckSources(std::string_view text) {
  std::vector<std::string> names = SplitList(text);
  for (const std::string& name : names) {
    if (std::find(kSourceNames.begin(), kSourceNames.end(), name) == kSourceNames.end()) {
      return "expected a comma list of static, binance_p2p, criptoya and sandbox";
    }
  }
  std::sort(names.begin(), names.end());
  if (std::adjacent_find(names.begin(), names.end()) != names.end()) return "a source twice";
  return std::nullopt;
}

std::optional<std::string> CheckPairs(std::string_view text) {
  std::vector<std::string> pairs;
  for (const std::string& item : SplitList(text)) {
    const auto pair = ParsePair(item);
    const auto assets = AssetRegistry::WithBuiltins();
    if (!pair || !assets.Find(pair->base).ok() || !assets.Find(pair->quote).ok()) {
      return "expected a comma list of pairs of known assets such as \"USDT/BRL,POL/BRL\"";
    }
    pairs.push_back(pair->Text());
  }
  if (pairs.empty()) return "expected at least one pair such as \"USDT/BRL\"";
  std::sort(pairs.begin(), pairs.end());
  if (std::adjacent_find(pairs.begin(), pairs.end()) != pairs.end()) return "a pair twice";
  return std::nullopt;
}

std::optional<std::string> CheckStaticRate(std::string_view text) {
  auto rate = Rate::Parse(text);
  if (rate.ok() && rate.value().units() <= kRateUnitsMax) return std::nullopt;
  return "expected a positive decimal such as \"5.40\"";
}

// [pricing.static.<BASE>_<QUOTE>] bid and ask, for every ordered pair of two built-in assets.
std::string StaticKey(const Pair& pair, std::string_view side) {
  return "pricing.static." + pair.KeyText() + "." + std::string(side);
}

std::vector<Pair> StaticPairsPossible() {
  std::vector<Pair> pairs;
  const std::vector<Asset> assets = AssetRegistry::WithBuiltins().assets();
  for (const Asset& base : assets) {
    for (const Asset& quote : assets) {
      if (base == quote) continue;
      pairs.push_back(Pair{std::string(base.code()), std::string(quote.code())});
    }
  }
  return pairs;
}

std::vector<module::ConfigKey> ConfigKeys() {
  using Type = module::ConfigKey::Type;
  std::vector<module::ConfigKey> keys{{"pricing.sources", Type::kString, CheckSources},
                                      {"pricing.pairs", Type::kString, CheckPairs}};
  for (const IntegerKey* key : kIntegerKeys) {
    keys.push_back({std::string(key->path), Type::kInteger,
                    [key](std::string_view text) -> std::optional<std::string> {
                      if (ParseInteger(*key, text)) return std::nullopt;
                      return "expected a whole number from " + std::to_string(key->min) + " to " +
                             std::to_string(key->max);
                    }});
  }
  for (const Pair& pair : StaticPairsPossible()) {
    for (std::string_view side : {"bid", "ask"}) {
      keys.push_back({StaticKey(pair, side), Type::kString, CheckStaticRate});
    }
  }
  return keys;
}

}  // namespace
}  // namespace cambista::pricing

namespace cambista::pricing {
namespace {

int64_t IntegerSetting(const module::ModuleContext& context, const IntegerKey& key,
                       int64_t fallback) {
  const auto text = context.Setting(key.path);
  return text ? ParseInteger(key, *text).value() : fallback;  // checked by ConfigKeys
}

RateBookOptions OptionsOf(const module::ModuleContext& context) {
  const bool sandbox = context.host().sandbox;
  RateBookOptions options;
  for (const std::string& item :
       SplitList(context.Setting("pricing.pairs").value_or(kDefaultPairs))) {
    options.pairs.push_back(*ParsePair(item));
  }
  options.poll_interval_ms =
      IntegerSetting(context, kPollInterval, sandbox ? kSandboxPollIntervalMs : 60'000);
  options.max_age_ms = IntegerSetting(context, kMaxAge, 300) * 1'000;
  options.aggregate.band_bps = IntegerSetting(context, kBand, 300);
  options.aggregate.min_sources = static_cast<size_t>(IntegerSetting(context, kMinSources, 1));
  options.breaker.failures_max = IntegerSetting(context, kBreakerFailures, 3);
  options.breaker.cooldown_ms =
      IntegerSetting(context, kBreakerCooldown, sandbox ? kSandboxBreakerCooldownMs : 60'000);
  options.event_attempts_max = static_cast<int>(context.host().delivery_attempts_max);
  if (options.max_age_ms <= options.poll_interval_ms) {
    throw std::runtime_error(
        "pricing.max_age_seconds must be longer than pricing.poll_interval_ms: a value would "
        "expire before the next poll could renew it");
  }
  return options;
}

// The static source's prices: every [pricing.static.*] entry, each a whole bid and ask of a
// configured pair with ask above bid. Throws, for people, otherwise.
std::map<std::string, StaticSource::Entry, std::less<>> StaticPrices(
    const module::ModuleContext& context, const std::vector<Pair>& pairs) {
  std::map<std::string, StaticSource::Entry, std::less<>> prices;
  for (const Pair& pair : StaticPairsPossible()) {
    const auto bid = context.Setting(StaticKey(pair, "bid"));
    const auto ask = context.Setting(StaticKey(pair, "ask"));
    if (!bid && !ask) continue;
    const std::string table = "[pricing.static." + pair.KeyText() + "]";
    if (std::find(pairs.begin(), pairs.end(), pair) == pairs.end()) {
      throw std::runtime_error(table + ": " + pair.Text() + " is not in pricing.pairs");
    }
    if (!bid || !ask) throw std::runtime_error(table + ": bid and ask go together");
    const Rate bid_rate = Rate::Parse(*bid).value();  // checked by ConfigKeys
    const Rate ask_rate = Rate::Parse(*ask).value();
    if (ask_rate.units() <= bid_rate.units()) {
      throw std::runtime_error(table + ": ask must be above bid");
    }
    prices.emplace(pair.Text(), StaticSource::Entry{bid_rate, ask_rate});
  }
  return prices;
}

std::vector<std::string> SourceNames(const module::ModuleContext& context, bool has_static) {
  if (const auto configured = context.Setting("pricing.sources")) return SplitList(*configured);
  if (context.host().sandbox) return SplitList(kSandboxSources);
  return has_static ? std::vector<std::string>{"static"} : std::vector<std::string>{};
}

struct Sources {
  std::vector<RateSource*> list;
  SandboxFeed* feed = nullptr;
};

// The sources named, in order: static and sandbox built here, the outside ones found in the
// providers module's directory. Throws, for people, on a source that cannot be had.
Sources BuildSources(module::ModuleContext& context, const std::vector<Pair>& pairs) {
  const Clock& clock = context.services().clock;
  auto prices = StaticPrices(context, pairs);
  Sources sources;
  for (const std::string& name : SourceNames(context, !prices.empty())) {
    if (name == StaticSource::kName) {
      if (prices.empty()) {
        throw std::runtime_error("pricing.sources names static, but [pricing.static] is empty");
      }
      sources.list.push_back(&context.Keep(std::make_unique<StaticSource>(clock, prices)));
    } else if (name == SandboxFeed::kName) {
      if (!context.host().sandbox) {
        throw std::runtime_error("pricing.sources: the sandbox feed exists only in the sandbox");
      }
      sources.feed = &context.Keep(std::make_unique<SandboxFeed>(clock));
      sources.list.push_back(sources.feed);
    } else {
      const auto* directory = context.Find<RateSourceDirectory>();
      RateSource* source = directory != nullptr ? directory->Find(name) : nullptr;
      if (source == nullptr) {
        throw std::runtime_error("pricing.sources: no " + name + " source is set up");
      }
      sources.list.push_back(source);
    }
  }
  return sources;
}

void LogSetup(const module::ModuleContext& context, const RateBook& book,
              const std::vector<RateSource*>& sources) {
  std::string names;
  for (const RateSource* source : sources) {
    names += (names.empty() ? "" : ",") + std::string(source->name());
  }
  std::string pairs;
  for (const std::string& pair : book.Pairs()) pairs += (pairs.empty() ? "" : ",") + pair;
  context.services().logger.Info(
      "pricing", {{"sources", names.empty() ? "none: every pair is unavailable" : names},
                  {"pairs", pairs},
                  {"poll_interval_ms", book.options().poll_interval_ms},
                  {"max_age_ms", book.options().max_age_ms}});
}

void Install(module::ModuleContext& context) {
  const module::ModuleContext::Services& services = context.services();
  RateBookOptions options = OptionsOf(context);
  Sources sources = BuildSources(context, options.pairs);
  RateStore& store = context.Keep(
      std::make_unique<RateStore>(services.database, services.clock, options.event_attempts_max));
  RateBook& book = context.Keep(std::make_unique<RateBook>(services.clock, std::move(options),
                                                           sources.list, &store, &services.logger));
  context.Provide(book);
  CAMBISTA_CHECK(book.RegisterMetrics(services.metrics).ok());
  services.retention.AddRule(RateStore::ObservationsRetentionRule());
  AddRateRoutes(services.router, services.gate, book);
  RatePoller& poller =
      context.Keep(std::make_unique<RatePoller>(book, book.options().poll_interval_ms));
  if (sources.feed != nullptr) {
    AddSandboxRateRoutes(services.router, book, *sources.feed, context.Find<SandboxMarket>(),
                         poller);
  }
  // Polls start once the server listens (the sandbox's simulators answer on its listener), and
  // stop before what they call goes away.
  context.OnStart([&poller] { poller.Start(); });
  context.OnStop([&poller] { poller.Stop(); });
  LogSetup(context, book, sources.list);
}

}  // namespace

const module::Module kModule{"pricing", Migrations, ConfigKeys, Install};

}  // namespace cambista::pricing
