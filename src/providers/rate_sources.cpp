#include "providers/rate_sources.hpp"

#include <array>
#include <charconv>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "providers/binance_p2p/binance_p2p_simulator.hpp"
#include "providers/binance_p2p/binance_p2p_source.hpp"
#include "providers/criptoya/criptoya_simulator.hpp"
#include "providers/criptoya/criptoya_source.hpp"

namespace cambista::providers {
namespace {

constexpr std::string_view kBinanceUrl = "https://p2p.binance.com";
constexpr std::string_view kCriptoyaUrl = "https://criptoya.com";
constexpr size_t kVolumeCharsMax = 32;

struct IntegerKey {
  std::string_view path;
  int64_t min;
  int64_t max;
  int64_t fallback;
};
constexpr IntegerKey kMinAdverts{"pricing.binance_p2p.min_adverts", 1, 20, 8};
constexpr IntegerKey kTopN{"pricing.binance_p2p.top_n", 1, 20, 5};
constexpr IntegerKey kFreshSeconds{"pricing.criptoya.fresh_seconds", 10, 3'600, 120};
constexpr IntegerKey kMinExchanges{"pricing.criptoya.min_exchanges", 1, 20, 2};

std::optional<int64_t> ParseInteger(const IntegerKey& key, std::string_view text) {
  int64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value < key.min ||
      value > key.max) {
    return std::nullopt;
  }
  return value;
}

int64_t Integer(const module::ModuleContext& context, const IntegerKey& key) {
  const auto text = context.Setting(key.path);
  return text ? ParseInteger(key, *text).value() : key.fallback;  // checked by the key
}

std::optional<std::string> CheckUrl(std::string_view text) {
  if (!text.starts_with("http://") && !text.starts_with("https://")) {
    return "expected an http:// or https:// URL";
  }
  return std::nullopt;
}

std::optional<std::string> CheckVolume(std::string_view text) {
  if (text.size() <= kVolumeCharsMax && Rate::Parse(text).ok()) return std::nullopt;
  return "expected a positive decimal such as \"100\"";
}

std::string Url(const module::ModuleContext& context, std::string_view path,
                std::string_view fallback) {
  std::string url(context.Setting(path).value_or(fallback));
  while (url.ends_with('/')) url.pop_back();
  return url;
}

// The sandbox's market: both simulators move (and fail) together.
class SandboxRateMarket final : public pricing::SandboxMarket {
 public:
  SandboxRateMarket(sandbox::SimulatedRateBook& binance, sandbox::SimulatedRateBook& criptoya)
      : books_{&binance, &criptoya} {}
  void SetPrice(const pricing::Pair& pair, const Rate& bid, const Rate& ask) override {
    for (sandbox::SimulatedRateBook* book : books_) book->Set(pair, bid, ask);
  }
  void SetRunning(bool running) override {
    for (sandbox::SimulatedRateBook* book : books_) book->SetFailing(!running);
  }

 private:
  std::array<sandbox::SimulatedRateBook*, 2> books_;
};

}  // namespace

std::vector<module::ConfigKey> RateSourceConfigKeys() {
  using Type = module::ConfigKey::Type;
  std::vector<module::ConfigKey> keys{
      {"pricing.binance_p2p.url", Type::kString, CheckUrl},
      {"pricing.criptoya.url", Type::kString, CheckUrl},
      {"pricing.criptoya.volume", Type::kString, CheckVolume},
  };
  for (const IntegerKey* key : {&kMinAdverts, &kTopN, &kFreshSeconds, &kMinExchanges}) {
    keys.push_back({std::string(key->path), Type::kInteger,
                    [key](std::string_view text) -> std::optional<std::string> {
                      if (ParseInteger(*key, text)) return std::nullopt;
                      return "expected a whole number from " + std::to_string(key->min) + " to " +
                             std::to_string(key->max);
                    }});
  }
  return keys;
}

void AddRateSources(module::ModuleContext& context) {
  const module::ModuleContext::Services& services = context.services();
  const bool sandbox = context.host().sandbox;
  // In the sandbox each source calls its simulator on our own listener, known once it listens.
  const auto at = [&](std::string_view path, std::string_view name, std::string_view fallback) {
    if (sandbox) {
      return std::function<std::string()>(
          [own_url = services.own_url, prefix = "/sandbox/" + std::string(name)] {
            return own_url() + prefix;
          });
    }
    return std::function<std::string()>([url = Url(context, path, fallback)] { return url; });
  };
  auto directory = std::make_unique<pricing::RateSourceDirectory>();
  pricing::BinanceP2pOptions binance{&services.provider_client, &services.clock,
                                     at("pricing.binance_p2p.url", "binance_p2p", kBinanceUrl),
                                     context.host().outbound_timeout_ms};
  binance.min_adverts = static_cast<size_t>(Integer(context, kMinAdverts));
  binance.top_n = static_cast<size_t>(Integer(context, kTopN));
  if (sandbox) binance.min_interval_ms = 0;  // our simulator asks for no pause
  directory->Add(std::make_unique<pricing::BinanceP2pSource>(std::move(binance)));
  pricing::CriptoyaOptions criptoya{&services.provider_client, &services.clock,
                                    at("pricing.criptoya.url", "criptoya", kCriptoyaUrl),
                                    context.host().outbound_timeout_ms};
  criptoya.volume = std::string(context.Setting("pricing.criptoya.volume").value_or("100"));
  criptoya.fresh_ms = Integer(context, kFreshSeconds) * 1'000;
  criptoya.min_exchanges = static_cast<size_t>(Integer(context, kMinExchanges));
  directory->Add(std::make_unique<pricing::CriptoyaSource>(std::move(criptoya)));
  context.Provide(context.Keep(std::move(directory)));
  if (!sandbox) return;
  auto& binance_simulator = context.Keep(std::make_unique<sandbox::BinanceP2pSimulator>());
  auto& criptoya_simulator =
      context.Keep(std::make_unique<sandbox::CriptoyaSimulator>(services.clock));
  binance_simulator.AddRoutes(services.router);
  criptoya_simulator.AddRoutes(services.router);
  // Answered from memory, on the I/O thread: the rate book's poller calls them while a sandbox
  // control request may hold a worker.
  services.router.MarkInMemory("/sandbox/binance_p2p/");
  services.router.MarkInMemory("/sandbox/criptoya/");
  context.Provide<pricing::SandboxMarket>(context.Keep(
      std::make_unique<SandboxRateMarket>(binance_simulator.book(), criptoya_simulator.book())));
}

}  // namespace cambista::providers
