#include "http/query.hpp"

#include <string>

#include "core/int128.hpp"
#include "http/problem.hpp"

namespace cambista::http {

std::optional<std::string_view> QueryValue(std::string_view query, std::string_view name) {
  while (!query.empty()) {
    const size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    if (pair.size() > name.size() && pair.starts_with(name) && pair[name.size()] == '=') {
      return pair.substr(name.size() + 1);
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return std::nullopt;
}

HttpResponse InvalidField(std::string_view field, std::string_view expected) {
  return Problem(400, "invalid_request", "Invalid request",
                 "\"" + std::string(field) + "\" must be " + std::string(expected) + ".");
}

Result<int64_t, HttpResponse> PageLimit(const HttpRequest& request) {
  const auto text = QueryValue(request.query, "limit");
  if (!text) return kPageLimitDefault;
  const auto parsed = ParseI128Decimal(*text);
  if (!parsed || *parsed < 1 || *parsed > kPageLimitMax) {
    return Failure{InvalidField("limit", "a whole number from 1 to 200")};
  }
  return static_cast<int64_t>(*parsed);
}

}  // namespace cambista::http
