#include "api/router.hpp"

#include <gtest/gtest.h>

namespace cambista::api {
namespace {

HttpRequest Request(std::string method, std::string path) {
  HttpRequest request;
  request.method = std::move(method);
  request.path = std::move(path);
  return request;
}

TEST(RouterTest, MatchesLiteralsAndParameters) {
  Router router;
  router.Add("GET", "/v1/ledger/accounts/{id}", RouteDoc{"account", "key"},
             [](const HttpRequest&, const PathParams& params) {
               HttpResponse response;
               response.body = params.at("id");
               return response;
             });
  router.Add("GET", "/v1/ledger/accounts/{id}/transfers", RouteDoc{"history", "ledger:read"},
             [](const HttpRequest&, const PathParams& params) {
               HttpResponse response;
               response.body = "transfers of " + params.at("id");
               return response;
             });
  EXPECT_EQ(router.Handle(Request("GET", "/v1/ledger/accounts/42")).body, "42");
  EXPECT_EQ(router.Handle(Request("GET", "/v1/ledger/accounts/42/transfers")).body,
            "transfers of 42");
  EXPECT_EQ(router.Handle(Request("GET", "/v1/ledger/accounts/")).status, 404);
  EXPECT_EQ(router.Handle(Request("GET", "/v1/ledger/accounts")).status, 404);
  const HttpResponse wrong_method = router.Handle(Request("DELETE", "/v1/ledger/accounts/42"));
  EXPECT_EQ(wrong_method.status, 405);
  ASSERT_EQ(wrong_method.headers.size(), 1u);
  EXPECT_EQ(wrong_method.headers[0], (std::pair<std::string, std::string>{"Allow", "GET"}));
}

}  // namespace
}  // namespace cambista::api

#include <boost/json.hpp>

#include "api/json_schema.hpp"
#include "api/openapi.hpp"

namespace cambista::api {
namespace {

TEST(RouterTest, SaysWhetherARequestIsAnsweredFromMemory) {
  Router router;
  const auto ok = [](const HttpRequest&, const PathParams&) { return HttpResponse{}; };
  router.Add("GET", "/v1/assets", RouteDoc{"assets", "key"}, ok, RouteCost::kInMemory);
  router.Add("GET", "/v1/things/{id}", RouteDoc{"a thing", "key"}, ok);  // may wait by default
  router.Add("POST", "/v1/assets", RouteDoc{"not really", "admin"}, ok);
  EXPECT_TRUE(router.AnswersFromMemory(Request("GET", "/v1/assets")));
  EXPECT_FALSE(router.AnswersFromMemory(Request("POST", "/v1/assets")));
  EXPECT_FALSE(router.AnswersFromMemory(Request("GET", "/v1/things/7")));
  EXPECT_TRUE(router.AnswersFromMemory(Request("GET", "/v1/nothing")));   // 404
  EXPECT_TRUE(router.AnswersFromMemory(Request("PUT", "/v1/things/7")));  // 405
  std::string long_path;
  for (int i = 0; i < 40; ++i) long_path += "/x";
  EXPECT_TRUE(router.AnswersFromMemory(Request("GET", long_path)));
  EXPECT_EQ(router.Handle(Request("GET", long_path)).status, 404);
}

TEST(OpenApiTest, EveryRegisteredRouteIsDocumented) {
  Router router;
  auto ok = [](const HttpRequest&, const PathParams&) { return HttpResponse{}; };
  router.Add("GET", "/health/live", RouteDoc{"live", "public"}, ok);
  router.Add("GET", "/v1/assets", RouteDoc{"assets", "key"}, ok);
  router.Add("GET", "/v1/ledger/accounts/{id}", RouteDoc{"account", "ledger:read"}, ok);
  router.Add("DELETE", "/v1/ledger/accounts/{id}", RouteDoc{"gone", "admin"}, ok);
  router.Add("GET", "/v1/ledger/accounts/{id}/transfers",
             RouteDoc{.summary = "history",
                      .access = "ledger:read",
                      .query = {{"limit", "page size"}},
                      .errors = {{400, {"invalid_request"}}}},
             ok);
  const boost::json::value document = boost::json::parse(OpenApiDocument(router, "9.9.9"));
  EXPECT_EQ(document.at("openapi").as_string(), "3.1.0");
  const auto& paths = document.at("paths").as_object();
  for (const Router::Route& route : router.routes()) {
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
  Router router;
  auto ok = [](const HttpRequest&, const PathParams&) { return HttpResponse{}; };
  router.AddSchema("Thing", schema::Object({{"id", schema::Id("th_")}}));
  router.AddSchema("Thing", schema::Object({{"id", schema::Id("th_")}}));  // again: the same
  router.Add(
      "POST", "/v1/things",
      RouteDoc{.summary = "Make a thing.",
               .access = "things:write",
               .status = 201,
               .response_schema = schema::Ref("Thing"),
               .request_schema = schema::Object(
                   {{"name", schema::Text(10)}, schema::Optional("size", schema::Integer())}),
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
