// The pricing module's model: currency pairs, one source's bid and ask, and the exact arithmetic
// the reference rates are made with (mid, median, the band a source must stay within).
//
// A pair is "BASE/QUOTE", e.g. "USDT/BRL": the price of one unit of BASE in QUOTE, in major units
// ("5.43" reais per tether). In URL paths it is written "USDT-BRL" and in configuration keys
// "USDT_BRL" (a key may hold neither '/' nor, in an environment variable, '-'): ParsePair reads all
// three. Rates are core/amount.hpp's Rate (18 fraction digits, exact); nothing here is ever a
// float.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/amount.hpp"
#include "core/int128.hpp"
#include "core/result.hpp"

namespace cambista::pricing {

struct Pair {
  std::string base;   // "USDT"
  std::string quote;  // "BRL"

  std::string Text() const { return base + "/" + quote; }      // "USDT/BRL"
  std::string PathText() const { return base + "-" + quote; }  // "USDT-BRL"
  std::string KeyText() const { return base + "_" + quote; }   // "USDT_BRL"
  friend bool operator==(const Pair&, const Pair&) = default;
};

// "USDT/BRL", "USDT-BRL" or "USDT_BRL": two asset codes ([A-Z0-9]{2,10}, upper case, different
// from each other) around one separator. Nothing for anything else.
std::optional<Pair> ParsePair(std::string_view text);

// The largest rate a source may report: 10^12 quote units per base unit. Far above any real price
// (a bitcoin in bolívares is about 10^7), it keeps the band arithmetic below inside 128 bits and
// turns a provider's garbage into a refusal rather than a price.
inline constexpr u128 kRateUnitsMax =
    static_cast<u128>(1'000'000'000'000'000'000ULL) * 1'000'000'000'000ULL;  // 10^18 × 10^12

// One source's answer for one pair, and when the source observed it. A valid quote has ask > bid.
struct RateQuote {
  Rate bid;  // what the market pays for one BASE (we could sell at it)
  Rate ask;  // what the market asks for one BASE (we could buy at it)
  int64_t observed_at_ms = 0;
};

// Why a source gave no quote. The numbers are stable (metrics and logs use the names).
struct SourceError {
  enum class Kind : uint8_t {
    kUnavailable = 1,   // no answer: transport failure, timeout, 5xx, the feed is stopped
    kRefused = 2,       // an answer that says no (4xx, an error code in the body)
    kMalformed = 3,     // an answer we cannot read (not the documented shape)
    kTooFewQuotes = 4,  // readable, but too little left to make a price from (adverts, exchanges)
    kCrossed = 5,       // ask not above bid
    kUnknownPair = 6,   // the source has no price for the pair
  };
  Kind kind = Kind::kUnavailable;
  std::string message;  // for logs and the status; never a secret
};

std::string_view SourceErrorName(SourceError::Kind kind);  // "unavailable", "too_few_quotes", ...

// A price from a provider's text (a JSON number's text or a string's value): a positive decimal,
// no sign, no exponent, at most kRateUnitsMax. Digits past the 18th fraction digit are dropped
// (rounded down): they are a binary float's noise in the provider's output, 10^-18 of a unit. On
// failure, a sentence without the value.
Result<Rate, std::string> ParseProviderRate(std::string_view text);

// (bid + ask) / 2 on Rate units, exactly, a half unit rounded down.
Rate MidOf(const Rate& bid, const Rate& ask);
// The median: the middle value, or for an even count the mean of the two middle ones (a half
// unit rounded down). `rates` must not be empty (CAMBISTA_CHECK).
Rate MedianOf(std::vector<Rate> rates);
// |value - center| <= center × band_bps / 10'000, exactly. False for a rate above kRateUnitsMax
// or a band outside 0..10'000.
bool WithinBand(const Rate& value, const Rate& center, int64_t band_bps);

}  // namespace cambista::pricing
