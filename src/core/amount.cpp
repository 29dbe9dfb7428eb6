#include "core/amount.hpp"

#include <ostream>

#include "core/ascii.hpp"
#include "core/assert.hpp"

namespace cambista {

std::string_view AmountErrorCode(AmountError error) {
  switch (error) {
    case AmountError::kEmpty:
      return "empty";
    case AmountError::kTooManyFractionDigits:
      return "too_many_fraction_digits";
    case AmountError::kExponent:
      return "exponent_not_allowed";
    case AmountError::kNanOrInfinity:
      return "nan_or_infinity";
    case AmountError::kMisplacedSign:
      return "misplaced_sign";
    case AmountError::kWhitespace:
      return "whitespace";
    case AmountError::kInvalidCharacter:
      return "invalid_character";
    case AmountError::kMissingDigits:
      return "missing_digits";
    case AmountError::kOverflow:
      return "overflow";
    case AmountError::kAssetMismatch:
      return "asset_mismatch";
    case AmountError::kDivisionByZero:
      return "division_by_zero";
    case AmountError::kRateNotPositive:
      return "rate_not_positive";
    case AmountError::kMultipleDecimalPoints:
      return "multiple_decimal_points";
  }
  return "unknown_error";
}

std::string_view AmountErrorMessage(AmountError error) {
  switch (error) {
    case AmountError::kEmpty:
      return "amount is empty";
    case AmountError::kTooManyFractionDigits:
      return "amount has more fractional digits than the asset's scale allows";
    case AmountError::kExponent:
      return "exponent notation (e.g. 1e5) is not accepted";
    case AmountError::kNanOrInfinity:
      return "NaN and infinity are not amounts";
    case AmountError::kMisplacedSign:
      return "the only sign accepted is a single leading '-'; '+' is not accepted";
    case AmountError::kWhitespace:
      return "amount must not contain whitespace";
    case AmountError::kInvalidCharacter:
      return "amount may contain only digits, one '.' and a leading '-'";
    case AmountError::kMissingDigits:
      return "digits are required on both sides of '.' (write 0.5 and 1.0, not .5 or 1.)";
    case AmountError::kOverflow:
      return "amount does not fit in 128 bits";
    case AmountError::kAssetMismatch:
      return "amounts are of different assets";
    case AmountError::kDivisionByZero:
      return "division by zero";
    case AmountError::kRateNotPositive:
      return "rate must be greater than zero";
    case AmountError::kMultipleDecimalPoints:
      return "amount has more than one '.'";
  }
  return "unknown error";
}

std::string_view RoundingName(Rounding rounding) {
  switch (rounding) {
    case Rounding::kDown:
      return "down";
    case Rounding::kUp:
      return "up";
    case Rounding::kHalfEven:
      return "half_even";
    case Rounding::kFloor:
      return "floor";
    case Rounding::kCeiling:
      return "ceiling";
  }
  return "unknown";
}

namespace {

constexpr u128 kU64Mask = 0xFFFF'FFFF'FFFF'FFFFu;
constexpr u128 kI128MinMagnitude = static_cast<u128>(kI128Max) + 1;

u128 Magnitude(i128 value) {
  // Unsigned negation so kI128Min does not overflow.
  return value < 0 ? static_cast<u128>(0) - static_cast<u128>(value) : static_cast<u128>(value);
}

// Unsigned 256-bit value, only as wide as MulDiv and Convert need: a u128 × u128 product, then
// division by a u128.
struct U256 {
  u128 high;
  u128 low;
};

U256 MultiplyWide(u128 left, u128 right) {
  const u128 left_low = left & kU64Mask;
  const u128 left_high = left >> 64;
  const u128 right_low = right & kU64Mask;
  const u128 right_high = right >> 64;
  const u128 low_low = left_low * right_low;
  const u128 low_high = left_low * right_high;
  const u128 high_low = left_high * right_low;
  const u128 high_high = left_high * right_high;
  // Sum of three values below 2^64 each: cannot overflow.
  const u128 middle = (low_low >> 64) + (low_high & kU64Mask) + (high_low & kU64Mask);
  U256 product;
  product.low = (middle << 64) | (low_low & kU64Mask);
  product.high = high_high + (low_high >> 64) + (high_low >> 64) + (middle >> 64);
  return product;
}

// Divides a 256-bit magnitude by `divisor` (> 0), rounds once by `rounding` for a result of the
// given sign, and returns it as an i128, or kOverflow if it does not fit.
Result<i128, AmountError> DivideRounded(bool negative, U256 dividend, u128 divisor,
                                        Rounding rounding) {
  CAMBISTA_CHECK(divisor != 0);
  u128 quotient = 0;
  u128 remainder = 0;
  if (dividend.high == 0) {
    quotient = dividend.low / divisor;
    remainder = dividend.low % divisor;
  } else if (dividend.high >= divisor) {
    // The quotient is at least 2^128: no rounding brings it back into range.
    return Failure{AmountError::kOverflow};
  } else {
    // Restoring binary long division; the quotient fits in 128 bits because high < divisor.
    remainder = dividend.high;
    for (int bit = 127; bit >= 0; --bit) {
      const bool carry = (remainder >> 127) != 0;
      remainder = (remainder << 1) | ((dividend.low >> bit) & 1);
      quotient <<= 1;
      // With a carry the true remainder is >= 2^128 > divisor; the wrapped subtraction is exact
      // because the true difference is below divisor. (Today's divisors are at most 2^127, so no
      // carry happens; the branch keeps this correct for any u128 divisor.)
      if (carry || remainder >= divisor) {
        remainder -= divisor;
        quotient |= 1;
      }
    }
  }

  bool increment = false;
  if (remainder != 0) {
    switch (rounding) {
      case Rounding::kDown:
        increment = false;
        break;
      case Rounding::kUp:
        increment = true;
        break;
      case Rounding::kFloor:
        increment = negative;
        break;
      case Rounding::kCeiling:
        increment = !negative;
        break;
      case Rounding::kHalfEven: {
        // Compare remainder with divisor / 2 without forming 2 × remainder (it may not fit).
        const u128 rest = divisor - remainder;
        increment = remainder > rest || (remainder == rest && (quotient & 1) != 0);
        break;
      }
    }
  }
  if (increment) {
    if (quotient == kU128Max) return Failure{AmountError::kOverflow};
    ++quotient;
  }
  const u128 limit = negative ? kI128MinMagnitude : static_cast<u128>(kI128Max);
  if (quotient > limit) return Failure{AmountError::kOverflow};
  return negative ? static_cast<i128>(static_cast<u128>(0) - quotient)
                  : static_cast<i128>(quotient);
}

u128 PowerOfTen(int exponent) {
  CAMBISTA_CHECK(exponent >= 0 && exponent <= 38);
  u128 value = 1;
  for (int i = 0; i < exponent; ++i) value *= 10;
  return value;
}

bool IsWhitespace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

bool IsDigit(char c) {
  return c >= '0' && c <= '9';
}

// The shared grammar (see amount.hpp): returns value × 10^scale exactly.
Result<i128, AmountError> ParseScaled(std::string_view text, int scale) {
  if (text.empty()) return Failure{AmountError::kEmpty};
  for (char c : text) {
    if (IsWhitespace(c)) return Failure{AmountError::kWhitespace};
  }

  std::string_view unsigned_text = text;
  if (unsigned_text.front() == '-' || unsigned_text.front() == '+') unsigned_text.remove_prefix(1);
  if (EqualsIgnoringAsciiCase(unsigned_text, "nan") ||
      EqualsIgnoringAsciiCase(unsigned_text, "inf") ||
      EqualsIgnoringAsciiCase(unsigned_text, "infinity")) {
    return Failure{AmountError::kNanOrInfinity};
  }

  bool has_exponent_mark = false;
  bool has_digit = false;
  bool has_other = false;
  for (char c : text) {
    if (c == 'e' || c == 'E')
      has_exponent_mark = true;
    else if (IsDigit(c))
      has_digit = true;
    else if (c != '.' && c != '-' && c != '+')
      has_other = true;
  }
  if (has_exponent_mark && has_digit && !has_other) return Failure{AmountError::kExponent};
  if (has_exponent_mark || has_other) return Failure{AmountError::kInvalidCharacter};

  int sign_count = 0;
  for (char c : text) {
    if (c == '-' || c == '+') ++sign_count;
  }
  const bool negative = text.front() == '-';
  if (sign_count > 1 || (sign_count == 1 && !negative)) return Failure{AmountError::kMisplacedSign};

  std::string_view body = text;
  if (negative) body.remove_prefix(1);
  const size_t point = body.find('.');
  if (point != std::string_view::npos && body.find('.', point + 1) != std::string_view::npos) {
    return Failure{AmountError::kMultipleDecimalPoints};
  }
  const std::string_view integer_digits = body.substr(0, point);
  const std::string_view fraction_digits =
      point == std::string_view::npos ? std::string_view() : body.substr(point + 1);
  if (integer_digits.empty()) return Failure{AmountError::kMissingDigits};
  if (point != std::string_view::npos && fraction_digits.empty()) {
    return Failure{AmountError::kMissingDigits};
  }
  if (fraction_digits.size() > static_cast<size_t>(scale)) {
    return Failure{AmountError::kTooManyFractionDigits};
  }

  std::string digits;
  digits.reserve(integer_digits.size() + static_cast<size_t>(scale));
  digits.append(integer_digits);
  digits.append(fraction_digits);
  digits.append(static_cast<size_t>(scale) - fraction_digits.size(), '0');
  // Leading zeros are allowed in any number, so drop them before the 39-digit length limit applies.
  const size_t first_nonzero = digits.find_first_not_of('0');
  if (first_nonzero == std::string::npos) return static_cast<i128>(0);
  const auto magnitude = ParseU128Decimal(std::string_view(digits).substr(first_nonzero));
  const u128 limit = negative ? kI128MinMagnitude : static_cast<u128>(kI128Max);
  if (!magnitude || *magnitude > limit) return Failure{AmountError::kOverflow};
  return negative ? static_cast<i128>(static_cast<u128>(0) - *magnitude)
                  : static_cast<i128>(*magnitude);
}

std::string FormatScaled(bool negative, u128 magnitude, int scale, bool trim_zeros) {
  std::string digits = ToDecimal(magnitude);
  const size_t scale_digits = static_cast<size_t>(scale);
  if (digits.size() <= scale_digits) digits.insert(0, scale_digits + 1 - digits.size(), '0');
  std::string integer_part = digits.substr(0, digits.size() - scale_digits);
  std::string fraction_part = digits.substr(digits.size() - scale_digits);
  if (trim_zeros) {
    const size_t last_nonzero = fraction_part.find_last_not_of('0');
    fraction_part.resize(last_nonzero == std::string::npos ? 0 : last_nonzero + 1);
  }
  std::string text;
  text.reserve(integer_part.size() + fraction_part.size() + 2);
  if (negative && magnitude != 0) text.push_back('-');
  text.append(integer_part);
  if (!fraction_part.empty()) {
    text.push_back('.');
    text.append(fraction_part);
  }
  return text;
}

}  // namespace

Result<Amount, AmountError> Amount::Parse(std::string_view text, const Asset& asset) {
  auto minor = ParseScaled(text, asset.scale());
  if (!minor) return Failure{minor.error()};
  return Amount(*minor, asset);
}

std::string Amount::ToString() const {
  return FormatScaled(minor_ < 0, Magnitude(minor_), asset_.scale(), /*trim_zeros=*/false);
}

std::string Amount::ToDecimalString() const {
  return FormatScaled(minor_ < 0, Magnitude(minor_), asset_.scale(), /*trim_zeros=*/true);
}

Result<Amount, AmountError> Amount::Add(const Amount& other) const {
  if (asset_ != other.asset_) return Failure{AmountError::kAssetMismatch};
  i128 sum;
  if (__builtin_add_overflow(minor_, other.minor_, &sum)) return Failure{AmountError::kOverflow};
  return Amount(sum, asset_);
}

Result<Amount, AmountError> Amount::Subtract(const Amount& other) const {
  if (asset_ != other.asset_) return Failure{AmountError::kAssetMismatch};
  i128 difference;
  if (__builtin_sub_overflow(minor_, other.minor_, &difference)) {
    return Failure{AmountError::kOverflow};
  }
  return Amount(difference, asset_);
}

Result<Amount, AmountError> Amount::Multiply(i128 factor) const {
  i128 product;
  if (__builtin_mul_overflow(minor_, factor, &product)) return Failure{AmountError::kOverflow};
  return Amount(product, asset_);
}

Result<Amount, AmountError> Amount::Negate() const {
  if (minor_ == kI128Min) return Failure{AmountError::kOverflow};
  return Amount(-minor_, asset_);
}

Result<std::strong_ordering, AmountError> Amount::Compare(const Amount& other) const {
  if (asset_ != other.asset_) return Failure{AmountError::kAssetMismatch};
  return minor_ <=> other.minor_;
}

std::strong_ordering operator<=>(const Amount& left, const Amount& right) {
  CAMBISTA_CHECK(left.asset_ == right.asset_);
  return left.minor_ <=> right.minor_;
}

std::ostream& operator<<(std::ostream& out, const Amount& amount) {
  return out << amount.ToString() << ' ' << amount.asset().code();
}

Result<Rate, AmountError> Rate::Parse(std::string_view text) {
  auto units = ParseScaled(text, kFractionDigitsMax);
  if (!units) return Failure{units.error()};
  if (*units <= 0) return Failure{AmountError::kRateNotPositive};
  return Rate(static_cast<u128>(*units));
}

Result<Rate, AmountError> Rate::FromUnits(u128 units) {
  if (units == 0) return Failure{AmountError::kRateNotPositive};
  return Rate(units);
}

std::string Rate::ToString() const {
  return FormatScaled(/*negative=*/false, units_, kFractionDigitsMax, /*trim_zeros=*/true);
}

std::ostream& operator<<(std::ostream& out, const Rate& rate) {
  return out << rate.ToString();
}

Result<Amount, AmountError> MulDiv(const Amount& amount, i128 numerator, i128 denominator,
                                   Rounding rounding) {
  if (denominator == 0) return Failure{AmountError::kDivisionByZero};
  const bool negative = ((amount.minor() < 0) != (numerator < 0)) != (denominator < 0);
  const U256 product = MultiplyWide(Magnitude(amount.minor()), Magnitude(numerator));
  auto minor = DivideRounded(negative, product, Magnitude(denominator), rounding);
  if (!minor) return Failure{minor.error()};
  return Amount(*minor, amount.asset());
}

Result<Amount, AmountError> Convert(const Amount& from, const Asset& to, const Rate& rate,
                                    Rounding rounding) {
  // to_minor = from_minor × (units / 10^18) × 10^(to.scale − from.scale)
  //          = from_minor × units / 10^(18 + from.scale − to.scale), an exponent in 0..36.
  const int divisor_exponent = Rate::kFractionDigitsMax + from.asset().scale() - to.scale();
  const U256 product = MultiplyWide(Magnitude(from.minor()), rate.units());
  auto minor = DivideRounded(from.minor() < 0, product, PowerOfTen(divisor_exponent), rounding);
  if (!minor) return Failure{minor.error()};
  return Amount(*minor, to);
}

}  // namespace cambista
