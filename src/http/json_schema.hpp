// Builders for the JSON Schemas (2020-12, the dialect of OpenAPI 3.1) that route docs give
// /openapi.json. Each returns schema text, so that a route's doc reads as the shape of its JSON:
//
//   Object({{"id", Id("ch_")}, {"amount", Decimal()}, Optional("reference", Text(64))})
//
// Objects are closed (additionalProperties: false) unless made with OpenObject: a member a
// handler writes and the document does not name is then a mismatch the response check finds.
// Fields are required unless made with Optional; "required" means always present, possibly null.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace cambista::http::schema {

struct Field {
  std::string name;
  std::string schema;
  bool required = true;
};
// A member that may be absent.
Field Optional(std::string name, std::string schema);

std::string String();
std::string Text(size_t chars_max);  // a string of at most chars_max characters
std::string Integer();
std::string Integer(int64_t minimum, int64_t maximum);
std::string Boolean();
std::string Null();
// Money and other exact numbers travel as decimal strings ("10.50", "-3"), never JSON numbers.
std::string Decimal();
// Money as a gateway writes it: a JSON number, read from its text (the simulators' APIs).
std::string Number();
std::string DateTime();                   // RFC 3339 text, "2024-05-01T12:00:00.000Z"
std::string Id(std::string_view prefix);  // a string starting with prefix ("ch_", "we_")
std::string Hex(size_t digits);           // exactly `digits` lower-case hexadecimal digits
std::string Enum(std::initializer_list<std::string_view> values);
std::string Enum(std::span<const std::string_view> values);
std::string Const(std::string_view value);
// `schema` or null.
std::string Nullable(std::string_view schema);
std::string ArrayOf(std::string_view items);
std::string Object(std::vector<Field> fields);      // closed
std::string OpenObject(std::vector<Field> fields);  // other members allowed
// An object whose every member's value matches `values` (credentials: name -> value).
std::string MapOf(std::string_view values);
// {"$ref": "#/components/schemas/<component>"} (Router::AddSchema registers the component).
std::string Ref(std::string_view component);
// `schema` with a description for people.
std::string Described(std::string_view schema, std::string_view description);
// The list and page shapes every list route answers: {"data":[...]} and, for pages,
// {"data":[...],"next_cursor": string or null}.
std::string List(std::string_view items);
std::string Page(std::string_view items);

}  // namespace cambista::http::schema
