#include "pricing/routes.hpp"

#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "http/json_input.hpp"
#include "http/json_schema.hpp"
#include "http/problem.hpp"
#include "obs/json_log.hpp"
#include "pricing/price_body.hpp"

namespace cambista::pricing {
namespace {

http::HttpResponse Json(int status, std::string body) {
  http::HttpResponse response;
  response.status = status;
  response.body = std::move(body);
  return response;
}

std::string Rfc3339(int64_t unix_ms) {
  std::string text;
  obs::AppendRfc3339Millis(text, unix_ms * 1'000'000);
  return text;
}

std::string RateJson(const ReferenceRate& rate, int64_t age_ms) {
  return "{\"pair\":" + http::JsonString(rate.pair) + ",\"bid\":\"" + rate.bid.ToString() +
         "\",\"ask\":\"" + rate.ask.ToString() + "\",\"mid\":\"" + rate.mid.ToString() +
         "\",\"source\":" + http::JsonString(rate.source) + ",\"observed_at\":\"" +
         Rfc3339(rate.observed_at_ms) + "\",\"age_ms\":" + std::to_string(age_ms) +
         ",\"status\":\"" + (rate.live ? "live" : "stale") + "\"}";
}

std::string StringArray(const std::vector<std::string>& items) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) out += (i == 0 ? "" : ",") + http::JsonString(items[i]);
  return out + "]";
}

std::string SourceJson(const SourceStatus& source) {
  return "{\"name\":" + http::JsonString(source.name) + ",\"state\":\"" +
         std::string(BreakerStateName(source.state)) +
         "\",\"failures\":" + std::to_string(source.failures) +
         ",\"dropped\":" + (source.dropped_pairs.empty() ? "false" : "true") +
         ",\"dropped_pairs\":" + StringArray(source.dropped_pairs) + ",\"last_error\":" +
         (source.last_error.empty() ? std::string("null") : http::JsonString(source.last_error)) +
         "}";
}

std::string RatesJson(const RateBookStatus& status) {
  std::string data;
  std::string unavailable;
  for (const PairStatus& pair : status.pairs) {
    if (pair.rate) {
      data += (data.empty() ? "" : ",") + RateJson(*pair.rate, pair.age_ms);
    } else {
      unavailable += (unavailable.empty() ? "" : ",") + std::string("{\"pair\":") +
                     http::JsonString(pair.pair) + ",\"reason\":\"" + pair.unavailable_reason +
                     "\"}";
    }
  }
  std::string sources;
  for (const SourceStatus& source : status.sources) {
    sources += (sources.empty() ? "" : ",") + SourceJson(source);
  }
  return "{\"data\":[" + data + "],\"unavailable\":[" + unavailable + "],\"sources\":[" + sources +
         "]}";
}

void AddSchemas(http::Router& router) {
  using namespace http::schema;
  router.AddSchema(
      "ReferenceRate",
      Object({{"pair", Described(String(), "BASE/QUOTE: the price of one BASE in QUOTE.")},
              {"bid", Decimal()},
              {"ask", Decimal()},
              {"mid", Described(Decimal(), "(bid + ask) / 2, to 18 decimals, rounded down.")},
              {"source", Described(String(), "One source's name, or median(a,b,...).")},
              {"observed_at", DateTime()},
              {"age_ms", Integer()},
              {"status", Described(Enum({"live", "stale"}),
                                   "stale: the sources do not answer; the last good value is "
                                   "served until it is max_age old.")}}));
  router.AddSchema(
      "Rates",
      Object({{"data", ArrayOf(Ref("ReferenceRate"))},
              {"unavailable",
               ArrayOf(Object({{"pair", String()},
                               {"reason", Enum({"no_source", "no_rate", "max_age_exceeded"})}}))},
              {"sources", ArrayOf(Object({{"name", String()},
                                          {"state", Enum({"closed", "open", "half_open"})},
                                          {"failures", Integer()},
                                          {"dropped", Boolean()},
                                          {"dropped_pairs", ArrayOf(String())},
                                          {"last_error", Nullable(String())}}))}}));
}

}  // namespace

void AddRateRoutes(http::Router& router, api::AuthGate& gate, const RateBook& book) {
  AddSchemas(router);
  router.Add(
      "GET", "/v1/rates",
      http::RouteDoc{.summary = "Reference rates: every pair's bid, ask and mid, live or stale.",
                     .access = "key",
                     .description = "A pair without a rate (no source answered within max_age) "
                                    "is listed under unavailable: nothing may be quoted on it.",
                     .response_schema = http::schema::Ref("Rates")},
      api::RequireKey(
          gate, std::nullopt,
          [&book](const http::HttpRequest&, const http::PathParams&, const api::Principal&) {
            return Json(200, RatesJson(book.Status()));
          }),
      http::RouteCost::kInMemory);
}

}  // namespace cambista::pricing

