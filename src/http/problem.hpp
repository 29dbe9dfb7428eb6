// RFC 9457 problem details: every 4xx/5xx Cambista answers is application/problem+json with `type`,
// `title`, `status`, `detail` and a stable machine `code` that clients can switch on.
#pragma once

#include <string_view>

#include "http/http_types.hpp"

namespace cambista::http {

HttpResponse Problem(int status, std::string_view code, std::string_view title,
                     std::string_view detail);

// JSON string literal (with quotes) for any bytes; invalid UTF-8 becomes U+FFFD.
std::string JsonString(std::string_view text);

}  // namespace cambista::http
