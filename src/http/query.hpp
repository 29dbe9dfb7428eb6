// Query parameters of list routes: one parameter's value, and the page size and cursor every list
// takes (`limit` 1..200, default 50; `cursor` as the previous page's next_cursor), refused with a
// 400 problem naming the parameter.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "core/result.hpp"
#include "http/http_types.hpp"

namespace cambista::http {

inline constexpr int64_t kPageLimitDefault = 50;
inline constexpr int64_t kPageLimitMax = 200;

// The raw value of `name` (no percent-decoding: our parameters are [A-Za-z0-9._-]).
std::optional<std::string_view> QueryValue(std::string_view query, std::string_view name);

// 400 `invalid_request`: "\"<field>\" must be <expected>."
HttpResponse InvalidField(std::string_view field, std::string_view expected);

Result<int64_t, HttpResponse> PageLimit(const HttpRequest& request);

}  // namespace cambista::http
