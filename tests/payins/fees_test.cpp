// Gateway fee schedules: the grammar operators write them in, and the fee of a payment, rounded up
// to the minor unit and never more than the payment.
#include "payins/fees.hpp"

#include <gtest/gtest.h>

namespace cambista::payins {
namespace {

TEST(FeesTest, BuhoPagosDefaultIsFivePercentPlusSixteenPercentTax) {
  const FeeSchedule buhopago = DefaultFeeSchedule("buhopago");
  // 5% of 150.00 = 7.50; 16% of 7.50 = 1.20: 8.70.
  EXPECT_EQ(FeeFor(buhopago, 15000), 870);
  // 5% of 0.07 = 0.0035 -> 0.01 (up); 16% of 0.01 = 0.0016 -> 0.01 (up): 0.02.
  EXPECT_EQ(FeeFor(buhopago, 7), 2);
  EXPECT_EQ(FeeFor(DefaultFeeSchedule("syncpay"), 15000), 0);
}

TEST(FeesTest, AFeeNeverExceedsThePaymentNorGoesBelowZero) {
  const FeeSchedule fixed{0, 50, 0};  // 0.50 a payment
  EXPECT_EQ(FeeFor(fixed, 30), 30);
  EXPECT_EQ(FeeFor(fixed, 0), 0);
  EXPECT_EQ(FeeFor(fixed, -100), 0);
  const FeeSchedule everything{1'000'000, 0, 1'000'000};  // 100% + 100% tax
  EXPECT_EQ(FeeFor(everything, 1000), 1000);
}

TEST(FeesTest, RatesAreExactToTheMillionth) {
  const FeeSchedule rate{9'900, 0, 0};  // 0.99%
  EXPECT_EQ(FeeFor(rate, 10000), 99);   // exactly 0.99
  EXPECT_EQ(FeeFor(rate, 10001), 100);  // 0.990099 -> 1.00 (up)
  // Amounts far beyond any payment do not overflow: 0.99% of 10^30 is exactly 9900 x 10^24.
  i128 huge = 1;
  for (int i = 0; i < 30; ++i) huge *= 10;
  EXPECT_EQ(FeeFor(rate, huge), huge / 1'000'000 * 9'900);
}

TEST(FeesTest, ParsesWhatOperatorsWrite) {
  auto buhopago = ParseFeeSchedule("5% + 16% tax", 2);
  ASSERT_TRUE(buhopago.ok()) << buhopago.error();
  EXPECT_EQ(buhopago.value().rate_ppm, 50'000);
  EXPECT_EQ(buhopago.value().fixed_minor, 0);
  EXPECT_EQ(buhopago.value().tax_ppm, 160'000);
  auto mixed = ParseFeeSchedule(" 0.99%+0.50 + 5% tax ", 2);
  ASSERT_TRUE(mixed.ok()) << mixed.error();
  EXPECT_EQ(mixed.value().rate_ppm, 9'900);
  EXPECT_EQ(mixed.value().fixed_minor, 50);
  EXPECT_EQ(mixed.value().tax_ppm, 50'000);
  auto none = ParseFeeSchedule("0%", 2);
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(FeeFor(none.value(), 12345), 0);
}

TEST(FeesTest, RefusesWhatIsNotASchedule) {
  for (const char* text : {"", "5", "5 %x", "-1%", "101%", "5% + 16%", "5% + -0.50", "5% + 0.001",
                           "5% + 1% tax + 0.50", "5% + 1% tax + 2% tax", "5% + 0.50 + 0.50",
                           "5% + 1 + 2 + 3", "abc%"}) {
    auto parsed = ParseFeeSchedule(text, 2);
    EXPECT_FALSE(parsed.ok()) << "\"" << text << "\" was accepted";
    if (!parsed.ok()) {
      EXPECT_NE(parsed.error().find("5% + 16% tax"), std::string::npos);
    }
  }
}

}  // namespace
}  // namespace cambista::payins
