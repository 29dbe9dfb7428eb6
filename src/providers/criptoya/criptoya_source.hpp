// CriptoYa as a rate source (pricing::RateSource), a second, independent voice beside Binance P2P
// (PROVIDERS.md, "Reference rates beyond Binance P2P"):
//
//   GET /api/{coin}/{fiat}/{volume}      e.g. /api/usdt/brl/100 (lower case)
//   -> {"binancep2p":{"ask":5.457,"totalAsk":5.457,"bid":5.402,"totalBid":5.402,"time":1700000000},
//       "bybitp2p":{...}, ...}
//
// one member per exchange: its ask and bid for `volume` units of the coin (JSON numbers, read from
// their text, never through a double), the same with fees (totalAsk, totalBid: not used) and when
// CriptoYa saw them (`time`, Unix seconds). An exchange with no offers says 0. The source's value:
// over the exchanges with both prices, ask above bid, and a `time` within `fresh_ms` of now, the
// median bid and the median ask, when at least `min_exchanges` are left; observed at the oldest
// of their times.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.hpp"
#include "net/http_client.hpp"
#include "pricing/rate_source.hpp"

namespace cambista::pricing {

struct CriptoyaQuote {
  std::string exchange;
  std::optional<Rate> bid;  // nothing: the exchange said 0 (no offers)
  std::optional<Rate> ask;
  int64_t time_s = 0;
};

inline constexpr size_t kCriptoyaExchangesMax = 200;

// The exchanges of an answer, in its order. kMalformed, naming the field, for anything not in the
// documented shape (a member that is not an object, ask/bid/time missing or not numbers, a negative
// or unreadable price, a time that is not a whole number); kRefused for an {"error": ...} answer.
// Never throws, whatever the bytes.
Result<std::vector<CriptoyaQuote>, SourceError> ParseCriptoyaQuotes(std::string_view body);
// The source's value from the exchanges (rules above).
Result<RateQuote, SourceError> CriptoyaReference(const std::vector<CriptoyaQuote>& quotes,
                                                 int64_t now_ms, int64_t fresh_ms,
                                                 size_t min_exchanges);
// "/api/usdt/brl/100".
std::string CriptoyaPath(const Pair& pair, std::string_view volume);

struct CriptoyaOptions {
  const net::HttpClient* http = nullptr;
  const Clock* clock = nullptr;
  std::function<std::string()> base_url;  // "https://criptoya.com", or the simulator's
  int64_t timeout_ms = 10'000;
  std::string volume = "100";  // units of the coin the prices are for
  int64_t fresh_ms = 120'000;  // an exchange's time older than this is left out
  size_t min_exchanges = 2;
};

class CriptoyaSource final : public RateSource {
 public:
  static constexpr std::string_view kName = "criptoya";
  explicit CriptoyaSource(CriptoyaOptions options) : options_(std::move(options)) {}

  std::string_view name() const override { return kName; }
  Result<RateQuote, SourceError> Fetch(const Pair& pair) override;

 private:
  const CriptoyaOptions options_;
};

}  // namespace cambista::pricing
