// /openapi.json: an OpenAPI 3.1 document generated from the router's own table, so a route cannot
// exist without being documented (Router::Add takes its RouteDoc). Each operation carries its
// access rule (security + `x-scope`), parameters, response schema and problem+json error codes.
#pragma once

#include <string>
#include <string_view>

#include "api/router.hpp"

namespace cambista::api {

std::string OpenApiDocument(const Router& router, std::string_view version);

// A small HTML page that renders /openapi.json for people (no external scripts: plain HTML).
std::string DocsPage(const Router& router);

}  // namespace cambista::api
