// Routes by method and path pattern ("/v1/ledger/accounts/{id}"), hands the captured parameters to
// the handler, and answers what matches no route with problem+json: 404 `not_found`, or 405
// `method_not_allowed` with an Allow header when the path exists for other methods.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "api/http_types.hpp"

namespace cambista::api {

using PathParams = std::map<std::string, std::string, std::less<>>;
using RouteHandler = std::function<HttpResponse(const HttpRequest&, const PathParams&)>;

class Router {
 public:
  // `pattern` segments are literals or {name}; a {name} segment matches one non-empty segment.
  void Add(std::string method, std::string pattern, RouteHandler handler);
  // `matched_pattern`, when given, receives the pattern of the route that answered ("" for none).
  HttpResponse Handle(const HttpRequest& request, std::string* matched_pattern = nullptr) const;

  struct Route {
    std::string method;
    std::string pattern;
    std::vector<std::string> segments;
    RouteHandler handler;
  };
  const std::vector<Route>& routes() const { return routes_; }

 private:
  std::vector<Route> routes_;
};

}  // namespace cambista::api
