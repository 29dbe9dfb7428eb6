#include "payins/fees.hpp"

#include <algorithm>
#include <string>

#include "core/amount.hpp"

namespace cambista::payins {
namespace {

constexpr i128 kPpm = 1'000'000;

// ceil(value × ppm / 10^6) for value, ppm >= 0.
i128 PartsUp(i128 value, i128 ppm) {
  auto asset = Asset::Make("XX", 0);
  auto part = MulDiv(Amount(value, asset.value()), ppm, kPpm, Rounding::kUp);
  return part.ok() ? part.value().minor() : value;  // overflow: more than any amount; capped below
}

}  // namespace

i128 FeeFor(const FeeSchedule& schedule, i128 amount_minor) {
  if (amount_minor <= 0) return 0;
  const i128 fee = PartsUp(amount_minor, schedule.rate_ppm) + schedule.fixed_minor;
  const i128 total = fee + PartsUp(fee, schedule.tax_ppm);
  return std::clamp<i128>(total, 0, amount_minor);
}

Result<i128, std::string> ParsePercentPpm(std::string_view text) {
  auto asset = Asset::Make("PCT", 4);
  auto parsed = Amount::Parse(text, asset.value());
  if (!parsed.ok()) return Failure(std::string("a percentage such as \"5\" or \"2.99\""));
  const i128 ppm = parsed.value().minor();  // 0.0001% is one part per million
  if (ppm < 0 || ppm > kPpm) return Failure(std::string("a percentage between 0 and 100"));
  return ppm;
}

FeeSchedule DefaultFeeSchedule(std::string_view gateway) {
  if (gateway == "buhopago") return FeeSchedule{50'000, 0, 160'000};
  return FeeSchedule{};
}

}  // namespace cambista::payins
