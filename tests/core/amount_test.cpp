#include "core/amount.hpp"

#include <gtest/gtest.h>

#include <sstream>
#include <type_traits>

namespace cambista {
namespace {

class AmountTest : public ::testing::Test {
 protected:
  const AssetRegistry registry_ = AssetRegistry::WithBuiltins();
  const Asset brl_ = *registry_.Find("BRL");
  const Asset usd_ = *registry_.Find("USD");
  const Asset ves_ = *registry_.Find("VES");
  const Asset usdt_ = *registry_.Find("USDT");
  const Asset eth_ = *registry_.Find("ETH");
  const Asset pol_ = *registry_.Find("POL");
  const Asset clp_ = *Asset::Make("CLP", 0);

  Amount Parsed(std::string_view text, const Asset& asset) {
    auto parsed = Amount::Parse(text, asset);
    CAMBISTA_CHECK(parsed.ok());
    return *parsed;
  }
  static Rate ParsedRate(std::string_view text) {
    auto parsed = Rate::Parse(text);
    CAMBISTA_CHECK(parsed.ok());
    return *parsed;
  }
  AmountError ParseError(std::string_view text, const Asset& asset) {
    auto parsed = Amount::Parse(text, asset);
    if (parsed.ok()) {
      ADD_FAILURE() << "'" << text << "' parsed as " << *parsed;
      return AmountError{};
    }
    return parsed.error();
  }
};

TEST_F(AmountTest, IsASmallValue) {
  static_assert(std::is_trivially_copyable_v<Amount>);
  static_assert(sizeof(Amount) <= 32);
  const Amount amount(1050, brl_);
  const Amount copy = amount;
  EXPECT_EQ(copy, amount);
  EXPECT_EQ(copy.minor(), 1050);
  EXPECT_EQ(copy.asset(), brl_);
}

// ---- Parsing: accepted forms ----

TEST_F(AmountTest, ParseAcceptsPlainDecimals) {
  EXPECT_EQ(Parsed("10.50", brl_).minor(), 1050);
  EXPECT_EQ(Parsed("10.5", brl_).minor(), 1050);  // fewer digits than the scale are padded
  EXPECT_EQ(Parsed("10", brl_).minor(), 1000);
  EXPECT_EQ(Parsed("0", brl_).minor(), 0);
  EXPECT_EQ(Parsed("0.01", brl_).minor(), 1);
  EXPECT_EQ(Parsed("-0.01", brl_).minor(), -1);
  EXPECT_EQ(Parsed("-0.000001", usdt_).minor(), -1);
  EXPECT_EQ(Parsed("007.50", brl_).minor(), 750);  // leading zeros are fine
  EXPECT_EQ(Parsed("-0", brl_).minor(), 0);
  EXPECT_EQ(Parsed("-0.00", brl_).minor(), 0);
  EXPECT_EQ(Parsed("0.000000000000000001", eth_).minor(), 1);
  EXPECT_EQ(Parsed("1", eth_).minor(), static_cast<i128>(1'000'000'000'000'000'000));
  EXPECT_EQ(Parsed("123", clp_).minor(), 123);
  EXPECT_EQ(Parsed("10.50", brl_).asset(), brl_);
}

TEST_F(AmountTest, ParseBoundaries) {
  // i128 max and min, for scale 2, 18 and 0.
  EXPECT_EQ(Parsed("1701411834604692317316873037158841057.27", usd_).minor(), kI128Max);
  EXPECT_EQ(Parsed("-1701411834604692317316873037158841057.28", usd_).minor(), kI128Min);
  EXPECT_EQ(Parsed("170141183460469231731.687303715884105727", eth_).minor(), kI128Max);
  EXPECT_EQ(Parsed("-170141183460469231731.687303715884105728", eth_).minor(), kI128Min);
  EXPECT_EQ(Parsed("170141183460469231731687303715884105727", clp_).minor(), kI128Max);
  EXPECT_EQ(Parsed("-170141183460469231731687303715884105728", clp_).minor(), kI128Min);
  // Leading zeros do not count toward the 39-digit limit.
  EXPECT_EQ(Parsed("0000000000170141183460469231731.687303715884105727", eth_).minor(), kI128Max);
  EXPECT_EQ(Parsed("-000000000000000000000000000000000000000000000000.01", usd_).minor(), -1);
  // One past.
  EXPECT_EQ(ParseError("1701411834604692317316873037158841057.28", usd_), AmountError::kOverflow);
  EXPECT_EQ(ParseError("-1701411834604692317316873037158841057.29", usd_), AmountError::kOverflow);
  EXPECT_EQ(ParseError("170141183460469231731.687303715884105728", eth_), AmountError::kOverflow);
  EXPECT_EQ(ParseError("-170141183460469231731.687303715884105729", eth_), AmountError::kOverflow);
  EXPECT_EQ(ParseError("170141183460469231731687303715884105728", clp_), AmountError::kOverflow);
  EXPECT_EQ(ParseError("340282366920938463463374607431768211456", clp_), AmountError::kOverflow);
  EXPECT_EQ(ParseError("1" + std::string(60, '0'), clp_), AmountError::kOverflow);
  EXPECT_EQ(ParseError("-" + std::string(60, '9') + ".99", brl_), AmountError::kOverflow);
}

// ---- Parsing: every error kind ----

struct ParseCase {
  std::string_view text;
  AmountError error;
};

TEST_F(AmountTest, ParseRejectsEachErrorKind) {
  const ParseCase cases[] = {
      {"", AmountError::kEmpty},
      {" 1", AmountError::kWhitespace},
      {"1 ", AmountError::kWhitespace},
      {"1 000.00", AmountError::kWhitespace},
      {"\t1", AmountError::kWhitespace},
      {"1\n", AmountError::kWhitespace},
      {"- 1", AmountError::kWhitespace},
      {" ", AmountError::kWhitespace},
      {"NaN", AmountError::kNanOrInfinity},
      {"nan", AmountError::kNanOrInfinity},
      {"-nan", AmountError::kNanOrInfinity},
      {"+NAN", AmountError::kNanOrInfinity},
      {"inf", AmountError::kNanOrInfinity},
      {"-Inf", AmountError::kNanOrInfinity},
      {"INFINITY", AmountError::kNanOrInfinity},
      {"+infinity", AmountError::kNanOrInfinity},
      {"1e5", AmountError::kExponent},
      {"1E5", AmountError::kExponent},
      {"1.5e-3", AmountError::kExponent},
      {"-2e+10", AmountError::kExponent},
      {"1e", AmountError::kExponent},
      {"e5", AmountError::kExponent},
      {"1,50", AmountError::kInvalidCharacter},
      {"1_000", AmountError::kInvalidCharacter},
      {"0x10", AmountError::kInvalidCharacter},
      {"abc", AmountError::kInvalidCharacter},
      {"e", AmountError::kInvalidCharacter},
      {"$1", AmountError::kInvalidCharacter},
      {"1.5%", AmountError::kInvalidCharacter},
      {"1.0f", AmountError::kInvalidCharacter},
      {"nan1", AmountError::kInvalidCharacter},
      {"\u22121", AmountError::kInvalidCharacter},  // U+2212 minus sign, then '1'
      {std::string_view("1\0", 2), AmountError::kInvalidCharacter},
      {"+1", AmountError::kMisplacedSign},
      {"+1.00", AmountError::kMisplacedSign},
      {"+", AmountError::kMisplacedSign},
      {"+-1", AmountError::kMisplacedSign},
      {"-+1", AmountError::kMisplacedSign},
      {"--1", AmountError::kMisplacedSign},
      {"1-", AmountError::kMisplacedSign},
      {"1-2", AmountError::kMisplacedSign},
      {"1.5-", AmountError::kMisplacedSign},
      {"1.2.3", AmountError::kMultipleDecimalPoints},
      {"1..2", AmountError::kMultipleDecimalPoints},
      {"..", AmountError::kMultipleDecimalPoints},
      {".", AmountError::kMissingDigits},
      {"1.", AmountError::kMissingDigits},
      {".5", AmountError::kMissingDigits},
      {"-", AmountError::kMissingDigits},
      {"-.5", AmountError::kMissingDigits},
      {"-1.", AmountError::kMissingDigits},
      {"1.234", AmountError::kTooManyFractionDigits},
      {"1.500", AmountError::kTooManyFractionDigits},  // counted literally, zeros included
      {"-0.001", AmountError::kTooManyFractionDigits},
  };
  for (const ParseCase& test_case : cases) {
    SCOPED_TRACE(std::string(test_case.text));
    EXPECT_EQ(AmountErrorCode(ParseError(test_case.text, brl_)), AmountErrorCode(test_case.error));
  }
}

TEST_F(AmountTest, ScaleZeroAcceptsNoFraction) {
  EXPECT_EQ(ParseError("5.0", clp_), AmountError::kTooManyFractionDigits);
  EXPECT_EQ(ParseError("5.", clp_), AmountError::kMissingDigits);
  EXPECT_EQ(Parsed("-5", clp_).ToString(), "-5");
  EXPECT_EQ(ParseError("1" + std::string(60, '0') + ".001", brl_),
            AmountError::kTooManyFractionDigits);  // reported before the overflow
  EXPECT_EQ(Amount(0, clp_).ToString(), "0");
  EXPECT_EQ(Amount(1000, clp_).ToDecimalString(), "1000");
}

TEST_F(AmountTest, ErrorCodesAreStable) {
  const std::pair<AmountError, std::string_view> expected[] = {
      {AmountError::kEmpty, "empty"},
      {AmountError::kTooManyFractionDigits, "too_many_fraction_digits"},
      {AmountError::kExponent, "exponent_not_allowed"},
      {AmountError::kNanOrInfinity, "nan_or_infinity"},
      {AmountError::kMisplacedSign, "misplaced_sign"},
      {AmountError::kWhitespace, "whitespace"},
      {AmountError::kInvalidCharacter, "invalid_character"},
      {AmountError::kMissingDigits, "missing_digits"},
      {AmountError::kOverflow, "overflow"},
      {AmountError::kAssetMismatch, "asset_mismatch"},
      {AmountError::kDivisionByZero, "division_by_zero"},
      {AmountError::kRateNotPositive, "rate_not_positive"},
      {AmountError::kMultipleDecimalPoints, "multiple_decimal_points"},
  };
  int number = 1;
  for (const auto& [error, code] : expected) {
    EXPECT_EQ(static_cast<int>(error), number++);  // numbers are dense 1..13 and never change
    EXPECT_EQ(AmountErrorCode(error), code);
    EXPECT_FALSE(AmountErrorMessage(error).empty());
  }
  EXPECT_EQ(static_cast<int>(Rounding::kDown), 1);
  EXPECT_EQ(static_cast<int>(Rounding::kUp), 2);
  EXPECT_EQ(static_cast<int>(Rounding::kHalfEven), 3);
  EXPECT_EQ(static_cast<int>(Rounding::kFloor), 4);
  EXPECT_EQ(static_cast<int>(Rounding::kCeiling), 5);
  EXPECT_EQ(RoundingName(Rounding::kHalfEven), "half_even");
}

// ---- Formatting ----

TEST_F(AmountTest, ToStringGivesAllScaleDigits) {
  EXPECT_EQ(Amount(1050, brl_).ToString(), "10.50");
  EXPECT_EQ(Amount(1000, brl_).ToString(), "10.00");
  EXPECT_EQ(Amount(5, brl_).ToString(), "0.05");
  EXPECT_EQ(Amount(0, brl_).ToString(), "0.00");
  EXPECT_EQ(Amount(-1, usdt_).ToString(), "-0.000001");
  EXPECT_EQ(Amount(-1234567, usdt_).ToString(), "-1.234567");
  EXPECT_EQ(Amount(kI128Max, usd_).ToString(), "1701411834604692317316873037158841057.27");
  EXPECT_EQ(Amount(kI128Min, usd_).ToString(), "-1701411834604692317316873037158841057.28");
  EXPECT_EQ(Amount(kI128Max, eth_).ToString(), "170141183460469231731.687303715884105727");
  EXPECT_EQ(Amount(kI128Min, eth_).ToString(), "-170141183460469231731.687303715884105728");
  EXPECT_EQ(Amount(kI128Min, clp_).ToString(), "-170141183460469231731687303715884105728");
  EXPECT_EQ(Amount(1, eth_).ToString(), "0.000000000000000001");
  std::ostringstream out;
  out << Amount(1050, brl_);
  EXPECT_EQ(out.str(), "10.50 BRL");
}

TEST_F(AmountTest, ToDecimalStringTrimsZeros) {
  EXPECT_EQ(Amount(1050, brl_).ToDecimalString(), "10.5");
  EXPECT_EQ(Amount(1000, brl_).ToDecimalString(), "10");
  EXPECT_EQ(Amount(0, brl_).ToDecimalString(), "0");
  EXPECT_EQ(Amount(-1, usdt_).ToDecimalString(), "-0.000001");
  EXPECT_EQ(Amount(-1000000, usdt_).ToDecimalString(), "-1");
}

TEST_F(AmountTest, FormatParseRoundTripsAtBoundaries) {
  const i128 values[] = {0,    1,        -1,       99,           -99,         100,
                         -100, kI128Max, kI128Min, kI128Max - 1, kI128Min + 1};
  for (const Asset& asset : {brl_, usdt_, eth_, clp_}) {
    for (i128 value : values) {
      const Amount amount(value, asset);
      EXPECT_EQ(Parsed(amount.ToString(), asset), amount) << amount;
      EXPECT_EQ(Parsed(amount.ToDecimalString(), asset), amount) << amount;
    }
  }
}

// ---- Checked arithmetic ----

TEST_F(AmountTest, AddAndSubtract) {
  EXPECT_EQ(*Parsed("10.50", brl_).Add(Parsed("0.51", brl_)), Parsed("11.01", brl_));
  EXPECT_EQ(*Parsed("10.50", brl_).Subtract(Parsed("10.51", brl_)), Parsed("-0.01", brl_));
  EXPECT_EQ(Amount(1, brl_).Add(Amount(1, usd_)).error(), AmountError::kAssetMismatch);
  EXPECT_EQ(Amount(1, brl_).Subtract(Amount(1, usd_)).error(), AmountError::kAssetMismatch);
  // Same code, different scale is a different asset.
  EXPECT_EQ(Amount(1, brl_).Add(Amount(1, *Asset::Make("BRL", 4))).error(),
            AmountError::kAssetMismatch);
}

TEST_F(AmountTest, AddAndSubtractOverflow) {
  EXPECT_EQ(Amount(kI128Max, brl_).Add(Amount(1, brl_)).error(), AmountError::kOverflow);
  EXPECT_EQ(Amount(kI128Min, brl_).Add(Amount(-1, brl_)).error(), AmountError::kOverflow);
  EXPECT_EQ(Amount(kI128Min, brl_).Subtract(Amount(1, brl_)).error(), AmountError::kOverflow);
  EXPECT_EQ(Amount(0, brl_).Subtract(Amount(kI128Min, brl_)).error(), AmountError::kOverflow);
  EXPECT_EQ(Amount(kI128Max, brl_).Subtract(Amount(-1, brl_)).error(), AmountError::kOverflow);
  EXPECT_EQ(Amount(kI128Max, brl_).Add(Amount(kI128Min, brl_))->minor(), -1);
  EXPECT_EQ(Amount(-1, brl_).Subtract(Amount(kI128Max, brl_))->minor(), kI128Min);
}

TEST_F(AmountTest, Multiply) {
  EXPECT_EQ(Parsed("10.50", brl_).Multiply(3)->ToString(), "31.50");
  EXPECT_EQ(Parsed("10.50", brl_).Multiply(-2)->ToString(), "-21.00");
  EXPECT_EQ(Parsed("10.50", brl_).Multiply(0)->ToString(), "0.00");
  EXPECT_EQ(Amount(kI128Max, brl_).Multiply(-1)->minor(), -kI128Max);
  EXPECT_EQ(Amount(kI128Min, brl_).Multiply(1)->minor(), kI128Min);
  EXPECT_EQ(Amount(kI128Max, brl_).Multiply(2).error(), AmountError::kOverflow);
  EXPECT_EQ(Amount(kI128Min, brl_).Multiply(-1).error(), AmountError::kOverflow);
  EXPECT_EQ(Amount(2, brl_).Multiply(kI128Min).error(), AmountError::kOverflow);
  EXPECT_EQ(Amount(-1, brl_).Multiply(kI128Min).error(), AmountError::kOverflow);
  EXPECT_EQ(Amount(static_cast<i128>(1) << 64, brl_).Multiply(static_cast<i128>(1) << 63).error(),
            AmountError::kOverflow);
  EXPECT_EQ(
      Amount(static_cast<i128>(1) << 64, brl_).Multiply(-(static_cast<i128>(1) << 63))->minor(),
      kI128Min);
}

TEST_F(AmountTest, Negate) {
  EXPECT_EQ(Parsed("10.50", brl_).Negate()->ToString(), "-10.50");
  EXPECT_EQ(Amount(0, brl_).Negate()->minor(), 0);
  EXPECT_EQ(Amount(kI128Max, brl_).Negate()->minor(), kI128Min + 1);
  EXPECT_EQ(Amount(kI128Min + 1, brl_).Negate()->minor(), kI128Max);
  EXPECT_EQ(Amount(kI128Min, brl_).Negate().error(), AmountError::kOverflow);
}

TEST_F(AmountTest, Compare) {
  const Amount small = Parsed("-1.00", brl_);
  const Amount large = Parsed("0.01", brl_);
  EXPECT_EQ(*small.Compare(large), std::strong_ordering::less);
  EXPECT_EQ(*large.Compare(small), std::strong_ordering::greater);
  EXPECT_EQ(*large.Compare(large), std::strong_ordering::equal);
  EXPECT_EQ(small.Compare(Amount(0, usd_)).error(), AmountError::kAssetMismatch);
  EXPECT_LT(small, large);
  EXPECT_GT(large, small);
  EXPECT_LE(large, large);
  EXPECT_LT(Amount(kI128Min, brl_), Amount(kI128Max, brl_));
  EXPECT_NE(Amount(1, brl_), Amount(1, usd_));  // equality across assets is allowed: unequal
  EXPECT_TRUE(small.IsNegative());
  EXPECT_TRUE(large.IsPositive());
  EXPECT_TRUE(Amount::Zero(brl_).IsZero());
}

TEST_F(AmountTest, OrderingAcrossAssetsIsABug) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH((void)(Amount(1, brl_) < Amount(1, usd_)), "invariant violated");
}

// ---- Rounding (through MulDiv: value / 10) ----

struct RoundingCase {
  i128 tenths;  // the exact value times ten
  i128 down, up, half_even, floor, ceiling;
};

TEST_F(AmountTest, EachRoundingModeBothSigns) {
  const RoundingCase cases[] = {
      // exact ties
      {25, 2, 3, 2, 2, 3},
      {-25, -2, -3, -2, -3, -2},
      {35, 3, 4, 4, 3, 4},
      {-35, -3, -4, -4, -4, -3},
      {5, 0, 1, 0, 0, 1},
      {-5, 0, -1, 0, -1, 0},
      {15, 1, 2, 2, 1, 2},
      {-15, -1, -2, -2, -2, -1},
      // below and above half
      {24, 2, 3, 2, 2, 3},
      {-24, -2, -3, -2, -3, -2},
      {26, 2, 3, 3, 2, 3},
      {-26, -2, -3, -3, -3, -2},
      {1, 0, 1, 0, 0, 1},
      {-1, 0, -1, 0, -1, 0},
      // exact
      {20, 2, 2, 2, 2, 2},
      {-20, -2, -2, -2, -2, -2},
      {0, 0, 0, 0, 0, 0},
  };
  for (const RoundingCase& c : cases) {
    SCOPED_TRACE(ToDecimal(c.tenths));
    const Amount amount(c.tenths, clp_);
    EXPECT_EQ(MulDiv(amount, 1, 10, Rounding::kDown)->minor(), c.down);
    EXPECT_EQ(MulDiv(amount, 1, 10, Rounding::kUp)->minor(), c.up);
    EXPECT_EQ(MulDiv(amount, 1, 10, Rounding::kHalfEven)->minor(), c.half_even);
    EXPECT_EQ(MulDiv(amount, 1, 10, Rounding::kFloor)->minor(), c.floor);
    EXPECT_EQ(MulDiv(amount, 1, 10, Rounding::kCeiling)->minor(), c.ceiling);
    // The sign may come from any operand.
    const Amount negated(-c.tenths, clp_);
    EXPECT_EQ(MulDiv(negated, -1, 10, Rounding::kFloor)->minor(), c.floor);
    EXPECT_EQ(MulDiv(negated, 1, -10, Rounding::kCeiling)->minor(), c.ceiling);
    EXPECT_EQ(MulDiv(amount, -1, -10, Rounding::kHalfEven)->minor(), c.half_even);
  }
}

// ---- MulDiv ----

TEST_F(AmountTest, MulDivFeesInBasisPoints) {
  const Amount amount = Parsed("1000.01", brl_);
  // 35 bps of 1000.01 = 3.5000350: the desk charges 3.51, never 3.50.
  EXPECT_EQ(MulDiv(amount, 35, 10'000, Rounding::kUp)->ToString(), "3.51");
  EXPECT_EQ(MulDiv(amount, 35, 10'000, Rounding::kDown)->ToString(), "3.50");
  EXPECT_EQ(MulDiv(amount, 35, 10'000, Rounding::kHalfEven)->ToString(), "3.50");
  EXPECT_EQ(MulDiv(amount, 10'000, 10'000, Rounding::kUp)->ToString(), "1000.01");
  // A three-way split of 100.00: 33.33 each paid out, the remainder stays with the desk.
  EXPECT_EQ(MulDiv(Parsed("100.00", brl_), 1, 3, Rounding::kDown)->ToString(), "33.33");
  EXPECT_EQ(MulDiv(Parsed("100.00", brl_), 2, 3, Rounding::kHalfEven)->ToString(), "66.67");
  EXPECT_EQ(MulDiv(amount, 1, 0, Rounding::kDown).error(), AmountError::kDivisionByZero);
  EXPECT_EQ(MulDiv(amount, 3, 1, Rounding::kDown)->asset(), brl_);
}

TEST_F(AmountTest, MulDivIntermediateWiderThan128Bits) {
  EXPECT_EQ(MulDiv(Amount(kI128Max, brl_), 2, 2, Rounding::kDown)->minor(), kI128Max);
  EXPECT_EQ(MulDiv(Amount(kI128Max, brl_), kI128Max, kI128Max, Rounding::kDown)->minor(), kI128Max);
  EXPECT_EQ(MulDiv(Amount(kI128Min, brl_), kI128Min, kI128Min, Rounding::kDown)->minor(), kI128Min);
  EXPECT_EQ(MulDiv(Amount(kI128Min, brl_), kI128Max, kI128Max, Rounding::kUp)->minor(), kI128Min);
  EXPECT_EQ(MulDiv(Amount(kI128Max, brl_), kI128Min, kI128Min, Rounding::kUp)->minor(), kI128Max);
  EXPECT_EQ(MulDiv(Amount(kI128Max, brl_), kI128Max - 1, kI128Max, Rounding::kDown)->minor(),
            kI128Max - 1);
  // 10^30 × 10^30 / 10^25 = 10^35
  const i128 ten_to_30 = static_cast<i128>(1'000'000'000'000'000) * 1'000'000'000'000'000;
  const i128 ten_to_25 = ten_to_30 / 100'000;
  EXPECT_EQ(MulDiv(Amount(ten_to_30, brl_), ten_to_30, ten_to_25, Rounding::kDown)->minor(),
            ten_to_30 * 100'000);
  EXPECT_EQ(
      MulDiv(Amount(ten_to_30 + 1, brl_), ten_to_30, ten_to_25 * 3, Rounding::kDown)->ToString(),
      "333333333333333333333333333333666.66");
}

TEST_F(AmountTest, MulDivOverflow) {
  EXPECT_EQ(MulDiv(Amount(kI128Max, brl_), 2, 1, Rounding::kDown).error(), AmountError::kOverflow);
  EXPECT_EQ(MulDiv(Amount(kI128Max, brl_), kI128Max, 1, Rounding::kDown).error(),
            AmountError::kOverflow);
  EXPECT_EQ(MulDiv(Amount(kI128Min, brl_), -1, 1, Rounding::kDown).error(), AmountError::kOverflow);
  EXPECT_EQ(MulDiv(Amount(kI128Min, brl_), 1, -1, Rounding::kDown).error(), AmountError::kOverflow);
  EXPECT_EQ(MulDiv(Amount(kI128Min, brl_), kI128Min, 1, Rounding::kDown).error(),
            AmountError::kOverflow);
  EXPECT_EQ(MulDiv(Amount(kI128Max, brl_), 3, 2, Rounding::kDown).error(), AmountError::kOverflow);
  EXPECT_EQ(MulDiv(Amount(kI128Min, brl_), 1, 1, Rounding::kDown)->minor(), kI128Min);
}

TEST_F(AmountTest, MulDivRoundingAtTheEdgeOfTheRange) {
  // (2^128 − 1) / 3 × 3 / 2 = 2^127 − 0.5: rounding decides whether it fits.
  const i128 third = static_cast<i128>(kU128Max / 3);
  const Amount positive(third, brl_);
  EXPECT_EQ(MulDiv(positive, 3, 2, Rounding::kDown)->minor(), kI128Max);
  EXPECT_EQ(MulDiv(positive, 3, 2, Rounding::kFloor)->minor(), kI128Max);
  EXPECT_EQ(MulDiv(positive, 3, 2, Rounding::kUp).error(), AmountError::kOverflow);
  EXPECT_EQ(MulDiv(positive, 3, 2, Rounding::kCeiling).error(), AmountError::kOverflow);
  EXPECT_EQ(MulDiv(positive, 3, 2, Rounding::kHalfEven).error(), AmountError::kOverflow);  // odd
  const Amount negative(-third, brl_);
  EXPECT_EQ(MulDiv(negative, 3, 2, Rounding::kDown)->minor(), -kI128Max);
  EXPECT_EQ(MulDiv(negative, 3, 2, Rounding::kUp)->minor(), kI128Min);
  EXPECT_EQ(MulDiv(negative, 3, 2, Rounding::kFloor)->minor(), kI128Min);
  EXPECT_EQ(MulDiv(negative, 3, 2, Rounding::kCeiling)->minor(), -kI128Max);
  EXPECT_EQ(MulDiv(negative, 3, 2, Rounding::kHalfEven)->minor(), kI128Min);  // even
}

// ---- Rates ----

TEST_F(AmountTest, RateParse) {
  EXPECT_EQ(ParsedRate("36.5412").ToString(), "36.5412");
  EXPECT_EQ(ParsedRate("36.5412").units(), static_cast<u128>(365412) * 100'000'000'000'000);
  EXPECT_EQ(ParsedRate("0.19").ToString(), "0.19");
  EXPECT_EQ(ParsedRate("1").ToString(), "1");
  EXPECT_EQ(ParsedRate("0001.000").ToString(), "1");
  EXPECT_EQ(ParsedRate("0.000000000000000001").units(), static_cast<u128>(1));
  EXPECT_EQ(Rate::Parse("0.0000000000000000001").error(), AmountError::kTooManyFractionDigits);
  EXPECT_EQ(Rate::Parse("0").error(), AmountError::kRateNotPositive);
  EXPECT_EQ(Rate::Parse("0.000").error(), AmountError::kRateNotPositive);
  EXPECT_EQ(Rate::Parse("-0").error(), AmountError::kRateNotPositive);
  EXPECT_EQ(Rate::Parse("-36.5").error(), AmountError::kRateNotPositive);
  EXPECT_EQ(Rate::Parse("+36.5").error(), AmountError::kMisplacedSign);
  EXPECT_EQ(Rate::Parse("3.65e1").error(), AmountError::kExponent);
  EXPECT_EQ(Rate::Parse("Infinity").error(), AmountError::kNanOrInfinity);
  EXPECT_EQ(Rate::Parse("36,54").error(), AmountError::kInvalidCharacter);
  EXPECT_EQ(Rate::Parse(" 36.5").error(), AmountError::kWhitespace);
  EXPECT_EQ(Rate::Parse(".5").error(), AmountError::kMissingDigits);
  EXPECT_EQ(Rate::Parse("").error(), AmountError::kEmpty);
  EXPECT_EQ(Rate::Parse("170141183460469231732").error(), AmountError::kOverflow);
  EXPECT_EQ(ParsedRate("170141183460469231731.687303715884105727").units(),
            static_cast<u128>(kI128Max));
  EXPECT_EQ(Rate::FromUnits(0).error(), AmountError::kRateNotPositive);
  EXPECT_EQ(Rate::FromUnits(kU128Max)->ToString(), "340282366920938463463.374607431768211455");
  EXPECT_EQ(ParsedRate("2.5"), *Rate::FromUnits(static_cast<u128>(25) * 100'000'000'000'000'000));
}

// ---- Convert ----

TEST_F(AmountTest, ConvertBrlToUsdt) {
  const Rate rate = ParsedRate("0.19");
  EXPECT_EQ(Convert(Parsed("100.00", brl_), usdt_, rate, Rounding::kDown)->ToString(), "19.000000");
  EXPECT_EQ(Convert(Parsed("0.01", brl_), usdt_, rate, Rounding::kDown)->ToString(), "0.001900");
  EXPECT_EQ(Convert(Parsed("-12.34", brl_), usdt_, rate, Rounding::kDown)->ToString(), "-2.344600");
  EXPECT_EQ(Convert(Parsed("100.00", brl_), usdt_, rate, Rounding::kDown)->asset(), usdt_);
}

TEST_F(AmountTest, ConvertUsdtToVes) {
  const Rate rate = ParsedRate("36.5412");
  const Amount ten = Parsed("10.000000", usdt_);  // 365.412 VES
  EXPECT_EQ(Convert(ten, ves_, rate, Rounding::kDown)->ToString(), "365.41");
  EXPECT_EQ(Convert(ten, ves_, rate, Rounding::kUp)->ToString(), "365.42");
  EXPECT_EQ(Convert(ten, ves_, rate, Rounding::kHalfEven)->ToString(), "365.41");
  EXPECT_EQ(Convert(ten, ves_, rate, Rounding::kFloor)->ToString(), "365.41");
  EXPECT_EQ(Convert(ten, ves_, rate, Rounding::kCeiling)->ToString(), "365.42");
  const Amount minus_ten = Parsed("-10.000000", usdt_);
  EXPECT_EQ(Convert(minus_ten, ves_, rate, Rounding::kDown)->ToString(), "-365.41");
  EXPECT_EQ(Convert(minus_ten, ves_, rate, Rounding::kUp)->ToString(), "-365.42");
  EXPECT_EQ(Convert(minus_ten, ves_, rate, Rounding::kFloor)->ToString(), "-365.42");
  EXPECT_EQ(Convert(minus_ten, ves_, rate, Rounding::kCeiling)->ToString(), "-365.41");
  // Exact ties: 0.125 VES.
  const Rate eighth = ParsedRate("0.125");
  EXPECT_EQ(Convert(Parsed("1", usdt_), ves_, eighth, Rounding::kHalfEven)->ToString(), "0.12");
  EXPECT_EQ(Convert(Parsed("3", usdt_), ves_, eighth, Rounding::kHalfEven)->ToString(), "0.38");
  EXPECT_EQ(Convert(Parsed("-1", usdt_), ves_, eighth, Rounding::kHalfEven)->ToString(), "-0.12");
  EXPECT_EQ(Convert(Parsed("-3", usdt_), ves_, eighth, Rounding::kHalfEven)->ToString(), "-0.38");
}

TEST_F(AmountTest, ConvertVesToUsdtTheOtherWay) {
  // Inverse direction with an explicit inverse rate (1 / 36.5412, truncated to 18 digits).
  const Rate rate = ParsedRate("0.027366370015215701");
  const Amount ves = Parsed("365.41", ves_);
  EXPECT_EQ(Convert(ves, usdt_, rate, Rounding::kDown)->ToString(), "9.999945");
  EXPECT_EQ(Convert(ves, usdt_, rate, Rounding::kUp)->ToString(), "9.999946");
  EXPECT_EQ(Convert(Parsed("0.01", ves_), usdt_, rate, Rounding::kUp)->ToString(), "0.000274");
}

TEST_F(AmountTest, ConvertEthToUsdIsExactForLargeAmounts) {
  const Rate rate = ParsedRate("3456.123456789012345678");
  const Amount million = Parsed("1000000", eth_);
  // 3,456,123,456.789012345678 USD.
  EXPECT_EQ(Convert(million, usd_, rate, Rounding::kDown)->ToString(), "3456123456.78");
  EXPECT_EQ(Convert(million, usd_, rate, Rounding::kUp)->ToString(), "3456123456.79");
  EXPECT_EQ(Convert(million, usd_, rate, Rounding::kHalfEven)->ToString(), "3456123456.79");
  const Amount odd = Parsed("-1234567.890123456789012345", eth_);
  // × 3456.123456789012345678 = −4266819044.054199051193056638... exactly
  EXPECT_EQ(Convert(odd, usd_, rate, Rounding::kDown)->ToString(), "-4266819044.05");
  EXPECT_EQ(Convert(odd, usd_, rate, Rounding::kUp)->ToString(), "-4266819044.06");
  EXPECT_EQ(Convert(odd, usd_, rate, Rounding::kHalfEven)->ToString(), "-4266819044.05");
  // One wei at the smallest rate rounds to zero or to one cent, never to "-0.00".
  const Rate tiny = ParsedRate("0.000000000000000001");
  EXPECT_EQ(Convert(Amount(-1, eth_), usd_, tiny, Rounding::kDown)->ToString(), "0.00");
  EXPECT_EQ(Convert(Amount(-1, eth_), usd_, tiny, Rounding::kCeiling)->ToString(), "0.00");
  EXPECT_EQ(Convert(Amount(-1, eth_), usd_, tiny, Rounding::kUp)->ToString(), "-0.01");
  EXPECT_EQ(Convert(Amount(1, eth_), usd_, tiny, Rounding::kUp)->ToString(), "0.01");
}

TEST_F(AmountTest, ConvertToAndFromScaleZero) {
  const Rate rate = ParsedRate("950.5");
  EXPECT_EQ(Convert(Parsed("10.00", usd_), clp_, rate, Rounding::kDown)->ToString(), "9505");
  EXPECT_EQ(Convert(Parsed("0.01", usd_), clp_, ParsedRate("950"), Rounding::kHalfEven)->ToString(),
            "10");  // 9.5 -> 10
  EXPECT_EQ(Convert(Parsed("0.03", usd_), clp_, ParsedRate("950"), Rounding::kHalfEven)->ToString(),
            "28");  // 28.5 -> 28
  EXPECT_EQ(
      Convert(Parsed("9505", clp_), usd_, ParsedRate("0.001052"), Rounding::kDown)->ToString(),
      "9.99");  // 9.99926
  EXPECT_EQ(Convert(Parsed("1", clp_), eth_, ParsedRate("0.000000000000000001"), Rounding::kDown)
                ->minor(),
            1);
}

TEST_F(AmountTest, ConvertOverflow) {
  const Rate one = ParsedRate("1");
  // Same scale at rate 1: the 256-bit intermediate keeps the extremes exact.
  EXPECT_EQ(Convert(Amount(kI128Max, eth_), pol_, one, Rounding::kDown)->minor(), kI128Max);
  EXPECT_EQ(Convert(Amount(kI128Min, eth_), pol_, one, Rounding::kDown)->minor(), kI128Min);
  EXPECT_EQ(
      Convert(Amount(kI128Max, eth_), pol_, ParsedRate("1.000000000000000001"), Rounding::kDown)
          .error(),
      AmountError::kOverflow);
  EXPECT_EQ(Convert(Amount(kI128Max, usd_), eth_, one, Rounding::kDown).error(),
            AmountError::kOverflow);
  EXPECT_EQ(
      Convert(Amount(kI128Min, clp_), eth_, *Rate::FromUnits(kU128Max), Rounding::kDown).error(),
      AmountError::kOverflow);
  EXPECT_EQ(Convert(Amount(kI128Max, eth_), pol_, ParsedRate("0.5"), Rounding::kHalfEven)->minor(),
            (kI128Max >> 1) + 1);  // 2^126 − 0.5 ties to the even 2^126
}

}  // namespace
}  // namespace cambista
