// /openapi.json as the router's routes and their RouteDocs make it.
#include "api/openapi.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "http/json_schema.hpp"
#include "http/router.hpp"

namespace cambista::api {
namespace {

TEST(OpenApiTest, EveryRegisteredRouteIsDocumented) {
  http::Router router;
  auto ok = [](const http::HttpRequest&, const http::PathParams&) { return http::HttpResponse{}; };
  router.Add("GET", "/health/live", http::RouteDoc{"live", "public"}, ok);
  router.Add("GET", "/v1/assets", http::RouteDoc{"assets", "key"}, ok);
  router.Add("GET", "/v1/ledger/accounts/{id}", http::RouteDoc{"account", "ledger:read"}, ok);
  router.Add("DELETE", "/v1/ledger/accounts/{id}", http::RouteDoc{"gone", "admin"}, ok);
  router.Add("GET", "/v1/ledger/accounts/{id}/transfers",
             http::RouteDoc{.summary = "history",
                            .access = "ledger:read",
                            .query = {{"limit", "page size"}},
                            .errors = {{400, {"invalid_request"}}}},
             ok);
  const boost::json::value document = boost::json::parse(OpenApiDocument(router, "9.9.9"));
  EXPECT_EQ(document.at("openapi").as_string(), "3.1.0");
  const auto& paths = document.at("paths").as_object();
  for (const http::Router::Route& route : router.routes()) {
    std::string method;
    for (char c : route.method) method.push_back(static_cast<char>(std::tolower(c)));
    ASSERT_TRUE(paths.contains(route.pattern)) << route.pattern << " is missing";
    const auto& operations = paths.at(route.pattern).as_object();
    ASSERT_TRUE(operations.contains(method)) << route.method << " " << route.pattern;
    const auto& operation = operations.at(method).as_object();
    EXPECT_EQ(operation.at("summary").as_string(), route.doc.summary);
    EXPECT_TRUE(operation.at("responses").as_object().contains("200"));
    const auto& security = operation.at("security").as_array();
    if (route.doc.access == "public") {
      EXPECT_TRUE(security.empty());
    } else {
      EXPECT_TRUE(operation.at("responses").as_object().contains("401"));
      // Bearer auth, naming the scope the route needs (none for any valid key).
      const auto& scopes = security.at(0).at("apiKey").as_array();
      if (route.doc.access == "key") {
        EXPECT_TRUE(scopes.empty());
      } else {
        ASSERT_EQ(scopes.size(), 1u);
        EXPECT_EQ(scopes.at(0).as_string(), route.doc.access);
      }
    }
  }
  const auto& history = paths.at("/v1/ledger/accounts/{id}/transfers").at("get").as_object();
  EXPECT_EQ(history.at("parameters").as_array().size(), 2u);  // path id + query limit
  EXPECT_TRUE(history.at("responses").as_object().contains("400"));
  EXPECT_TRUE(history.at("responses").as_object().contains("403"));
}

// What a POST that creates says: its body's schema, 201, the Idempotency-Key header, and each
// problem status narrowed to its codes (the idempotency layer's among them).
TEST(OpenApiTest, CreationsDocumentTheirBodyStatusHeaderAndProblemCodes) {
  http::Router router;
  auto ok = [](const http::HttpRequest&, const http::PathParams&) { return http::HttpResponse{}; };
  router.AddSchema("Thing", http::schema::Object({{"id", http::schema::Id("th_")}}));
  router.AddSchema("Thing",
                   http::schema::Object({{"id", http::schema::Id("th_")}}));  // again: the same
  router.Add("POST", "/v1/things",
             http::RouteDoc{.summary = "Make a thing.",
                            .access = "things:write",
                            .status = 201,
                            .response_schema = http::schema::Ref("Thing"),
                            .request_schema = http::schema::Object(
                                {{"name", http::schema::Text(10)},
                                 http::schema::Optional("size", http::schema::Integer())}),
                            .idempotency_key = true,
                            .errors = {{404, {"not_found"}}, {409, {"thing_exists"}}}},
             ok);
  const boost::json::value document = boost::json::parse(OpenApiDocument(router, "1"));
  const auto& operation = document.at("paths").at("/v1/things").at("post").as_object();
  const auto& body = operation.at("requestBody").as_object();
  EXPECT_TRUE(body.at("required").as_bool());
  const auto& request = body.at("content").at("application/json").at("schema").as_object();
  EXPECT_EQ(boost::json::serialize(request.at("required")), R"(["name"])");
  EXPECT_FALSE(request.at("additionalProperties").as_bool());
  const auto& responses = operation.at("responses").as_object();
  EXPECT_FALSE(responses.contains("200"));
  EXPECT_EQ(responses.at("201").at("content").at("application/json").at("schema").at("$ref"),
            "#/components/schemas/Thing");
  const auto& header = operation.at("parameters").at(0).as_object();
  EXPECT_EQ(header.at("name"), "Idempotency-Key");
  EXPECT_EQ(header.at("in"), "header");
  EXPECT_TRUE(header.at("required").as_bool());
  // 409: the route's code and the idempotency layer's, on the shared Problem schema.
  const auto& conflict =
      responses.at("409").at("content").at("application/problem+json").at("schema").at("allOf");
  EXPECT_EQ(conflict.at(0).at("$ref"), "#/components/schemas/Problem");
  EXPECT_EQ(boost::json::serialize(conflict.at(1).at("properties").at("code").at("enum")),
            R"(["thing_exists","idempotency_in_flight"])");
  EXPECT_EQ(conflict.at(1).at("properties").at("status").at("const"), 409);
  EXPECT_TRUE(responses.contains("422"));  // idempotency_key_reused
  const auto& schemas = document.at("components").at("schemas").as_object();
  EXPECT_TRUE(schemas.contains("Problem"));
  EXPECT_TRUE(schemas.contains("Thing"));
}

}  // namespace
}  // namespace cambista::api
