// Several sources' quotes of a pair into its reference: one as it is, several by their median, a
// source beyond the band dropped and reported, never a crossed price.
#include <gtest/gtest.h>

#include "pricing/aggregation.hpp"

namespace cambista::pricing {
namespace {

Rate R(std::string_view text) {
  return Rate::Parse(text).value();
}

SourceQuote Quote(std::string name, std::string_view bid, std::string_view ask,
                  int64_t observed_at_ms = 1'000) {
  return SourceQuote{std::move(name), RateQuote{R(bid), R(ask), observed_at_ms}};
}

TEST(AggregationTest, OneSourceIsTheReference) {
  auto made = AggregateQuotes({Quote("sandbox", "5.40", "5.46")}, {});
  ASSERT_TRUE(made.ok());
  EXPECT_EQ(made.value().bid, R("5.40"));
  EXPECT_EQ(made.value().ask, R("5.46"));
  EXPECT_EQ(made.value().mid, R("5.43"));
  EXPECT_EQ(made.value().source, "sandbox");
  EXPECT_TRUE(made.value().dropped.empty());
}

TEST(AggregationTest, TwoSourcesGiveTheMeanOfBidsAndOfAsks) {
  auto made = AggregateQuotes(
      {Quote("binance_p2p", "5.40", "5.46", 2'000), Quote("criptoya", "5.41", "5.47", 1'500)}, {});
  ASSERT_TRUE(made.ok());
  EXPECT_EQ(made.value().bid, R("5.405"));
  EXPECT_EQ(made.value().ask, R("5.465"));
  EXPECT_EQ(made.value().mid, R("5.435"));
  EXPECT_EQ(made.value().source, "median(binance_p2p,criptoya)");
  EXPECT_EQ(made.value().observed_at_ms, 1'500);  // the oldest observation used
}

TEST(AggregationTest, ThreeSourcesGiveTheMiddleOnes) {
  auto made = AggregateQuotes(
      {Quote("a", "5.40", "5.46"), Quote("b", "5.38", "5.45"), Quote("c", "5.42", "5.49")}, {});
  ASSERT_TRUE(made.ok());
  EXPECT_EQ(made.value().bid, R("5.40"));
  EXPECT_EQ(made.value().ask, R("5.46"));
  EXPECT_EQ(made.value().source, "median(a,b,c)");
}

TEST(AggregationTest, ASourceBeyondTheBandIsDroppedAndReported) {
  // c's mid (5.78) is 6.4% above the median mid (5.43): beyond 300 bps.
  auto made = AggregateQuotes(
      {Quote("a", "5.40", "5.46"), Quote("b", "5.41", "5.45"), Quote("c", "5.75", "5.81")},
      AggregateOptions{.band_bps = 300});
  ASSERT_TRUE(made.ok());
  EXPECT_EQ(made.value().source, "median(a,b)");
  EXPECT_EQ(made.value().bid, R("5.405"));
  EXPECT_EQ(made.value().ask, R("5.455"));
  ASSERT_EQ(made.value().dropped.size(), 1u);
  EXPECT_EQ(made.value().dropped[0].source, "c");
  EXPECT_EQ(made.value().dropped[0].reason, "band");
  EXPECT_EQ(made.value().dropped[0].mid, R("5.78"));
  // A wider band keeps it.
  auto wide = AggregateQuotes(
      {Quote("a", "5.40", "5.46"), Quote("b", "5.41", "5.45"), Quote("c", "5.75", "5.81")},
      AggregateOptions{.band_bps = 1'000});
  ASSERT_TRUE(wide.ok());
  EXPECT_TRUE(wide.value().dropped.empty());
  EXPECT_EQ(wide.value().source, "median(a,b,c)");
}

TEST(AggregationTest, TwoSourcesApartGiveNoPrice) {
  auto made = AggregateQuotes({Quote("a", "5.40", "5.46"), Quote("b", "6.40", "6.46")}, {});
  ASSERT_FALSE(made.ok());
  EXPECT_EQ(made.error().kind, AggregateFailure::Kind::kSourcesDisagree);
  EXPECT_EQ(made.error().dropped.size(), 2u);
}

TEST(AggregationTest, ACrossedQuoteIsDroppedNeverUsed) {
  auto made = AggregateQuotes({Quote("a", "5.40", "5.46"), Quote("b", "5.46", "5.40")}, {});
  ASSERT_TRUE(made.ok());
  EXPECT_EQ(made.value().source, "a");
  ASSERT_EQ(made.value().dropped.size(), 1u);
  EXPECT_EQ(made.value().dropped[0].reason, "crossed");
  auto only_crossed = AggregateQuotes({Quote("b", "5.46", "5.46")}, {});
  ASSERT_FALSE(only_crossed.ok());
  EXPECT_EQ(only_crossed.error().kind, AggregateFailure::Kind::kNoQuotes);
}

TEST(AggregationTest, NoQuotesNoPrice) {
  auto made = AggregateQuotes({}, {});
  ASSERT_FALSE(made.ok());
  EXPECT_EQ(made.error().kind, AggregateFailure::Kind::kNoQuotes);
}

TEST(AggregationTest, MinSourcesIsHeld) {
  const AggregateOptions two{.band_bps = 300, .min_sources = 2};
  auto alone = AggregateQuotes({Quote("a", "5.40", "5.46")}, two);
  ASSERT_FALSE(alone.ok());
  EXPECT_EQ(alone.error().kind, AggregateFailure::Kind::kTooFewSources);
  EXPECT_TRUE(AggregateQuotes({Quote("a", "5.40", "5.46"), Quote("b", "5.41", "5.47")}, two).ok());
  // Three whose outlier is dropped leave two: enough.
  auto after_band = AggregateQuotes(
      {Quote("a", "5.40", "5.46"), Quote("b", "5.41", "5.47"), Quote("c", "9", "9.1")}, two);
  ASSERT_TRUE(after_band.ok());
  EXPECT_EQ(after_band.value().dropped.size(), 1u);
}

}  // namespace
}  // namespace cambista::pricing
