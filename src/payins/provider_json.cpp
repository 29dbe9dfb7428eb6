#include "payins/provider_json.hpp"

#include <algorithm>
#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/error.hpp>
#include <utility>

namespace cambista::payins {

// Builds the tree from the parser's events. Open containers are kept as pointers: a container's
// address is stable while it is open, because its parent only grows after it closes.
class JsonTreeBuilder {
 public:
  static constexpr size_t max_array_size = static_cast<size_t>(-1);
  static constexpr size_t max_object_size = static_cast<size_t>(-1);
  static constexpr size_t max_string_size = kProviderJsonBytesMax;
  static constexpr size_t max_key_size = kProviderJsonBytesMax;

  explicit JsonTreeBuilder(JsonNode* root) : root_(root) {}

  // The error this builder itself raised (limits, duplicate keys), when there is one.
  const std::optional<JsonFieldError>& error() const { return error_; }

  bool on_document_begin(boost::system::error_code&) { return true; }
  bool on_document_end(boost::system::error_code&) { return true; }

  bool on_object_begin(boost::system::error_code& ec) {
    JsonNode* node = Add(ec);
    if (!node) return false;
    node->kind_ = JsonNode::Kind::kObject;
    open_.push_back(node);
    return true;
  }
  bool on_object_end(size_t, boost::system::error_code& ec) {
    JsonNode* object = open_.back();
    std::vector<std::string_view> keys(object->keys_.begin(), object->keys_.end());
    std::sort(keys.begin(), keys.end());
    const auto duplicate = std::adjacent_find(keys.begin(), keys.end());
    if (duplicate != keys.end()) {
      return Fail(ec, PathOfOpen() + (PathOfOpen().empty() ? "" : ".") + std::string(*duplicate),
                  "appears twice in the same object");
    }
    open_.pop_back();
    return true;
  }
  bool on_array_begin(boost::system::error_code& ec) {
    JsonNode* node = Add(ec);
    if (!node) return false;
    node->kind_ = JsonNode::Kind::kArray;
    open_.push_back(node);
    return true;
  }
  bool on_array_end(size_t, boost::system::error_code&) {
    open_.pop_back();
    return true;
  }
  bool on_key_part(std::string_view part, size_t, boost::system::error_code&) {
    key_.append(part);
    return true;
  }
  bool on_key(std::string_view part, size_t, boost::system::error_code&) {
    key_.append(part);
    return true;
  }
  bool on_string_part(std::string_view part, size_t, boost::system::error_code&) {
    text_.append(part);
    return true;
  }
  bool on_string(std::string_view part, size_t, boost::system::error_code& ec) {
    text_.append(part);
    return Scalar(JsonNode::Kind::kString, ec);
  }
  bool on_number_part(std::string_view part, boost::system::error_code&) {
    text_.append(part);
    return true;
  }
  // The parsed value is ignored on purpose: only the text is kept (no double touches money).
  bool on_int64(int64_t, std::string_view part, boost::system::error_code& ec) {
    text_.append(part);
    return Scalar(JsonNode::Kind::kNumber, ec);
  }
  bool on_uint64(uint64_t, std::string_view part, boost::system::error_code& ec) {
    text_.append(part);
    return Scalar(JsonNode::Kind::kNumber, ec);
  }
  bool on_double(double, std::string_view part, boost::system::error_code& ec) {
    text_.append(part);
    return Scalar(JsonNode::Kind::kNumber, ec);
  }
  bool on_bool(bool value, boost::system::error_code& ec) {
    JsonNode* node = Add(ec);
    if (!node) return false;
    node->kind_ = JsonNode::Kind::kBool;
    node->bool_value_ = value;
    return true;
  }
  bool on_null(boost::system::error_code& ec) { return Add(ec) != nullptr; }
  bool on_comment_part(std::string_view, boost::system::error_code&) { return true; }
  bool on_comment(std::string_view, boost::system::error_code&) { return true; }

 private:
  bool Scalar(JsonNode::Kind kind, boost::system::error_code& ec) {
    JsonNode* node = Add(ec);
    if (!node) return false;
    node->kind_ = kind;
    node->text_ = std::move(text_);
    text_.clear();
    return true;
  }

