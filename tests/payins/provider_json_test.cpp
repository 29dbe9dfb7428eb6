// Provider JSON: numbers keep their text, amounts are exact in both units, every refusal names the
// field, and the limits hold.
#include "payins/provider_json.hpp"

#include <gtest/gtest.h>

#include <string>

#include "payins/gateway_http.hpp"

namespace cambista::payins {
namespace {

const Asset& Brl() {
  return BrlAsset();
}

JsonDocument Parse(std::string_view text) {
  auto document = JsonDocument::Parse(text);
  EXPECT_TRUE(document.ok()) << (document.ok() ? "" : document.error().message);
  return std::move(document).value();
}

JsonFieldError ParseError(std::string_view text) {
  auto document = JsonDocument::Parse(text);
  EXPECT_FALSE(document.ok());
  return document.ok() ? JsonFieldError{} : document.error();
}

Result<Amount, std::string> Major(std::string_view text, bool from_string = false) {
  return ReadProviderAmount(text, from_string, Brl(), AmountUnits::kMajor);
}

Result<Amount, std::string> Minor(std::string_view text, bool from_string = false) {
  return ReadProviderAmount(text, from_string, Brl(), AmountUnits::kMinor);
}

TEST(ProviderJsonTest, NumbersKeepTheirSourceText) {
  const JsonDocument document = Parse(
      R"({"a":10.5,"b":0.1,"c":10.50,"d":1050,"e":-3,"f":1e400,"g":123456789012345678901234567890,
          "h":0.30000000000000004})");
  const JsonNode& root = document.root();
  EXPECT_EQ(root.Find("a")->text(), "10.5");
  EXPECT_EQ(root.Find("b")->text(), "0.1");
  EXPECT_EQ(root.Find("c")->text(), "10.50");
  EXPECT_EQ(root.Find("d")->text(), "1050");
  EXPECT_EQ(root.Find("e")->text(), "-3");
  EXPECT_EQ(root.Find("g")->text(), "123456789012345678901234567890");
  EXPECT_EQ(root.Find("h")->text(), "0.30000000000000004");
  EXPECT_EQ(root.Find("a")->kind(), JsonNode::Kind::kNumber);
}

TEST(ProviderJsonTest, HugeExponentsAreRefusedAsInvalidJsonNotTurnedIntoInfinity) {
  // 1e400 is legal JSON; Boost gives it a text and we keep it. 1e99999999999 overflows the
  // parser's exponent and is a syntax error, named for the document.
  EXPECT_EQ(ParseError(R"({"a":1e99999999999999999999})").field, "");
}

TEST(ProviderJsonTest, StringsAreDecodedAndKeysKeepTheirOrder) {
  const JsonDocument document = Parse(R"({"z":"caf\u00e9 \"x\"","a":[1,"two",null,true]})");
  const JsonNode& root = document.root();
  ASSERT_EQ(root.size(), 2u);
  EXPECT_EQ(root.key(0), "z");
  EXPECT_EQ(root.key(1), "a");
  EXPECT_EQ(root.child(0).text(), "caf\xC3\xA9 \"x\"");
  const JsonNode& array = root.child(1);
  ASSERT_EQ(array.kind(), JsonNode::Kind::kArray);
  ASSERT_EQ(array.size(), 4u);
  EXPECT_EQ(array.child(1).text(), "two");
  EXPECT_TRUE(array.child(2).IsNull());
  EXPECT_TRUE(array.child(3).bool_value());
}

TEST(ProviderJsonTest, MajorUnitAmountsAreExact) {
  EXPECT_EQ(Major("10.5").value().minor(), 1050);
  EXPECT_EQ(Major("0.1").value().minor(), 10);
  EXPECT_EQ(Major("10").value().minor(), 1000);
  EXPECT_EQ(Major("10.50").value().minor(), 1050);
  EXPECT_EQ(Major("0").value().minor(), 0);
  EXPECT_EQ(Major("007.01").value().minor(), 701);
  // Trailing zeros past the scale are exact; other extra digits are refused.
  EXPECT_EQ(Major("10.500").value().minor(), 1050);
  EXPECT_EQ(Major("10.5000000").value().minor(), 1050);
  EXPECT_EQ(Major("10.555").error(), "has more than 2 decimal places");
  EXPECT_FALSE(Major("10.501").ok());
  // What a float64 round trip leaves behind is not money.
  EXPECT_FALSE(Major("10.499999999999998").ok());
  EXPECT_FALSE(Major("0.30000000000000004").ok());
  // Strings in major units read the same way.
  EXPECT_EQ(Major("10.5", true).value().minor(), 1050);
  EXPECT_EQ(Major("1234567.89", true).value().minor(), 123456789);
}

