// Quote pricing (trading/pricing_terms.hpp): worked examples checked by hand, the rounding rules
// (fees up, amount_out down, receive side the least amount_in), bounds, and properties over many
// random amounts.
#include "trading/pricing_terms.hpp"

#include <gtest/gtest.h>

#include <random>

namespace cambista::trading {
namespace {

Asset A(std::string_view code) {
  static const AssetRegistry assets = AssetRegistry::WithBuiltins();
  return assets.Find(code).value();
}
Rate R(std::string_view text) {
  return Rate::Parse(text).value();
}
i128 Minor(std::string_view text, std::string_view code) {
  return Amount::Parse(text, A(code)).value().minor();
}

PairTerms BrlUsdt() {
  return PairTerms{.from = "BRL",
                   .to = "USDT",
                   .market = "USDT/BRL",
                   .buys_base = true,
                   .min_in = Minor("10.00", "BRL"),
                   .max_in = Minor("50000.00", "BRL")};
}

PairTerms UsdtBrl() {
  return PairTerms{.from = "USDT",
                   .to = "BRL",
                   .market = "USDT/BRL",
                   .buys_base = false,
                   .min_in = Minor("2", "USDT"),
                   .max_in = Minor("10000", "USDT")};
}

MarketRate Market(std::string_view bid, std::string_view ask) {
  return MarketRate{R(bid), R(ask), "test", 0};
}

TEST(PricingTerms, BuyingUsdtWithBrlPaysTheAskAfterTheFees) {
  // 100.00 BRL: spread 3.00, network 0.25, 96.75 at 5.00 = 19.35 USDT.
  auto priced = Price(BrlUsdt(), Market("4.90", "5.00"), A("BRL"), A("USDT"),
                      Minor("100.00", "BRL"), AmountSide::kSpend);
  ASSERT_TRUE(priced.ok()) << priced.error().detail;
  EXPECT_EQ(priced.value().amount_in, Minor("100.00", "BRL"));
  EXPECT_EQ(priced.value().amount_out, Minor("19.35", "USDT"));
  EXPECT_EQ(priced.value().rate.ToString(), "5");
  ASSERT_EQ(priced.value().fees.size(), 2U);
  EXPECT_EQ(priced.value().fees[0].kind, "spread");
  EXPECT_EQ(priced.value().fees[0].amount, Minor("3.00", "BRL"));
  EXPECT_EQ(priced.value().fees[1].kind, "network");
  EXPECT_EQ(priced.value().fees[1].amount, Minor("0.25", "BRL"));
}

TEST(PricingTerms, FeesRoundUpAndTheAmountOutRoundsDown) {
  // 10.01 BRL: total 0.325325 -> 0.33, spread 0.3003 -> 0.31, network the rest 0.02;
  // 9.68 / 5.4321 = 1.782000...
  auto priced = Price(BrlUsdt(), Market("5.40", "5.4321"), A("BRL"), A("USDT"),
                      Minor("10.01", "BRL"), AmountSide::kSpend);
  ASSERT_TRUE(priced.ok());
  EXPECT_EQ(priced.value().fees[0].amount, Minor("0.31", "BRL"));
  EXPECT_EQ(priced.value().fees[1].amount, Minor("0.02", "BRL"));
  EXPECT_EQ(priced.value().amount_out, Minor("1.781999", "USDT"));  // 1.78199959...
}

TEST(PricingTerms, SellingUsdtForBrlGetsTheBid) {
  // 10 USDT: fees 0.3 + 0.025 = 0.325 USDT; 9.675 at 4.90 = 47.4075 -> 47.40 BRL.
  auto priced = Price(UsdtBrl(), Market("4.90", "5.00"), A("USDT"), A("BRL"), Minor("10", "USDT"),
                      AmountSide::kSpend);
  ASSERT_TRUE(priced.ok());
  EXPECT_EQ(priced.value().amount_out, Minor("47.40", "BRL"));
  EXPECT_EQ(priced.value().rate.ToString(), "4.9");
}

TEST(PricingTerms, TheReceiveSideFindsTheLeastAmountIn) {
  const MarketRate market = Market("5.40", "5.4321");
  auto priced =
      Price(BrlUsdt(), market, A("BRL"), A("USDT"), Minor("20", "USDT"), AmountSide::kReceive);
  ASSERT_TRUE(priced.ok());
  EXPECT_EQ(priced.value().amount_out, Minor("20", "USDT"));
  const i128 in = priced.value().amount_in;
  EXPECT_GE(*AmountOut(BrlUsdt(), market.ask, A("BRL"), A("USDT"), in), Minor("20", "USDT"));
  EXPECT_LT(*AmountOut(BrlUsdt(), market.ask, A("BRL"), A("USDT"), in - 1), Minor("20", "USDT"));
}

TEST(PricingTerms, AmountsOutsideThePairsBoundsAreRefused) {
  const MarketRate market = Market("4.90", "5.00");
  for (const char* amount : {"9.99", "50000.01"}) {
    auto priced =
        Price(BrlUsdt(), market, A("BRL"), A("USDT"), Minor(amount, "BRL"), AmountSide::kSpend);
    ASSERT_FALSE(priced.ok()) << amount;
    EXPECT_EQ(priced.error().kind, TradeErrorKind::kAmountOutOfRange);
    EXPECT_EQ(priced.error().field, "amount");
  }
  auto huge =
      Price(BrlUsdt(), market, A("BRL"), A("USDT"), Minor("1000000", "USDT"), AmountSide::kReceive);
  ASSERT_FALSE(huge.ok());
  EXPECT_EQ(huge.error().kind, TradeErrorKind::kAmountOutOfRange);
}

TEST(PricingTerms, PolForBrlConvertsEighteenDecimals) {
  const PairTerms terms{.from = "POL",
                        .to = "BRL",
                        .market = "POL/BRL",
                        .buys_base = false,
                        .min_in = Minor("1", "POL"),
                        .max_in = Minor("100000", "POL")};
  // 100 POL: fees 3.25 POL; 96.75 at 2.5 = 241.875 -> 241.87 BRL.
  auto priced = Price(terms, Market("2.5", "2.6"), A("POL"), A("BRL"), Minor("100", "POL"),
                      AmountSide::kSpend);
  ASSERT_TRUE(priced.ok());
  EXPECT_EQ(priced.value().amount_out, Minor("241.87", "BRL"));
}

// Over random amounts and rates: the desk never gives more than the exact value of the net, never
// takes less in fees than their exact share, and the receive side is minimal.
TEST(PricingTerms, PropertiesHoldOverRandomAmounts) {
  std::mt19937_64 random(20261208);
  const PairTerms terms = BrlUsdt();
  for (int i = 0; i < 2000; ++i) {
    const i128 in = terms.min_in + static_cast<i128>(random() % 4'999'000);
    const Rate ask = Rate::FromUnits(static_cast<u128>(4'000'000'000'000'000'000ULL +
                                                       random() % 3'000'000'000'000'000'000ULL))
                         .value();
    const auto out = AmountOut(terms, ask, A("BRL"), A("USDT"), in);
    ASSERT_TRUE(out.has_value());
    const i128 fees = (in * 325 + 9'999) / 10'000;  // the total, rounded up once
    // out <= (in - fees) / ask, in USDT minor units: out * ask <= (in - fees) * 10^4 * 10^18
    EXPECT_LE(static_cast<u128>(*out) * ask.units(),
              static_cast<u128>(in - fees) * 10'000U * 1'000'000'000'000'000'000ULL);
    const auto next = AmountOut(terms, ask, A("BRL"), A("USDT"), in + 1);
    EXPECT_GE(*next, *out);  // monotone: the receive side's search is sound
  }
}

}  // namespace
}  // namespace cambista::trading
