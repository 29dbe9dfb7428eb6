#include "providers/criptoya/criptoya_source.hpp"

#include <algorithm>
#include <utility>

#include "payins/provider_json.hpp"

namespace cambista::pricing {
namespace {

constexpr int64_t kTimeSecondsMax = 100'000'000'000;  // year 5138: past it, not a time
constexpr int64_t kFutureSkewMs = 60'000;

SourceError Malformed(const std::string& field, std::string_view message) {
  return SourceError{SourceError::Kind::kMalformed,
                     (field.empty() ? std::string() : field + ": ") + std::string(message)};
}

bool IsZero(std::string_view text) {
  return !text.empty() && text.find_first_not_of("0.") == std::string_view::npos &&
         text.front() != '.' && text.back() != '.';
}

// A price member: a JSON number, 0 meaning "no offers".
Result<std::optional<Rate>, SourceError> ReadPrice(const payins::JsonObject& exchange,
                                                   std::string_view key) {
  const std::string field = exchange.FieldPath(key);
  const payins::JsonNode* node = exchange.node().Find(key);
  if (node == nullptr || !node->IsNumber()) return Failure{Malformed(field, "expected a number")};
  if (IsZero(node->text())) return std::optional<Rate>();
  auto rate = ParseProviderRate(node->text());
  if (!rate.ok()) return Failure{Malformed(field, rate.error())};
  return std::optional<Rate>(rate.value());
}

Result<CriptoyaQuote, SourceError> ReadExchange(const payins::JsonNode& node,
                                                std::string_view name) {
  const std::string path(name);
  if (!node.IsObject()) return Failure{Malformed(path, "expected an object")};
  const payins::JsonObject exchange(node, path);
  auto ask = ReadPrice(exchange, "ask");
  if (!ask.ok()) return Failure{ask.error()};
  auto bid = ReadPrice(exchange, "bid");
  if (!bid.ok()) return Failure{bid.error()};
  auto time = exchange.RequiredInteger("time");
  if (!time.ok()) return Failure{Malformed(time.error().field, time.error().message)};
  if (time.value() < 0 || time.value() > kTimeSecondsMax) {
    return Failure{Malformed(exchange.FieldPath("time"), "expected Unix seconds")};
  }
  return CriptoyaQuote{path, bid.value(), ask.value(), time.value()};
}

std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return out;
}

}  // namespace

Result<std::vector<CriptoyaQuote>, SourceError> ParseCriptoyaQuotes(std::string_view body) {
  auto document = payins::JsonDocument::Parse(body);
  if (!document.ok()) return Failure{Malformed(document.error().field, document.error().message)};
  const payins::JsonNode& root = document.value().root();
  if (!root.IsObject()) return Failure{Malformed("", "expected an object")};
  if (root.Find("error") != nullptr) {
    return Failure{SourceError{SourceError::Kind::kRefused, "CriptoYa answered an error"}};
  }
  if (root.size() > kCriptoyaExchangesMax) {
    return Failure{Malformed("", "more exchanges than CriptoYa lists")};
  }
  std::vector<CriptoyaQuote> quotes;
  for (size_t i = 0; i < root.size(); ++i) {
    auto quote = ReadExchange(root.child(i), root.key(i));
    if (!quote.ok()) return Failure{quote.error()};
    quotes.push_back(std::move(quote).value());
  }
  return quotes;
}

Result<RateQuote, SourceError> CriptoyaReference(const std::vector<CriptoyaQuote>& quotes,
                                                 int64_t now_ms, int64_t fresh_ms,
                                                 size_t min_exchanges) {
  std::vector<Rate> bids;
  std::vector<Rate> asks;
  int64_t oldest_ms = now_ms;
  for (const CriptoyaQuote& quote : quotes) {
    const int64_t time_ms = quote.time_s * 1'000;
    const bool fresh = time_ms >= now_ms - fresh_ms && time_ms <= now_ms + kFutureSkewMs;
    if (!fresh || !quote.bid || !quote.ask || quote.ask->units() <= quote.bid->units()) continue;
    bids.push_back(*quote.bid);
    asks.push_back(*quote.ask);
    oldest_ms = std::min(oldest_ms, time_ms);
  }
  const size_t needed = std::max<size_t>(min_exchanges, 1);
  if (bids.size() < needed) {
    return Failure{SourceError{SourceError::Kind::kTooFewQuotes,
                               std::to_string(bids.size()) + " fresh exchanges with offers, " +
                                   std::to_string(needed) + " needed"}};
  }
  const Rate bid = MedianOf(bids);
  const Rate ask = MedianOf(asks);
  if (ask.units() <= bid.units()) {
    return Failure{
        SourceError{SourceError::Kind::kCrossed, "the median ask is not above the median bid"}};
  }
  return RateQuote{bid, ask, oldest_ms};
}

std::string CriptoyaPath(const Pair& pair, std::string_view volume) {
  return "/api/" + Lower(pair.base) + "/" + Lower(pair.quote) + "/" + std::string(volume);
}

Result<RateQuote, SourceError> CriptoyaSource::Fetch(const Pair& pair) {
  net::ClientRequest request;
  request.method = "GET";
  request.url = options_.base_url() + CriptoyaPath(pair, options_.volume);
  request.timeout_ms = options_.timeout_ms;
  auto response = options_.http->Send(request);
  if (!response.ok()) {
    return Failure{SourceError{SourceError::Kind::kUnavailable, response.error().message}};
  }
  const int status = response.value().status;
  if (status != 200) {
    const std::string text = "HTTP " + std::to_string(status);
    if (status == 404) return Failure{SourceError{SourceError::Kind::kUnknownPair, text}};
    return Failure{SourceError{
        status >= 500 ? SourceError::Kind::kUnavailable : SourceError::Kind::kRefused, text}};
  }
  auto quotes = ParseCriptoyaQuotes(response.value().body);
  if (!quotes.ok()) return Failure{quotes.error()};
  return CriptoyaReference(quotes.value(), options_.clock->NowMs(), options_.fresh_ms,
                           options_.min_exchanges);
}

}  // namespace cambista::pricing
