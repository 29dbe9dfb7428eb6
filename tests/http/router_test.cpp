#include "http/router.hpp"

#include <gtest/gtest.h>

namespace cambista::http {
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

}  // namespace
}  // namespace cambista::http
