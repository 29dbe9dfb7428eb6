#include "providers/binance_p2p/binance_p2p_source.hpp"

#include <algorithm>
#include <utility>

#include "payins/provider_json.hpp"

namespace cambista::pricing {
namespace {

constexpr std::string_view kSuccessCode = "000000";
constexpr size_t kCodeCharsMax = 64;
constexpr size_t kPriceCharsMax = 64;

SourceError Malformed(const payins::JsonFieldError& error) {
  return SourceError{SourceError::Kind::kMalformed,
                     (error.field.empty() ? std::string() : error.field + ": ") + error.message};
}

SourceError Malformed(std::string field, std::string_view message) {
  return SourceError{SourceError::Kind::kMalformed, field + ": " + std::string(message)};
}

// The answer's code and success flag: kRefused unless they say it went well.
std::optional<SourceError> Refusal(const payins::JsonObject& root) {
  auto code = root.OptionalString("code", kCodeCharsMax);
  if (!code.ok()) return Malformed(code.error());
  auto success = root.OptionalBool("success");
  if (!success.ok()) return Malformed(success.error());
  if (!code.value() && !success.value()) {
    return SourceError{SourceError::Kind::kMalformed, "neither code nor success"};
  }
  if ((code.value() && *code.value() != kSuccessCode) || (success.value() && !*success.value())) {
    return SourceError{SourceError::Kind::kRefused,
                       "Binance answered code " + code.value().value_or("(none)")};
  }
  return std::nullopt;
}

Result<BinanceAdvert, SourceError> ReadAdvert(const payins::JsonNode& node, std::string path) {
  if (!node.IsObject()) return Failure{Malformed(path, "expected an object")};
  const payins::JsonObject item(node, path);
  auto adv = item.RequiredObject("adv");
  if (!adv.ok()) return Failure{Malformed(adv.error())};
  auto price_text = adv.value().RequiredString("price", kPriceCharsMax);
  if (!price_text.ok()) return Failure{Malformed(price_text.error())};
  auto price = ParseProviderRate(price_text.value());
  if (!price.ok()) return Failure{Malformed(adv.value().FieldPath("price"), price.error())};
  const payins::JsonNode* privilege = node.Find("privilegeType");
  return BinanceAdvert{price.value(), privilege != nullptr && !privilege->IsNull()};
}

std::string_view TradeType(BinanceSide side) {
  return side == BinanceSide::kBuy ? "BUY" : "SELL";
}

SourceError HttpFailure(int status) {
  const std::string text = "HTTP " + std::to_string(status);
  if (status == 418 || status == 429) {
    return SourceError{SourceError::Kind::kRefused, text + ": rate limited"};
  }
  return SourceError{status >= 500 ? SourceError::Kind::kUnavailable : SourceError::Kind::kRefused,
                     text};
}

}  // namespace

std::string BinanceSearchBody(const Pair& pair, BinanceSide side, int64_t rows) {
  return "{\"asset\":\"" + pair.base + "\",\"fiat\":\"" + pair.quote + "\",\"tradeType\":\"" +
         std::string(TradeType(side)) + "\",\"page\":1,\"rows\":" + std::to_string(rows) +
         ",\"payTypes\":[],\"publisherType\":null}";
}

Result<std::vector<BinanceAdvert>, SourceError> ParseBinanceAdverts(std::string_view body) {
  auto document = payins::JsonDocument::Parse(body);
  if (!document.ok()) return Failure{Malformed(document.error())};
  auto root = document.value().RootObject();
  if (!root.ok()) return Failure{Malformed(root.error())};
  if (auto refusal = Refusal(root.value())) return Failure{*refusal};
  const payins::JsonNode* data = root.value().node().Find("data");
  if (data == nullptr || !data->IsArray()) return Failure{Malformed("data", "expected an array")};
  if (data->size() > kBinanceAdvertsMax) {
    return Failure{Malformed("data", "more adverts than a search page holds")};
  }
  std::vector<BinanceAdvert> adverts;
  for (size_t i = 0; i < data->size(); ++i) {
    auto advert = ReadAdvert(data->child(i), "data[" + std::to_string(i) + "]");
    if (!advert.ok()) return Failure{advert.error()};
    adverts.push_back(advert.value());
  }
  return adverts;
}

Result<Rate, SourceError> BinanceSidePrice(std::vector<BinanceAdvert> adverts, BinanceSide side,
                                           size_t min_adverts, size_t top_n) {
  std::vector<Rate> prices;
  for (const BinanceAdvert& advert : adverts) {
    if (!advert.promoted) prices.push_back(advert.price);
  }
  if (prices.empty()) {
    return Failure{SourceError{SourceError::Kind::kTooFewQuotes, "no advert that is not promoted"}};
  }
  const Rate median = MedianOf(prices);
  std::erase_if(prices, [&](const Rate& price) {
    return !WithinBand(price, median, kBinanceOutlierBandBps);
  });
  const size_t needed = std::max<size_t>(min_adverts, 1);
  if (prices.size() < needed) {
    return Failure{SourceError{SourceError::Kind::kTooFewQuotes,
                               std::to_string(prices.size()) + " adverts left after the filters, " +
                                   std::to_string(needed) + " needed"}};
  }
  std::sort(prices.begin(), prices.end(), [side](const Rate& a, const Rate& b) {
    return side == BinanceSide::kBuy ? a.units() < b.units() : a.units() > b.units();
  });
  const size_t best = std::min(prices.size(), std::max<size_t>(top_n, 1));
  prices.erase(prices.begin() + static_cast<std::ptrdiff_t>(best), prices.end());
  return MedianOf(prices);
}

Result<Rate, SourceError> BinanceP2pSource::Side(const Pair& pair, BinanceSide side) const {
  net::ClientRequest request;
  request.method = "POST";
  request.url = options_.base_url() + std::string(kBinanceSearchPath);
  request.headers = {{"Content-Type", "application/json"}};
  request.body = BinanceSearchBody(pair, side);
  request.timeout_ms = options_.timeout_ms;
  auto response = options_.http->Send(request);
  if (!response.ok()) {
    return Failure{SourceError{SourceError::Kind::kUnavailable, response.error().message}};
  }
  if (response.value().status != 200) return Failure{HttpFailure(response.value().status)};
  auto adverts = ParseBinanceAdverts(response.value().body);
  if (!adverts.ok()) return Failure{adverts.error()};
  auto price =
      BinanceSidePrice(std::move(adverts).value(), side, options_.min_adverts, options_.top_n);
  if (!price.ok()) {
    return Failure{SourceError{price.error().kind,
                               std::string(TradeType(side)) + ": " + price.error().message}};
  }
  return price.value();
}

Result<RateQuote, SourceError> BinanceP2pSource::Fetch(const Pair& pair) {
  auto ask = Side(pair, BinanceSide::kBuy);
  if (!ask.ok()) return Failure{ask.error()};
  auto bid = Side(pair, BinanceSide::kSell);
  if (!bid.ok()) return Failure{bid.error()};
  if (ask.value().units() <= bid.value().units()) {
    return Failure{SourceError{
        SourceError::Kind::kCrossed,
        "ask " + ask.value().ToString() + " is not above bid " + bid.value().ToString()}};
  }
  return RateQuote{bid.value(), ask.value(), options_.clock->NowMs()};
}

}  // namespace cambista::pricing
