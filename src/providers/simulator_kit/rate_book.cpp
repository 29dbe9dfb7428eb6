#include "providers/simulator_kit/rate_book.hpp"

#include "core/assert.hpp"
#include "http/json_schema.hpp"
#include "http/problem.hpp"
#include "pricing/price_body.hpp"
#include "pricing/rate_source.hpp"
#include "providers/simulator_kit/gateway_simulator.hpp"

namespace cambista::sandbox {
namespace {

std::string PriceJson(std::string_view pair, const SimulatedRateBook::Price& price) {
  return "{\"pair\":" + http::JsonString(pair) + ",\"bid\":\"" + price.bid.ToString() +
         "\",\"ask\":\"" + price.ask.ToString() + "\"}";
}

}  // namespace

SimulatedRateBook::SimulatedRateBook() {
  for (const pricing::SandboxPrice& price : pricing::SandboxStartingPrices()) {
    prices_.emplace(std::string(price.pair), Price{pricing::ParseProviderRate(price.bid).value(),
                                                   pricing::ParseProviderRate(price.ask).value()});
  }
}

std::optional<SimulatedRateBook::Price> SimulatedRateBook::Find(const pricing::Pair& pair) const {
  std::lock_guard lock(mutex_);
  const auto it = prices_.find(pair.Text());
  if (it == prices_.end()) return std::nullopt;
  return it->second;
}

void SimulatedRateBook::Set(const pricing::Pair& pair, const Rate& bid, const Rate& ask) {
  CAMBISTA_CHECK(ask.units() > bid.units());
  std::lock_guard lock(mutex_);
  prices_.insert_or_assign(pair.Text(), Price{bid, ask});
}

void SimulatedRateBook::SetFailing(bool failing) {
  std::lock_guard lock(mutex_);
  failing_ = failing;
}

bool SimulatedRateBook::failing() const {
  std::lock_guard lock(mutex_);
  return failing_;
}

std::string SimulatedRateBook::BookJson() const {
  std::lock_guard lock(mutex_);
  std::string data;
  for (const auto& [pair, price] : prices_) {
    data += (data.empty() ? "" : ",") + PriceJson(pair, price);
  }
  return "{\"failing\":" + std::string(failing_ ? "true" : "false") + ",\"data\":[" + data + "]}";
}

void SimulatedRateBook::AddControlRoutes(http::Router& router, std::string_view prefix,
                                         std::string_view provider) {
  using namespace http::schema;
  const std::string base(prefix);
  const std::string name(provider);
  const std::string price_schema =
      Object({{"pair", String()}, {"bid", Decimal()}, {"ask", Decimal()}});
  const std::string book_schema = Object({{"failing", Boolean()}, {"data", ArrayOf(price_schema)}});
  router.Add("GET", base + "/rates",
             http::RouteDoc{.summary = "Sandbox control (" + name + "): the simulator's prices.",
                            .access = "public",
                            .response_schema = book_schema},
             [this](const http::HttpRequest&, const http::PathParams&) {
               return JsonResponse(200, BookJson());
             });
  router.Add("PUT", base + "/rates/{pair}",
             http::RouteDoc{.summary = "Sandbox control (" + name + "): set one pair's price.",
                            .access = "public",
                            .description = "{pair} as BASE-QUOTE, such as USDT-BRL.",
                            .response_schema = price_schema,
                            .request_schema = Object({{"bid", Decimal()}, {"ask", Decimal()}}),
                            .errors = {{400, {"invalid_request"}}, {404, {"unknown_pair"}}}},
             [this](const http::HttpRequest& request, const http::PathParams& params) {
               const auto pair = pricing::ParsePair(params.at("pair"));
               if (!pair) {
                 return http::Problem(404, "unknown_pair", "Unknown pair",
                                      "Write the pair BASE-QUOTE, such as USDT-BRL.");
               }
               auto price = pricing::ReadPriceBody(request.body);
               if (!price.ok()) return http::ToProblem(price.error());
               Set(*pair, price.value().bid, price.value().ask);
               return JsonResponse(
                   200, PriceJson(pair->Text(), Price{price.value().bid, price.value().ask}));
             });
  for (const bool failing : {true, false}) {
    router.Add("POST", base + (failing ? "/fail" : "/recover"),
               http::RouteDoc{.summary = "Sandbox control (" + name + "): " +
                                         (failing ? "its API answers 503 from now on."
                                                  : "its API answers again."),
                              .access = "public",
                              .response_schema = book_schema},
               [this, failing](const http::HttpRequest&, const http::PathParams&) {
                 SetFailing(failing);
                 return JsonResponse(200, BookJson());
               });
  }
}

u128 SimulatedStep(const SimulatedRateBook::Price& price) {
  const u128 step = (price.ask.units() - price.bid.units()) / 20;
  return step == 0 ? 1 : step;
}

std::optional<Rate> Stepped(const Rate& rate, u128 step, int steps) {
  const u128 distance = step * static_cast<u128>(steps < 0 ? -steps : steps);
  if (steps >= 0) {
    auto moved = Rate::FromUnits(rate.units() + distance);
    return moved.ok() ? std::optional<Rate>(moved.value()) : std::nullopt;
  }
  if (distance >= rate.units()) return std::nullopt;
  return Rate::FromUnits(rate.units() - distance).value();
}

}  // namespace cambista::sandbox