  // A new value: the root, or the next item of the innermost open container.
  JsonNode* Add(boost::system::error_code& ec) {
    if (++values_ > kProviderJsonValuesMax) {
      Fail(ec, "", "has more than " + std::to_string(kProviderJsonValuesMax) + " values");
      return nullptr;
    }
    if (open_.empty()) return root_;
    JsonNode* parent = open_.back();
    if (parent->kind_ == JsonNode::Kind::kObject) {
      parent->keys_.push_back(std::move(key_));
      key_.clear();
    }
    parent->children_.emplace_back();
    return &parent->children_.back();
  }

  // The path of the innermost open container.
  std::string PathOfOpen() const {
    std::string path;
    for (size_t level = 1; level < open_.size(); ++level) {
      const JsonNode* parent = open_[level - 1];
      if (parent->kind_ == JsonNode::Kind::kObject) {
        if (!path.empty()) path += '.';
        path += parent->keys_.back();
      } else {
        path += '[' + std::to_string(parent->children_.size() - 1) + ']';
      }
    }
    return path;
  }

  bool Fail(boost::system::error_code& ec, std::string field, std::string message) {
    error_ = JsonFieldError{std::move(field), std::move(message)};
    ec = boost::json::error::syntax;  // any failure code: error_ says what happened
    return false;
  }

  JsonNode* root_;
  std::vector<JsonNode*> open_;
  std::string key_;
  std::string text_;
  size_t values_ = 0;
  std::optional<JsonFieldError> error_;
};

namespace {

JsonFieldError FieldError(std::string field, std::string message) {
  return JsonFieldError{std::move(field), std::move(message)};
}

std::string Describe(const std::string& field) {
  return field.empty() ? "the document" : field;
}

JsonFieldError WrongType(const std::string& field, const JsonNode& node, std::string_view wanted) {
  return FieldError(field, Describe(field) + " must be " + std::string(wanted) + ", not " +
                               std::string(JsonKindName(node.kind())));
}

JsonFieldError Missing(const std::string& field) {
  return FieldError(field, field + " is missing");
}

bool IsDigits(std::string_view text) {
  return !text.empty() &&
         std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// A JSON integer's text: digits with an optional leading '-', no fraction, no exponent.
bool IsJsonIntegerText(std::string_view text) {
  if (!text.empty() && text.front() == '-') text.remove_prefix(1);
  return IsDigits(text);
}

bool IsPrintableAscii(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return c > ' ' && c < 0x7f; });
}

}  // namespace

std::string_view JsonKindName(JsonNode::Kind kind) {
  switch (kind) {
    case JsonNode::Kind::kNull:
      return "null";
    case JsonNode::Kind::kBool:
      return "a boolean";
    case JsonNode::Kind::kNumber:
      return "a number";
    case JsonNode::Kind::kString:
      return "a string";
    case JsonNode::Kind::kArray:
      return "an array";
    case JsonNode::Kind::kObject:
      return "an object";
  }
  return "a value";
}

const JsonNode* JsonNode::Find(std::string_view key) const {
  if (kind_ != Kind::kObject) return nullptr;
  for (size_t index = 0; index < keys_.size(); ++index) {
    if (keys_[index] == key) return &children_[index];
  }
  return nullptr;
}

Result<JsonDocument, JsonFieldError> JsonDocument::Parse(std::string_view text) {
  if (text.size() > kProviderJsonBytesMax) {
    return Failure{FieldError(
        "", "the document is larger than " + std::to_string(kProviderJsonBytesMax) + " bytes")};
  }
  JsonDocument document;
  boost::json::parse_options options;
  options.max_depth = kProviderJsonDepthMax;
  boost::json::basic_parser<JsonTreeBuilder> parser(options, &document.root_);
  boost::system::error_code ec;
  const size_t consumed = parser.write_some(false, text.data(), text.size(), ec);
  if (parser.handler().error()) return Failure{*parser.handler().error()};
  if (ec == boost::json::error::too_deep) {
    return Failure{FieldError("", "the document is nested deeper than " +
                                      std::to_string(kProviderJsonDepthMax) + " levels")};
  }
  if (ec) return Failure{FieldError("", "the document is not valid JSON (" + ec.message() + ")")};
  if (!parser.done() || consumed != text.size()) {
    return Failure{FieldError("", "the document has data after its JSON value")};
  }
  return document;
}