namespace cambista::pricing {
namespace {

struct SandboxRates {
  RateBook& book;
  SandboxFeed& feed;
  SandboxMarket* market;
  RatePoller& poller;
};

std::string FeedPairJson(const Pair& pair, const SandboxRates& sandbox) {
  const auto held = sandbox.feed.Held(pair);
  auto reference = sandbox.book.Reference(pair.Text());
  const int64_t now_ms = sandbox.book.NowMs();
  std::string body = "{\"pair\":" + http::JsonString(pair.Text());
  body += ",\"bid\":" + (held ? "\"" + held->bid.ToString() + "\"" : std::string("null"));
  body += ",\"ask\":" + (held ? "\"" + held->ask.ToString() + "\"" : std::string("null"));
  body += ",\"running\":" + std::string(sandbox.feed.running() ? "true" : "false");
  body +=
      ",\"reference\":" +
      (reference.ok() ? RateJson(reference.value(),
                                 std::max<int64_t>(0, now_ms - reference.value().observed_at_ms))
                      : std::string("null"));
  return body + "}";
}

http::HttpResponse UnknownPair(std::string_view text) {
  return http::Problem(
      404, "unknown_pair", "Unknown pair",
      "No configured pair " + std::string(text) + " (write it BASE-QUOTE, such as USDT-BRL).");
}

http::HttpResponse PutPrice(const SandboxRates& sandbox, const http::HttpRequest& request,
                            const std::string& text) {
  const auto pair = ParsePair(text);
  const std::vector<std::string> pairs = sandbox.book.Pairs();
  if (!pair || std::find(pairs.begin(), pairs.end(), pair->Text()) == pairs.end()) {
    return UnknownPair(text);
  }
  auto price = ReadPriceBody(request.body);
  if (!price.ok()) return http::ToProblem(price.error());
  sandbox.feed.Set(*pair, price.value().bid, price.value().ask);
  if (sandbox.market != nullptr) {
    sandbox.market->SetPrice(*pair, price.value().bid, price.value().ask);
  }
  return http::Defer([sandbox, pair = *pair](http::Respond respond) {
    sandbox.poller.Request(pair.Text(), [sandbox, pair, respond = std::move(respond)] {
      respond(Json(200, FeedPairJson(pair, sandbox)));
    });
  });
}

http::HttpResponse SetRunning(const SandboxRates& sandbox, bool running) {
  sandbox.feed.SetRunning(running);
  if (sandbox.market != nullptr) sandbox.market->SetRunning(running);
  return http::Defer([sandbox, running](http::Respond respond) {
    sandbox.poller.Request(std::nullopt, [sandbox, running, respond = std::move(respond)] {
      respond(Json(200, "{\"running\":" + std::string(running ? "true" : "false") +
                            ",\"rates\":" + RatesJson(sandbox.book.Status()) + "}"));
    });
  });
}

std::string FeedPairSchema() {
  using namespace http::schema;
  return Object({{"pair", String()},
                 {"bid", Nullable(Decimal())},
                 {"ask", Nullable(Decimal())},
                 {"running", Boolean()},
                 {"reference", Described(Nullable(Ref("ReferenceRate")),
                                         "The pair's reference rate after the poll.")}});
}

}  // namespace

void AddSandboxRateRoutes(http::Router& router, RateBook& book, SandboxFeed& feed,
                          SandboxMarket* market, RatePoller& poller) {
  using namespace http::schema;
  const SandboxRates sandbox{book, feed, market, poller};
  router.Add(
      "GET", "/sandbox/rates",
      http::RouteDoc{
          .summary = "Sandbox control: the sandbox feed's prices.",
          .access = "public",
          .response_schema = Object({{"running", Boolean()}, {"data", ArrayOf(FeedPairSchema())}})},
      [sandbox](const http::HttpRequest&, const http::PathParams&) {
        std::string data;
        for (const std::string& text : sandbox.book.Pairs()) {
          data += (data.empty() ? "" : ",") + FeedPairJson(*ParsePair(text), sandbox);
        }
        return Json(200, "{\"running\":" + std::string(sandbox.feed.running() ? "true" : "false") +
                             ",\"data\":[" + data + "]}");
      },
      http::RouteCost::kInMemory);
  router.Add(
      "PUT", "/sandbox/rates/{pair}",
      http::RouteDoc{.summary = "Sandbox control: set a pair's bid and ask on every sandbox "
                                "source, then poll it.",
                     .access = "public",
                     .description = "{pair} as BASE-QUOTE, such as USDT-BRL. The answer comes "
                                    "once the new value is the reference (or the poll failed).",
                     .response_schema = FeedPairSchema(),
                     .request_schema = Object({{"bid", Decimal()}, {"ask", Decimal()}}),
                     .errors = {{400, {"invalid_request"}}, {404, {"unknown_pair"}}}},
      [sandbox](const http::HttpRequest& request, const http::PathParams& params) {
        return PutPrice(sandbox, request, params.at("pair"));
      },
      http::RouteCost::kInMemory);
  for (const bool running : {false, true}) {
    router.Add(
        "POST", running ? "/sandbox/rates/start" : "/sandbox/rates/stop",
        http::RouteDoc{
            .summary = running ? "Sandbox control: the sandbox's rate sources "
                                 "answer again; every pair is polled."
                               : "Sandbox control: the sandbox's rate sources "
                                 "fail like dead feeds; every pair is polled.",
            .access = "public",
            .response_schema = Object({{"running", Boolean()}, {"rates", Ref("Rates")}})},
        [sandbox, running](const http::HttpRequest&, const http::PathParams&) {
          return SetRunning(sandbox, running);
        },
        http::RouteCost::kInMemory);
  }
}

}  // namespace cambista::pricing
