#include "trading/pricing_terms.hpp"

namespace cambista::trading {
namespace {

std::optional<i128> FeeOf(const Asset& from, i128 amount_in, int64_t bps) {
  auto fee = MulDiv(Amount(amount_in, from), bps, kBasisPoints, Rounding::kUp);
  if (!fee.ok()) return std::nullopt;
  return fee.value().minor();
}

// 10^exponent, for 0 <= exponent <= 38.
i128 PowerOfTen(int exponent) {
  i128 value = 1;
  for (int i = 0; i < exponent; ++i) value *= 10;
  return value;
}

TradeError OutOfRange(const PairTerms& terms, const Asset& from) {
  return TradeError(TradeErrorKind::kAmountOutOfRange,
                    "A " + terms.from + "->" + terms.to + " trade pays from " +
                        Amount(terms.min_in, from).ToString() + " to " +
                        Amount(terms.max_in, from).ToString() + " " + terms.from + ".",
                    "amount");
}

// The least amount_in in [1, max_in] whose amount_out reaches `target` (AmountOut never decreases
// as amount_in grows: each fee grows by at most one unit when amount_in does).
std::optional<i128> LeastAmountIn(const PairTerms& terms, const Rate& rate, const Asset& from,
                                  const Asset& to, i128 target) {
  const auto reaches = [&](i128 in) {
    const auto out = AmountOut(terms, rate, from, to, in);
    return out && *out >= target;
  };
  if (terms.max_in < 1 || !reaches(terms.max_in)) return std::nullopt;
  i128 low = 1;
  i128 high = terms.max_in;
  while (low < high) {
    const i128 middle = low + (high - low) / 2;
    if (reaches(middle)) {
      high = middle;
    } else {
      low = middle + 1;
    }
  }
  return low;
}

}  // namespace

std::optional<i128> DivideByRate(const Rate& rate, const Asset& from, const Asset& to,
                                 i128 amount) {
  const int exponent = 18 + to.scale() - from.scale();
  if (exponent < 0 || exponent > 38 || rate.units() > static_cast<u128>(kI128Max)) {
    return std::nullopt;
  }
  auto out = MulDiv(Amount(amount, to), PowerOfTen(exponent), static_cast<i128>(rate.units()),
                    Rounding::kDown);
  if (!out.ok()) return std::nullopt;
  return out.value().minor();
}

std::optional<i128> AmountOut(const PairTerms& terms, const Rate& rate, const Asset& from,
                              const Asset& to, i128 amount_in) {
  const auto fees = FeeOf(from, amount_in, terms.spread_bps + terms.network_fee_bps);
  if (!fees) return std::nullopt;
  const i128 net = amount_in - *fees;
  if (net <= 0) return i128{0};
  if (terms.buys_base) return DivideByRate(rate, from, to, net);
  auto out = Convert(Amount(net, from), to, rate, Rounding::kDown);
  if (!out.ok()) return std::nullopt;
  return out.value().minor();
}

Result<Priced, TradeError> Price(const PairTerms& terms, const MarketRate& market,
                                 const Asset& from, const Asset& to, i128 amount, AmountSide side) {
  Priced priced{.amount_in = 0,
                .amount_out = 0,
                .fees = {},
                .rate = terms.buys_base ? market.ask : market.bid};
  if (side == AmountSide::kSpend) {
    priced.amount_in = amount;
  } else {
    const auto least = LeastAmountIn(terms, priced.rate, from, to, amount);
    if (!least) return Failure(OutOfRange(terms, from));
    priced.amount_in = *least;
  }
  if (priced.amount_in < terms.min_in || priced.amount_in > terms.max_in) {
    return Failure(OutOfRange(terms, from));
  }
  const auto out = AmountOut(terms, priced.rate, from, to, priced.amount_in);
  if (!out) {
    return Failure(
        TradeError(TradeErrorKind::kInvalidRequest, "The amount cannot be priced.", "amount"));
  }
  if (*out <= 0) return Failure(OutOfRange(terms, from));
  priced.amount_out = side == AmountSide::kSpend ? *out : amount;
  // The total rounds up once (so amount_out never falls as amount_in grows); the spread rounds up
  // and the network fee is the rest.
  const i128 total = *FeeOf(from, priced.amount_in, terms.spread_bps + terms.network_fee_bps);
  const i128 spread = std::min(total, *FeeOf(from, priced.amount_in, terms.spread_bps));
  priced.fees = {{"spread", terms.from, spread}, {"network", terms.from, total - spread}};
  return priced;
}

}  // namespace cambista::trading