TEST(ProviderJsonTest, MinorUnitAmountsAreWholeCentavos) {
  EXPECT_EQ(Minor("1050").value().minor(), 1050);
  EXPECT_EQ(Minor("0").value().minor(), 0);
  EXPECT_EQ(Minor("1050.0").value().minor(), 1050);  // a PHP float holding an integer
  EXPECT_EQ(Minor("1050.00").value().minor(), 1050);
  EXPECT_EQ(Minor("1050", true).value().minor(), 1050);
  EXPECT_EQ(Minor("1050.5").error(), "is a fraction of a minor unit (it counts minor units)");
  EXPECT_EQ(Minor("170141183460469231731687303715884105727").value().minor(), kI128Max);
  EXPECT_EQ(Minor("170141183460469231731687303715884105728").error(), "is too large");
  EXPECT_EQ(Minor("99999999999999999999999999999999999999999").error(), "is too large");
}

TEST(ProviderJsonTest, AmountsRefuseSignsExponentsAndJunk) {
  for (const auto* text : {"-1", "+1", "-0.5"}) {
    EXPECT_EQ(Major(text).error(), "must not carry a sign") << text;
    EXPECT_EQ(Minor(text).error(), "must not carry a sign") << text;
  }
  EXPECT_EQ(Major("1e3").error(), "is a number in exponent notation, not accepted for money");
  EXPECT_EQ(Minor("1.05E3").error(), "is a number in exponent notation, not accepted for money");
  EXPECT_EQ(Major("1e3", true).error(),
            "is a decimal string in exponent notation, not accepted for money");
  for (const auto* text : {"", " 10.5", "10.5 ", "10,50", "1.000,00", "R$10", "10.", ".5", "1.2.3",
                           "NaN", "Infinity", "0x10", "١٠"}) {
    EXPECT_FALSE(Major(text, true).ok()) << text;
    EXPECT_FALSE(Minor(text, true).ok()) << text;
  }
}

TEST(ProviderJsonTest, FieldReadersNameTheFieldPath) {
  const JsonDocument document = Parse(
      R"({"data":{"id":42,"status":7,"amount":"abc","nested":{"deep":[]},"note":null,
          "ok":"yes","big":99999999999999999999,"frac":1.5,"flag":"true"}})");
  const JsonObject root = document.RootObject().value();
  const JsonObject data = root.RequiredObject("data").value();
  EXPECT_EQ(data.FieldPath("amount"), "data.amount");

  auto status = data.RequiredString("status");
  EXPECT_EQ(status.error().field, "data.status");
  EXPECT_EQ(status.error().message, "data.status must be a string, not a number");

  auto amount = data.RequiredAmount("amount", Brl(), AmountUnits::kMajor);
  EXPECT_EQ(amount.error().field, "data.amount");
  EXPECT_NE(amount.error().message.find("data.amount is not a decimal amount"), std::string::npos);

  auto missing = data.RequiredString("absent");
  EXPECT_EQ(missing.error().field, "data.absent");
  EXPECT_EQ(missing.error().message, "data.absent is missing");
  // null counts as absent: optional readers say nothing, required ones say missing.
  EXPECT_FALSE(data.OptionalString("note").value().has_value());
  EXPECT_EQ(data.RequiredString("note").error().message, "data.note is missing");

  EXPECT_EQ(data.RequiredId("id").value(), "42");  // numeric ids become their text
  EXPECT_EQ(data.RequiredObject("nested").value().RequiredObject("deep").error().message,
            "data.nested.deep must be an object, not an array");
  EXPECT_EQ(data.RequiredInteger("big").error().message, "data.big is out of range");
  EXPECT_EQ(data.RequiredInteger("frac").error().message, "data.frac must be an integer");
  EXPECT_EQ(data.OptionalBool("flag").error().message, "data.flag must be a boolean, not a string");
  EXPECT_EQ(root.RequiredObject("missing").error().field, "missing");
}

