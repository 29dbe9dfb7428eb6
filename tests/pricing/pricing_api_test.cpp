// The rates over real HTTP, the whole server in process on a manual clock: GET /v1/rates in
// `serve --sandbox` (the Binance P2P and CriptoYa simulators and the sandbox feed, their median),
// the sandbox market's control (PUT /sandbox/rates/{pair} moves the reference at once; stop ->
// stale -> past max_age unavailable -> start -> live), a simulator moved alone is dropped by the
// band and reported, and outside the sandbox: the static source, or no price at all.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>

#include "payouts/payouts_server_fixture.hpp"

namespace cambista::app {
namespace {

using payins::JsonDocument;
using payins::JsonNode;

constexpr int64_t kStartMs = 1'760'000'000'000;
constexpr int64_t kMaxAgeMs = 300'000;
constexpr auto kDeadline = std::chrono::seconds(20);

// Polls `condition` until it holds; the deadline only guards against a hang.
bool WaitFor(const std::function<bool()>& condition) {
  const auto give_up = std::chrono::steady_clock::now() + kDeadline;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > give_up) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

// The item of `array` (a member of the body's root) whose `key` member is `value`, as text.
std::string ItemOf(const std::string& body, std::string_view array, std::string_view key,
                   std::string_view value) {
  auto document = JsonDocument::Parse(body);
  if (!document.ok()) return "";
  const JsonNode* items = document.value().root().Find(array);
  if (items == nullptr) return "";
  for (const JsonNode& item : items->items()) {
    const JsonNode* found = item.Find(key);
    if (found != nullptr && found->text() == value) {
      std::string text = "{";
      for (size_t i = 0; i < item.size(); ++i) {
        const JsonNode& member = item.child(i);
        const std::string shown = member.IsArray() ? std::to_string(member.size()) + " items"
                                  : member.kind() == JsonNode::Kind::kBool
                                      ? (member.bool_value() ? "true" : "false")
                                      : std::string(member.text());
        text += std::string(i == 0 ? "" : ",") + std::string(item.key(i)) + "=" + shown;
      }
      return text + "}";
    }
  }
  return "";
}

size_t CountOf(const std::string& body, std::string_view array) {
  auto document = JsonDocument::Parse(body);
  if (!document.ok() || document.value().root().Find(array) == nullptr) return 0;
  return document.value().root().Find(array)->size();
}

class PricingApiTest : public PayoutsServerTest {
 protected:
  const Clock* ServerClock() override { return &clock_; }
  Reply Rates() { return Send("GET", "/v1/rates", reader_); }
  bool AllLive() {
    const Reply reply = Rates();
    if (reply.status != 200 || CountOf(reply.body, "data") != 4) return false;
    for (std::string_view pair : {"USDT/BRL", "USDT/VES", "USDT/COP", "POL/BRL"}) {
      if (ItemOf(reply.body, "data", "pair", pair).find("status=live") == std::string::npos) {
        return false;
      }
    }
    return true;
  }

