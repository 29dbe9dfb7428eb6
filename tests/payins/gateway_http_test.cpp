// The adapters' shared toolkit: the HTTP status table, secret redaction, exact money in request
// bodies, the pre-call charge checks and the small text helpers.
#include "payins/gateway_http.hpp"

#include <gtest/gtest.h>

#include "core/clock.hpp"

namespace cambista::payins {
namespace {

using Kind = GatewayError::Kind;

Amount Brl(i128 minor) {
  return Amount(minor, BrlAsset());
}

class GatewayHttpTest : public ::testing::Test {
 protected:
  GatewayHttpTest() : http_(Context(), "testpay", {"sk_live_TOPSECRET", "", "client-secret-42"}) {}

  GatewayContext Context() {
    GatewayContext context;
    context.http = &client_;
    context.clock = &clock_;
    context.base_url = "http://127.0.0.1:1/sandbox/testpay/";
    return context;
  }

  static net::ClientResponse Response(
      int status, std::string body, std::vector<std::pair<std::string, std::string>> headers = {}) {
    net::ClientResponse response;
    response.status = status;
    response.body = std::move(body);
    response.headers = std::move(headers);
    return response;
  }

  net::HttpClient client_;
  ManualClock clock_;
  GatewayHttp http_;
};

TEST_F(GatewayHttpTest, StatusTable) {
  EXPECT_FALSE(http_.HttpErrorFor(Response(200, ""), "op").has_value());
  EXPECT_FALSE(http_.HttpErrorFor(Response(201, ""), "op").has_value());
  const std::pair<int, Kind> table[] = {
      {401, Kind::kAuth},        {403, Kind::kAuth},        {429, Kind::kRateLimited},
      {400, Kind::kRejected},    {404, Kind::kRejected},    {422, Kind::kRejected},
      {500, Kind::kUnavailable}, {502, Kind::kUnavailable}, {503, Kind::kUnavailable},
      {504, Kind::kUnavailable}, {302, Kind::kBadResponse}, {101, Kind::kBadResponse},
  };
  for (const auto& [status, kind] : table) {
    const auto error = http_.HttpErrorFor(Response(status, ""), "cash-in");
    ASSERT_TRUE(error.has_value()) << status;
    EXPECT_EQ(error->kind, kind) << status;
    EXPECT_EQ(error->http_status, status);
    EXPECT_EQ(error->message, "testpay cash-in answered HTTP " + std::to_string(status));
  }
}

TEST_F(GatewayHttpTest, ProviderMessagesAreKeptButSecretsAreRedacted) {
  const auto error = http_.HttpErrorFor(
      Response(422, R"({"message":"api_key sk_live_TOPSECRET is not valid for client-secret-42"})"),
      "cash-in");
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->message,
            "testpay cash-in answered HTTP 422: api_key [redacted] is not valid for [redacted]");
  // `error` and `detail` are read when there is no `message`; control characters become spaces.
  EXPECT_EQ(http_.HttpErrorFor(Response(400, R"({"error":"bad\nline"})"), "x")->message,
            "testpay x answered HTTP 400: bad line");
  EXPECT_EQ(http_.HttpErrorFor(Response(400, R"({"detail":"no bank account"})"), "x")->message,
            "testpay x answered HTTP 400: no bank account");
  // A long provider message is cut.
  const std::string long_message = R"({"message":")" + std::string(1000, 'm') + R"("})";
  EXPECT_LE(http_.HttpErrorFor(Response(400, long_message), "x")->message.size(), 260u);
}

TEST_F(GatewayHttpTest, RetryAfterIsReadForRateLimitsAndUnavailability) {
  EXPECT_EQ(http_.HttpErrorFor(Response(429, "", {{"Retry-After", "30"}}), "x")->retry_after_ms,
            30'000);
  EXPECT_EQ(http_.HttpErrorFor(Response(503, "", {{"Retry-After", "2"}}), "x")->retry_after_ms,
            2'000);
  EXPECT_EQ(http_.HttpErrorFor(Response(429, "", {{"Retry-After", "soon"}}), "x")->retry_after_ms,
            0);
  EXPECT_EQ(http_.HttpErrorFor(Response(429, "", {{"Retry-After", "999999"}}), "x")->retry_after_ms,
            3'600'000);
}

TEST_F(GatewayHttpTest, UrlsKeepTheBasePathAndDropItsTrailingSlash) {
  EXPECT_EQ(http_.Url("/api/pix/cashIn"), "http://127.0.0.1:1/sandbox/testpay/api/pix/cashIn");
}

TEST_F(GatewayHttpTest, TransportFailuresAreUnavailable) {
  net::ClientRequest request;
  request.url = http_.Url("/anything?api_token=sk_live_TOPSECRET");
  auto response = http_.Send(request, "status");
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.error().kind, Kind::kUnavailable);
  EXPECT_EQ(response.error().message.find("TOPSECRET"), std::string::npos);
  EXPECT_EQ(response.error().message.find("api_token"), std::string::npos);
}

TEST(GatewayHelpersTest, MoneyJsonWritesExactUnits) {
  EXPECT_EQ(MoneyJson(Brl(1050), AmountUnits::kMajor), "10.5");
  EXPECT_EQ(MoneyJson(Brl(1000), AmountUnits::kMajor), "10");
  EXPECT_EQ(MoneyJson(Brl(10), AmountUnits::kMajor), "0.1");
  EXPECT_EQ(MoneyJson(Brl(1), AmountUnits::kMajor), "0.01");
  EXPECT_EQ(MoneyJson(Brl(1050), AmountUnits::kMinor), "1050");
  EXPECT_EQ(MoneyJson(Brl(kI128Max), AmountUnits::kMinor),
            "170141183460469231731687303715884105727");
}

TEST(GatewayHelpersTest, ChargeRequestsAreCheckedBeforeAnyCall) {
  GatewayDescription description{.name = "testpay",
                                 .display_name = "TestPay",
                                 .required_credentials = {},
                                 .optional_credentials = {},
                                 .currency = "BRL",
                                 .units = AmountUnits::kMinor,
                                 .minimum = Brl(50),
                                 .maximum = Brl(100'000),
                                 .signs_webhooks = false,
                                 .can_fetch_status = true};
  const auto check = [&](Amount amount) {
    CreateChargeRequest request{.amount = amount,
                                .description = "",
                                .reference = "",
                                .customer = {},
                                .expires_in_seconds = 60,
                                .webhook_url = ""};
    return CheckChargeRequest(request, description);
  };
  EXPECT_FALSE(check(Brl(50)).has_value());
  EXPECT_FALSE(check(Brl(100'000)).has_value());
  const auto below = check(Brl(49));
  ASSERT_TRUE(below.has_value());
  EXPECT_EQ(below->kind, Kind::kInvalidRequest);
  EXPECT_EQ(below->message,
            "testpay charge refused: the amount 0.49 is below the minimum of 0.50 BRL");
  EXPECT_EQ(check(Brl(100'001))->kind, Kind::kInvalidRequest);
  EXPECT_EQ(check(Brl(0))->message, "testpay charge refused: the amount must be positive");
  EXPECT_EQ(check(Brl(-100))->kind, Kind::kInvalidRequest);
  const auto usdt = check(Amount(1'000'000, Asset::Make("USDT", 6).value()));
  ASSERT_TRUE(usdt.has_value());
  EXPECT_EQ(usdt->message,
            "testpay charge refused: the amount is in USDT (scale 6); testpay takes BRL");
  // Same code, another scale: not the same asset.
  EXPECT_EQ(check(Amount(100, Asset::Make("BRL", 3).value()))->kind, Kind::kInvalidRequest);
}

TEST(GatewayHelpersTest, JsonBodyWriterEscapesStringsAndKeepsRawNumbers) {
  const std::string body = JsonBodyWriter()
                               .String("name", "Jo\"ao\n\\")
                               .Raw("value", "10.5")
                               .Integer("n", -3)
                               .Bool("b", false)
                               .StringIfPresent("absent", "")
                               .String("bad", "\xC3\x28")
                               .Finish();
  EXPECT_EQ(body, R"({"name":"Jo\"ao\u000a\\","value":10.5,"n":-3,"b":false,"bad":")"
                  "\xEF\xBF\xBD"
                  R"(("})");
  EXPECT_EQ(JsonBodyWriter().Finish(), "{}");
}

TEST(GatewayHelpersTest, StatusWordsMatchWithoutCaseAndEventIdsAreNormalized) {
  constexpr StatusWord table[] = {{"paid", GatewayStatus::kPaid},
                                  {"pending", GatewayStatus::kPending}};
  EXPECT_EQ(MapStatusWord(table, "PAID"), GatewayStatus::kPaid);
  EXPECT_EQ(MapStatusWord(table, "Pending"), GatewayStatus::kPending);
  EXPECT_EQ(MapStatusWord(table, "paid "), std::nullopt);
  EXPECT_EQ(MapStatusWord(table, "unknown"), std::nullopt);
  EXPECT_EQ(StatusEventId("tx-1", GatewayStatus::kPaid), "tx-1:paid");
  EXPECT_EQ(StatusEventId("tx-1", GatewayStatus::kRefunded), "tx-1:refunded");
}

TEST(GatewayHelpersTest, PercentagesAreExactBasisPoints) {
  EXPECT_EQ(ParsePercentBps("2").value(), 200);
  EXPECT_EQ(ParsePercentBps("2.5").value(), 250);
  EXPECT_EQ(ParsePercentBps("12.25").value(), 1225);
  EXPECT_EQ(ParsePercentBps("100").value(), 10'000);
  EXPECT_EQ(ParsePercentBps("0.01").value(), 1);
  for (const auto* text : {"", "0", "0.00", "100.01", "101", "2.555", "2,5", "-1", "+1", " 2",
                           "1e1", "2.", ".5", "abc", "1000"}) {
    EXPECT_FALSE(ParsePercentBps(text).ok()) << text;
  }
  EXPECT_EQ(PercentJson(200), "2");
  EXPECT_EQ(PercentJson(250), "2.5");
  EXPECT_EQ(PercentJson(1225), "12.25");
  EXPECT_EQ(PercentJson(1), "0.01");
}

TEST(GatewayHelpersTest, PercentEncodingAndUtf8Truncation) {
  EXPECT_EQ(PercentEncode("abc-DEF_0.9~"), "abc-DEF_0.9~");
  EXPECT_EQ(PercentEncode("a/b?c=d&e f#"), "a%2Fb%3Fc%3Dd%26e%20f%23");
  EXPECT_EQ(PercentEncode("\xC3\xA9"), "%C3%A9");
  EXPECT_EQ(TruncateUtf8("abc", 5), "abc");
  EXPECT_EQ(TruncateUtf8("caf\xC3\xA9", 4), "caf");  // never half a character
  EXPECT_EQ(TruncateUtf8("caf\xC3\xA9", 5), "caf\xC3\xA9");
}

}  // namespace
}  // namespace cambista::payins
