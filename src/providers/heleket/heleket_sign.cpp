#include "providers/heleket/heleket_sign.hpp"

#include <cstdio>
#include <vector>

#include "security/hmac.hpp"
#include "security/md5.hpp"

namespace cambista::payouts {
namespace {

using payins::JsonNode;

void AppendPhpString(std::string& out, std::string_view text) {
  out += '"';
  for (size_t i = 0; i < text.size(); ++i) {
    const auto byte = static_cast<unsigned char>(text[i]);
    switch (byte) {
      case '"':
        out += "\\\"";
        continue;
      case '\\':
        out += "\\\\";
        continue;
      case '/':
        out += "\\/";
        continue;
      case '\b':
        out += "\\b";
        continue;
      case '\f':
        out += "\\f";
        continue;
      case '\n':
        out += "\\n";
        continue;
      case '\r':
        out += "\\r";
        continue;
      case '\t':
        out += "\\t";
        continue;
      default:
        break;
    }
    // U+2028 and U+2029 (E2 80 A8/A9) stay escaped without JSON_UNESCAPED_LINE_TERMINATORS.
    if (byte == 0xE2 && i + 2 < text.size() && static_cast<unsigned char>(text[i + 1]) == 0x80 &&
        (static_cast<unsigned char>(text[i + 2]) & 0xFE) == 0xA8) {
      out += static_cast<unsigned char>(text[i + 2]) == 0xA8 ? "\\u2028" : "\\u2029";
      i += 2;
      continue;
    }
    if (byte < 0x20) {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\u%04x", byte);
      out += escaped;
      continue;
    }
    out += static_cast<char>(byte);
  }
  out += '"';
}

// PHP decodes an object whose keys are "0", "1", ... (none at all included) into a list.
bool IsPhpList(const JsonNode& node, std::string_view skip_key) {
  size_t next = 0;
  for (size_t i = 0; i < node.size(); ++i) {
    if (!skip_key.empty() && node.key(i) == skip_key) continue;
    if (node.key(i) != std::to_string(next++)) return false;
  }
  return true;
}

void AppendPhpJson(std::string& out, const JsonNode& node, std::string_view skip_key) {
  switch (node.kind()) {
    case JsonNode::Kind::kNull:
      out += "null";
      return;
    case JsonNode::Kind::kBool:
      out += node.bool_value() ? "true" : "false";
      return;
    case JsonNode::Kind::kNumber:
      out += node.text();
      return;
    case JsonNode::Kind::kString:
      AppendPhpString(out, node.text());
      return;
    case JsonNode::Kind::kArray:
    case JsonNode::Kind::kObject:
      break;
  }
  const bool list = node.IsArray() || IsPhpList(node, skip_key);
  out += list ? '[' : '{';
  bool first = true;
  for (size_t i = 0; i < node.size(); ++i) {
    if (node.IsObject() && !skip_key.empty() && node.key(i) == skip_key) continue;
    out += first ? "" : ",";
    first = false;
    if (!list) {
      AppendPhpString(out, node.key(i));
      out += ':';
    }
    AppendPhpJson(out, node.child(i), {});
  }
  out += list ? ']' : '}';
}

bool IsJsonSpace(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

// The index just past the string starting at raw[at] == '"'.
size_t SkipString(std::string_view raw, size_t at) {
  for (size_t i = at + 1; i < raw.size(); ++i) {
    if (raw[i] == '\\') {
      ++i;
    } else if (raw[i] == '"') {
      return i + 1;
    }
  }
  return raw.size();
}

// The index just past the value starting at raw[at].
size_t SkipValue(std::string_view raw, size_t at) {
  if (at >= raw.size()) return raw.size();
  if (raw[at] == '"') return SkipString(raw, at);
  if (raw[at] != '{' && raw[at] != '[') {
    size_t i = at;
    while (i < raw.size() && raw[i] != ',' && raw[i] != '}' && raw[i] != ']' &&
           !IsJsonSpace(raw[i])) {
      ++i;
    }
    return i;
  }
  int depth = 0;
  for (size_t i = at; i < raw.size();) {
    if (raw[i] == '"') {
      i = SkipString(raw, i);
      continue;
    }
    if (raw[i] == '{' || raw[i] == '[') ++depth;
    if ((raw[i] == '}' || raw[i] == ']') && --depth == 0) return i + 1;
    ++i;
  }
  return raw.size();
}

size_t SkipSpaces(std::string_view raw, size_t at) {
  while (at < raw.size() && IsJsonSpace(raw[at])) ++at;
  return at;
}

struct MemberSpan {
  size_t key_begin;
  size_t value_end;
  std::string_view key;  // as written, between the quotes
};

std::vector<MemberSpan> TopLevelMembers(std::string_view raw) {
  std::vector<MemberSpan> members;
  size_t at = SkipSpaces(raw, 0);
  if (at >= raw.size() || raw[at] != '{') return members;
  at = SkipSpaces(raw, at + 1);
  while (at < raw.size() && raw[at] == '"') {
    const size_t key_end = SkipString(raw, at);
    const std::string_view key = raw.substr(at + 1, key_end - at - 2);
    const size_t colon = SkipSpaces(raw, key_end);
    if (colon >= raw.size() || raw[colon] != ':') break;
    const size_t value_end = SkipValue(raw, SkipSpaces(raw, colon + 1));
    members.push_back(MemberSpan{at, value_end, key});
    at = SkipSpaces(raw, value_end);
    if (at >= raw.size() || raw[at] != ',') break;
    at = SkipSpaces(raw, at + 1);
  }
  return members;
}

}  // namespace

std::string HeleketSign(std::string_view text, std::string_view key) {
  return HexEncode(Md5(Base64Encode(text) + std::string(key)));
}

std::string HeleketPhpString(std::string_view text) {
  std::string out;
  AppendPhpString(out, text);
  return out;
}

std::string HeleketPhpJson(const JsonNode& node, std::string_view skip_key) {
  std::string out;
  AppendPhpJson(out, node, skip_key);
  return out;
}

std::optional<std::string> CutTopLevelMember(std::string_view raw, std::string_view key) {
  const std::vector<MemberSpan> members = TopLevelMembers(raw);
  for (size_t i = 0; i < members.size(); ++i) {
    if (members[i].key != key) continue;
    // Only the object's own text: whitespace around it was never signed.
    const size_t begin = SkipSpaces(raw, 0);
    const size_t end = raw.find_last_of('}') + 1;
    std::string out(raw.substr(0, end));
    if (i + 1 < members.size()) {  // up to the next member: the comma goes with it
      out.erase(members[i].key_begin, members[i + 1].key_begin - members[i].key_begin);
    } else if (i > 0) {  // the last: from the end of the previous value
      out.erase(members[i - 1].value_end, members[i].value_end - members[i - 1].value_end);
    } else {
      out.erase(members[i].key_begin, members[i].value_end - members[i].key_begin);
    }
    return out.substr(begin);
  }
  return std::nullopt;
}

std::string HeleketSignCallback(std::string_view unsigned_json, std::string_view key) {
  std::string body(unsigned_json);
  const std::string sign = HeleketSign(unsigned_json, key);
  body.pop_back();  // the closing brace
  body += (body.size() > 1 ? "," : "") + HeleketPhpString(kHeleketSignField) + ":" +
          HeleketPhpString(sign) + "}";
  return body;
}

bool HeleketCallbackSignatureValid(std::string_view raw, const JsonNode& root,
                                   std::string_view presented, std::string_view key) {
  auto presented_bytes = HexDecode(presented);
  if (!presented_bytes.ok() || presented_bytes.value().size() != kMd5Bytes) return false;
  const std::string php = HeleketPhpJson(root, kHeleketSignField);
  bool valid =
      ConstantTimeEquals(presented_bytes.value(), Md5(Base64Encode(php) + std::string(key)));
  if (const auto cut = CutTopLevelMember(raw, kHeleketSignField)) {
    // Both forms are always computed when both exist, so the time says nothing of which matched.
    valid =
        ConstantTimeEquals(presented_bytes.value(), Md5(Base64Encode(*cut) + std::string(key))) ||
        valid;
  }
  return valid;
}

}  // namespace cambista::payouts
