// The Standard Webhooks signature and the body every receiver gets.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <string>

#include "events/webhook_delivery.hpp"

namespace cambista::events {
namespace {

// From the Standard Webhooks specification's reference implementations.
constexpr std::string_view kSpecSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
constexpr std::string_view kSpecId = "msg_p5jXN8AQM9LWM0D4loKWxJek";
constexpr int64_t kSpecTimestampS = 1614265330;
constexpr std::string_view kSpecBody = R"({"test": 2432232314})";
constexpr std::string_view kSpecSignature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

TEST(StandardWebhookSignatureTest, MatchesTheSpecificationVector) {
  EXPECT_EQ(StandardWebhookSignature(kSpecSecret, kSpecId, kSpecTimestampS, kSpecBody),
            std::optional<std::string>(kSpecSignature));
}

TEST(StandardWebhookSignatureTest, EverySignedPartChangesTheSignature) {
  const std::string reference =
      StandardWebhookSignature(kSpecSecret, kSpecId, kSpecTimestampS, kSpecBody).value();
  EXPECT_NE(StandardWebhookSignature(kSpecSecret, "msg_other", kSpecTimestampS, kSpecBody).value(),
            reference);
  EXPECT_NE(StandardWebhookSignature(kSpecSecret, kSpecId, kSpecTimestampS + 1, kSpecBody).value(),
            reference);
  EXPECT_NE(
      StandardWebhookSignature(kSpecSecret, kSpecId, kSpecTimestampS, R"({"test": 2432232315})")
          .value(),
      reference);
  EXPECT_NE(StandardWebhookSignature("whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", kSpecId,
                                     kSpecTimestampS, kSpecBody)
                .value(),
            reference);
}

TEST(StandardWebhookSignatureTest, RefusesMalformedSecrets) {
  // The key without its prefix, another prefix, and keys that are not canonical base64.
  EXPECT_EQ(StandardWebhookSignature("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", kSpecId, kSpecTimestampS,
                                     kSpecBody),
            std::nullopt);
  EXPECT_EQ(StandardWebhookSignature("whsek_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", kSpecId,
                                     kSpecTimestampS, kSpecBody),
            std::nullopt);
  EXPECT_EQ(StandardWebhookSignature("WHSEC_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", kSpecId,
                                     kSpecTimestampS, kSpecBody),
            std::nullopt);
  EXPECT_EQ(StandardWebhookSignature("whsec_not base64!", kSpecId, kSpecTimestampS, kSpecBody),
            std::nullopt);
  EXPECT_EQ(StandardWebhookSignature("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS", kSpecId,
                                     kSpecTimestampS, kSpecBody),
            std::nullopt);  // length not a multiple of 4
  EXPECT_EQ(StandardWebhookSignature("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw==", kSpecId,
                                     kSpecTimestampS, kSpecBody),
            std::nullopt);  // padding where none belongs
  EXPECT_EQ(StandardWebhookSignature("", kSpecId, kSpecTimestampS, kSpecBody), std::nullopt);
}

TEST(WebhookBodyTest, HasIdTypeRfc3339TimestampAndRawData) {
  // 1'700'000'000'123 ms is 2023-11-14T22:13:20.123Z.
  const std::string body = WebhookBody("evt_0123456789abcdef01234567", "charge.paid",
                                       1'700'000'000'123, R"({"amount":"10.00","n":[1,2]})");
  EXPECT_EQ(body, R"({"id":"evt_0123456789abcdef01234567","type":"charge.paid",)"
                  R"("timestamp":"2023-11-14T22:13:20.123Z","data":{"amount":"10.00","n":[1,2]}})");
  const boost::json::value parsed = boost::json::parse(body);
  const boost::json::object& object = parsed.as_object();
  EXPECT_EQ(object.size(), 4u);
  EXPECT_EQ(object.at("data").as_object().at("amount").as_string(), "10.00");
}

TEST(WebhookBodyTest, TimestampKeepsLeadingZeroMillisAndTruncates) {
  EXPECT_EQ(
      WebhookBody("evt_1", "test.ping", 1'614'265'330'007, "{}"),
      R"({"id":"evt_1","type":"test.ping","timestamp":"2021-02-25T15:02:10.007Z","data":{}})");
  EXPECT_EQ(
      WebhookBody("evt_1", "test.ping", 0, "{}"),
      R"({"id":"evt_1","type":"test.ping","timestamp":"1970-01-01T00:00:00.000Z","data":{}})");
}

TEST(WebhookBodyTest, IsTheSameForTheSameEvent) {
  EXPECT_EQ(WebhookBody("evt_1", "charge.paid", 42, R"({"a":1})"),
            WebhookBody("evt_1", "charge.paid", 42, R"({"a":1})"));
}

TEST(EndpointSecretContextTest, NamesTheEndpoint) {
  EXPECT_NE(EndpointSecretContext("we_a"), EndpointSecretContext("we_b"));
  EXPECT_NE(EndpointSecretContext("we_a").find("we_a"), std::string::npos);
}

}  // namespace
}  // namespace cambista::events
