#include "obs/json_string.hpp"

#include <gtest/gtest.h>

namespace cambista::obs {
namespace {

std::string Json(std::string_view text) {
  std::string out;
  AppendJsonString(out, text);
  return out;
}

TEST(JsonStringTest, EscapesQuoteBackslashAndControls) {
  EXPECT_EQ(Json("plain"), "\"plain\"");
  EXPECT_EQ(Json("say \"hi\" \\ bye"), "\"say \\\"hi\\\" \\\\ bye\"");
  EXPECT_EQ(Json("a\nb\tc\rd"), "\"a\\u000ab\\u0009c\\u000dd\"");
  EXPECT_EQ(Json(std::string_view("\x00\x1f", 2)), "\"\\u0000\\u001f\"");
  EXPECT_EQ(Json("\x7f"), "\"\x7f\"");
}

TEST(JsonStringTest, KeepsValidUtf8) {
  EXPECT_EQ(Json("São Paulo €1 \xF0\x9F\x92\xB8"), "\"São Paulo €1 \xF0\x9F\x92\xB8\"");
}

TEST(JsonStringTest, ReplacesInvalidUtf8) {
  const std::string replacement = "\xEF\xBF\xBD";
  EXPECT_EQ(Json("a\xFF"
                 "b"),
            "\"a" + replacement + "b\"");
  EXPECT_EQ(Json("\xC0\xAF"), "\"" + replacement + replacement + "\"");  // overlong '/'
  EXPECT_EQ(Json("\xED\xA0\x80"),
            "\"" + replacement + replacement + replacement + "\"");  // surrogate
  EXPECT_EQ(Json("\xF4\x90\x80\x80"),
            "\"" + replacement + replacement + replacement + replacement + "\"");  // > U+10FFFF
  EXPECT_EQ(Json("x\xE2\x82"), "\"x" + replacement + replacement + "\"");          // truncated
}

}  // namespace
}  // namespace cambista::obs
