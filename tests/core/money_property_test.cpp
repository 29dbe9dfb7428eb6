// Randomized checks of MulDiv and Convert against an independent reference: schoolbook arithmetic
// on decimal digit strings, with rounding re-derived from the exact quotient and remainder. Fixed
// seeds, so a failure reproduces.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "core/amount.hpp"

namespace cambista {
namespace {

// ---- Reference: non-negative integers as decimal digit strings, most significant first ----

using Digits = std::string;

Digits Normalize(Digits digits) {
  const size_t first = digits.find_first_not_of('0');
  return first == std::string::npos ? "0" : digits.substr(first);
}

int CompareDigits(const Digits& left, const Digits& right) {
  if (left.size() != right.size()) return left.size() < right.size() ? -1 : 1;
  return left.compare(right) < 0 ? -1 : (left == right ? 0 : 1);
}

Digits AddDigits(const Digits& left, const Digits& right) {
  Digits result;
  int carry = 0;
  for (size_t i = 0; i < std::max(left.size(), right.size()) || carry != 0; ++i) {
    int sum = carry;
    if (i < left.size()) sum += left[left.size() - 1 - i] - '0';
    if (i < right.size()) sum += right[right.size() - 1 - i] - '0';
    result.push_back(static_cast<char>('0' + sum % 10));
    carry = sum / 10;
  }
  std::reverse(result.begin(), result.end());
  return Normalize(result);
}

// left >= right
Digits SubtractDigits(const Digits& left, const Digits& right) {
  Digits result;
  int borrow = 0;
  for (size_t i = 0; i < left.size(); ++i) {
    int difference = (left[left.size() - 1 - i] - '0') - borrow;
    if (i < right.size()) difference -= right[right.size() - 1 - i] - '0';
    borrow = difference < 0 ? 1 : 0;
    result.push_back(static_cast<char>('0' + difference + 10 * borrow));
  }
  std::reverse(result.begin(), result.end());
  return Normalize(result);
}

Digits MultiplyDigits(const Digits& left, const Digits& right) {
  std::vector<int> columns(left.size() + right.size(), 0);
  for (size_t i = 0; i < left.size(); ++i) {
    for (size_t j = 0; j < right.size(); ++j) {
      columns[i + j + 1] += (left[i] - '0') * (right[j] - '0');
    }
  }
  for (size_t k = columns.size() - 1; k > 0; --k) {
    columns[k - 1] += columns[k] / 10;
    columns[k] %= 10;
  }
  Digits result;
  for (int column : columns) result.push_back(static_cast<char>('0' + column));
  return Normalize(result);
}

// Long division by repeated subtraction, one quotient digit at a time.
std::pair<Digits, Digits> DivideDigits(const Digits& dividend, const Digits& divisor) {
  Digits quotient;
  Digits remainder = "0";
  for (char digit : dividend) {
    remainder = Normalize(remainder + digit);
    int count = 0;
    while (CompareDigits(remainder, divisor) >= 0) {
      remainder = SubtractDigits(remainder, divisor);
      ++count;
    }
    quotient.push_back(static_cast<char>('0' + count));
  }
  return {Normalize(quotient), remainder};
}

bool IsOdd(const Digits& digits) {
  return (digits.back() - '0') % 2 == 1;
}

// Rounds |exact| = quotient + remainder / divisor; `half` is the comparison of remainder with
// divisor / 2 (-1, 0, 1).
Digits RoundReference(bool negative, const Digits& quotient, bool inexact, int half,
                      Rounding rounding) {
  bool away = false;
  if (inexact) {
    switch (rounding) {
      case Rounding::kDown:
        away = false;
        break;
      case Rounding::kUp:
        away = true;
        break;
      case Rounding::kFloor:
        away = negative;
        break;
      case Rounding::kCeiling:
        away = !negative;
        break;
      case Rounding::kHalfEven:
        away = half > 0 || (half == 0 && IsOdd(quotient));
        break;
    }
  }
  return away ? AddDigits(quotient, "1") : quotient;
}

// Expected text of the signed result, or "overflow".
std::string ExpectedText(bool negative, const Digits& magnitude) {
  const Digits limit = negative ? "170141183460469231731687303715884105728"
                                : "170141183460469231731687303715884105727";
  if (CompareDigits(magnitude, limit) > 0) return "overflow";
  return (negative && magnitude != "0" ? "-" : "") + magnitude;
}

Digits MagnitudeDigits(i128 value) {
  const std::string text = ToDecimal(value);
  return text.front() == '-' ? text.substr(1) : text;
}

std::string ActualText(const Result<Amount, AmountError>& result) {
  if (!result.ok()) {
    return result.error() == AmountError::kOverflow ? "overflow"
                                                    : std::string(AmountErrorCode(result.error()));
  }
  return ToDecimal(result->minor());
}

// ---- Random inputs that reach the edges often ----

class RandomInputs {
 public:
  explicit RandomInputs(uint64_t seed) : random_(seed) {}