TEST(ProviderJsonTest, IdsAreBoundedPrintableText) {
  const JsonDocument document =
      Parse(R"({"neg":-1,"frac":1.5,"empty":"","space":"a b","ok":"E0000000020240101abc",
                "obj":{}})");
  const JsonObject root = document.RootObject().value();
  EXPECT_EQ(root.RequiredId("ok").value(), "E0000000020240101abc");
  EXPECT_FALSE(root.RequiredId("neg").ok());
  EXPECT_FALSE(root.RequiredId("frac").ok());
  EXPECT_EQ(root.RequiredId("empty").error().message, "empty is empty");
  EXPECT_FALSE(root.RequiredId("space").ok());
  EXPECT_EQ(root.RequiredId("obj").error().message,
            "obj must be a string or an integer, not an object");
  const std::string long_id = R"({"id":")" + std::string(kProviderIdBytesMax + 1, 'a') + R"("})";
  const JsonDocument long_document = Parse(long_id);
  EXPECT_FALSE(long_document.RootObject().value().RequiredId("id").ok());
}

TEST(ProviderJsonTest, DuplicateKeysAreRefusedNamingThePath) {
  EXPECT_EQ(ParseError(R"({"id":"1","id":"2"})").field, "id");
  const JsonFieldError nested = ParseError(R"({"data":{"amount":1,"amount":100000}})");
  EXPECT_EQ(nested.field, "data.amount");
  EXPECT_EQ(nested.message, "appears twice in the same object");
  EXPECT_EQ(ParseError(R"({"cart":[{"a":1},{"b":1,"b":2}]})").field, "cart[1].b");
}

TEST(ProviderJsonTest, MalformedDocumentsAreRefused) {
  for (const auto* text :
       {"", "not json", "{", R"({"a":1,})", R"({"a":1} x)", R"({"a":1}{})", R"({'a':1})",
        "// c\n{}", R"({"a":01})", R"({"a":.5})", R"({"a":NaN})"}) {
    EXPECT_FALSE(JsonDocument::Parse(text).ok()) << text;
  }
  // Invalid UTF-8 inside a string.
  EXPECT_FALSE(JsonDocument::Parse("{\"a\":\"\xC3\x28\"}").ok());
  // Not an object at the root: parsed, but RootObject refuses it.
  auto array = JsonDocument::Parse("[1,2]");
  ASSERT_TRUE(array.ok());
  EXPECT_EQ(array.value().RootObject().error().message,
            "the document must be a JSON object, not an array");
}

TEST(ProviderJsonTest, LimitsHold) {
  std::string deep;
  for (size_t i = 0; i < kProviderJsonDepthMax + 1; ++i) deep += "[";
  for (size_t i = 0; i < kProviderJsonDepthMax + 1; ++i) deep += "]";
  EXPECT_NE(ParseError(deep).message.find("nested deeper"), std::string::npos);

  std::string many = "[";
  for (size_t i = 0; i < kProviderJsonValuesMax + 1; ++i) many += "0,";
  many.back() = ']';
  EXPECT_NE(ParseError(many).message.find("values"), std::string::npos);

  const std::string big = R"({"a":")" + std::string(kProviderJsonBytesMax, 'x') + R"("})";
  EXPECT_NE(ParseError(big).message.find("larger than"), std::string::npos);

  const std::string long_string =
      R"({"a":")" + std::string(kProviderStringBytesMax + 1, 'x') + R"("})";
  const JsonDocument document = Parse(long_string);
  EXPECT_EQ(document.RootObject().value().RequiredString("a").error().message,
            "a is longer than 4096 bytes");
}

}  // namespace
}  // namespace cambista::payins
