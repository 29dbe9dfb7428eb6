// What a Router with a ResponseRecorder writes: one JSON line per response (deferred ones when
// answered, unmatched requests with a null route), JSON bodies as text, other bodies by size, and
// nothing of the request but its method and the route's pattern.
#include "api/response_recorder.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <cstdio>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "http/problem.hpp"
#include "http/router.hpp"

namespace cambista::api {
namespace {

class ResponseRecorderTest : public ::testing::Test {
 protected:
  ResponseRecorderTest() {
    router_.Add("GET", "/v1/things/{id}", http::RouteDoc{"thing", "public"},
                [](const http::HttpRequest&, const http::PathParams& params) {
                  http::HttpResponse response;
                  response.body = "{\"id\":" + http::JsonString(params.at("id")) + "}";
                  return response;
                });
    router_.Add("GET", "/picture", http::RouteDoc{"picture", "public"},
                [](const http::HttpRequest&, const http::PathParams&) {
                  http::HttpResponse response;
                  response.content_type = "image/png";
                  response.body = std::string("\x89PNG\r\n\x1a\n\xff", 9);
                  return response;
                });
    router_.Add("POST", "/v1/later", http::RouteDoc{"later", "public"},
                [this](const http::HttpRequest&, const http::PathParams&) {
                  return http::Defer([this](http::Respond respond) { held_ = std::move(respond); });
                });
  }
  ~ResponseRecorderTest() override { std::remove(path_.c_str()); }

  static http::HttpRequest Request(std::string method, std::string target) {
    http::HttpRequest request;
    request.method = std::move(method);
    request.target = target;
    const size_t question = target.find('?');
    request.path = target.substr(0, question);
    if (question != std::string::npos) request.query = target.substr(question + 1);
    request.headers = {{"Authorization", "Bearer cmb_secretprefix_secretsecret"}};
    request.body = "{\"password\":\"hunter2\"}";
    return request;
  }

  std::vector<boost::json::object> Lines() const {
    std::ifstream file(path_);
    std::vector<boost::json::object> lines;
    for (std::string line; std::getline(file, line);) {
      lines.push_back(boost::json::parse(line).as_object());
    }
    return lines;
  }
  std::string Text() const {
    std::ifstream file(path_);
    std::stringstream text;
    text << file.rdbuf();
    return text.str();
  }

  const std::string path_ = ::testing::TempDir() + "responses-" +
                            ::testing::UnitTest::GetInstance()->current_test_info()->name() +
                            ".jsonl";
  http::Router router_;
  http::Respond held_;
};

TEST_F(ResponseRecorderTest, WritesEachResponseWithItsRoutePatternAndNothingOfTheRequest) {
  ResponseRecorder recorder(path_);
  router_.RecordResponses(&recorder);
  EXPECT_EQ(router_.Handle(Request("GET", "/v1/things/tok_abc?cursor=zz")).status, 200);
  EXPECT_EQ(router_.Handle(Request("GET", "/picture")).status, 200);
  EXPECT_EQ(router_.Handle(Request("GET", "/nowhere")).status, 404);
  EXPECT_EQ(router_.Handle(Request("DELETE", "/picture")).status, 405);
  const auto lines = Lines();
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[0].at("method"), "GET");
  EXPECT_EQ(lines[0].at("route"), "/v1/things/{id}");
  EXPECT_EQ(lines[0].at("status"), 200);
  EXPECT_EQ(lines[0].at("content_type"), "application/json");
  EXPECT_EQ(lines[0].at("body"), R"({"id":"tok_abc"})");
  // Not JSON: the size only.
  EXPECT_EQ(lines[1].at("route"), "/picture");
  EXPECT_FALSE(lines[1].contains("body"));
  EXPECT_EQ(lines[1].at("body_bytes"), 9);
  EXPECT_TRUE(lines[2].at("route").is_null());
  EXPECT_EQ(lines[2].at("content_type"), "application/problem+json");
  EXPECT_EQ(lines[3].at("status"), 405);
  // The query, the headers and the request body never reach the file (only what a response itself
  // says: the 404's detail names the path).
  const std::string text = Text();
  for (std::string_view secret : {"cursor", "secretprefix", "hunter2"}) {
    EXPECT_EQ(text.find(secret), std::string::npos) << secret;
  }
}

TEST_F(ResponseRecorderTest, ADeferredResponseIsWrittenWhenItIsAnswered) {
  ResponseRecorder recorder(path_);
  router_.RecordResponses(&recorder);
  http::HttpResponse response = router_.Handle(Request("POST", "/v1/later"));
  ASSERT_TRUE(http::IsDeferred(response));
  std::optional<http::HttpResponse> answered;
  response.deferred([&answered](http::HttpResponse answer) { answered = std::move(answer); });
  EXPECT_TRUE(Lines().empty());
  http::HttpResponse created;
  created.status = 201;
  created.body = R"({"id":"x"})";
  held_(created);
  ASSERT_TRUE(answered);
  EXPECT_EQ(answered->status, 201);
  const auto lines = Lines();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].at("route"), "/v1/later");
  EXPECT_EQ(lines[0].at("status"), 201);
  EXPECT_EQ(lines[0].at("body"), R"({"id":"x"})");
}

TEST_F(ResponseRecorderTest, AppendsToTheFileAndStopsWhenDetached) {
  {
    ResponseRecorder first(path_);
    router_.RecordResponses(&first);
    router_.Handle(Request("GET", "/v1/things/1"));
  }
  ResponseRecorder second(path_);  // another process's recorder, say: appends
  router_.RecordResponses(&second);
  router_.Handle(Request("GET", "/v1/things/2"));
  router_.RecordResponses(nullptr);
  router_.Handle(Request("GET", "/v1/things/3"));
  const auto lines = Lines();
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[1].at("body"), R"({"id":"2"})");
}

TEST(ResponseRecorderOpenTest, AFileThatCannotBeOpenedIsAnError) {
  EXPECT_THROW(ResponseRecorder("/nonexistent-directory/responses.jsonl"), std::runtime_error);
}

TEST(JsonContentTypeTest, JsonAndPlusJsonTypesOnly) {
  EXPECT_TRUE(IsJsonContentType("application/json"));
  EXPECT_TRUE(IsJsonContentType("application/problem+json"));
  EXPECT_TRUE(IsJsonContentType("application/json; charset=utf-8"));
  EXPECT_FALSE(IsJsonContentType("image/svg+xml"));
  EXPECT_FALSE(IsJsonContentType("text/plain; version=0.0.4; charset=utf-8"));
}

}  // namespace
}  // namespace cambista::api
