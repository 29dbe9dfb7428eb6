// Provider payloads (gateway responses and webhooks) read field by field, with money exact.
//
// Gateways send reais as JSON numbers (`10.5`, `0.1`): parsing those through a double would turn
// money into approximations, and Boost.JSON 1.81 has no "numbers as text" option. So the parser
// here drives boost::json::basic_parser with its own handler and keeps every number as the exact
// text it had in the document; amounts are then read from that text digit by digit.
//
// Limits (outside input): at most kProviderJsonBytesMax bytes, kProviderJsonDepthMax levels of
// nesting and kProviderJsonValuesMax values; strict JSON only (no comments, no trailing commas,
// valid UTF-8); an object with the same key twice is refused (two readers of the same payload must
// never see different values, e.g. the signature check and the parser).
//
// Every error names the field by its path from the root: `data.amount`, `cart[0].price`, or "" for
// the document as a whole; messages never quote a value (it may be personal data or a secret).
//
// Amounts (ReadProviderAmount), in the gateway's unit:
// - kMajor (reais, bolívares): a JSON number or a decimal string in major units, as Amount::Parse
//   reads it: `10.5` is 10.50, `10` is 10.00, `0.1` is 0.10. More fractional digits than the asset
//   has are refused (`10.555` for BRL), except trailing zeros (`10.500` is exactly 10.50: gateways
//   that format with a fixed number of decimals send them).
// - kMinor (centavos): a JSON integer or a string of digits. `1050.0` is accepted as 1050 (it is
//   exact, and PHP back-ends that hold integers in floats write it so); `1050.5` is refused (a
//   fraction of a centavo).
// - Both: no sign (`-1` and `+1` are refused: a provider never reports a negative payment), no
//   exponent (`1e3`: legal JSON but no gateway writes money so, and refusing is safer than
//   guessing), no spaces, no thousands separators, no comma decimal mark.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/amount.hpp"
#include "core/result.hpp"
#include "payins/gateway.hpp"

namespace cambista::payins {

inline constexpr size_t kProviderJsonBytesMax = 1 << 20;  // the HttpClient's response cap
inline constexpr size_t kProviderJsonDepthMax = 16;
inline constexpr size_t kProviderJsonValuesMax = 20'000;
inline constexpr size_t kProviderStringBytesMax = 4096;  // default cap on a string field read
inline constexpr size_t kProviderIdBytesMax = 256;       // ids: transaction ids, hashes

struct JsonFieldError {
  std::string field;  // "data.amount"; "" for the document as a whole
  std::string message;
};

// One JSON value. Numbers keep their source text; strings hold their decoded (unescaped) value.
class JsonNode {
 public:
  enum class Kind : uint8_t { kNull, kBool, kNumber, kString, kArray, kObject };

  Kind kind() const { return kind_; }
  bool IsNull() const { return kind_ == Kind::kNull; }
  bool IsNumber() const { return kind_ == Kind::kNumber; }
  bool IsString() const { return kind_ == Kind::kString; }
  bool IsArray() const { return kind_ == Kind::kArray; }
  bool IsObject() const { return kind_ == Kind::kObject; }
  bool bool_value() const { return bool_value_; }
  // kNumber: the number exactly as written ("10.50", "-3", "1e5"); kString: the decoded value.
  std::string_view text() const { return text_; }
  // kArray and kObject: the number of items / members.
  size_t size() const { return children_.size(); }
  const JsonNode& child(size_t index) const { return children_[index]; }
  // kArray: the items (kObject: the members' values, in order).
  std::span<const JsonNode> items() const { return children_; }
  // kObject: the key of member `index`.
  std::string_view key(size_t index) const { return keys_[index]; }
  // kObject: the member named `key`, or nullptr.
  const JsonNode* Find(std::string_view key) const;

 private:
  friend class JsonTreeBuilder;
  Kind kind_ = Kind::kNull;
  bool bool_value_ = false;
  std::string text_;
  std::vector<JsonNode> children_;
  std::vector<std::string> keys_;  // kObject: keys_[i] names children_[i]
};

std::string_view JsonKindName(JsonNode::Kind kind);  // "null", "a number", "a string", ...

// A JSON object and its path from the root, with typed, path-naming accessors. "Optional" readers
// treat a missing member and a JSON null alike (std::nullopt); "Required" ones refuse both.
class JsonObject {
 public:
  JsonObject(const JsonNode& node, std::string path) : node_(&node), path_(std::move(path)) {}

  const std::string& path() const { return path_; }
  const JsonNode& node() const { return *node_; }
  // "data.amount" for key "amount" under "data"; "amount" at the root.
  std::string FieldPath(std::string_view key) const;
  // Present and not null.
  bool Has(std::string_view key) const;

  Result<std::string, JsonFieldError> RequiredString(
      std::string_view key, size_t bytes_max = kProviderStringBytesMax) const;
  Result<std::optional<std::string>, JsonFieldError> OptionalString(
      std::string_view key, size_t bytes_max = kProviderStringBytesMax) const;
  // An identifier sent as a non-empty string or as a non-negative JSON integer (some gateways
  // number their transactions): its text, at most kProviderIdBytesMax bytes of printable ASCII.
  Result<std::string, JsonFieldError> RequiredId(std::string_view key) const;
  Result<std::optional<std::string>, JsonFieldError> OptionalId(std::string_view key) const;
  // A JSON integer (no fraction, no exponent) that fits in int64.
  Result<int64_t, JsonFieldError> RequiredInteger(std::string_view key) const;
  Result<std::optional<int64_t>, JsonFieldError> OptionalInteger(std::string_view key) const;
  Result<std::optional<bool>, JsonFieldError> OptionalBool(std::string_view key) const;
  Result<JsonObject, JsonFieldError> RequiredObject(std::string_view key) const;
  Result<std::optional<JsonObject>, JsonFieldError> OptionalObject(std::string_view key) const;
  // See the header comment for the accepted forms.
  Result<Amount, JsonFieldError> RequiredAmount(std::string_view key, const Asset& asset,
                                                AmountUnits units) const;
  Result<std::optional<Amount>, JsonFieldError> OptionalAmount(std::string_view key,
                                                               const Asset& asset,
                                                               AmountUnits units) const;

 private:
  const JsonNode* Member(std::string_view key) const;  // nullptr when absent or null

  const JsonNode* node_;
  std::string path_;
};

class JsonDocument {
 public:
  static Result<JsonDocument, JsonFieldError> Parse(std::string_view text);

  const JsonNode& root() const { return root_; }
  // The root, which must be an object.
  Result<JsonObject, JsonFieldError> RootObject() const;

 private:
  JsonNode root_;
};

// The amount written as `text` (a JSON number's text, or a string's value when `from_string`), in
// `units` of `asset`. On failure: a sentence saying what is wrong, without the value.
Result<Amount, std::string> ReadProviderAmount(std::string_view text, bool from_string,
                                               const Asset& asset, AmountUnits units);

}  // namespace cambista::payins
