// The pricing model's exact arithmetic: pairs, provider rates read from text, mid, median, band.
#include <gtest/gtest.h>

#include "pricing/model.hpp"

namespace cambista::pricing {
namespace {

Rate R(std::string_view text) {
  return Rate::Parse(text).value();
}

TEST(PairTest, ReadsTheThreeForms) {
  for (std::string_view text : {"USDT/BRL", "USDT-BRL", "USDT_BRL"}) {
    const auto pair = ParsePair(text);
    ASSERT_TRUE(pair.has_value()) << text;
    EXPECT_EQ(pair->base, "USDT");
    EXPECT_EQ(pair->quote, "BRL");
    EXPECT_EQ(pair->Text(), "USDT/BRL");
    EXPECT_EQ(pair->PathText(), "USDT-BRL");
    EXPECT_EQ(pair->KeyText(), "USDT_BRL");
  }
}

TEST(PairTest, RefusesWhatIsNotAPair) {
  for (std::string_view text : {"", "USDT", "usdt/brl", "USDT/", "/BRL", "USDT/BRL/X", "USDT//BRL",
                                "U/BRL", "USDT/BRL ", "USDT/USDT", "ABCDEFGHIJK/BRL", "USDT+BRL"}) {
    EXPECT_FALSE(ParsePair(text).has_value()) << text;
  }
}

TEST(ProviderRateTest, ReadsDecimalTextExactly) {
  EXPECT_EQ(ParseProviderRate("5.457").value(), R("5.457"));
  EXPECT_EQ(ParseProviderRate("4120").value(), R("4120"));
  // A binary float's noise, as JavaScript writes it: kept to the last digit.
  EXPECT_EQ(ParseProviderRate("5.3999999999999995").value().units(),
            static_cast<u128>(5'399'999'999'999'999'500ULL));
  // Past 18 fraction digits the rest is dropped (rounded down), not refused.
  EXPECT_EQ(ParseProviderRate("5.40000000000000000019").value(), R("5.4"));
  EXPECT_EQ(ParseProviderRate("0.0000000000000000019").value().units(), 1u);
}

TEST(ProviderRateTest, RefusesWhatIsNotAPositiveDecimal) {
  for (std::string_view text :
       {"", "0", "0.000", "-5.4", "+5.4", "5,4", "1e3", "5.4e-1", "NaN", "inf", " 5.4", "5.4.1",
        "5.", ".5", "0.0000000000000000001", "5.40000000000000000000x", "1000000000001"}) {
    EXPECT_FALSE(ParseProviderRate(text).ok()) << text;
  }
  EXPECT_TRUE(ParseProviderRate("1000000000000").ok());  // 10^12: the largest accepted
}

TEST(MidTest, HalvesExactlyAndRoundsAHalfUnitDown) {
  EXPECT_EQ(MidOf(R("5.40"), R("5.46")), R("5.43"));
  EXPECT_EQ(MidOf(R("5.4"), R("5.47")), R("5.435"));
  const Rate one = Rate::FromUnits(1).value();
  const Rate two = Rate::FromUnits(2).value();
  EXPECT_EQ(MidOf(one, two).units(), 1u);  // 1.5 units -> 1
  EXPECT_EQ(MidOf(two, Rate::FromUnits(5).value()).units(), 3u);
  EXPECT_EQ(MidOf(Rate::FromUnits(3).value(), Rate::FromUnits(5).value()).units(), 4u);
  const Rate top = Rate::FromUnits(kU128Max).value();
  EXPECT_EQ(MidOf(top, top), top);  // no overflow on the way
}

TEST(MedianTest, MiddleOrMeanOfTheTwoMiddle) {
  EXPECT_EQ(MedianOf({R("3"), R("1"), R("2")}), R("2"));
  EXPECT_EQ(MedianOf({R("4"), R("1"), R("3"), R("2")}), R("2.5"));
  EXPECT_EQ(MedianOf({R("7")}), R("7"));
  EXPECT_EQ(MedianOf({R("5.402"), R("5.4")}), R("5.401"));
}

TEST(BandTest, ExactAtTheEdge) {
  // 300 bps of 100 is 3: 103 and 97 are within, one unit further is not.
  EXPECT_TRUE(WithinBand(R("103"), R("100"), 300));
  EXPECT_TRUE(WithinBand(R("97"), R("100"), 300));
  EXPECT_FALSE(WithinBand(R("103.000000000000000001"), R("100"), 300));
  EXPECT_FALSE(WithinBand(R("96.999999999999999999"), R("100"), 300));
  EXPECT_TRUE(WithinBand(R("100"), R("100"), 0));
  EXPECT_FALSE(WithinBand(R("100"), R("100"), -1));
  EXPECT_FALSE(WithinBand(Rate::FromUnits(kRateUnitsMax + 1).value(), R("100"), 300));
}

}  // namespace
}  // namespace cambista::pricing
