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
  router.Add("GET", "/v1/ledger/accounts/{id}", [](const HttpRequest&, const PathParams& params) {
    HttpResponse response;
    response.body = params.at("id");
    return response;
  });
  router.Add("GET", "/v1/ledger/accounts/{id}/transfers",
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