  u128 Bits(int bits) {
    u128 value = (static_cast<u128>(random_()) << 64) | random_();
    if (bits < 128) value &= (static_cast<u128>(1) << bits) - 1;
    return value;
  }
  int Below(int bound) { return static_cast<int>(random_() % static_cast<uint64_t>(bound)); }

  i128 Signed() {
    switch (Below(16)) {
      case 0:
        return kI128Max;
      case 1:
        return kI128Min;
      case 2:
        return static_cast<i128>(Below(3)) - 1;
      default:
        break;
    }
    const auto magnitude = static_cast<i128>(Bits(Below(128)));
    return Below(2) == 0 ? magnitude : -magnitude;
  }
  i128 NonZero() {
    i128 value = 0;
    while (value == 0) value = Signed();
    return value;
  }
  Rounding AnyRounding() { return static_cast<Rounding>(1 + Below(5)); }

 private:
  std::mt19937_64 random_;
};

constexpr int kCasesPerTest = 4000;

TEST(MoneyPropertyTest, MulDivMatchesDecimalReference) {
  RandomInputs inputs(0xCA3B157A);
  const Asset asset = *Asset::Make("BRL", 2);
  int exact_count = 0;
  int overflow_count = 0;
  for (int i = 0; i < kCasesPerTest; ++i) {
    const i128 minor = inputs.Signed();
    const i128 numerator = inputs.Signed();
    const i128 denominator = inputs.NonZero();
    const Rounding rounding = inputs.AnyRounding();
    const bool negative = ((minor < 0) != (numerator < 0)) != (denominator < 0);
    const Digits product = MultiplyDigits(MagnitudeDigits(minor), MagnitudeDigits(numerator));
    const Digits divisor = MagnitudeDigits(denominator);
    const auto [quotient, remainder] = DivideDigits(product, divisor);
    const int half = CompareDigits(AddDigits(remainder, remainder), divisor);
    const std::string expected = ExpectedText(
        negative, RoundReference(negative, quotient, remainder != "0", half, rounding));
    const std::string actual =
        ActualText(MulDiv(Amount(minor, asset), numerator, denominator, rounding));
    ASSERT_EQ(actual, expected) << ToDecimal(minor) << " * " << ToDecimal(numerator) << " / "
                                << ToDecimal(denominator) << " rounding " << RoundingName(rounding);
    if (expected == "overflow")
      ++overflow_count;
    else if (remainder == "0")
      ++exact_count;
  }
  // The generator must reach both the overflow edge and the in-range cases.
  EXPECT_GT(overflow_count, kCasesPerTest / 20);
  EXPECT_LT(overflow_count, kCasesPerTest * 3 / 4);
  EXPECT_GT(exact_count, 50);
}

TEST(MoneyPropertyTest, ConvertMatchesDecimalReference) {
  RandomInputs inputs(0x5EED'C0DE);
  int overflow_count = 0;
  for (int i = 0; i < kCasesPerTest; ++i) {
    const Asset from_asset = *Asset::Make("FROM", inputs.Below(19));
    const Asset to_asset = *Asset::Make("TO", inputs.Below(19));
    const i128 minor = inputs.Signed();
    u128 rate_units = 0;
    while (rate_units == 0) rate_units = inputs.Bits(1 + inputs.Below(128));
    const Rate rate = *Rate::FromUnits(rate_units);
    const Rounding rounding = inputs.AnyRounding();

    // from_minor × rate_units / 10^(18 + from.scale − to.scale): dividing by a power of ten is
    // cutting digits off the decimal string, and "half" is the cut-off part against 5000...
    const Digits product = MultiplyDigits(MagnitudeDigits(minor), ToDecimal(rate_units));
    const size_t cut = static_cast<size_t>(18 + from_asset.scale() - to_asset.scale());
    const Digits padded = std::string(cut + 1, '0') + product;
    const Digits quotient = Normalize(padded.substr(0, padded.size() - cut));
    const Digits fraction = padded.substr(padded.size() - cut);
    const bool inexact = fraction.find_first_not_of('0') != std::string::npos;
    const int half = cut == 0 ? -1 : fraction.compare("5" + std::string(cut - 1, '0'));
    const bool negative = minor < 0;
    const std::string expected = ExpectedText(
        negative,
        RoundReference(negative, quotient, inexact, half < 0 ? -1 : (half > 0), rounding));
    const std::string actual =
        ActualText(Convert(Amount(minor, from_asset), to_asset, rate, rounding));
    ASSERT_EQ(actual, expected) << ToDecimal(minor) << " scale " << from_asset.scale() << " at "
                                << rate.ToString() << " to scale " << to_asset.scale()
                                << " rounding " << RoundingName(rounding);
    if (expected == "overflow") ++overflow_count;
  }
  EXPECT_GT(overflow_count, kCasesPerTest / 20);
  EXPECT_LT(overflow_count, kCasesPerTest * 3 / 4);
}

// Small operands where plain u128 arithmetic cannot overflow: a second, even simpler reference.
TEST(MoneyPropertyTest, MulDivMatchesNativeArithmeticOnSmallValues) {
  RandomInputs inputs(42);
  const Asset asset = *Asset::Make("USD", 2);
  for (int i = 0; i < kCasesPerTest; ++i) {
    const auto minor = static_cast<i128>(inputs.Bits(40)) - (static_cast<i128>(1) << 39);
    const auto numerator = static_cast<i128>(inputs.Bits(40)) - (static_cast<i128>(1) << 39);
    i128 denominator = 0;
    while (denominator == 0) {
      denominator =
          static_cast<i128>(inputs.Bits(1 + inputs.Below(40))) * (inputs.Below(2) == 0 ? 1 : -1);
    }
    const i128 product = minor * numerator;
    // Floor division, then each mode from the floor and the exact position between floor and
    // floor + 1 (fraction = remainder / |denominator|).
    i128 floor_quotient = product / denominator;
    i128 remainder = product % denominator;
    if (remainder != 0 && ((remainder < 0) != (denominator < 0))) {
      --floor_quotient;
      remainder += denominator;
    }
    const i128 fraction_twice = 2 * (remainder < 0 ? -remainder : remainder);
    const i128 divisor = denominator < 0 ? -denominator : denominator;
    const bool inexact = remainder != 0;
    const i128 ceiling_quotient = floor_quotient + (inexact ? 1 : 0);
    const bool result_negative = floor_quotient < 0;
    i128 half_even = floor_quotient;
    if (fraction_twice > divisor || (fraction_twice == divisor && floor_quotient % 2 != 0)) {
      half_even = ceiling_quotient;
    }
    const std::pair<Rounding, i128> expected[] = {
        {Rounding::kFloor, floor_quotient},
        {Rounding::kCeiling, ceiling_quotient},
        {Rounding::kDown, result_negative ? ceiling_quotient : floor_quotient},
        {Rounding::kUp, result_negative ? floor_quotient : ceiling_quotient},
        {Rounding::kHalfEven, half_even},
    };
    for (const auto& [rounding, value] : expected) {
      auto actual = MulDiv(Amount(minor, asset), numerator, denominator, rounding);
      ASSERT_TRUE(actual.ok());
      ASSERT_EQ(ToDecimal(actual->minor()), ToDecimal(value))
          << ToDecimal(minor) << " * " << ToDecimal(numerator) << " / " << ToDecimal(denominator)
          << " rounding " << RoundingName(rounding);
    }
  }
}

}  // namespace
}  // namespace cambista
