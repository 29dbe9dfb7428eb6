// How a quote is priced, without I/O: the terms the desk set for a pair, the market's reference
// price, and the amount the customer fixed.
//
// A pair "FROM->TO" is priced on a reference market "BASE/QUOTE" (bid and ask in QUOTE per one
// BASE). Buying the base (BRL->USDT on USDT/BRL) the customer pays the ask; selling it (USDT->BRL,
// POL->BRL) it gets the bid. The desk's fees are charged in the asset the customer pays with, each
// a number of basis points of amount_in: the spread (seed 002: 300) and the network fee (25).
//
// Rounding, toward the desk and never paying more than is owed:
//   - the fees' total (spread + network, in basis points of amount_in) rounds up (Rounding::kUp)
//     to a whole minor unit of the paid asset, once: rounding each fee up on its own would let
//     one more unit paid buy less; the spread rounds up and the network fee is the rest;
//   - amount_out = (amount_in - fees) converted at the reference price, rounded down;
//   - when the customer fixes what it receives (amount_side "receive"), amount_in is the least
//     amount whose amount_out reaches it, and amount_out is exactly what was asked (the fraction
//     of a minor unit that least amount buys beyond it stays with the desk).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/amount.hpp"
#include "core/result.hpp"
#include "trading/model.hpp"

namespace cambista::trading {

struct PairTerms {
  std::string from;       // "BRL"
  std::string to;         // "USDT"
  std::string market;     // "USDT/BRL": the reference rate's pair
  bool buys_base = true;  // the customer receives the market's base (pays at the ask)
  int64_t spread_bps = 300;
  int64_t network_fee_bps = 25;
  i128 min_in = 0;  // minor units of `from`
  i128 max_in = 0;
  bool pays_on_chain = false;  // the customer pays in crypto: needs deposits on chain (not yet)
};

// A market's reference price as the pricing module gives it.
struct MarketRate {
  Rate bid;
  Rate ask;
  std::string source;
  int64_t observed_at_ms = 0;
};

struct Priced {
  i128 amount_in = 0;
  i128 amount_out = 0;
  std::vector<Fee> fees;
  Rate rate;  // the side of the market used: ask when buying the base, bid when selling it
};

inline constexpr int64_t kBasisPoints = 10'000;

// Prices `amount` (minor units of `from` when side is kSpend, of `to` when kReceive). Errors:
// kAmountOutOfRange (outside min_in..max_in, or too small to buy anything), kInvalidRequest (the
// terms and assets disagree, a rate that overflows).
Result<Priced, TradeError> Price(const PairTerms& terms, const MarketRate& market,
                                 const Asset& from, const Asset& to, i128 amount, AmountSide side);

// `amount` of `from` (a market's quote currency) divided by `rate` into `to` (its base), rounded
// down: to_minor = amount_minor * 10^(18 + to.scale - from.scale) / rate.units. nullopt on
// overflow.
std::optional<i128> DivideByRate(const Rate& rate, const Asset& from, const Asset& to, i128 amount);

// What amount_in buys: the fees, then the net converted (rounded down). nullopt on overflow.
std::optional<i128> AmountOut(const PairTerms& terms, const Rate& rate, const Asset& from,
                              const Asset& to, i128 amount_in);

}  // namespace cambista::trading
