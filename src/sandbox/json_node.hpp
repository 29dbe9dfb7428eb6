// A parsed JSON document that keeps every number's source text. Gateways send money as JSON
// numbers (SyncPay `"amount": 10.5` in reais, PushinPay `"value": 1050` in centavos); reading those
// through a double would round, so the simulators read the number's own text with Amount::Parse.
// Parsing is strict JSON (no comments, no trailing commas), nested at most kJsonNodeDepthMax deep.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.hpp"

namespace cambista::sandbox {

inline constexpr size_t kJsonNodeDepthMax = 32;

class JsonNode {
 public:
  enum class Kind : uint8_t { kNull, kBool, kNumber, kString, kArray, kObject };

  // The document, or a one-line reason it is not valid JSON.
  static Result<JsonNode, std::string> Parse(std::string_view text);

  Kind kind() const { return kind_; }
  bool IsNull() const { return kind_ == Kind::kNull; }
  bool IsBool() const { return kind_ == Kind::kBool; }
  bool IsNumber() const { return kind_ == Kind::kNumber; }
  bool IsString() const { return kind_ == Kind::kString; }
  bool IsArray() const { return kind_ == Kind::kArray; }
  bool IsObject() const { return kind_ == Kind::kObject; }

  // A string's contents (unescaped), or a number's text exactly as sent ("10.50", "1e3", "-0").
  const std::string& text() const { return text_; }
  bool boolean() const { return boolean_; }
  const std::vector<JsonNode>& items() const { return items_; }
  const std::vector<std::pair<std::string, JsonNode>>& members() const { return members_; }

  // The first member named `key` of an object; nullptr when absent or when this is not an object.
  const JsonNode* Find(std::string_view key) const;

 private:
  friend struct JsonNodeBuilder;

  Kind kind_ = Kind::kNull;
  bool boolean_ = false;
  std::string text_;
  std::vector<JsonNode> items_;
  std::vector<std::pair<std::string, JsonNode>> members_;
};

}  // namespace cambista::sandbox
