#include "sandbox/json_node.hpp"

#include <gtest/gtest.h>

#include <string>

namespace cambista::sandbox {
namespace {

TEST(JsonNode, KeepsTheTextOfEveryNumber) {
  auto node = JsonNode::Parse(R"({"reais":10.5,"centavos":1050,"tiny":0.1,"big":1e400,)"
                              R"("negative":-3,"huge":123456789012345678901234567890})");
  ASSERT_TRUE(node.ok()) << node.error();
  EXPECT_EQ(node->Find("reais")->text(), "10.5");
  EXPECT_EQ(node->Find("centavos")->text(), "1050");
  EXPECT_EQ(node->Find("tiny")->text(), "0.1");
  EXPECT_EQ(node->Find("big")->text(), "1e400");
  EXPECT_EQ(node->Find("negative")->text(), "-3");
  EXPECT_EQ(node->Find("huge")->text(), "123456789012345678901234567890");
  EXPECT_TRUE(node->Find("reais")->IsNumber());
}

TEST(JsonNode, BuildsNestedValues) {
  auto node =
      JsonNode::Parse(R"({"data":{"id":"a\"b","list":[1,"two",true,null,{"k":[]}]},"flag":false})");
  ASSERT_TRUE(node.ok()) << node.error();
  const JsonNode* data = node->Find("data");
  ASSERT_NE(data, nullptr);
  EXPECT_EQ(data->Find("id")->text(), "a\"b");
  const auto& list = data->Find("list")->items();
  ASSERT_EQ(list.size(), 5u);
  EXPECT_EQ(list[0].text(), "1");
  EXPECT_EQ(list[1].text(), "two");
  EXPECT_TRUE(list[2].IsBool() && list[2].boolean());
  EXPECT_TRUE(list[3].IsNull());
  EXPECT_TRUE(list[4].Find("k")->IsArray());
  EXPECT_FALSE(node->Find("flag")->boolean());
  EXPECT_EQ(node->Find("missing"), nullptr);
  EXPECT_EQ(list[1].Find("anything"), nullptr);  // not an object
}

TEST(JsonNode, RefusesWhatIsNotOneStrictJsonValue) {
  for (const std::string text : {"", "{", "{\"a\":1,}", "{\"a\":1} x", "// c\n{}",
                                 "{\"a\":1,\"a\":2}", "[1,2", "nul", "{\"a\":{\"b\":1,\"b\":1}}"}) {
    EXPECT_FALSE(JsonNode::Parse(text).ok()) << text;
  }
  EXPECT_EQ(JsonNode::Parse(R"({"a":1,"a":2})").error(),
            "not valid JSON: a key appears twice in one object");
  // The same key in two different objects is fine.
  EXPECT_TRUE(JsonNode::Parse(R"({"a":{"a":1},"b":{"a":2}})").ok());
  EXPECT_TRUE(JsonNode::Parse(" [] ").ok());
}

TEST(JsonNode, LimitsNesting) {
  const std::string deep_ok =
      std::string(kJsonNodeDepthMax, '[') + std::string(kJsonNodeDepthMax, ']');
  EXPECT_TRUE(JsonNode::Parse(deep_ok).ok());
  const std::string too_deep =
      std::string(kJsonNodeDepthMax + 1, '[') + std::string(kJsonNodeDepthMax + 1, ']');
  EXPECT_FALSE(JsonNode::Parse(too_deep).ok());
}

}  // namespace
}  // namespace cambista::sandbox
