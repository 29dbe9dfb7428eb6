#include "http/router.hpp"

#include <array>

#include "core/assert.hpp"
#include "http/problem.hpp"

namespace cambista::http {
namespace {

// A path (a request's, or a route's pattern) cut at '/', without allocating: a request path with
// more segments than any route may have matches none.
struct PathSegments {
  static constexpr size_t kCountMax = 16;
  std::array<std::string_view, kCountMax> items;
  size_t count = 0;
  bool too_many = false;
};

PathSegments SplitPath(std::string_view path) {
  PathSegments segments;
  size_t start = path.starts_with('/') ? 1 : 0;
  while (start <= path.size()) {
    const size_t slash = path.find('/', start);
    const size_t end = slash == std::string_view::npos ? path.size() : slash;
    if (segments.count == PathSegments::kCountMax) {
      segments.too_many = true;
      break;
    }
    segments.items[segments.count++] = path.substr(start, end - start);
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return segments;
}

bool IsParameter(const std::string& segment) {
  return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

bool Matches(const std::vector<std::string>& pattern, const PathSegments& path) {
  if (path.too_many || pattern.size() != path.count) return false;
  // From the last segment: most paths start alike ("v1"), their ends tell them apart.
  for (size_t i = pattern.size(); i-- > 0;) {
    if (IsParameter(pattern[i]) ? path.items[i].empty() : pattern[i] != path.items[i]) {
      return false;
    }
  }
  return true;
}

PathParams ParamsOf(const std::vector<std::string>& pattern, const PathSegments& path) {
  PathParams params;
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (IsParameter(pattern[i])) {
      params.insert_or_assign(pattern[i].substr(1, pattern[i].size() - 2),
                              std::string(path.items[i]));
    }
  }
  return params;
}

// The route that answers (the first registered with the path and the method), if any; `allowed`,
// when given, collects the methods of the routes with the path.
const Router::Route* FindRoute(const std::vector<Router::Route>& routes, std::string_view method,
                               const PathSegments& segments, std::string* allowed) {
  for (const Router::Route& route : routes) {
    if (!Matches(route.segments, segments)) continue;
    if (route.method == method) return &route;
    if (allowed != nullptr) {
      if (!allowed->empty()) *allowed += ", ";
      *allowed += route.method;
    }
  }
  return nullptr;
}

}  // namespace

void Router::Add(std::string method, std::string pattern, RouteDoc doc, RouteHandler handler,
                 RouteCost cost) {
  const PathSegments parts = SplitPath(pattern);
  CAMBISTA_CHECK(!parts.too_many && "a route pattern has more segments than paths may have");
  std::vector<std::string> segments(parts.items.begin(),
                                    parts.items.begin() + static_cast<std::ptrdiff_t>(parts.count));
  routes_.push_back(Route{std::move(method), std::move(pattern), std::move(segments),
                          std::move(doc), std::move(handler), cost});
}

bool Router::AnswersFromMemory(const HttpRequest& request) const {
  const Route* route = FindRoute(routes_, request.method, SplitPath(request.path), nullptr);
  return route == nullptr || route->cost == RouteCost::kInMemory;
}

void Router::AddSchema(std::string name, std::string schema) {
  const auto [it, added] = schemas_.emplace(std::move(name), schema);
  CAMBISTA_CHECK((added || it->second == schema) && "a schema name given two different schemas");
}

void Router::MarkInMemory(std::string_view prefix) {
  for (Route& route : routes_) {
    if (route.pattern.starts_with(prefix)) route.cost = RouteCost::kInMemory;
  }
}

HttpResponse Router::Handle(const HttpRequest& request, std::string_view* matched_pattern) const {
  std::string_view pattern;
  HttpResponse response = Answer(request, pattern);
  if (matched_pattern != nullptr && !pattern.empty()) *matched_pattern = pattern;
  if (recorder_ != nullptr) {  // tests only: one branch on the hot path otherwise
    if (IsDeferred(response)) {
      response = WhenFinal(std::move(response), [recorder = recorder_, method = request.method,
                                                 pattern](HttpResponse answer) {
        recorder->Record(method, pattern, answer);
        return answer;
      });
    } else {
      recorder_->Record(request.method, pattern, response);
    }
  }
  return response;
}

HttpResponse Router::Answer(const HttpRequest& request, std::string_view& pattern) const {
  const PathSegments segments = SplitPath(request.path);
  std::string allowed;
  if (const Route* route = FindRoute(routes_, request.method, segments, &allowed)) {
    pattern = route->pattern;
    return route->handler(request, ParamsOf(route->segments, segments));
  }
  if (!allowed.empty()) {
    HttpResponse response = Problem(405, "method_not_allowed", "Method not allowed",
                                    request.method + " is not allowed on " + request.path + ".");
    response.headers.emplace_back("Allow", allowed);
    return response;
  }
  return Problem(404, "not_found", "Not found", "No route matches " + request.path + ".");
}

}  // namespace cambista::http
