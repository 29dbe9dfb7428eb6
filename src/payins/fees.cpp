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

namespace {

std::string_view Trim(std::string_view text) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  return text;
}

}  // namespace

Result<FeeSchedule, std::string> ParseFeeSchedule(std::string_view text, int scale) {
  const std::string expected =
      "a fee such as \"5% + 16% tax\", \"0.99% + 0.50\" or \"1.5%\" (rate, then optionally a "
      "fixed part and a tax on the fee)";
  FeeSchedule schedule;
  int part = 0;
  while (true) {
    const size_t plus = text.find('+');
    const std::string_view piece = Trim(text.substr(0, plus));
    if (part == 0) {  // the rate comes first
      if (!piece.ends_with('%')) return Failure(expected);
      auto rate = ParsePercentPpm(Trim(piece.substr(0, piece.size() - 1)));
      if (!rate.ok()) return Failure(expected + ": the rate must be " + rate.error());
      schedule.rate_ppm = rate.value();
    } else if (piece.ends_with("% tax")) {
      auto tax = ParsePercentPpm(Trim(piece.substr(0, piece.size() - 5)));
      if (!tax.ok() || schedule.tax_ppm != 0) return Failure(expected);
      schedule.tax_ppm = tax.value();
    } else {
      auto asset = Asset::Make("XX", scale);
      auto fixed = Amount::Parse(piece, asset.value());
      if (!fixed.ok() || fixed.value().minor() < 0 || schedule.fixed_minor != 0 ||
          schedule.tax_ppm != 0) {
        return Failure(expected);
      }
      schedule.fixed_minor = fixed.value().minor();
    }
    if (plus == std::string_view::npos) break;
    text.remove_prefix(plus + 1);
    if (++part > 2) return Failure(expected);
  }
  return schedule;
}

FeeSchedule DefaultFeeSchedule(std::string_view gateway) {
  if (gateway == "buhopago") return FeeSchedule{50'000, 0, 160'000};
  return FeeSchedule{};
}

}  // namespace cambista::payins
