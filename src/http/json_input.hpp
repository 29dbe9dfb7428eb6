// Field-by-field validation of JSON request bodies. Every failure names the field and becomes a
// 400 problem+json: malformed JSON, a body that is not an object, a missing field, a wrong type, an
// unknown enum value, an unknown field (a typo must not be ignored), text that is not valid UTF-8
// (anywhere in the body, keys included: the error names its path, "customer.name"), and money
// sent as a JSON number (`invalid_amount`: amounts travel as decimal strings, never through a
// double). Text limits count characters (Unicode code points), not bytes: "Ñ" is one character
// although UTF-8 spends two bytes on it, so a limit means the same in Portuguese as in English.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/amount.hpp"
#include "core/result.hpp"
#include "http/http_types.hpp"

namespace cambista::http {

struct InputError {
  std::string code;    // stable: "invalid_request" | "invalid_amount"
  std::string field;   // "" for the body as a whole
  std::string detail;  // for people, naming the field and what was expected
};

HttpResponse ToProblem(const InputError& error);

// The number of code points in `text`, or nullopt when it is not valid UTF-8 (RFC 3629: no
// overlong forms, no surrogates, nothing above U+10FFFF, no truncated sequence).
std::optional<size_t> Utf8CodePoints(std::string_view text);

inline constexpr size_t kJsonDepthMax = 32;

class JsonObjectReader {
 public:
  static Result<JsonObjectReader, InputError> Parse(std::string_view body);
  JsonObjectReader(JsonObjectReader&&) noexcept;
  JsonObjectReader& operator=(JsonObjectReader&&) noexcept;
  ~JsonObjectReader();

  Result<std::string, InputError> RequiredString(std::string_view field, size_t length_max);
  Result<std::optional<std::string>, InputError> OptionalString(std::string_view field,
                                                                size_t length_max);
  Result<int64_t, InputError> RequiredInteger(std::string_view field, int64_t min, int64_t max);
  Result<std::optional<int64_t>, InputError> OptionalInteger(std::string_view field, int64_t min,
                                                             int64_t max);
  Result<std::optional<bool>, InputError> OptionalBool(std::string_view field);
  Result<std::string, InputError> RequiredEnum(std::string_view field,
                                               std::span<const std::string_view> allowed);
  // Limits (length_max) are in characters: code points, not bytes.
  // An array of strings, 1 to items_max of them, each at most length_max characters.
  Result<std::vector<std::string>, InputError> RequiredStringArray(std::string_view field,
                                                                   size_t items_max,
                                                                   size_t length_max);
  // A decimal string in `asset`'s scale ("10.50"); a JSON number is refused with invalid_amount.
  Result<Amount, InputError> RequiredAmount(std::string_view field, const Asset& asset);

  // A nested object, read with its own reader (whose errors name the inner field only).
  Result<std::optional<JsonObjectReader>, InputError> OptionalObject(std::string_view field);
  // An object of string values (e.g. credentials): at most entries_max, names and values non-empty
  // and at most length_max characters.
  Result<std::map<std::string, std::string, std::less<>>, InputError> RequiredStringMap(
      std::string_view field, size_t entries_max, size_t length_max);

  // Call after reading every field: names the first field the handler did not read.
  std::optional<InputError> RejectUnknownFields() const;

 private:
  struct Impl;
  explicit JsonObjectReader(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace cambista::http
