#include "api/problem.hpp"

#include <cstdio>
#include <string>

namespace cambista::api {

std::string JsonString(std::string_view text) {
  std::string out = "\"";
  for (size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(c));
      ++i;
    } else if (c < 0x20) {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\u%04x", c);
      out += escaped;
      ++i;
    } else if (c < 0x80) {
      out.push_back(static_cast<char>(c));
      ++i;
    } else {
      // Copy a well-formed UTF-8 sequence; anything else becomes U+FFFD.
      const size_t length = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 ? 2 : 0;
      bool valid = length != 0 && c < 0xF5 && i + length <= text.size();
      for (size_t k = 1; valid && k < length; ++k) {
        valid = (static_cast<unsigned char>(text[i + k]) & 0xC0) == 0x80;
      }
      if (valid) {
        out.append(text.substr(i, length));
        i += length;
      } else {
        out += "\xEF\xBF\xBD";
        ++i;
      }
    }
  }
  out.push_back('"');
  return out;
}

HttpResponse Problem(int status, std::string_view code, std::string_view title,
                     std::string_view detail) {
  HttpResponse response;
  response.status = status;
  response.content_type = "application/problem+json";
  response.body = "{\"type\":" + JsonString("/problems/" + std::string(code)) +
                  ",\"title\":" + JsonString(title) + ",\"status\":" + std::to_string(status) +
                  ",\"detail\":" + JsonString(detail) + ",\"code\":" + JsonString(code) + "}";
  return response;
}

}  // namespace cambista::api
