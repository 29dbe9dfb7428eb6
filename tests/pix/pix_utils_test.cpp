// Cross-check with an independent implementation: the npm package pix-utils parses codes made by
// our encoder and must see the same fields. Fields are compared, not re-encoded strings (pix-utils
// re-encodes in its own way, e.g. it never emits 01). pix-utils checks structure and CRC but no
// length limits, so it cannot replace our own tests; it catches a misreading of the format that
// our encoder and parser would share.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>
#include <string>
#include <vector>

#include "br_code_generator.hpp"
#include "pix/br_code.hpp"
#include "subprocess.hpp"

namespace cambista::pix {
namespace {

using pix::testing::FindOnPath;
using pix::testing::RunProcess;

constexpr int kGeneratedCodeCount = 200;
constexpr uint64_t kSeed = 3003;

std::string Field(const boost::json::object& object, std::string_view name) {
  const auto* value = object.if_contains(name);
  if (value == nullptr || value->is_null()) return "";
  return std::string(value->as_string());
}

TEST(PixUtilsCrossCheck, ParsesOurCodesToTheSameFields) {
  const std::filesystem::path source_dir = CAMBISTA_SOURCE_DIR;
  const auto script = source_dir / "tests/pix/check_pix_utils.mjs";
  ASSERT_TRUE(std::filesystem::exists(script)) << script;
  ASSERT_TRUE(std::filesystem::exists(source_dir / "node_modules/pix-utils/package.json"))
      << "npm package pix-utils is missing from " << source_dir / "node_modules"
      << ": run `npm ci` in the repository root (./dev install does)";
  auto node = FindOnPath("node");
  if (!node) node = FindOnPath("nodejs");
  ASSERT_TRUE(node.has_value()) << "node not found on PATH: install Node.js 20";

  struct Case {
    std::string text;
    pix::testing::GeneratedCode code;
    bool valid = true;
  };
  std::vector<Case> cases;
  pix::testing::BrCodeGenerator generator(kSeed);
  for (int i = 0; i < kGeneratedCodeCount; ++i) {
    auto code = generator.Next();
    auto encoded = EncodeBrCode(code.input);
    ASSERT_TRUE(encoded.ok()) << encoded.error();
    cases.push_back({encoded.value(), code});
  }
  // Both sides must also refuse a code whose CRC no longer matches.
  for (int i = 0; i < 5; ++i) {
    Case broken = cases[static_cast<size_t>(i)];
    char& digit = broken.text[broken.text.size() - 1 - static_cast<size_t>(i % 4)];
    digit = digit == '0' ? '1' : '0';
    broken.valid = false;
    ASSERT_FALSE(ParseBrCode(broken.text).ok());
    cases.push_back(broken);
  }

  std::string input;
  for (const Case& c : cases) {
    input += boost::json::serialize(boost::json::object{{"code", c.text}}) + "\n";
  }
  const auto result = RunProcess(*node, {script.string()}, input);
  ASSERT_EQ(result.exit_code, 0) << "node failed: " << result.err;

  std::vector<boost::json::object> outputs;
  size_t start = 0;
  while (start < result.out.size()) {
    const size_t end = result.out.find('\n', start);
    const std::string line = result.out.substr(start, end - start);
    if (!line.empty()) outputs.push_back(boost::json::parse(line).as_object());
    if (end == std::string::npos) break;
    start = end + 1;
  }
  ASSERT_EQ(outputs.size(), cases.size()) << result.out << result.err;

  for (size_t i = 0; i < cases.size(); ++i) {
    const Case& c = cases[i];
    const boost::json::object& seen = outputs[i];
    SCOPED_TRACE(c.text);
    ASSERT_EQ(seen.at("ok").as_bool(), c.valid) << Field(seen, "error");
    if (!c.valid) continue;
    const BrCode& expected = c.code.expected;
    EXPECT_EQ(Field(seen, "merchantName"), expected.merchant_name);
    EXPECT_EQ(Field(seen, "merchantCity"), expected.merchant_city);
    if (expected.IsDynamic()) {
      // pix-utils reports neither amount nor txid for dynamic codes: they live in the payload.
      EXPECT_EQ(Field(seen, "type"), "DYNAMIC");
      EXPECT_EQ(Field(seen, "url"), expected.location_url);
      continue;
    }
    EXPECT_EQ(Field(seen, "type"), "STATIC");
    EXPECT_EQ(Field(seen, "key"), expected.key);
    EXPECT_EQ(Field(seen, "description"), expected.description);
    EXPECT_EQ(Field(seen, "txid"), expected.txid);
    EXPECT_EQ(Field(seen, "amount"), expected.amount ? expected.amount->ToString() : "");
  }
}

}  // namespace
}  // namespace cambista::pix
