// The outside rate sources: their parsers on golden answers in the providers' documented shapes
// (src/providers/<name>/fixtures/) and on malformed ones (errors, never crashes), their robust
// rules, and each adapter over real HTTP against its simulator (a real HttpServer serving the
// simulator's routes, the net::HttpClient calling it).
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "api/http_server.hpp"
#include "http/router.hpp"
#include "net/http_client.hpp"
#include "providers/binance_p2p/binance_p2p_simulator.hpp"
#include "providers/binance_p2p/binance_p2p_source.hpp"
#include "providers/criptoya/criptoya_simulator.hpp"
#include "providers/criptoya/criptoya_source.hpp"
#include "response_recording.hpp"

namespace cambista::pricing {
namespace {

constexpr int64_t kFixtureNowMs = 1'700'000'000'000;  // the criptoya fixtures' time

Rate R(std::string_view text) {
  return Rate::Parse(text).value();
}

std::string ReadFixture(std::string_view provider, std::string_view name) {
  std::ifstream file(std::string(CAMBISTA_PROVIDERS_DIR) + "/" + std::string(provider) +
                     "/fixtures/" + std::string(name));
  EXPECT_TRUE(file.good()) << name;
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

std::vector<BinanceAdvert> Adverts(std::string_view fixture) {
  auto adverts = ParseBinanceAdverts(ReadFixture("binance_p2p", fixture));
  EXPECT_TRUE(adverts.ok()) << (adverts.ok() ? "" : adverts.error().message);
  return adverts.ok() ? adverts.value() : std::vector<BinanceAdvert>{};
}

TEST(BinanceP2pTest, TheSearchRequestIsTheDocumentedOne) {
  EXPECT_EQ(BinanceSearchBody(*ParsePair("USDT/VES"), BinanceSide::kBuy),
            R"({"asset":"USDT","fiat":"VES","tradeType":"BUY","page":1,"rows":20,)"
            R"("payTypes":[],"publisherType":null})");
}

TEST(BinanceP2pTest, BuySideDropsPromotedAndOutliersThenTakesTheMedianOfTheBestFive) {
  const std::vector<BinanceAdvert> adverts = Adverts("search_buy_usdt_brl.json");
  ASSERT_EQ(adverts.size(), 20u);
  EXPECT_EQ(std::count_if(adverts.begin(), adverts.end(), [](auto& a) { return a.promoted; }), 2);
  EXPECT_EQ(BinanceSidePrice(adverts, BinanceSide::kBuy, 8, 5).value(), R("5.458"));
  // The promoted adverts were left out: counted in, they would be among the best five.
  std::vector<BinanceAdvert> unpromoted = adverts;
  for (BinanceAdvert& advert : unpromoted) advert.promoted = false;
  EXPECT_EQ(BinanceSidePrice(unpromoted, BinanceSide::kBuy, 8, 5).value(), R("5.452"));
  // The 4.20 advert (23% below the median) was left out: without it the price is the same, while
  // a cheap advert within the 15% counts.
  std::vector<BinanceAdvert> without_outlier(adverts.begin() + 1, adverts.end());
  EXPECT_EQ(BinanceSidePrice(without_outlier, BinanceSide::kBuy, 8, 5).value(), R("5.458"));
  without_outlier.push_back(BinanceAdvert{R("5.30"), false});
  EXPECT_EQ(BinanceSidePrice(without_outlier, BinanceSide::kBuy, 8, 5).value(), R("5.455"));
}

TEST(BinanceP2pTest, SellSideTakesTheDearestBids) {
  EXPECT_EQ(
      BinanceSidePrice(Adverts("search_sell_usdt_brl.json"), BinanceSide::kSell, 8, 5).value(),
      R("5.400"));
}

TEST(BinanceP2pTest, TooFewAdvertsAfterTheFiltersGiveNoPrice) {
  const auto adverts = Adverts("search_buy_usdt_ves_thin.json");
  ASSERT_EQ(adverts.size(), 10u);
  auto price = BinanceSidePrice(adverts, BinanceSide::kBuy, 8, 5);
  ASSERT_FALSE(price.ok());
  EXPECT_EQ(price.error().kind, SourceError::Kind::kTooFewQuotes);
  EXPECT_EQ(price.error().message, "7 adverts left after the filters, 8 needed");
  EXPECT_TRUE(BinanceSidePrice(adverts, BinanceSide::kBuy, 7, 5).ok());
  EXPECT_EQ(BinanceSidePrice({}, BinanceSide::kBuy, 8, 5).error().kind,
            SourceError::Kind::kTooFewQuotes);
}

TEST(BinanceP2pTest, ARefusalAndAPriceNotAStringAreErrors) {
  auto refused = ParseBinanceAdverts(ReadFixture("binance_p2p", "search_illegal_parameter.json"));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().kind, SourceError::Kind::kRefused);
  EXPECT_EQ(refused.error().message, "Binance answered code 000002");
  auto number = ParseBinanceAdverts(ReadFixture("binance_p2p", "search_price_as_number.json"));
  ASSERT_FALSE(number.ok());
  EXPECT_EQ(number.error().kind, SourceError::Kind::kMalformed);
  EXPECT_EQ(number.error().message.rfind("data[0].adv.price: ", 0), 0u) << number.error().message;
}

TEST(BinanceP2pTest, MalformedAnswersAreErrorsNeverCrashes) {
  const std::string deep = "{\"code\":\"000000\",\"data\":[" + std::string(40, '[');
  for (const std::string_view body : std::initializer_list<std::string_view>{
           "", "null", "[]", "{", "{}", "\"000000\"", R"({"code":"000000"})",
           R"({"code":"000000","data":{}})", R"({"code":"000000","data":[1]})",
           R"({"code":"000000","data":[{}]})", R"({"code":"000000","data":[{"adv":{}}]})",
           R"({"code":"000000","data":[{"adv":{"price":"-5.4"}}]})",
           R"({"code":"000000","data":[{"adv":{"price":"5.4e0"}}]})",
           R"({"code":"000000","data":[{"adv":{"price":"0"}}]})",
           R"({"code":"000000","code":"000000","data":[]})", R"({"code":7,"data":[]})",
           R"({"success":"yes","data":[]})", std::string_view(deep)}) {
    auto adverts = ParseBinanceAdverts(body);
    ASSERT_FALSE(adverts.ok()) << body;
    EXPECT_FALSE(adverts.error().message.empty()) << body;
  }
  EXPECT_TRUE(ParseBinanceAdverts(R"({"code":"000000","data":[],"success":true})").ok());
}

TEST(CriptoyaTest, TheMedianOfFreshExchangesReadFromTheNumbersText) {
  auto quotes = ParseCriptoyaQuotes(ReadFixture("criptoya", "usdt_brl.json"));
  ASSERT_TRUE(quotes.ok()) << quotes.error().message;
  ASSERT_EQ(quotes.value().size(), 6u);
  EXPECT_EQ(quotes.value()[5].exchange, "eldoradop2p");
  EXPECT_EQ(*quotes.value()[5].bid, R("5.3999999999999995"));  // not 5.4: no double in between
  EXPECT_FALSE(quotes.value()[3].bid.has_value());             // ripio: 0, no offers
  auto reference = CriptoyaReference(quotes.value(), kFixtureNowMs, 120'000, 2);
  ASSERT_TRUE(reference.ok()) << reference.error().message;
  // binancep2p, bybitp2p, okexp2p and eldoradop2p; lemoncash is a day old, ripio has no offers.
  EXPECT_EQ(reference.value().bid, R("5.401"));
  EXPECT_EQ(reference.value().ask, R("5.4585"));
  EXPECT_EQ(reference.value().observed_at_ms, 1'699'999'980'000);
  auto too_few = CriptoyaReference(quotes.value(), kFixtureNowMs, 120'000, 5);
  ASSERT_FALSE(too_few.ok());
  EXPECT_EQ(too_few.error().kind, SourceError::Kind::kTooFewQuotes);
  // A minute later, with 61 s of freshness, binancep2p alone is fresh, and two are needed.
  EXPECT_FALSE(CriptoyaReference(quotes.value(), kFixtureNowMs + 60'000, 61'000, 2).ok());
}

TEST(CriptoyaTest, StaleOrMalformedAnswersGiveNoPrice) {
  auto stale = ParseCriptoyaQuotes(ReadFixture("criptoya", "all_stale.json"));
  ASSERT_TRUE(stale.ok());
  EXPECT_EQ(CriptoyaReference(stale.value(), kFixtureNowMs, 120'000, 1).error().kind,
            SourceError::Kind::kTooFewQuotes);
  EXPECT_EQ(ParseCriptoyaQuotes(ReadFixture("criptoya", "error.json")).error().kind,
            SourceError::Kind::kRefused);
  auto string_price = ParseCriptoyaQuotes(ReadFixture("criptoya", "price_as_string.json"));
  ASSERT_FALSE(string_price.ok());
  EXPECT_EQ(string_price.error().message, "binancep2p.ask: expected a number");
  auto float_time = ParseCriptoyaQuotes(ReadFixture("criptoya", "time_as_float.json"));
  ASSERT_FALSE(float_time.ok());
  EXPECT_EQ(float_time.error().kind, SourceError::Kind::kMalformed);
  for (std::string_view body :
       {"", "[]", "{", "null", R"({"x":1})", R"({"x":{}})", R"({"x":{"ask":1,"bid":1}})",
        R"({"x":{"ask":-1,"bid":1,"time":1}})", R"({"x":{"ask":1e2,"bid":1,"time":1}})",
        R"({"x":{"ask":1,"bid":1,"time":-5}})", R"({"x":{"ask":1,"bid":1,"time":1e20}})",
        R"({"x":{"ask":1,"bid":null,"time":1}})", R"({"x":{"ask":1,"bid":1,"time":1},"x":{}})"}) {
    auto quotes = ParseCriptoyaQuotes(body);
    ASSERT_FALSE(quotes.ok()) << body;
    EXPECT_FALSE(quotes.error().message.empty()) << body;
  }
  // More than 18 fraction digits: the float's noise is dropped, not refused.
  auto long_digits =
      ParseCriptoyaQuotes(R"({"x":{"ask":5.4600000000000000009,"bid":5.4,"time":1700000000}})");
  ASSERT_TRUE(long_digits.ok());
  EXPECT_EQ(*long_digits.value()[0].ask, R("5.46"));
}

TEST(CriptoyaTest, ThePathIsLowerCase) {
  EXPECT_EQ(CriptoyaPath(*ParsePair("USDT/BRL"), "100"), "/api/usdt/brl/100");
}

// The simulators on a real listener, and the adapters calling them.
class RateSimulatorsTest : public ::testing::Test {
 protected:
  RateSimulatorsTest() : criptoya_(clock_) {
    binance_.AddRoutes(router_);
    criptoya_.AddRoutes(router_);
    recorder_ = testing::RecordResponsesIfAsked(router_);
    api::HttpServerOptions options;
    options.host = "127.0.0.1";
    options.port = 0;
    server_ = std::make_unique<api::HttpServer>(
        options, [this](const http::HttpRequest& request) { return router_.Handle(request); });
    server_->Start();
  }
  ~RateSimulatorsTest() override { server_->Stop(1'000); }

  std::string Url(std::string_view prefix) const {
    return "http://127.0.0.1:" + std::to_string(server_->port()) + std::string(prefix);
  }
  BinanceP2pSource Binance() {
    return BinanceP2pSource(BinanceP2pOptions{
        &http_, &clock_, [this] { return Url("/sandbox/binance_p2p"); }, 5'000, 8, 5, 0});
  }
  CriptoyaSource Criptoya() {
    return CriptoyaSource(CriptoyaOptions{
        &http_, &clock_, [this] { return Url("/sandbox/criptoya"); }, 5'000, "100", 120'000, 2});
  }
  int Control(const std::string& method, const std::string& path, const std::string& body = "") {
    net::ClientRequest request;
    request.method = method;
    request.url = Url(path);
    request.body = body;
    if (!body.empty()) request.headers.emplace_back("Content-Type", "application/json");
    auto response = http_.Send(request);
    return response.ok() ? response.value().status : 0;
  }

  ManualClock clock_;
  sandbox::BinanceP2pSimulator binance_;
  sandbox::CriptoyaSimulator criptoya_;
  http::Router router_;
  std::unique_ptr<api::ResponseRecorder> recorder_;
  std::unique_ptr<api::HttpServer> server_;
  net::HttpClient http_;
};

TEST_F(RateSimulatorsTest, EachAdapterReadsItsSimulatorsPriceExactly) {
  const Pair brl = *ParsePair("USDT/BRL");
  auto binance = Binance().Fetch(brl);
  ASSERT_TRUE(binance.ok()) << binance.error().message;
  EXPECT_EQ(binance.value().bid, R("5.40"));
  EXPECT_EQ(binance.value().ask, R("5.46"));
  EXPECT_EQ(binance.value().observed_at_ms, clock_.NowMs());
  auto criptoya = Criptoya().Fetch(brl);
  ASSERT_TRUE(criptoya.ok()) << criptoya.error().message;
  EXPECT_EQ(criptoya.value().bid, R("5.40"));
  EXPECT_EQ(criptoya.value().ask, R("5.46"));

  EXPECT_EQ(Control("PUT", "/sandbox/binance_p2p/rates/USDT-VES", R"({"bid":"120","ask":"121.5"})"),
            200);
  EXPECT_EQ(Binance().Fetch(*ParsePair("USDT/VES")).value().ask, R("121.5"));
  EXPECT_EQ(Criptoya().Fetch(*ParsePair("USDT/VES")).value().ask, R("120.10"));  // not moved
  EXPECT_EQ(Control("PUT", "/sandbox/criptoya/rates/USDT-VES", R"({"bid":"121","ask":"120"})"),
            400);
}

TEST_F(RateSimulatorsTest, AFailingSimulatorIsAnUnavailableSource) {
  const Pair brl = *ParsePair("USDT/BRL");
  EXPECT_EQ(Control("POST", "/sandbox/binance_p2p/fail"), 200);
  EXPECT_EQ(Control("POST", "/sandbox/criptoya/fail"), 200);
  EXPECT_EQ(Binance().Fetch(brl).error().kind, SourceError::Kind::kUnavailable);
  EXPECT_EQ(Criptoya().Fetch(brl).error().kind, SourceError::Kind::kUnavailable);
  EXPECT_EQ(Control("POST", "/sandbox/binance_p2p/recover"), 200);
  EXPECT_EQ(Control("POST", "/sandbox/criptoya/recover"), 200);
  EXPECT_TRUE(Binance().Fetch(brl).ok());
  EXPECT_TRUE(Criptoya().Fetch(brl).ok());
  // A pair the simulators have no price for.
  EXPECT_EQ(Binance().Fetch(*ParsePair("BTC/BRL")).error().kind, SourceError::Kind::kTooFewQuotes);
  EXPECT_EQ(Criptoya().Fetch(*ParsePair("BTC/BRL")).error().kind, SourceError::Kind::kUnknownPair);
}

// An answer whose BUY side is dearer than its SELL side: the adapter refuses the crossed quote.
TEST(BinanceP2pCrossedTest, AskNotAboveBidIsRefused) {
  const std::string buy = ReadFixture("binance_p2p", "search_sell_usdt_brl.json");  // swapped:
  const std::string sell = ReadFixture("binance_p2p", "search_buy_usdt_brl.json");  // crossed
  api::HttpServerOptions options;
  options.host = "127.0.0.1";
  options.port = 0;
  api::HttpServer server(options, [&](const http::HttpRequest& request) {
    http::HttpResponse response;
    response.body = request.body.find("\"BUY\"") != std::string::npos ? buy : sell;
    return response;
  });
  server.Start();
  net::HttpClient http;
  ManualClock clock;
  BinanceP2pSource source(BinanceP2pOptions{
      &http, &clock, [&] { return "http://127.0.0.1:" + std::to_string(server.port()); }, 5'000, 8,
      5, 0});
  auto quote = source.Fetch(*ParsePair("USDT/BRL"));
  server.Stop(1'000);
  ASSERT_FALSE(quote.ok());
  EXPECT_EQ(quote.error().kind, SourceError::Kind::kCrossed);
}

}  // namespace
}  // namespace cambista::pricing
