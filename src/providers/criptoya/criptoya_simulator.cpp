#include "providers/criptoya/criptoya_simulator.hpp"

#include <array>
#include <string>

#include "http/json_schema.hpp"
#include "http/problem.hpp"
#include "providers/simulator_kit/gateway_simulator.hpp"

namespace cambista::sandbox {
namespace {

constexpr std::string_view kPrefix = "/sandbox/criptoya";
constexpr int64_t kStaleSeconds = 86'400;

struct Exchange {
  std::string_view name;
  int steps;  // bid - steps × s, ask + steps × s
};
constexpr std::array<Exchange, 5> kFreshExchanges = {
    {{"binancep2p", 0}, {"bybitp2p", 1}, {"okexp2p", -1}, {"bitgetp2p", 2}, {"eldoradop2p", -2}}};

std::string Upper(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
  return out;
}

std::string ExchangeJson(std::string_view name, std::string_view bid, std::string_view ask,
                         int64_t time_s) {
  return "\"" + std::string(name) + "\":{\"ask\":" + std::string(ask) +
         ",\"totalAsk\":" + std::string(ask) + ",\"bid\":" + std::string(bid) +
         ",\"totalBid\":" + std::string(bid) + ",\"time\":" + std::to_string(time_s) + "}";
}

std::string QuotesSchema() {
  using namespace http::schema;
  return Described(MapOf(Object({{"ask", Number()},
                                 {"totalAsk", Number()},
                                 {"bid", Number()},
                                 {"totalBid", Number()},
                                 {"time", Integer()}})),
                   "exchange -> its prices for the volume and when they were seen (Unix "
                   "seconds); 0: no offers.");
}

}  // namespace

http::HttpResponse CriptoyaSimulator::Quotes(const http::PathParams& params) const {
  if (book_.failing()) return JsonResponse(503, "{\"error\":\"Service unavailable\"}");
  const auto pair = pricing::ParsePair(Upper(params.at("coin")) + "/" + Upper(params.at("fiat")));
  std::optional<SimulatedRateBook::Price> price;
  if (pair) price = book_.Find(*pair);
  if (!price) return JsonResponse(404, "{\"error\":\"Invalid coin or fiat\"}");
  const u128 step = SimulatedStep(*price);
  const int64_t now_s = clock_.NowMs() / 1'000;
  std::string body = "{";
  for (const Exchange& exchange : kFreshExchanges) {
    const auto bid = Stepped(price->bid, step, -exchange.steps);
    const auto ask = Stepped(price->ask, step, exchange.steps);
    if (!bid || !ask) continue;
    body += (body.size() > 1 ? "," : "") +
            ExchangeJson(exchange.name, bid->ToString(), ask->ToString(), now_s);
  }
  body += "," + ExchangeJson("ripio", "0", "0", now_s);
  const auto stale_bid = Stepped(price->bid, price->bid.units(), 1);  // twice the price
  const auto stale_ask = Stepped(price->ask, price->ask.units(), 1);
  if (stale_bid && stale_ask) {
    body += "," + ExchangeJson("lemoncash", stale_bid->ToString(), stale_ask->ToString(),
                               now_s - kStaleSeconds);
  }
  return JsonResponse(200, body + "}");
}

void CriptoyaSimulator::AddRoutes(http::Router& router) {
  router.Add(
      "GET", std::string(kPrefix) + "/api/{coin}/{fiat}/{volume}",
      http::RouteDoc{
          .summary = "Sandbox CriptoYa: every exchange's prices for a coin.",
          .access = "public",
          .description = "Around the simulator's price, with an exchange "
                         "without offers and a stale one to leave out.",
          .response_schema = QuotesSchema(),
          .responses = {GatewayError(404, "CriptoYa knows no such pair.",
                                     http::schema::Object({{"error", http::schema::String()}})),
                        GatewayError(503,
                                     "CriptoYa is down (POST "
                                     "/sandbox/criptoya/fail).",
                                     http::schema::Object({{"error", http::schema::String()}}))}},
      [this](const http::HttpRequest&, const http::PathParams& params) { return Quotes(params); });
  book_.AddControlRoutes(router, kPrefix, "criptoya");
}

}  // namespace cambista::sandbox
