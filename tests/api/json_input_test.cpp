#include "api/json_input.hpp"

#include <gtest/gtest.h>

#include <array>

namespace cambista::api {
namespace {

Asset Brl() {
  return Asset::Make("BRL", 2).value();
}

InputError ErrorOf(std::string_view body,
                   const std::function<std::optional<InputError>(JsonObjectReader&)>& read) {
  auto reader = JsonObjectReader::Parse(body);
  if (!reader.ok()) return reader.error();
  auto error = read(reader.value());
  return error.value_or(InputError{"none", "", ""});
}

TEST(JsonInputTest, ReadsValidFields) {
  auto reader = JsonObjectReader::Parse(
      R"({"amount":"10.50","currency":"BRL","side":"buy","expires_in_seconds":600,"note":null,"live":true})");
  ASSERT_TRUE(reader.ok());
  auto& r = reader.value();
  EXPECT_EQ(r.RequiredAmount("amount", Brl()).value().minor(), 1050);
  EXPECT_EQ(r.RequiredString("currency", 10).value(), "BRL");
  constexpr std::array<std::string_view, 2> kSides = {"buy", "sell"};
  EXPECT_EQ(r.RequiredEnum("side", kSides).value(), "buy");
  EXPECT_EQ(r.RequiredInteger("expires_in_seconds", 1, 3600).value(), 600);
  EXPECT_FALSE(r.OptionalString("note", 100).value().has_value());
  EXPECT_EQ(r.OptionalBool("live").value(), std::optional<bool>(true));
  EXPECT_FALSE(r.RejectUnknownFields().has_value());
}

TEST(JsonInputTest, EveryFailureNamesTheField) {
  const Asset brl = Brl();
  struct Case {
    std::string_view body;
    std::function<std::optional<InputError>(JsonObjectReader&)> read;
    std::string_view code, field, fragment;
  };
  auto amount = [&](JsonObjectReader& r) -> std::optional<InputError> {
    auto v = r.RequiredAmount("amount", brl);
    return v.ok() ? std::nullopt : std::optional<InputError>(v.error());
  };
  auto integer = [](JsonObjectReader& r) -> std::optional<InputError> {
    auto v = r.RequiredInteger("n", 1, 10);
    return v.ok() ? std::nullopt : std::optional<InputError>(v.error());
  };
  auto side = [](JsonObjectReader& r) -> std::optional<InputError> {
    constexpr std::array<std::string_view, 2> kSides = {"buy", "sell"};
    auto v = r.RequiredEnum("side", kSides);
    return v.ok() ? std::nullopt : std::optional<InputError>(v.error());
  };
  auto unknown = [](JsonObjectReader& r) -> std::optional<InputError> {
    (void)r.RequiredString("a", 10);
    return r.RejectUnknownFields();
  };
  const Case cases[] = {
      {R"({"amount":10.5})", amount, "invalid_amount", "amount", "not a JSON number"},
      {R"({"amount":10})", amount, "invalid_amount", "amount", "not a JSON number"},
      {R"({"amount":"10.505"})", amount, "invalid_amount", "amount", "BRL has 2 decimals"},
      {R"({"amount":"1e3"})", amount, "invalid_amount", "amount", "amount"},
      {R"({"amount":true})", amount, "invalid_amount", "amount", "decimal string"},
      {R"({})", amount, "invalid_request", "amount", "is required"},
      {R"({"n":"5"})", integer, "invalid_request", "n", "whole number from 1 to 10"},
      {R"({"n":5.0})", integer, "invalid_request", "n", "whole number"},
      {R"({"n":11})", integer, "invalid_request", "n", "from 1 to 10"},
      {R"({"n":18446744073709551615})", integer, "invalid_request", "n", "whole number"},
      {R"({"side":"hold"})", side, "invalid_request", "side", "one of: buy, sell"},
      {R"({"side":1})", side, "invalid_request", "side", "one of: buy, sell"},
      {R"({"a":"x","b":1})", unknown, "invalid_request", "b", "Unknown field \"b\""},
      {R"({"a":)", unknown, "invalid_request", "", "not valid JSON"},
      {R"([1,2])", unknown, "invalid_request", "", "must be a JSON object"},
      {std::string_view(""), unknown, "invalid_request", "", "not valid JSON"},
  };
  for (const Case& c : cases) {
    const InputError error = ErrorOf(c.body, c.read);
    EXPECT_EQ(error.code, c.code) << c.body;
    EXPECT_EQ(error.field, c.field) << c.body;
    EXPECT_NE(error.detail.find(c.fragment), std::string::npos) << c.body << ": " << error.detail;
  }
}

TEST(JsonInputTest, DeepNestingIsRefusedNotACrash) {
  std::string deep(100'000, '[');
  const InputError error =
      ErrorOf("{\"a\":" + deep, [](JsonObjectReader&) { return std::optional<InputError>(); });
  EXPECT_EQ(error.code, "invalid_request");
}

TEST(JsonInputTest, ProblemIs400WithTheCode) {
  const HttpResponse response = ToProblem(InputError{"invalid_amount", "amount", "bad"});
  EXPECT_EQ(response.status, 400);
  EXPECT_EQ(response.content_type, "application/problem+json");
  EXPECT_NE(response.body.find("\"code\":\"invalid_amount\""), std::string::npos);
}

}  // namespace
}  // namespace cambista::api