Result<JsonObject, JsonFieldError> JsonDocument::RootObject() const {
  if (root_.kind() != JsonNode::Kind::kObject) {
    return Failure{WrongType("", root_, "a JSON object")};
  }
  return JsonObject(root_, "");
}

std::string JsonObject::FieldPath(std::string_view key) const {
  return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
}

const JsonNode* JsonObject::Member(std::string_view key) const {
  const JsonNode* member = node_->Find(key);
  return member && !member->IsNull() ? member : nullptr;
}

bool JsonObject::Has(std::string_view key) const {
  return Member(key) != nullptr;
}

Result<std::optional<std::string>, JsonFieldError> JsonObject::OptionalString(
    std::string_view key, size_t bytes_max) const {
  const JsonNode* member = Member(key);
  if (!member) return std::optional<std::string>();
  if (member->kind() != JsonNode::Kind::kString) {
    return Failure{WrongType(FieldPath(key), *member, "a string")};
  }
  if (member->text().size() > bytes_max) {
    return Failure{FieldError(FieldPath(key), FieldPath(key) + " is longer than " +
                                                  std::to_string(bytes_max) + " bytes")};
  }
  return std::optional<std::string>(std::string(member->text()));
}

Result<std::string, JsonFieldError> JsonObject::RequiredString(std::string_view key,
                                                               size_t bytes_max) const {
  auto value = OptionalString(key, bytes_max);
  if (!value.ok()) return Failure{value.error()};
  if (!value.value()) return Failure{Missing(FieldPath(key))};
  return std::move(*value.value());
}

Result<std::optional<std::string>, JsonFieldError> JsonObject::OptionalId(
    std::string_view key) const {
  const JsonNode* member = Member(key);
  if (!member) return std::optional<std::string>();
  const std::string field = FieldPath(key);
  if (member->kind() == JsonNode::Kind::kNumber) {
    if (!IsDigits(member->text())) {
      return Failure{FieldError(field, field + " must be a string or a non-negative integer")};
    }
  } else if (member->kind() != JsonNode::Kind::kString) {
    return Failure{WrongType(field, *member, "a string or an integer")};
  }
  if (member->text().empty()) return Failure{FieldError(field, field + " is empty")};
  if (member->text().size() > kProviderIdBytesMax) {
    return Failure{FieldError(
        field, field + " is longer than " + std::to_string(kProviderIdBytesMax) + " bytes")};
  }
  if (!IsPrintableAscii(member->text())) {
    return Failure{FieldError(field, field + " must be printable ASCII without spaces")};
  }
  return std::optional<std::string>(std::string(member->text()));
}

Result<std::string, JsonFieldError> JsonObject::RequiredId(std::string_view key) const {
  auto value = OptionalId(key);
  if (!value.ok()) return Failure{value.error()};
  if (!value.value()) return Failure{Missing(FieldPath(key))};
  return std::move(*value.value());
}

Result<std::optional<int64_t>, JsonFieldError> JsonObject::OptionalInteger(
    std::string_view key) const {
  const JsonNode* member = Member(key);
  if (!member) return std::optional<int64_t>();
  const std::string field = FieldPath(key);
  if (member->kind() != JsonNode::Kind::kNumber || !IsJsonIntegerText(member->text())) {
    return Failure{FieldError(field, field + " must be an integer")};
  }
  const auto value = ParseI128Decimal(member->text());
  if (!value || *value > INT64_MAX || *value < INT64_MIN) {
    return Failure{FieldError(field, field + " is out of range")};
  }
  return std::optional<int64_t>(static_cast<int64_t>(*value));
}

Result<int64_t, JsonFieldError> JsonObject::RequiredInteger(std::string_view key) const {
  auto value = OptionalInteger(key);
  if (!value.ok()) return Failure{value.error()};
  if (!value.value()) return Failure{Missing(FieldPath(key))};
  return *value.value();
}

Result<std::optional<bool>, JsonFieldError> JsonObject::OptionalBool(std::string_view key) const {
  const JsonNode* member = Member(key);
  if (!member) return std::optional<bool>();
  if (member->kind() != JsonNode::Kind::kBool) {
    return Failure{WrongType(FieldPath(key), *member, "a boolean")};
  }
  return std::optional<bool>(member->bool_value());
}

