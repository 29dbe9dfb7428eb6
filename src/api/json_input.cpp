#include "api/json_input.hpp"

#include <boost/json.hpp>

#include "api/problem.hpp"

namespace cambista::api {
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

}  // namespace

JsonObjectReader::JsonObjectReader(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
JsonObjectReader::JsonObjectReader(JsonObjectReader&&) noexcept = default;
JsonObjectReader& JsonObjectReader::operator=(JsonObjectReader&&) noexcept = default;
JsonObjectReader::~JsonObjectReader() = default;

Result<JsonObjectReader, InputError> JsonObjectReader::Parse(std::string_view body) {
  json::parse_options options;
  options.max_depth = kJsonDepthMax;
  boost::system::error_code error;
  json::value value = json::parse(body, error, {}, options);
  if (error) {
    return Failure{Invalid("", "The body is not valid JSON: " + error.message() + ".")};
  }
  if (!value.is_object()) return Failure{Invalid("", "The body must be a JSON object.")};
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
    if (!entry.value().is_string() || entry.key().empty() || entry.key().size() > length_max ||
        entry.value().as_string().empty() || entry.value().as_string().size() > length_max) {
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
  if (text.size() > length_max) {
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
    if (!item.is_string() || item.as_string().size() > length_max) {
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

}  // namespace cambista::api
