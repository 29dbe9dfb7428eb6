// Binance P2P as a rate source (pricing::RateSource), as PROVIDERS.md ("Rates") documents it:
//
//   POST /bapi/c2c/v2/friendly/c2c/adv/search
//        {"asset":"USDT","fiat":"BRL","tradeType":"BUY","page":1,"rows":20,"payTypes":[],
//         "publisherType":null}
//   -> {"code":"000000","message":null,"data":[{"adv":{"price":"5.457",...},
//       "advertiser":{...},"privilegeType":null}, ...],"total":..,"success":true}
//
// `tradeType` is the searcher's side: BUY lists the sellers' adverts (asks, cheapest first), SELL
// the buyers' (bids, dearest first). The robust reference of one side: promoted adverts
// (privilegeType not null) are dropped, then adverts more than 15% from the median of the rest,
// then at least `min_adverts` must be left, and the side's price is the median of the best
// `top_n`. ask from BUY, bid from SELL; ask must exceed bid. Prices are decimal strings, read
// exactly. Binance asks for no more than about one search per minute: MinIntervalMs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.hpp"
#include "net/http_client.hpp"
#include "pricing/rate_source.hpp"

namespace cambista::pricing {

enum class BinanceSide : uint8_t { kBuy, kSell };  // the searcher's tradeType

struct BinanceAdvert {
  Rate price;
  bool promoted = false;
};

inline constexpr std::string_view kBinanceSearchPath = "/bapi/c2c/v2/friendly/c2c/adv/search";
inline constexpr int64_t kBinanceRowsMax = 20;            // what one search page holds at most
inline constexpr int64_t kBinanceOutlierBandBps = 1'500;  // 15% from the median
inline constexpr size_t kBinanceAdvertsMax = 200;  // a page longer than this is not Binance's

// The search request's JSON body.
std::string BinanceSearchBody(const Pair& pair, BinanceSide side, int64_t rows = kBinanceRowsMax);
// A search answer's adverts, in the order given. kRefused for an answer whose code is not
// "000000" (or success false); kMalformed, naming the field, for anything not in the documented
// shape. Never throws, whatever the bytes.
Result<std::vector<BinanceAdvert>, SourceError> ParseBinanceAdverts(std::string_view body);
// One side's robust price from its adverts (rules above); kTooFewQuotes when too few are left.
Result<Rate, SourceError> BinanceSidePrice(std::vector<BinanceAdvert> adverts, BinanceSide side,
                                           size_t min_adverts, size_t top_n);

struct BinanceP2pOptions {
  const net::HttpClient* http = nullptr;
  const Clock* clock = nullptr;
  // The API root, "https://p2p.binance.com", or the simulator's (known once the server listens).
  std::function<std::string()> base_url;
  int64_t timeout_ms = 10'000;
  size_t min_adverts = 8;
  size_t top_n = 5;
  int64_t min_interval_ms = 55'000;  // "about once a minute", with slack for the poll's jitter
};

class BinanceP2pSource final : public RateSource {
 public:
  static constexpr std::string_view kName = "binance_p2p";
  explicit BinanceP2pSource(BinanceP2pOptions options) : options_(std::move(options)) {}

  std::string_view name() const override { return kName; }
  int64_t MinIntervalMs() const override { return options_.min_interval_ms; }
  Result<RateQuote, SourceError> Fetch(const Pair& pair) override;

 private:
  Result<Rate, SourceError> Side(const Pair& pair, BinanceSide side) const;

  const BinanceP2pOptions options_;
};

}  // namespace cambista::pricing