  ManualClock clock_{kStartMs * 1'000'000};
};

TEST_P(PricingApiTest, TheSandboxQuotesAtOnceFromItsThreeSources) {
  EXPECT_EQ(Send("GET", "/v1/rates", "").status, 401);
  ASSERT_TRUE(WaitFor([&] { return AllLive(); })) << Rates().body;
  const Reply reply = Rates();
  EXPECT_EQ(ItemOf(reply.body, "data", "pair", "USDT/BRL"),
            "{pair=USDT/BRL,bid=5.4,ask=5.46,mid=5.43,"
            "source=median(binance_p2p,criptoya,sandbox),observed_at=2025-10-09T08:53:20.000Z,"
            "age_ms=0,status=live}");
  EXPECT_NE(ItemOf(reply.body, "data", "pair", "USDT/COP").find("bid=4080,ask=4120,mid=4100"),
            std::string::npos);
  EXPECT_EQ(CountOf(reply.body, "unavailable"), 0u);
  EXPECT_EQ(ItemOf(reply.body, "sources", "name", "binance_p2p"),
            "{name=binance_p2p,state=closed,failures=0,dropped=false,dropped_pairs=0 items,"
            "last_error=}");
  const Reply metrics = Send("GET", "/metrics", admin_);
  EXPECT_NE(metrics.body.find("cambista_rate_source_breaker{source=\"criptoya\"} 0"),
            std::string::npos);
  EXPECT_NE(metrics.body.find("cambista_rate_status{pair=\"USDT/BRL\"} 2"), std::string::npos);
}

TEST_P(PricingApiTest, APutMovesTheReferenceBeforeItAnswers) {
  ASSERT_TRUE(WaitFor([&] { return AllLive(); })) << Rates().body;
  const Reply put = Send("PUT", "/sandbox/rates/USDT-BRL", "", R"({"bid":"5.50","ask":"5.58"})");
  ASSERT_EQ(put.status, 200) << put.body;
  EXPECT_NE(
      put.body.find(R"("reference":{"pair":"USDT/BRL","bid":"5.5","ask":"5.58","mid":"5.54")"),
      std::string::npos)
      << put.body;
  EXPECT_NE(ItemOf(Rates().body, "data", "pair", "USDT/BRL").find("bid=5.5,ask=5.58,mid=5.54"),
            std::string::npos);
  EXPECT_EQ(Send("PUT", "/sandbox/rates/USDT-ARS", "", R"({"bid":"1","ask":"2"})").status, 404);
  EXPECT_EQ(Send("PUT", "/sandbox/rates/USDT-BRL", "", R"({"bid":"5.6","ask":"5.5"})").status, 400);
  EXPECT_EQ(Send("PUT", "/sandbox/rates/USDT-BRL", "", R"({"bid":5.5,"ask":"5.6"})").status, 400);
  EXPECT_EQ(Send("PUT", "/sandbox/rates/USDT-BRL", "", R"({"bid":"5.5"})").status, 400);
  const Reply feed = Send("GET", "/sandbox/rates", "");
  EXPECT_EQ(feed.status, 200);
  EXPECT_NE(feed.body.find(R"({"pair":"USDT/BRL","bid":"5.5","ask":"5.58","running":true)"),
            std::string::npos)
      << feed.body;
}

TEST_P(PricingApiTest, ASimulatorMovedAloneIsDroppedAndReported) {
  ASSERT_TRUE(WaitFor([&] { return AllLive(); })) << Rates().body;
  ASSERT_EQ(Send("PUT", "/sandbox/binance_p2p/rates/USDT-BRL", "", R"({"bid":"6.40","ask":"6.46"})")
                .status,
            200);
  ASSERT_TRUE(WaitFor([&] {
    return ItemOf(Rates().body, "sources", "name", "binance_p2p").find("dropped=true") !=
           std::string::npos;
  })) << Rates().body;
  const Reply reply = Rates();
  EXPECT_NE(ItemOf(reply.body, "data", "pair", "USDT/BRL")
                .find("bid=5.4,ask=5.46,mid=5.43,source=median(criptoya,sandbox)"),
            std::string::npos)
      << reply.body;
  EXPECT_NE(reply.body.find(R"("dropped_pairs":["USDT/BRL"])"), std::string::npos);
  EXPECT_NE(Send("GET", "/metrics", admin_)
                .body.find("cambista_rate_source_dropped_total{source=\"binance_p2p\",pair=\"USDT/"
                           "BRL\",reason=\"band\"}"),
            std::string::npos);
}

TEST_P(PricingApiTest, AStoppedFeedIsStaleUntilMaxAgeThenUnavailableAndLiveOnceStarted) {
  ASSERT_TRUE(WaitFor([&] { return AllLive(); })) << Rates().body;
  const Reply stop = Send("POST", "/sandbox/rates/stop", "");
  ASSERT_EQ(stop.status, 200) << stop.body;
  EXPECT_NE(stop.body.find(R"("running":false)"), std::string::npos);
  EXPECT_EQ(stop.body.find("status\":\"live"), std::string::npos) << stop.body;
  EXPECT_NE(ItemOf(Rates().body, "data", "pair", "USDT/BRL").find("status=stale"),
            std::string::npos);

  clock_.AdvanceMs(kMaxAgeMs);  // exactly max_age old: still served, stale
  EXPECT_EQ(CountOf(Rates().body, "data"), 4u);
  clock_.AdvanceMs(1);
  const Reply gone = Rates();
  EXPECT_EQ(CountOf(gone.body, "data"), 0u) << gone.body;
  EXPECT_EQ(ItemOf(gone.body, "unavailable", "pair", "USDT/BRL"),
            "{pair=USDT/BRL,reason=max_age_exceeded}");
  const std::string sandbox = ItemOf(gone.body, "sources", "name", "sandbox");
  EXPECT_EQ(sandbox.find("state=closed"), std::string::npos) << sandbox;  // its breaker opened
  EXPECT_NE(sandbox.find("last_error=USDT/"), std::string::npos) << sandbox;

  const Reply start = Send("POST", "/sandbox/rates/start", "");
  ASSERT_EQ(start.status, 200) << start.body;
  EXPECT_NE(start.body.find(R"("running":true)"), std::string::npos);
  clock_.AdvanceMs(5'000);  // the sandbox's breaker cooldown: the next poll probes each source
  ASSERT_TRUE(WaitFor([&] { return AllLive(); })) << Rates().body;
  EXPECT_NE(ItemOf(Rates().body, "data", "pair", "USDT/BRL").find("bid=5.4,ask=5.46"),
            std::string::npos);
}

INSTANTIATE_BACKENDS(PricingApiTest);

// Outside the sandbox: the static source's configured pairs, and nothing for the others.
class PricingStaticTest : public PayoutsServerTest {
 protected:
  void Configure(Config& config) override {
    config.sandbox = false;
    config.module_values["pricing.static.USDT_BRL.bid"] = "5.40";
    config.module_values["pricing.static.USDT_BRL.ask"] = "5.46";
  }
};

TEST_P(PricingStaticTest, OnlyConfiguredPricesAreQuoted) {
  ASSERT_TRUE(
      WaitFor([&] { return CountOf(Send("GET", "/v1/rates", reader_).body, "data") == 1; }));
  const Reply reply = Send("GET", "/v1/rates", reader_);
  EXPECT_NE(ItemOf(reply.body, "data", "pair", "USDT/BRL").find("source=static"),
            std::string::npos);
  EXPECT_EQ(ItemOf(reply.body, "unavailable", "pair", "USDT/VES"),
            "{pair=USDT/VES,reason=no_source}");
  EXPECT_EQ(CountOf(reply.body, "sources"), 1u);
  EXPECT_EQ(Send("POST", "/sandbox/rates/stop", "").status, 404);  // no sandbox feed here
}

INSTANTIATE_BACKENDS(PricingStaticTest);

class PricingNothingTest : public PayoutsServerTest {
 protected:
  void Configure(Config& config) override { config.sandbox = false; }
};

TEST_P(PricingNothingTest, WithoutASourceThereIsNoPriceAtAll) {
  const Reply reply = Send("GET", "/v1/rates", reader_);
  ASSERT_EQ(reply.status, 200);
  EXPECT_EQ(CountOf(reply.body, "data"), 0u);
  EXPECT_EQ(CountOf(reply.body, "unavailable"), 4u);
  EXPECT_EQ(CountOf(reply.body, "sources"), 0u);
}

INSTANTIATE_BACKENDS(PricingNothingTest);

}  // namespace
}  // namespace cambista::app
