// The catalogue of event types and stream channels agrees with itself.
#include <gtest/gtest.h>

#include <algorithm>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "events/event_outbox.hpp"

namespace cambista::events {
namespace {

TEST(EventTypesTest, ChannelsAreTheFourStreamChannelsSortedAndUnique) {
  const auto channels = Channels();
  EXPECT_EQ(std::vector<std::string_view>(channels.begin(), channels.end()),
            (std::vector<std::string_view>{"charges", "payouts", "rates", "trades"}));
}

TEST(EventTypesTest, NamesAreUniqueAndDotted) {
  std::set<std::string_view> names;
  for (const EventType& type : EventTypes()) {
    EXPECT_TRUE(names.insert(type.name).second) << type.name;
    EXPECT_NE(type.name.find('.'), std::string_view::npos) << type.name;
    // A comma would break the comma-separated subscription list of an endpoint.
    EXPECT_EQ(type.name.find(','), std::string_view::npos) << type.name;
  }
  EXPECT_TRUE(names.contains("charge.paid"));
  EXPECT_TRUE(names.contains("test.ping"));
}

TEST(EventTypesTest, EveryTypeIsOnAKnownChannelExceptThoseTheCallerPlaces) {
  const auto channels = Channels();
  for (const EventType& type : EventTypes()) {
    if (type.name == "test.ping" || type.name == "reconciliation.mismatch") {
      EXPECT_EQ(type.channel, "");  // goes on the channel the caller names
      continue;
    }
    EXPECT_NE(std::find(channels.begin(), channels.end(), type.channel), channels.end())
        << type.name << " on " << type.channel;
    // The type's prefix names its channel: charge.* on charges, and so on; the treasury's
    // capacity alerts are about payouts and go where payouts do.
    const std::string_view prefix = type.name.substr(0, type.name.find('.'));
    const std::string expected =
        prefix == "treasury" ? std::string("payouts") : std::string(prefix) + "s";
    EXPECT_EQ(expected, type.channel) << type.name;
  }
}

TEST(EventTypesTest, EveryChannelCarriesSomeType) {
  for (const std::string_view channel : Channels()) {
    const auto types = EventTypes();
    EXPECT_TRUE(std::any_of(types.begin(), types.end(), [&](const EventType& type) {
      return type.channel == channel;
    })) << channel;
  }
}

TEST(EventTypesTest, ChannelOfAgreesWithTheCatalogue) {
  for (const EventType& type : EventTypes()) {
    EXPECT_EQ(ChannelOf(type.name), std::optional<std::string_view>(type.channel)) << type.name;
  }
  EXPECT_EQ(ChannelOf("charge.paid"), std::optional<std::string_view>("charges"));
  EXPECT_EQ(ChannelOf("payout.failed"), std::optional<std::string_view>("payouts"));
  EXPECT_EQ(ChannelOf("rate.updated"), std::optional<std::string_view>("rates"));
  EXPECT_EQ(ChannelOf("trade.completed"), std::optional<std::string_view>("trades"));
  EXPECT_EQ(ChannelOf("charge"), std::nullopt);
  EXPECT_EQ(ChannelOf("charge.paid "), std::nullopt);
  EXPECT_EQ(ChannelOf("Charge.Paid"), std::nullopt);
  EXPECT_EQ(ChannelOf(""), std::nullopt);
  EXPECT_EQ(ChannelOf("charges"), std::nullopt);  // a channel is not a type
}

}  // namespace
}  // namespace cambista::events
