#include "pricing/model.hpp"

#include <algorithm>
#include <array>

#include "core/assert.hpp"

namespace cambista::pricing {
namespace {

constexpr size_t kCodeCharsMin = 2;
constexpr size_t kCodeCharsMax = 10;
constexpr int64_t kBandBpsMax = 10'000;

bool IsAssetCode(std::string_view code) {
  if (code.size() < kCodeCharsMin || code.size() > kCodeCharsMax) return false;
  return std::all_of(code.begin(), code.end(),
                     [](char c) { return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); });
}

constexpr std::array<std::string_view, 7> kSourceErrorNames = {
    "", "unavailable", "refused", "malformed", "too_few_quotes", "crossed", "unknown_pair"};

}  // namespace

std::optional<Pair> ParsePair(std::string_view text) {
  const size_t separator = text.find_first_of("/-_");
  if (separator == std::string_view::npos) return std::nullopt;
  const std::string_view base = text.substr(0, separator);
  const std::string_view quote = text.substr(separator + 1);
  if (!IsAssetCode(base) || !IsAssetCode(quote) || base == quote) return std::nullopt;
  return Pair{std::string(base), std::string(quote)};
}

std::string_view SourceErrorName(SourceError::Kind kind) {
  const auto index = static_cast<size_t>(kind);
  return index < kSourceErrorNames.size() ? kSourceErrorNames[index] : "unknown";
}

Result<Rate, std::string> ParseProviderRate(std::string_view text) {
  constexpr size_t kFractionDigitsMax = Rate::kFractionDigitsMax;
  std::string_view kept = text;
  const size_t point = text.find('.');
  if (point != std::string_view::npos && text.size() - point - 1 > kFractionDigitsMax) {
    const std::string_view dropped = text.substr(point + 1 + kFractionDigitsMax);
    if (!std::all_of(dropped.begin(), dropped.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return Failure{std::string("expected a decimal number")};
    }
    kept = text.substr(0, point + 1 + kFractionDigitsMax);
  }
  if (kept.starts_with('-')) return Failure{std::string("expected a positive number")};
  auto rate = Rate::Parse(kept);
  if (!rate.ok()) {
    if (rate.error() == AmountError::kRateNotPositive) {
      return Failure{std::string("expected a positive number")};
    }
    return Failure{"expected a decimal number: " + std::string(AmountErrorMessage(rate.error()))};
  }
  if (rate.value().units() > kRateUnitsMax) {
    return Failure{std::string("a rate above 10^12 is not a price")};
  }
  return rate.value();
}

Rate MidOf(const Rate& bid, const Rate& ask) {
  // Halves first: bid + ask could reach past 128 bits for the largest Rate values.
  const u128 b = bid.units();
  const u128 a = ask.units();
  const u128 mid = b / 2 + a / 2 + ((b % 2) + (a % 2)) / 2;
  return Rate::FromUnits(mid).value();  // never below the smaller of the two: positive
}

Rate MedianOf(std::vector<Rate> rates) {
  CAMBISTA_CHECK(!rates.empty());
  std::sort(rates.begin(), rates.end(),
            [](const Rate& a, const Rate& b) { return a.units() < b.units(); });
  const size_t middle = rates.size() / 2;
  if (rates.size() % 2 == 1) return rates[middle];
  return MidOf(rates[middle - 1], rates[middle]);
}

bool WithinBand(const Rate& value, const Rate& center, int64_t band_bps) {
  const u128 v = value.units();
  const u128 c = center.units();
  if (band_bps < 0 || band_bps > kBandBpsMax || v > kRateUnitsMax || c > kRateUnitsMax) {
    return false;  // out of what the arithmetic below is exact for: never "within"
  }
  const u128 distance = v > c ? v - c : c - v;
  // distance / c <= band_bps / 10'000, multiplied out: both sides at most 10^30 × 10^4 < 2^128.
  return distance * 10'000 <= c * static_cast<u128>(band_bps);
}

}  // namespace cambista::pricing
