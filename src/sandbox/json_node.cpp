#include "sandbox/json_node.hpp"

#include <boost/json/basic_parser_impl.hpp>
#include <optional>
#include <set>

namespace cambista::sandbox {

namespace json = boost::json;

// The handler of boost::json::basic_parser: builds JsonNode values, keeping number text. Open
// arrays and objects wait on a stack; each finished value goes into the container on top (under
// the key read just before it, for an object) or becomes the root.
struct JsonNodeBuilder {
  static constexpr size_t max_array_size = static_cast<size_t>(-1);
  static constexpr size_t max_object_size = static_cast<size_t>(-1);
  static constexpr size_t max_string_size = static_cast<size_t>(-1);
  static constexpr size_t max_key_size = static_cast<size_t>(-1);

  std::vector<JsonNode> open;
  std::vector<std::set<std::string, std::less<>>> open_keys;  // keys seen, per open object
  std::vector<std::string> keys;  // one per object member whose value is not finished yet
  bool duplicate_key = false;
  std::string key_part;
  std::string string_part;
  std::string number_part;
  std::optional<JsonNode> root;

  void Put(JsonNode node) {
    if (open.empty()) {
      root = std::move(node);
    } else if (open.back().kind_ == JsonNode::Kind::kObject) {
      open.back().members_.emplace_back(std::move(keys.back()), std::move(node));
      keys.pop_back();
    } else {
      open.back().items_.push_back(std::move(node));
    }
  }
  bool Open(JsonNode::Kind kind) {
    JsonNode node;
    node.kind_ = kind;
    open.push_back(std::move(node));
    if (kind == JsonNode::Kind::kObject) open_keys.emplace_back();
    return true;
  }
  bool Close() {
    JsonNode node = std::move(open.back());
    open.pop_back();
    if (node.kind_ == JsonNode::Kind::kObject) open_keys.pop_back();
    Put(std::move(node));
    return true;
  }
  bool Number(json::string_view last) {
    JsonNode node;
    node.kind_ = JsonNode::Kind::kNumber;
    node.text_ = std::move(number_part);
    node.text_.append(last.data(), last.size());
    number_part.clear();
    Put(std::move(node));
    return true;
  }

  bool on_document_begin(json::error_code&) { return true; }
  bool on_document_end(json::error_code&) { return true; }
  bool on_array_begin(json::error_code&) { return Open(JsonNode::Kind::kArray); }
  bool on_array_end(size_t, json::error_code&) { return Close(); }
  bool on_object_begin(json::error_code&) { return Open(JsonNode::Kind::kObject); }
  bool on_object_end(size_t, json::error_code&) { return Close(); }
  bool on_string_part(json::string_view part, size_t, json::error_code&) {
    string_part.append(part.data(), part.size());
    return true;
  }
  bool on_string(json::string_view last, size_t, json::error_code&) {
    JsonNode node;
    node.kind_ = JsonNode::Kind::kString;
    node.text_ = std::move(string_part);
    node.text_.append(last.data(), last.size());
    string_part.clear();
    Put(std::move(node));
    return true;
  }
  bool on_key_part(json::string_view part, size_t, json::error_code&) {
    key_part.append(part.data(), part.size());
    return true;
  }
  // A key seen twice in one object is refused: two readers of the payload (a signature check and
  // a parser, say) must never disagree on which value counts.
  bool on_key(json::string_view last, size_t, json::error_code& error) {
    key_part.append(last.data(), last.size());
    if (!open_keys.back().insert(key_part).second) {
      duplicate_key = true;
      error = json::error::syntax;
      return false;
    }
    keys.push_back(std::move(key_part));
    key_part.clear();
    return true;
  }
  bool on_number_part(json::string_view part, json::error_code&) {
    number_part.append(part.data(), part.size());
    return true;
  }
  // The parser also converts every number; the value is ignored, only the text is kept.
  bool on_int64(int64_t, json::string_view last, json::error_code&) { return Number(last); }
  bool on_uint64(uint64_t, json::string_view last, json::error_code&) { return Number(last); }
  bool on_double(double, json::string_view last, json::error_code&) { return Number(last); }
  bool on_bool(bool value, json::error_code&) {
    JsonNode node;
    node.kind_ = JsonNode::Kind::kBool;
    node.boolean_ = value;
    Put(std::move(node));
    return true;
  }
  bool on_null(json::error_code&) {
    Put(JsonNode());
    return true;
  }
  bool on_comment_part(json::string_view, json::error_code&) { return true; }
  bool on_comment(json::string_view, json::error_code&) { return true; }
};

Result<JsonNode, std::string> JsonNode::Parse(std::string_view text) {
  json::parse_options options;
  options.max_depth = kJsonNodeDepthMax;
  json::basic_parser<JsonNodeBuilder> parser(options);
  json::error_code error;
  const size_t consumed = parser.write_some(false, text.data(), text.size(), error);
  if (parser.handler().duplicate_key) {
    return Failure{std::string("not valid JSON: a key appears twice in one object")};
  }
  if (error) return Failure{"not valid JSON: " + error.message()};
  if (consumed != text.size()) return Failure{std::string("not valid JSON: extra data after it")};
  if (!parser.handler().root) return Failure{std::string("not valid JSON: empty")};
  return std::move(*parser.handler().root);
}

const JsonNode* JsonNode::Find(std::string_view key) const {
  for (const auto& [name, value] : members_) {
    if (name == key) return &value;
  }
  return nullptr;
}

}  // namespace cambista::sandbox
