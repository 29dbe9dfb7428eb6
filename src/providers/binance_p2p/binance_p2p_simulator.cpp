#include "providers/binance_p2p/binance_p2p_simulator.hpp"

#include <algorithm>
#include <string>
#include <vector>

#include "http/json_schema.hpp"
#include "http/problem.hpp"
#include "providers/binance_p2p/binance_p2p_source.hpp"
#include "providers/simulator_kit/gateway_simulator.hpp"

namespace cambista::sandbox {
namespace {

constexpr std::string_view kPrefix = "/sandbox/binance_p2p";
constexpr int kOrdinaryFirstStep = -2;  // the best ordinary advert: two steps better than P
constexpr int kOrdinaryLastStep = 14;
constexpr int64_t kPageMax = 1'000;

struct Generated {
  Rate price;
  bool promoted;
};

// The adverts of one side around `price` (see the header), in Binance's order.
std::vector<Generated> Adverts(const SimulatedRateBook::Price& price, pricing::BinanceSide side) {
  const bool buy = side == pricing::BinanceSide::kBuy;
  const Rate& center = buy ? price.ask : price.bid;
  const u128 step = SimulatedStep(price);
  const int worse = buy ? 1 : -1;  // asks get worse upwards, bids downwards
  std::vector<Generated> adverts;
  for (int k = kOrdinaryFirstStep; k <= kOrdinaryLastStep; ++k) {
    if (auto moved = Stepped(center, step, worse * k)) adverts.push_back({*moved, false});
  }
  for (int k : {3, 4}) {
    if (auto moved = Stepped(center, step, -worse * k)) adverts.push_back({*moved, true});
  }
  const u128 outlier = buy ? center.units() / 2 : center.units() * 2;
  if (outlier > 0 && outlier <= pricing::kRateUnitsMax) {
    adverts.push_back({Rate::FromUnits(outlier).value(), false});
  }
  std::sort(adverts.begin(), adverts.end(), [buy](const Generated& a, const Generated& b) {
    return buy ? a.price.units() < b.price.units() : a.price.units() > b.price.units();
  });
  return adverts;
}

std::string AdvertJson(const pricing::Pair& pair, pricing::BinanceSide side, size_t index,
                       const Generated& advert) {
  // The advertiser's side is the opposite of the searcher's.
  const std::string trade_type = side == pricing::BinanceSide::kBuy ? "SELL" : "BUY";
  const std::string number = std::to_string(index + 1);
  return "{\"adv\":{\"advNo\":\"sandbox-" + pair.PathText() + "-" + trade_type + "-" + number +
         "\",\"tradeType\":\"" + trade_type + "\",\"asset\":\"" + pair.base + "\",\"fiatUnit\":\"" +
         pair.quote + "\",\"price\":\"" + advert.price.ToString() +
         "\",\"tradableQuantity\":\"1500.00\",\"minSingleTransAmount\":\"50.00\","
         "\"maxSingleTransAmount\":\"20000.00\"},\"advertiser\":{\"nickName\":\"sandbox-" +
         number + "\",\"monthOrderCount\":" + std::to_string(100 + index) +
         ",\"monthFinishRate\":0.98},\"privilegeDesc\":" +
         (advert.promoted ? "\"Promoted\"" : "null") +
         ",\"privilegeType\":" + (advert.promoted ? "1" : "null") + "}";
}

http::HttpResponse Answer(const std::string& data, size_t total) {
  return JsonResponse(200,
                      "{\"code\":\"000000\",\"message\":null,\"messageDetail\":null,"
                      "\"data\":[" +
                          data + "],\"total\":" + std::to_string(total) + ",\"success\":true}");
}

http::HttpResponse IllegalParameter(std::string_view message) {
  return JsonResponse(200, "{\"code\":\"000002\",\"message\":" + http::JsonString(message) +
                               ",\"messageDetail\":null,\"data\":null,\"total\":0,"
                               "\"success\":false}");
}

std::string SearchAnswerSchema() {
  using namespace http::schema;
  const std::string advert = Object({{"adv", Object({{"advNo", String()},
                                                     {"tradeType", Enum({"BUY", "SELL"})},
                                                     {"asset", String()},
                                                     {"fiatUnit", String()},
                                                     {"price", Decimal()},
                                                     {"tradableQuantity", Decimal()},
                                                     {"minSingleTransAmount", Decimal()},
                                                     {"maxSingleTransAmount", Decimal()}})},
                                     {"advertiser", Object({{"nickName", String()},
                                                            {"monthOrderCount", Integer()},
                                                            {"monthFinishRate", Number()}})},
                                     {"privilegeDesc", Nullable(String())},
                                     {"privilegeType", Nullable(Integer())}});
  return Object({{"code", Described(String(), "000000: success.")},
                 {"message", Nullable(String())},
                 {"messageDetail", Nullable(String())},
                 {"data", Nullable(ArrayOf(advert))},
                 {"total", Integer()},
                 {"success", Boolean()}});
}

}  // namespace

http::HttpResponse BinanceP2pSimulator::Search(const http::HttpRequest& request) const {
  if (book_.failing()) {
    return JsonResponse(503, "{\"code\":\"000001\",\"message\":\"Service unavailable\"}");
  }
  auto document = ParseObjectBody(request.body);
  if (!document.ok()) return IllegalParameter(document.error());
  const payins::JsonObject body(document.value().root(), "");
  auto asset = body.RequiredString("asset", 16);
  auto fiat = body.RequiredString("fiat", 16);
  auto trade_type = body.RequiredString("tradeType", 8);
  auto page = body.OptionalInteger("page");
  auto rows = body.OptionalInteger("rows");
  if (!asset.ok() || !fiat.ok() || !trade_type.ok() || !page.ok() || !rows.ok() ||
      (trade_type.value() != "BUY" && trade_type.value() != "SELL")) {
    return IllegalParameter("asset, fiat and tradeType (BUY or SELL) are required");
  }
  const int64_t page_number = page.value().value_or(1);
  const int64_t page_rows = rows.value().value_or(10);
  if (page_number < 1 || page_number > kPageMax || page_rows < 1 ||
      page_rows > pricing::kBinanceRowsMax) {
    return IllegalParameter("page from 1, rows from 1 to 20");
  }
  const auto pair = pricing::ParsePair(asset.value() + "/" + fiat.value());
  std::optional<SimulatedRateBook::Price> price;
  if (pair) price = book_.Find(*pair);
  if (!price) return Answer("", 0);
  const auto side =
      trade_type.value() == "BUY" ? pricing::BinanceSide::kBuy : pricing::BinanceSide::kSell;
  const std::vector<Generated> adverts = Adverts(*price, side);
  std::string data;
  const auto first = static_cast<size_t>((page_number - 1) * page_rows);
  for (size_t i = first; i < adverts.size() && i < first + static_cast<size_t>(page_rows); ++i) {
    data += (data.empty() ? "" : ",") + AdvertJson(*pair, side, i, adverts[i]);
  }
  return Answer(data, adverts.size());
}

void BinanceP2pSimulator::AddRoutes(http::Router& router) {
  router.Add("POST", std::string(kPrefix) + std::string(pricing::kBinanceSearchPath),
             http::RouteDoc{.summary = "Sandbox Binance P2P: search adverts.",
                            .access = "public",
                            .description = "Adverts generated around the simulator's price, with "
                                           "promoted and outlier adverts to filter out.",
                            .response_schema = SearchAnswerSchema(),
                            .request_schema = http::schema::OpenObject(
                                {{"asset", http::schema::String()},
                                 {"fiat", http::schema::String()},
                                 {"tradeType", http::schema::Enum({"BUY", "SELL"})},
                                 http::schema::Optional("page", http::schema::Integer()),
                                 http::schema::Optional("rows", http::schema::Integer(1, 20))}),
                            .responses = {GatewayError(
                                503, "Binance is down (POST /sandbox/binance_p2p/fail).",
                                http::schema::Object({{"code", http::schema::String()},
                                                      {"message", http::schema::String()}}))}},
             [this](const http::HttpRequest& request, const http::PathParams&) {
               return Search(request);
             });
  book_.AddControlRoutes(router, kPrefix, "binance_p2p");
}

}  // namespace cambista::sandbox
