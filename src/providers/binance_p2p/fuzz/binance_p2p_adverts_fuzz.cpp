// libFuzzer target: Binance P2P advert search answers, ParseBinanceAdverts on arbitrary bytes and
// BinanceSidePrice on what it accepts. Properties, each a crash when broken (ASan and UBSan add
// theirs):
// - it never throws or crashes, and a refusal says why;
// - every advert accepted has a positive price no larger than pricing::kRateUnitsMax;
// - a side's price, when there is one, is one of the prices given or the mean of two of them: it
//   lies between the smallest and the largest non-promoted price;
// - parsing is deterministic.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "providers/binance_p2p/binance_p2p_source.hpp"

namespace {

using cambista::pricing::BinanceAdvert;
using cambista::pricing::BinanceSide;

[[noreturn]] void Violated(const char* property, std::string_view input) {
  std::fprintf(stderr, "\n*** property violated: %s\ninput: %.*s\n", property,
               static_cast<int>(input.size()), input.data());
  std::abort();
}

std::string Describe(
    const cambista::Result<std::vector<BinanceAdvert>, cambista::pricing::SourceError>& result) {
  if (!result.ok()) return "error " + result.error().message;
  std::string text;
  for (const BinanceAdvert& advert : result.value()) {
    text += advert.price.ToString() + (advert.promoted ? "p " : " ");
  }
  return text;
}

void CheckSide(std::string_view body, const std::vector<BinanceAdvert>& adverts, BinanceSide side) {
  auto price = cambista::pricing::BinanceSidePrice(adverts, side, 1, 5);
  cambista::u128 low = cambista::kU128Max;
  cambista::u128 high = 0;
  for (const BinanceAdvert& advert : adverts) {
    if (advert.promoted) continue;
    low = std::min(low, advert.price.units());
    high = std::max(high, advert.price.units());
  }
  if (!price.ok()) {
    if (price.error().message.empty()) Violated("a refusal says why", body);
    return;
  }
  if (price.value().units() < low || price.value().units() > high) {
    Violated("a side's price lies among the non-promoted prices", body);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  const auto result = cambista::pricing::ParseBinanceAdverts(body);
  if (!result.ok() && result.error().message.empty()) Violated("a refusal says why", body);
  if (Describe(cambista::pricing::ParseBinanceAdverts(body)) != Describe(result)) {
    Violated("parsing is deterministic", body);
  }
  if (!result.ok()) return 0;
  for (const BinanceAdvert& advert : result.value()) {
    if (advert.price.units() == 0 || advert.price.units() > cambista::pricing::kRateUnitsMax) {
      Violated("a positive price within kRateUnitsMax", body);
    }
  }
  CheckSide(body, result.value(), BinanceSide::kBuy);
  CheckSide(body, result.value(), BinanceSide::kSell);
  return 0;
}
