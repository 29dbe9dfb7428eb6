// Exact money: Amount, Rate, rounding rules, MulDiv and Convert.
//
// An Amount is a signed 128-bit count of minor units plus its Asset, nothing else: no floating
// point ever touches it, text is parsed and printed digit by digit, and every operation that could
// overflow, mix assets or lose a fraction says so instead of guessing. Addition, subtraction,
// integer multiplication and negation are exact or fail (kOverflow, kAssetMismatch). The only place
// a fraction of a minor unit can appear is MulDiv (fees in basis points, pro-rata splits) and
// Convert (applying an exchange rate); both compute the exact rational result with a 256-bit
// intermediate and round exactly once, with a rounding rule the caller must name. The desk's rule
// is "fees round toward the desk, payouts never exceed what is owed": a payout to a customer uses
// Rounding::kDown, a fee we charge uses Rounding::kUp. Errors are values with stable numbers and
// snake_case codes so the API can show them to clients and tests can match on them.
//
// Text grammar, shared by Amount::Parse and Rate::Parse (strict on purpose: these strings come from
// clients and providers, and a lenient parser turns typos into money):
//   amount := ['-'] digits ['.' digits]      digits := [0-9]+
// - A leading '+' is rejected (kMisplacedSign), as is any sign that is not one leading '-'.
// - Both sides of '.' need at least one digit: "1." and ".5" and "." are kMissingDigits.
// - At most `scale` fractional digits, counted literally: "1.500" for a scale-2 asset is
//   kTooManyFractionDigits even though the extra digit is zero. Fewer digits are padded:
//   "1.5" is 1.50.
// - Leading zeros are fine ("007.50"). "-0" and "-0.00" are zero.
// - No whitespace anywhere, no thousands separators, no ',' decimal mark, no exponent, no NaN/Inf.
// When a string has several faults the first matching check in this order wins: kEmpty,
// kWhitespace, kNanOrInfinity, kExponent, kInvalidCharacter, kMisplacedSign,
// kMultipleDecimalPoints, kMissingDigits, kTooManyFractionDigits, kOverflow.
#pragma once

#include <compare>
#include <cstdint>
#include <iosfwd>
#include <string>
#include <string_view>

#include "core/asset.hpp"
#include "core/int128.hpp"
#include "core/result.hpp"

namespace cambista {

// Stable error codes: the numbers are persisted and shown to clients; never change or reuse one.
enum class AmountError : uint16_t {
  kEmpty = 1,                   // ""
  kTooManyFractionDigits = 2,   // "1.234" for a scale-2 asset; a rate with more than 18
  kExponent = 3,                // "1e5", "1.5E-3"
  kNanOrInfinity = 4,           // "NaN", "inf", "-Infinity" (any case)
  kMisplacedSign = 5,           // "+1", "+", "+-1", "--1", "1-", "1-2"
  kWhitespace = 6,              // any space, tab or line break, anywhere
  kInvalidCharacter = 7,        // "1,50", "1_000", "0x10", "abc"
  kMissingDigits = 8,           // ".", "1.", ".5", "-"
  kOverflow = 9,                // the value (parsed or computed) does not fit in 128 bits
  kAssetMismatch = 10,          // arithmetic or comparison between different assets
  kDivisionByZero = 11,         // MulDiv with denominator 0
  kRateNotPositive = 12,        // a rate of 0 or below
  kMultipleDecimalPoints = 13,  // "1.2.3"
};

// Stable snake_case code, e.g. "too_many_fraction_digits".
std::string_view AmountErrorCode(AmountError error);
// One-sentence human explanation.
std::string_view AmountErrorMessage(AmountError error);

// How to turn an exact fraction of a minor unit into a whole one. The numbers are stable (config).
// Examples for 2.5 / -2.5 / 2.4 / -2.6:
enum class Rounding : uint8_t {
  kDown = 1,      // toward zero:           2 / -2 / 2 / -2.  Payouts: never pay more than owed.
  kUp = 2,        // away from zero:        3 / -3 / 3 / -3.  Fees we charge: round toward the desk.
  kHalfEven = 3,  // nearest, ties to even: 2 / -2 / 2 / -3.  Unbiased, for statistics and reports.
  kFloor = 4,     // toward -infinity:      2 / -3 / 2 / -3.
  kCeiling = 5,   // toward +infinity:      3 / -2 / 3 / -2.
};

// Stable snake_case name, e.g. "half_even".
std::string_view RoundingName(Rounding rounding);

class Amount {
 public:
  // Any i128 is a valid amount; the asset has been validated when it was made.
  Amount(i128 minor, const Asset& asset) : minor_(minor), asset_(asset) {}
  static Amount Zero(const Asset& asset) { return Amount(0, asset); }

