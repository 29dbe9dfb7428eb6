#include "http/problem.hpp"

#include "obs/json_string.hpp"

#include <string>

namespace cambista::http {

std::string JsonString(std::string_view text) {
  std::string out;
  obs::AppendJsonString(out, text);
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

}  // namespace cambista::http
