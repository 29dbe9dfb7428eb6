// Routes by method and path pattern ("/v1/ledger/accounts/{id}"), hands the captured parameters to
// the handler, and answers what matches no route with problem+json: 404 `not_found`, or 405
// `method_not_allowed` with an Allow header when the path exists for other methods.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/http_types.hpp"

namespace cambista::api {

using PathParams = std::map<std::string, std::string, std::less<>>;

// What /openapi.json says of a route. Every route has one: Router::Add requires it.
struct RouteDoc {
  std::string summary;
  std::string access;  // "public", "key" (any valid API key) or a scope name ("ledger:read")
  std::string response_schema = R"({"type":"object"})";  // JSON Schema of the 200 body
  std::string response_type = "application/json";
  std::vector<std::pair<std::string, std::string>> query = {};  // name, description
  // Error responses: status -> the stable problem codes it can carry.
  std::vector<std::pair<int, std::vector<std::string>>> errors = {};
};
using RouteHandler = std::function<HttpResponse(const HttpRequest&, const PathParams&)>;

// How long a route's handler may take: kInMemory answers from memory at once (it may run on an
// I/O thread); kMayWait may query the database or call out (it runs on a worker).
enum class RouteCost { kMayWait, kInMemory };

class Router {
 public:
  // `pattern` segments are literals or {name}; a {name} segment matches one non-empty segment.
  void Add(std::string method, std::string pattern, RouteDoc doc, RouteHandler handler,
           RouteCost cost = RouteCost::kMayWait);
  // `matched_pattern`, when given, receives the pattern of the route that answered (it lives as
  // long as the router), and is left alone when none did. A deferred response (Defer) is returned
  // as the handler made it.
  HttpResponse Handle(const HttpRequest& request,
                      std::string_view* matched_pattern = nullptr) const;
  // Whether Handle would answer `request` from memory: its route is kInMemory, or none matches
  // (404 and 405 need nothing else).
  bool AnswersFromMemory(const HttpRequest& request) const;
  // Marks every route added so far whose pattern starts with `prefix` as kInMemory (a whole
  // in-memory subsystem, such as the sandbox simulators, added by code that takes a Router).
  void MarkInMemory(std::string_view prefix);

  struct Route {
    std::string method;
    std::string pattern;
    std::vector<std::string> segments;
    RouteDoc doc;
    RouteHandler handler;
    RouteCost cost;
  };
  const std::vector<Route>& routes() const { return routes_; }

 private:
  std::vector<Route> routes_;
};

}  // namespace cambista::api