  // Parses major-unit decimal text ("10.50") exactly into minor units; see the grammar above.
  static Result<Amount, AmountError> Parse(std::string_view text, const Asset& asset);

  i128 minor() const { return minor_; }
  const Asset& asset() const { return asset_; }
  bool IsZero() const { return minor_ == 0; }
  bool IsNegative() const { return minor_ < 0; }
  bool IsPositive() const { return minor_ > 0; }

  // All scale digits: "10.50", "-0.000001", "0.00"; scale 0 gives "10". Parse(ToString())
  // round-trips.
  std::string ToString() const;
  // Without trailing fractional zeros (and without '.' when none are left): "10.5", "10",
  // "-0.000001".
  std::string ToDecimalString() const;

  Result<Amount, AmountError> Add(const Amount& other) const;
  Result<Amount, AmountError> Subtract(const Amount& other) const;
  Result<Amount, AmountError> Multiply(i128 factor) const;
  // Fails only for the most negative i128, whose negation does not fit.
  Result<Amount, AmountError> Negate() const;
  // kAssetMismatch if the assets differ.
  Result<std::strong_ordering, AmountError> Compare(const Amount& other) const;

  // Equal when both asset and value are equal (amounts of different assets are simply unequal).
  friend bool operator==(const Amount&, const Amount&) = default;
  // Ordering amounts of different assets is a bug, not an input error: CAMBISTA_CHECK aborts.
  // Use Compare() when the assets come from outside.
  friend std::strong_ordering operator<=>(const Amount& left, const Amount& right);

 private:
  i128 minor_;
  Asset asset_;
};

std::ostream& operator<<(std::ostream& out, const Amount& amount);

// An exchange rate: a positive decimal with at most 18 fractional digits, held exactly as an
// integer count of 10^-18 units. A rate has no assets attached; Convert says which way it is
// applied.
class Rate {
 public:
  static constexpr int kFractionDigitsMax = 18;

  // Same grammar as Amount::Parse with scale 18, then kRateNotPositive for "0", "-1", "-0.5".
  static Result<Rate, AmountError> Parse(std::string_view text);
  // rate = units / 10^18; kRateNotPositive for 0. Any other u128 is a valid rate.
  static Result<Rate, AmountError> FromUnits(u128 units);

  // The rate times 10^18.
  u128 units() const { return units_; }
  // Without trailing fractional zeros: "36.5412", "1".
  std::string ToString() const;

  friend bool operator==(const Rate&, const Rate&) = default;

 private:
  explicit Rate(u128 units) : units_(units) {}

  u128 units_;
};

std::ostream& operator<<(std::ostream& out, const Rate& rate);

// amount × numerator / denominator, rounded once. The product is formed exactly in 256 bits, so
// only a result that does not fit in an i128 fails (kOverflow). Signs of numerator and denominator
// are honoured. Fee of 35 bps charged by the desk: MulDiv(amount, 35, 10'000, Rounding::kUp).
Result<Amount, AmountError> MulDiv(const Amount& amount, i128 numerator, i128 denominator,
                                   Rounding rounding);

// Converts `from` into asset `to` at `rate` (units of `to` per one unit of `from`, in major units):
//   to_minor = from_minor × rate × 10^(to.scale − from.scale), rounded once.
// Exact for every input (256-bit intermediate); kOverflow only if the result does not fit.
// E.g. 100.00 BRL at 0.19 to USDT = 19.000000 USDT; 10.000000 USDT at 36.5412 to VES = 365.41 VES.
Result<Amount, AmountError> Convert(const Amount& from, const Asset& to, const Rate& rate,
                                    Rounding rounding);

}  // namespace cambista
