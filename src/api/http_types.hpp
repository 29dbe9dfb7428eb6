// The HTTP request and response as the rest of Cambista sees them: plain structs, so handlers and
// their tests never include Boost.Beast (which stays inside http_server.cpp).
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cambista::api {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string target;  // as sent: path and query
  std::string path;    // without the query
  std::string query;   // after '?', may be empty
  Headers headers;
  std::string body;
  std::string remote_address;

  // First value of a header, matched case-insensitively; empty when absent.
  std::string_view Header(std::string_view name) const;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  Headers headers;
  std::string body;
  std::string log_tenant;  // for the request log line only; never sent
};

using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

}  // namespace cambista::api
