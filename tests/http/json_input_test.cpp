#include "http/json_input.hpp"

#include <gtest/gtest.h>

#include <array>

namespace cambista::http {
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

// The same answer as decoding by value: a sequence is valid when its length matches its lead
// byte, its continuation bytes are 10xxxxxx, and the code point it spells is the shortest form,
// not a surrogate and at most U+10FFFF. Written differently from Utf8CodePoints on purpose.
std::optional<size_t> ReferenceCodePoints(std::string_view text) {
  size_t count = 0;
  for (size_t i = 0; i < text.size(); ++count) {
    const auto lead = static_cast<unsigned char>(text[i]);
    size_t length = 0;
    uint32_t code = 0;
    if (lead < 0x80) {
      length = 1, code = lead;
    } else if ((lead & 0xE0) == 0xC0) {
      length = 2, code = lead & 0x1F;
    } else if ((lead & 0xF0) == 0xE0) {
      length = 3, code = lead & 0x0F;
    } else if ((lead & 0xF8) == 0xF0) {
      length = 4, code = lead & 0x07;
    } else {
      return std::nullopt;
    }
    if (i + length > text.size()) return std::nullopt;
    for (size_t k = 1; k < length; ++k) {
      const auto byte = static_cast<unsigned char>(text[i + k]);
      if ((byte & 0xC0) != 0x80) return std::nullopt;
      code = (code << 6) | (byte & 0x3F);
    }
    constexpr uint32_t kShortestFrom[] = {0, 0, 0x80, 0x800, 0x10000};
    if (code < kShortestFrom[length] || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) {
      return std::nullopt;
    }
    i += length;
  }
  return count;
}

TEST(Utf8CodePointsTest, CountsCharactersNotBytes) {
  EXPECT_EQ(Utf8CodePoints(""), 0u);
  EXPECT_EQ(Utf8CodePoints("Joao"), 4u);
  EXPECT_EQ(Utf8CodePoints("\xC3\x91"), 1u);                   // Ñ
  EXPECT_EQ(Utf8CodePoints("Jo\xC3\xA3o"), 4u);                // João
  EXPECT_EQ(Utf8CodePoints("\xE2\x82\xAC"), 1u);               // €
  EXPECT_EQ(Utf8CodePoints("\xF0\x9F\x98\x80"), 1u);           // U+1F600
  EXPECT_EQ(Utf8CodePoints("\xF4\x8F\xBF\xBF"), 1u);           // U+10FFFF, the last
  EXPECT_EQ(Utf8CodePoints(std::string_view("a\0b", 3)), 3u);  // NUL is a character
}

TEST(Utf8CodePointsTest, RefusesWhatIsNotUtf8) {
  for (std::string_view bad : {
           "\x80",              // a continuation byte alone
           "\xC3",              // truncated
           "\xE2\x82",          // truncated
           "\xC0\x80",          // overlong NUL
           "\xC1\xBF",          // overlong
           "\xE0\x80\x80",      // overlong
           "\xE0\x9F\xBF",      // overlong
           "\xED\xA0\x80",      // U+D800, a surrogate
           "\xED\xBF\xBF",      // U+DFFF
           "\xF0\x8F\xBF\xBF",  // overlong
           "\xF4\x90\x80\x80",  // U+110000
           "\xF5\x80\x80\x80",  // no such lead byte
           "\xFF",
           "\xC3\x28",  // second byte not a continuation
           "Ol\xE1",    // Latin-1 "Olá"
       }) {
    EXPECT_FALSE(Utf8CodePoints(bad).has_value()) << ::testing::PrintToString(bad);
  }
}

// Every one- and two-byte string, and every three-byte string that starts a multi-byte sequence,
// against the decoder above.
TEST(Utf8CodePointsTest, AgreesWithDecodingByValue) {
  std::string text;
  for (int a = 0; a < 256; ++a) {
    text.assign(1, static_cast<char>(a));
    ASSERT_EQ(Utf8CodePoints(text), ReferenceCodePoints(text)) << a;
    for (int b = 0; b < 256; ++b) {
      text.assign({static_cast<char>(a), static_cast<char>(b)});
      ASSERT_EQ(Utf8CodePoints(text), ReferenceCodePoints(text)) << a << " " << b;
      if (a < 0xC0) continue;
      for (int c = 0; c < 256; ++c) {
        text.assign({static_cast<char>(a), static_cast<char>(b), static_cast<char>(c)});
        ASSERT_EQ(Utf8CodePoints(text), ReferenceCodePoints(text)) << a << " " << b << " " << c;
      }
    }
  }
  for (int a = 0xF0; a < 0x100; ++a) {
    for (int b = 0x70; b < 0xD0; ++b) {
      for (const char* tail : {"\x80\x80", "\xBF\xBF", "\x80\x7F", "\xC0\x80"}) {
        text.assign({static_cast<char>(a), static_cast<char>(b)});
        text += tail;
        ASSERT_EQ(Utf8CodePoints(text), ReferenceCodePoints(text)) << a << " " << b;
      }
    }
  }
}

std::string Repeated(std::string_view piece, int times) {
  std::string out;
  for (int i = 0; i < times; ++i) out += piece;
  return out;
}

// "Ñ" is two bytes in UTF-8 and one character: 200 of them fit a 200-character limit.
TEST(JsonInputTest, LimitsCountCharacters) {
  const std::string fits = Repeated("\xC3\x91", 200);
  const std::string over = Repeated("\xC3\x91", 201);
  auto text = [](const std::string& value) { return "{\"d\":\"" + value + "\"}"; };
  auto parsed = JsonObjectReader::Parse(text(fits));
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed.value().RequiredString("d", 200).value(), fits);
  auto too_long = JsonObjectReader::Parse(text(over)).value().OptionalString("d", 200);
  ASSERT_FALSE(too_long.ok());
  EXPECT_EQ(too_long.error().field, "d");
  EXPECT_NE(too_long.error().detail.find("longer than 200 characters"), std::string::npos);
  // Escapes count as what they spell: \u00d1 is one Ñ, a surrogate pair one emoji.
  EXPECT_TRUE(JsonObjectReader::Parse(text(Repeated("\\u00d1", 200)))
                  .value()
                  .RequiredString("d", 200)
                  .ok());
  EXPECT_EQ(JsonObjectReader::Parse(text(Repeated("\\ud83d\\ude00", 3)))
                .value()
                .RequiredString("d", 3)
                .value(),
            Repeated("\xF0\x9F\x98\x80", 3));
  EXPECT_FALSE(JsonObjectReader::Parse(text(Repeated("\xF0\x9F\x98\x80", 4)))
                   .value()
                   .RequiredString("d", 3)
                   .ok());
}

