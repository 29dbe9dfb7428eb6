#include "http/json_input.hpp"

#include <boost/json.hpp>

#include "http/problem.hpp"

namespace cambista::http {
namespace json = boost::json;

HttpResponse ToProblem(const InputError& error) {
  return Problem(400, error.code,
                 error.code == "invalid_amount" ? "Invalid amount" : "Invalid request",
                 error.detail);
}

struct JsonObjectReader::Impl {
  json::object object;
  std::set<std::string, std::less<>> read;

  const json::value* Find(std::string_view field) {
    read.emplace(field);
    auto it = object.find(field);
    return it == object.end() || it->value().is_null() ? nullptr : &it->value();
  }
};

namespace {

InputError Invalid(std::string_view field, std::string detail) {
  return InputError{"invalid_request", std::string(field), std::move(detail)};
}

std::string Quoted(std::string_view field) {
  return "\"" + std::string(field) + "\"";
}

// The length of the UTF-8 sequence that starts with `lead`, or 0 for a byte that cannot start
// one; `second_min`/`second_max` bound the byte after it (Unicode Table 3-7), which is how
// overlong forms, surrogates and code points above U+10FFFF are refused.
size_t SequenceLength(unsigned char lead, unsigned char& second_min, unsigned char& second_max) {
  second_min = 0x80;
  second_max = 0xBF;
  if (lead < 0x80) return 1;
  if (lead < 0xC2) return 0;  // a continuation byte, or an overlong two-byte form
  if (lead < 0xE0) return 2;
  if (lead < 0xF0) {
    if (lead == 0xE0) second_min = 0xA0;  // overlong
    if (lead == 0xED) second_max = 0x9F;  // UTF-16 surrogates
    return 3;
  }
  if (lead > 0xF4) return 0;
  if (lead == 0xF0) second_min = 0x90;  // overlong
  if (lead == 0xF4) second_max = 0x8F;  // above U+10FFFF
  return 4;
}

// How a child's path joins its parent's: "customer" + "name" -> "customer.name", but an array
// index stays attached: "event_types" + "[2]".
std::string JoinPath(std::string parent, std::string_view child) {
  if (!child.empty() && child.front() != '[') parent += '.';
  parent += child;
  return parent;
}

// Where the first string (a key or a value) that is not valid UTF-8 lies in `value`: "" for
// `value` itself, else a path such as "customer.name" or "event_types[1]"; nullopt when none.
std::optional<std::string> InvalidUtf8Path(const json::value& value) {
  if (value.is_string()) {
    const json::string& text = value.get_string();
    if (Utf8CodePoints(std::string_view(text.data(), text.size()))) return std::nullopt;
    return std::string();
  }
  if (value.is_array()) {
    const json::array& array = value.get_array();
    for (size_t i = 0; i < array.size(); ++i) {
      if (auto inner = InvalidUtf8Path(array[i])) {
        return JoinPath("[" + std::to_string(i) + "]", *inner);
      }
    }
  }
  if (value.is_object()) {
    for (const auto& entry : value.get_object()) {
      const std::string_view key(entry.key().data(), entry.key().size());
      if (!Utf8CodePoints(key)) return std::string(key);
      if (auto inner = InvalidUtf8Path(entry.value())) return JoinPath(std::string(key), *inner);
    }
  }
  return std::nullopt;
}

// Every string was checked at Parse, so this only counts.
size_t Characters(std::string_view text) {
  return Utf8CodePoints(text).value_or(text.size());
}

}  // namespace

std::optional<size_t> Utf8CodePoints(std::string_view text) {
  size_t count = 0;
  for (size_t i = 0; i < text.size(); ++count) {
    unsigned char second_min = 0;
    unsigned char second_max = 0;
    const size_t length =
        SequenceLength(static_cast<unsigned char>(text[i]), second_min, second_max);
    if (length == 0 || text.size() - i < length) return std::nullopt;
    for (size_t k = 1; k < length; ++k) {
      const auto byte = static_cast<unsigned char>(text[i + k]);
      const unsigned char min = k == 1 ? second_min : 0x80;
      const unsigned char max = k == 1 ? second_max : 0xBF;
      if (byte < min || byte > max) return std::nullopt;
    }
    i += length;
  }
  return count;
}

JsonObjectReader::JsonObjectReader(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
JsonObjectReader::JsonObjectReader(JsonObjectReader&&) noexcept = default;
JsonObjectReader& JsonObjectReader::operator=(JsonObjectReader&&) noexcept = default;
JsonObjectReader::~JsonObjectReader() = default;

Result<JsonObjectReader, InputError> JsonObjectReader::Parse(std::string_view body) {
  json::parse_options options;
  options.max_depth = kJsonDepthMax;
  // Checked below instead, so that the error can name the field.
  options.allow_invalid_utf8 = true;
  boost::system::error_code error;
  json::value value = json::parse(body, error, {}, options);
  if (error) {
    return Failure{Invalid("", "The body is not valid JSON: " + error.message() + ".")};
  }
  if (!value.is_object()) return Failure{Invalid("", "The body must be a JSON object.")};
  if (auto path = InvalidUtf8Path(value)) {
    return Failure{Invalid(*path, Quoted(*path) + " is not valid UTF-8 text.")};
  }
  auto impl = std::make_unique<Impl>();
  impl->object = std::move(value.as_object());
  return JsonObjectReader(std::move(impl));
}

Result<std::optional<JsonObjectReader>, InputError> JsonObjectReader::OptionalObject(
    std::string_view field) {
  const json::value* value = impl_->Find(field);
  if (value == nullptr) return std::optional<JsonObjectReader>();
  if (!value->is_object()) return Failure{Invalid(field, Quoted(field) + " must be an object.")};
  auto impl = std::make_unique<Impl>();
  impl->object = value->as_object();
  return std::optional<JsonObjectReader>(JsonObjectReader(std::move(impl)));
}

Result<std::map<std::string, std::string, std::less<>>, InputError>
JsonObjectReader::RequiredStringMap(std::string_view field, size_t entries_max, size_t length_max) {
  const json::value* value = impl_->Find(field);
  const std::string shape = Quoted(field) + " must be an object of 1 to " +
                            std::to_string(entries_max) + " non-empty strings of at most " +
                            std::to_string(length_max) + " characters.";
  if (value == nullptr) return Failure{Invalid(field, Quoted(field) + " is required.")};
  if (!value->is_object() || value->as_object().empty() ||
      value->as_object().size() > entries_max) {
    return Failure{Invalid(field, shape)};
  }
  std::map<std::string, std::string, std::less<>> out;
  for (const auto& entry : value->as_object()) {
    if (!entry.value().is_string() || entry.key().empty() || Characters(entry.key()) > length_max ||
        entry.value().as_string().empty() || Characters(entry.value().as_string()) > length_max) {
      return Failure{Invalid(field, shape)};
    }
    out.emplace(std::string(entry.key()), std::string(entry.value().as_string()));
  }
  return out;
}

Result<std::optional<std::string>, InputError> JsonObjectReader::OptionalString(
    std::string_view field, size_t length_max) {
  const json::value* value = impl_->Find(field);
  if (value == nullptr) return std::optional<std::string>();
  if (!value->is_string()) return Failure{Invalid(field, Quoted(field) + " must be a string.")};
  const json::string& text = value->as_string();
  if (Characters(text) > length_max) {
    return Failure{Invalid(
        field, Quoted(field) + " is longer than " + std::to_string(length_max) + " characters.")};
  }
  return std::optional<std::string>(std::string(text.data(), text.size()));
}

Result<std::string, InputError> JsonObjectReader::RequiredString(std::string_view field,
                                                                 size_t length_max) {
  auto value = OptionalString(field, length_max);
  if (!value.ok()) return Failure{value.error()};
  if (!value.value()) return Failure{Invalid(field, Quoted(field) + " is required.")};
  return std::move(*value.value());
}

Result<std::optional<int64_t>, InputError> JsonObjectReader::OptionalInteger(std::string_view field,
                                                                             int64_t min,
                                                                             int64_t max) {
  const json::value* value = impl_->Find(field);
  if (value == nullptr) return std::optional<int64_t>();
  const std::string range = " from " + std::to_string(min) + " to " + std::to_string(max);
  int64_t number;
  if (value->is_int64()) {
    number = value->as_int64();
  } else if (value->is_uint64()) {
    return Failure{Invalid(field, Quoted(field) + " must be a whole number" + range + ".")};
  } else {
    // Includes numbers with a fraction or an exponent: they are never read through a double.
    return Failure{Invalid(field, Quoted(field) + " must be a whole number" + range + ".")};
  }
  if (number < min || number > max) {
    return Failure{Invalid(field, Quoted(field) + " must be a whole number" + range + ".")};
  }
  return std::optional<int64_t>(number);
}

Result<int64_t, InputError> JsonObjectReader::RequiredInteger(std::string_view field, int64_t min,
                                                              int64_t max) {
  auto value = OptionalInteger(field, min, max);
  if (!value.ok()) return Failure{value.error()};
  if (!value.value()) return Failure{Invalid(field, Quoted(field) + " is required.")};
  return *value.value();
}

Result<std::optional<bool>, InputError> JsonObjectReader::OptionalBool(std::string_view field) {
  const json::value* value = impl_->Find(field);
  if (value == nullptr) return std::optional<bool>();
  if (!value->is_bool()) return Failure{Invalid(field, Quoted(field) + " must be true or false.")};
  return std::optional<bool>(value->as_bool());
}

Result<std::string, InputError> JsonObjectReader::RequiredEnum(
    std::string_view field, std::span<const std::string_view> allowed) {
  size_t longest = 0;
  for (std::string_view option : allowed) longest = std::max(longest, option.size());
  auto value = RequiredString(field, std::max<size_t>(longest, 1));
  std::string options;
  for (std::string_view option : allowed) {
    if (!options.empty()) options += ", ";
    options += option;
  }
  if (value.ok()) {
    for (std::string_view option : allowed) {
      if (value.value() == option) return std::move(value).value();
    }
  } else if (value.error().detail.find("is required") != std::string::npos) {
    return Failure{value.error()};
  }
  return Failure{Invalid(field, Quoted(field) + " must be one of: " + options + ".")};
}

Result<std::vector<std::string>, InputError> JsonObjectReader::RequiredStringArray(
    std::string_view field, size_t items_max, size_t length_max) {
  const json::value* value = impl_->Find(field);
  if (value == nullptr) return Failure{Invalid(field, Quoted(field) + " is required.")};
  const std::string shape = Quoted(field) + " must be an array of 1 to " +
                            std::to_string(items_max) + " strings of at most " +
                            std::to_string(length_max) + " characters.";
  if (!value->is_array()) return Failure{Invalid(field, shape)};
  const json::array& array = value->as_array();
  if (array.empty() || array.size() > items_max) return Failure{Invalid(field, shape)};
  std::vector<std::string> items;
  for (const json::value& item : array) {
    if (!item.is_string() || Characters(item.as_string()) > length_max) {
      return Failure{Invalid(field, shape)};
    }
    items.emplace_back(item.as_string().data(), item.as_string().size());
  }
  return items;
}

Result<Amount, InputError> JsonObjectReader::RequiredAmount(std::string_view field,
                                                            const Asset& asset) {
  const json::value* value = impl_->Find(field);
  if (value == nullptr) return Failure{Invalid(field, Quoted(field) + " is required.")};
  if (value->is_number()) {
    return Failure{InputError{"invalid_amount", std::string(field),
                              Quoted(field) + " must be a decimal string such as \"10.50\", not a "
                                              "JSON number."}};
  }
  if (!value->is_string()) {
    return Failure{InputError{"invalid_amount", std::string(field),
                              Quoted(field) + " must be a decimal string such as \"10.50\"."}};
  }
  const json::string& text = value->as_string();
  auto amount = Amount::Parse(std::string_view(text.data(), text.size()), asset);
  if (!amount.ok()) {
    return Failure{InputError{
        "invalid_amount", std::string(field),
        Quoted(field) + ": " + std::string(AmountErrorMessage(amount.error())) + " (" +
            std::string(asset.code()) + " has " + std::to_string(asset.scale()) + " decimals)."}};
  }
  return amount.value();
}

std::optional<InputError> JsonObjectReader::RejectUnknownFields() const {
  for (const auto& item : impl_->object) {
    const std::string_view key(item.key().data(), item.key().size());
    if (!impl_->read.contains(key)) {
      return Invalid(key, "Unknown field " + Quoted(key) + ".");
    }
  }
  return std::nullopt;
}

}  // namespace cambista::http
