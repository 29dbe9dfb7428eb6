// /openapi.json: an OpenAPI 3.1 document generated from the router's own table, so a route cannot
// exist without being documented (Router::Add takes its RouteDoc). Each operation carries its
// access rule (bearer security naming the scope), parameters (path, query, Idempotency-Key and
// other headers), request body schema, success status and schema, and its problem+json responses:
// one per status, the shared Problem schema narrowed to that status and its stable codes (those
// every route may answer added here: 413, 431, 500; 401, 403 and 429 behind a key; the
// Idempotency-Key's 400, 409 and 422). The response check of the test suite
// (tests/e2e/check_responses.mjs) holds every response the tests receive to this document.
#pragma once

#include <string>
#include <string_view>

#include "http/router.hpp"

namespace cambista::api {

std::string OpenApiDocument(const http::Router& router, std::string_view version);

// A small HTML page that renders /openapi.json for people (no external scripts: plain HTML).
std::string DocsPage(const http::Router& router);

}  // namespace cambista::api
