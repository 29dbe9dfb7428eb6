#include "api/router.hpp"

#include "api/problem.hpp"

namespace cambista::api {
namespace {

std::vector<std::string> Split(std::string_view path) {
  std::vector<std::string> segments;
  size_t start = path.starts_with('/') ? 1 : 0;
  while (start <= path.size()) {
    const size_t slash = path.find('/', start);
    const size_t end = slash == std::string_view::npos ? path.size() : slash;
    segments.emplace_back(path.substr(start, end - start));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return segments;
}

bool Match(const std::vector<std::string>& pattern, const std::vector<std::string>& path,
           PathParams& params) {
  if (pattern.size() != path.size()) return false;
  for (size_t i = 0; i < pattern.size(); ++i) {
    const std::string& segment = pattern[i];
    if (segment.size() > 2 && segment.front() == '{' && segment.back() == '}') {
      if (path[i].empty()) return false;
      params.insert_or_assign(segment.substr(1, segment.size() - 2), path[i]);
    } else if (segment != path[i]) {
      return false;
    }
  }
  return true;
}

}  // namespace

void Router::Add(std::string method, std::string pattern, RouteDoc doc, RouteHandler handler) {
  auto segments = Split(pattern);
  routes_.push_back(Route{std::move(method), std::move(pattern), std::move(segments),
                          std::move(doc), std::move(handler)});
}

HttpResponse Router::Handle(const HttpRequest& request, std::string* matched_pattern) const {
  const auto segments = Split(request.path);
  std::string allowed;
  for (const Route& route : routes_) {
    PathParams params;
    if (!Match(route.segments, segments, params)) continue;
    if (route.method == request.method) {
      if (matched_pattern != nullptr) *matched_pattern = route.pattern;
      return route.handler(request, params);
    }
    if (!allowed.empty()) allowed += ", ";
    allowed += route.method;
  }
  if (!allowed.empty()) {
    HttpResponse response = Problem(405, "method_not_allowed", "Method not allowed",
                                    request.method + " is not allowed on " + request.path + ".");
    response.headers.emplace_back("Allow", allowed);
    return response;
  }
  return Problem(404, "not_found", "Not found", "No route matches " + request.path + ".");
}

}  // namespace cambista::api
