#include "core/int128.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <random>

namespace cambista {
namespace {

constexpr std::string_view kU128MaxText = "340282366920938463463374607431768211455";
constexpr std::string_view kI128MaxText = "170141183460469231731687303715884105727";
constexpr std::string_view kI128MinText = "-170141183460469231731687303715884105728";

TEST(Int128Test, ConstantsMatchTheirDefinitions) {
  EXPECT_EQ(kU128Max + 1, static_cast<u128>(0));
  EXPECT_EQ(static_cast<u128>(kI128Max) + 1, static_cast<u128>(1) << 127);
  EXPECT_EQ(static_cast<u128>(kI128Min), static_cast<u128>(1) << 127);
}

TEST(Int128Test, ToDecimalBoundaries) {
  EXPECT_EQ(ToDecimal(static_cast<u128>(0)), "0");
  EXPECT_EQ(ToDecimal(static_cast<u128>(9)), "9");
  EXPECT_EQ(ToDecimal(static_cast<u128>(10)), "10");
  EXPECT_EQ(ToDecimal(kU128Max), kU128MaxText);
  EXPECT_EQ(ToDecimal(static_cast<i128>(0)), "0");
  EXPECT_EQ(ToDecimal(static_cast<i128>(-1)), "-1");
  EXPECT_EQ(ToDecimal(kI128Max), kI128MaxText);
  EXPECT_EQ(ToDecimal(kI128Min), kI128MinText);
}

TEST(Int128Test, ParseU128Decimal) {
  EXPECT_EQ(ParseU128Decimal("0"), static_cast<u128>(0));
  EXPECT_EQ(ParseU128Decimal("000123"), static_cast<u128>(123));
  EXPECT_EQ(ParseU128Decimal(kU128MaxText), kU128Max);
  EXPECT_FALSE(ParseU128Decimal("340282366920938463463374607431768211456"));   // max + 1
  EXPECT_FALSE(ParseU128Decimal("1000000000000000000000000000000000000000"));  // 40 digits
  EXPECT_FALSE(ParseU128Decimal(""));
  EXPECT_FALSE(ParseU128Decimal("-1"));
  EXPECT_FALSE(ParseU128Decimal("+1"));
  EXPECT_FALSE(ParseU128Decimal(" 1"));
  EXPECT_FALSE(ParseU128Decimal("1a"));
}

TEST(Int128Test, ParseI128Decimal) {
  EXPECT_EQ(ParseI128Decimal("0"), static_cast<i128>(0));
  EXPECT_EQ(ParseI128Decimal("-0"), static_cast<i128>(0));
  EXPECT_EQ(ParseI128Decimal("-42"), static_cast<i128>(-42));
  EXPECT_EQ(ParseI128Decimal(kI128MaxText), kI128Max);
  EXPECT_EQ(ParseI128Decimal(kI128MinText), kI128Min);
  EXPECT_FALSE(ParseI128Decimal("170141183460469231731687303715884105728"));   // max + 1
  EXPECT_FALSE(ParseI128Decimal("-170141183460469231731687303715884105729"));  // min - 1
  EXPECT_FALSE(ParseI128Decimal("-"));
  EXPECT_FALSE(ParseI128Decimal(""));
  EXPECT_FALSE(ParseI128Decimal("--1"));
  EXPECT_FALSE(ParseI128Decimal("+1"));
}

TEST(Int128Test, Hex) {
  EXPECT_EQ(ToHex32(0), std::string(32, '0'));
  EXPECT_EQ(ToHex32(kU128Max), std::string(32, 'f'));
  EXPECT_EQ(ToHex32(0xABCDEF), "00000000000000000000000000abcdef");
  EXPECT_EQ(ParseHex128("abcdef"), static_cast<u128>(0xABCDEF));
  EXPECT_EQ(ParseHex128("ABCDEF"), static_cast<u128>(0xABCDEF));
  EXPECT_EQ(ParseHex128(std::string(32, 'f')), kU128Max);
  EXPECT_EQ(ParseHex128("01234567-89ab-cdef-0123-456789abcdef"),
            (static_cast<u128>(0x0123456789ABCDEFull) << 64) | 0x0123456789ABCDEFull);
  EXPECT_FALSE(ParseHex128(std::string(33, '1')));
  EXPECT_FALSE(ParseHex128(""));
  EXPECT_FALSE(ParseHex128("-"));
  EXPECT_FALSE(ParseHex128("0x1"));
  EXPECT_FALSE(ParseHex128("g"));
}

TEST(Int128Test, BigEndianSortsLikeTheNumber) {
  unsigned char small[16];
  unsigned char large[16];
  ToBigEndian16(0xFF, small);
  ToBigEndian16(static_cast<u128>(1) << 64, large);
  EXPECT_LT(std::memcmp(small, large, 16), 0);
  EXPECT_EQ(small[15], 0xFF);
  EXPECT_EQ(large[7], 0x01);
  EXPECT_EQ(FromBigEndian16(small), static_cast<u128>(0xFF));
}

TEST(Int128Test, RandomRoundTrips) {
  std::mt19937_64 random(20240611);
  for (int i = 0; i < 5000; ++i) {
    const int bits = static_cast<int>(random() % 129);
    u128 value = (static_cast<u128>(random()) << 64) | random();
    if (bits < 128) value &= (static_cast<u128>(1) << bits) - 1;
    EXPECT_EQ(ParseU128Decimal(ToDecimal(value)), value);
    EXPECT_EQ(ParseHex128(ToHex32(value)), value);
    unsigned char bytes[16];
    ToBigEndian16(value, bytes);
    EXPECT_EQ(FromBigEndian16(bytes), value);
    const auto signed_value = static_cast<i128>(value);
    EXPECT_EQ(ParseI128Decimal(ToDecimal(signed_value)), signed_value);
  }
}

}  // namespace
}  // namespace cambista
