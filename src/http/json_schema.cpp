#include "http/json_schema.hpp"

#include "http/problem.hpp"

namespace cambista::http::schema {
namespace {

std::string ObjectOf(const std::vector<Field>& fields, bool closed) {
  std::string properties;
  std::string required;
  for (const Field& field : fields) {
    properties += (properties.empty() ? "" : ",") + JsonString(field.name) + ":" + field.schema;
    if (field.required) required += (required.empty() ? "" : ",") + JsonString(field.name);
  }
  std::string out = "{\"type\":\"object\"";
  if (!required.empty()) out += ",\"required\":[" + required + "]";
  out += ",\"properties\":{" + properties + "}";
  if (closed) out += ",\"additionalProperties\":false";
  return out + "}";
}

}  // namespace

Field Optional(std::string name, std::string schema) {
  return Field{std::move(name), std::move(schema), false};
}

std::string String() {
  return R"({"type":"string"})";
}

std::string Text(size_t chars_max) {
  return R"({"type":"string","maxLength":)" + std::to_string(chars_max) + "}";
}

std::string Integer() {
  return R"({"type":"integer"})";
}

std::string Integer(int64_t minimum, int64_t maximum) {
  return R"({"type":"integer","minimum":)" + std::to_string(minimum) +
         ",\"maximum\":" + std::to_string(maximum) + "}";
}

std::string Boolean() {
  return R"({"type":"boolean"})";
}

std::string Null() {
  return R"({"type":"null"})";
}

std::string Decimal() {
  return R"({"type":"string","pattern":"^-?[0-9]+(\\.[0-9]+)?$"})";
}

std::string Number() {
  return R"({"type":"number"})";
}

std::string DateTime() {
  return R"({"type":"string","format":"date-time"})";
}

std::string Id(std::string_view prefix) {
  return R"({"type":"string","pattern":)" + JsonString("^" + std::string(prefix)) + "}";
}

std::string Hex(size_t digits) {
  return R"({"type":"string","pattern":)" +
         JsonString("^[0-9a-f]{" + std::to_string(digits) + "}$") + "}";
}

std::string Enum(std::initializer_list<std::string_view> values) {
  return Enum(std::span<const std::string_view>(values.begin(), values.size()));
}

std::string Enum(std::span<const std::string_view> values) {
  std::string list;
  for (std::string_view value : values) list += (list.empty() ? "" : ",") + JsonString(value);
  return R"({"type":"string","enum":[)" + list + "]}";
}

std::string Const(std::string_view value) {
  return R"({"const":)" + JsonString(value) + "}";
}

std::string Nullable(std::string_view schema) {
  // {"type":"string",...} becomes {"type":["string","null"],...}, which reads best; a schema with
  // an enum, a const or a $ref is wrapped instead (its values would have to list null too).
  constexpr std::string_view kTyped = "{\"type\":\"";
  const bool plain = schema.starts_with(kTyped) &&
                     schema.find("\"enum\"") == std::string_view::npos &&
                     schema.find("\"const\"") == std::string_view::npos;
  if (plain) {
    const size_t end = schema.find('"', kTyped.size());
    const std::string_view type = schema.substr(kTyped.size(), end - kTyped.size());
    return "{\"type\":[\"" + std::string(type) + "\",\"null\"]" +
           std::string(schema.substr(end + 1));
  }
  return "{\"anyOf\":[" + std::string(schema) + ",{\"type\":\"null\"}]}";
}

std::string ArrayOf(std::string_view items) {
  return R"({"type":"array","items":)" + std::string(items) + "}";
}

std::string Object(std::vector<Field> fields) {
  return ObjectOf(fields, true);
}

std::string OpenObject(std::vector<Field> fields) {
  return ObjectOf(fields, false);
}

std::string MapOf(std::string_view values) {
  return R"({"type":"object","additionalProperties":)" + std::string(values) + "}";
}

std::string Ref(std::string_view component) {
  return R"({"$ref":)" + JsonString("#/components/schemas/" + std::string(component)) + "}";
}

std::string Described(std::string_view schema, std::string_view description) {
  // Inserted as the schema's first member: every schema built here is a non-empty object, and
  // none has a description of its own (a schema is Described once).
  return "{\"description\":" + JsonString(description) + "," + std::string(schema.substr(1));
}

std::string List(std::string_view items) {
  return Object({{"data", ArrayOf(items)}});
}

std::string Page(std::string_view items) {
  return Object(
      {{"data", ArrayOf(items)},
       {"next_cursor",
        Described(Nullable(String()), "Pass as `cursor` for the next page; null on the last.")}});
}

}  // namespace cambista::http::schema