Result<std::optional<JsonObject>, JsonFieldError> JsonObject::OptionalObject(
    std::string_view key) const {
  const JsonNode* member = Member(key);
  if (!member) return std::optional<JsonObject>();
  if (member->kind() != JsonNode::Kind::kObject) {
    return Failure{WrongType(FieldPath(key), *member, "an object")};
  }
  return std::optional<JsonObject>(JsonObject(*member, FieldPath(key)));
}

Result<JsonObject, JsonFieldError> JsonObject::RequiredObject(std::string_view key) const {
  auto value = OptionalObject(key);
  if (!value.ok()) return Failure{value.error()};
  if (!value.value()) return Failure{Missing(FieldPath(key))};
  return std::move(*value.value());
}

Result<std::optional<Amount>, JsonFieldError> JsonObject::OptionalAmount(std::string_view key,
                                                                         const Asset& asset,
                                                                         AmountUnits units) const {
  const JsonNode* member = Member(key);
  if (!member) return std::optional<Amount>();
  const std::string field = FieldPath(key);
  if (member->kind() != JsonNode::Kind::kNumber && member->kind() != JsonNode::Kind::kString) {
    return Failure{WrongType(field, *member, "a number or a decimal string")};
  }
  auto amount =
      ReadProviderAmount(member->text(), member->kind() == JsonNode::Kind::kString, asset, units);
  if (!amount.ok()) return Failure{FieldError(field, field + " " + amount.error())};
  return std::optional<Amount>(amount.value());
}

Result<Amount, JsonFieldError> JsonObject::RequiredAmount(std::string_view key, const Asset& asset,
                                                          AmountUnits units) const {
  auto value = OptionalAmount(key, asset, units);
  if (!value.ok()) return Failure{value.error()};
  if (!value.value()) return Failure{Missing(FieldPath(key))};
  return *value.value();
}

Result<Amount, std::string> ReadProviderAmount(std::string_view text, bool from_string,
                                               const Asset& asset, AmountUnits units) {
  const std::string_view written = from_string ? "a decimal string" : "a number";
  if (text.empty()) return Failure{std::string("is empty")};
  if (text.front() == '-' || text.front() == '+') {
    return Failure{std::string("must not carry a sign")};
  }
  // A number's text is JSON-valid, so an 'e' in it is an exponent; in a string it is just as bad.
  if (text.find_first_of("eE") != std::string_view::npos) {
    return Failure{"is " + std::string(written) + " in exponent notation, not accepted for money"};
  }
  const size_t point = text.find('.');
  std::string_view whole = text.substr(0, point);
  std::string_view fraction =
      point == std::string_view::npos ? std::string_view() : text.substr(point + 1);
  if (!IsDigits(whole) || (point != std::string_view::npos && !IsDigits(fraction))) {
    return Failure{"is not " + std::string(units == AmountUnits::kMajor
                                               ? "a decimal amount (digits, optionally '.' "
                                                 "and digits)"
                                               : "a whole number of minor units")};
  }
  if (units == AmountUnits::kMinor) {
    if (fraction.find_first_not_of('0') != std::string_view::npos) {
      return Failure{std::string("is a fraction of a minor unit (it counts minor units)")};
    }
    const auto minor = ParseU128Decimal(whole);
    if (!minor || *minor > static_cast<u128>(kI128Max)) {
      return Failure{std::string("is too large")};
    }
    return Amount(static_cast<i128>(*minor), asset);
  }
  // Trailing zeros past the asset's scale change nothing: drop them before the strict parse.
  while (fraction.size() > static_cast<size_t>(asset.scale()) && fraction.back() == '0') {
    fraction.remove_suffix(1);
  }
  std::string normalized(whole);
  if (!fraction.empty()) normalized.append(".").append(fraction);
  auto amount = Amount::Parse(normalized, asset);
  if (!amount.ok()) {
    if (amount.error() == AmountError::kTooManyFractionDigits) {
      return Failure{"has more than " + std::to_string(asset.scale()) + " decimal places"};
    }
    return Failure{"is not a valid amount (" + std::string(AmountErrorMessage(amount.error())) +
                   ")"};
  }
  return amount.value();
}

}  // namespace cambista::payins