TEST(JsonInputTest, ArrayAndMapLimitsCountCharacters) {
  const std::string five = Repeated("\xC3\xA3", 5);  // ã x 5: 10 bytes
  const std::string six = Repeated("\xC3\xA3", 6);
  auto array = [](const std::string& item) { return "{\"a\":[\"x\",\"" + item + "\"]}"; };
  EXPECT_TRUE(JsonObjectReader::Parse(array(five)).value().RequiredStringArray("a", 2, 5).ok());
  EXPECT_FALSE(JsonObjectReader::Parse(array(six)).value().RequiredStringArray("a", 2, 5).ok());
  auto map = [](const std::string& key, const std::string& value) {
    return "{\"m\":{\"" + key + "\":\"" + value + "\"}}";
  };
  EXPECT_TRUE(JsonObjectReader::Parse(map(five, five)).value().RequiredStringMap("m", 1, 5).ok());
  EXPECT_FALSE(JsonObjectReader::Parse(map(six, "v")).value().RequiredStringMap("m", 1, 5).ok());
  EXPECT_FALSE(JsonObjectReader::Parse(map("k", six)).value().RequiredStringMap("m", 1, 5).ok());
}

// Invalid UTF-8 anywhere in the body is a 400 at Parse that names where it is.
TEST(JsonInputTest, InvalidUtf8NamesTheField) {
  const struct {
    std::string body;
    std::string field;
  } cases[] = {
      {"{\"description\":\"Ol\xE1\"}", "description"},
      {"{\"a\":\"ok\",\"customer\":{\"name\":\"\xC3\x28\"}}", "customer.name"},
      {"{\"event_types\":[\"charge.paid\",\"\xED\xA0\x80\"]}", "event_types[1]"},
      {"{\"m\":[[1,\"\xFF\"]]}", "m[0][1]"},
      {"{\"bad\xC0\x80key\":1}", "bad\xC0\x80key"},
  };
  for (const auto& c : cases) {
    auto parsed = JsonObjectReader::Parse(c.body);
    ASSERT_FALSE(parsed.ok()) << c.field;
    EXPECT_EQ(parsed.error().code, "invalid_request");
    EXPECT_EQ(parsed.error().field, c.field);
    EXPECT_NE(parsed.error().detail.find("is not valid UTF-8"), std::string::npos)
        << parsed.error().detail;
    // The problem is still valid UTF-8 itself: the offending bytes are replaced, not echoed.
    const HttpResponse problem = ToProblem(parsed.error());
    EXPECT_EQ(problem.status, 400);
    EXPECT_TRUE(Utf8CodePoints(problem.body).has_value()) << problem.body;
  }
  // Valid multi-byte text, keys included, passes.
  EXPECT_TRUE(JsonObjectReader::Parse("{\"descri\xC3\xA7\xC3\xA3o\":\"\xC3\x91\"}").ok());
}

TEST(JsonInputTest, ProblemIs400WithTheCode) {
  const HttpResponse response = ToProblem(InputError{"invalid_amount", "amount", "bad"});
  EXPECT_EQ(response.status, 400);
  EXPECT_EQ(response.content_type, "application/problem+json");
  EXPECT_NE(response.body.find("\"code\":\"invalid_amount\""), std::string::npos);
}

}  // namespace
}  // namespace cambista::http
