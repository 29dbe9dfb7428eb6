// What Platform puts around every route (request id, log line, metrics), for immediate responses
// and for deferred ones, whose final answer is what gets recorded.
#include "api/platform.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.hpp"

namespace cambista::api {
namespace {

http::HttpResponse Text(int status, std::string body) {
  http::HttpResponse response;
  response.status = status;
  response.content_type = "text/plain";
  response.body = std::move(body);
  return response;
}

class PlatformTest : public ::testing::Test {
 protected:
  PlatformTest() : logger_(clock_, [this](std::string_view line) { lines_.emplace_back(line); }) {
    router_.Add("GET", "/now", http::RouteDoc{"now", "public"},
                [](const http::HttpRequest&, const http::PathParams&) { return Text(200, "now"); });
    router_.Add("POST", "/v1/charges/{id}", http::RouteDoc{"later", "public"},
                [this](const http::HttpRequest&, const http::PathParams&) {
                  return http::Defer([this](http::Respond respond) { held_ = std::move(respond); });
                });
    platform_ = std::make_unique<Platform>(router_, logger_, metrics_);
  }

  static http::HttpRequest Request(std::string method, std::string path) {
    http::HttpRequest request;
    request.method = std::move(method);
    request.path = std::move(path);
    request.target = request.path;
    request.headers.emplace_back("X-Request-Id", "req-1");
    return request;
  }

  // The deferred response started as the server would, its answer caught in `answered`.
  void Start(http::HttpResponse& response, std::optional<http::HttpResponse>& answered) {
    ASSERT_TRUE(http::IsDeferred(response));
    response.deferred([&answered](http::HttpResponse answer) { answered = std::move(answer); });
    ASSERT_TRUE(held_);
  }

  std::string Counter(std::string_view labels) const {
    const std::string text = metrics_.RenderPrometheusText();
    const std::string series = "cambista_http_requests_total{" + std::string(labels) + "} ";
    const size_t at = text.find(series);
    if (at == std::string::npos) return "absent";
    return text.substr(at + series.size(), text.find('\n', at) - at - series.size());
  }

  ManualClock clock_;
  std::vector<std::string> lines_;
  obs::JsonLogger logger_;
  obs::MetricsRegistry metrics_;
  http::Router router_;
  std::unique_ptr<Platform> platform_;
  http::Respond held_;
};

TEST_F(PlatformTest, AnImmediateResponseIsRecordedAtOnce) {
  const http::HttpResponse response = platform_->Handle(Request("GET", "/now"));
  EXPECT_EQ(response.status, 200);
  ASSERT_EQ(response.headers.size(), 1U);
  EXPECT_EQ(response.headers[0], (std::pair<std::string, std::string>("X-Request-Id", "req-1")));
  ASSERT_EQ(lines_.size(), 1U);
  EXPECT_NE(lines_[0].find("\"status\":200"), std::string::npos) << lines_[0];
  EXPECT_EQ(Counter(R"(route="/now",method="GET",status="200")"), "1");
}

// The request is reused by its connection and the Platform may be gone by the time the answer
// comes (as at shutdown): what is recorded was copied when the request was handled.
TEST_F(PlatformTest, ADeferredResponseIsRecordedWithItsFinalAnswer) {
  http::HttpRequest request = Request("POST", "/v1/charges/ch_1");
  http::HttpResponse response = platform_->Handle(request);
  std::optional<http::HttpResponse> answered;
  Start(response, answered);
  EXPECT_TRUE(lines_.empty());  // nothing recorded before the answer
  request = Request("GET", "/reused");
  platform_.reset();
  std::thread([this] { held_(Text(201, "created")); }).join();

  ASSERT_TRUE(answered);
  EXPECT_EQ(answered->status, 201);
  EXPECT_EQ(answered->body, "created");
  ASSERT_EQ(answered->headers.size(), 1U);
  EXPECT_EQ(answered->headers[0], (std::pair<std::string, std::string>("X-Request-Id", "req-1")));
  ASSERT_EQ(lines_.size(), 1U);
  for (const std::string field : {R"("request_id":"req-1")", R"("method":"POST")",
                                  R"("route":"/v1/charges/{id}")", R"("status":201)"}) {
    EXPECT_NE(lines_[0].find(field), std::string::npos) << field << " in " << lines_[0];
  }
  EXPECT_EQ(Counter(R"(route="/v1/charges/{id}",method="POST",status="201")"), "1");
}

TEST_F(PlatformTest, ADeferredResponseWhoseRespondIsLostIsRecordedAs500) {
  http::HttpResponse response = platform_->Handle(Request("POST", "/v1/charges/ch_2"));
  std::optional<http::HttpResponse> answered;
  Start(response, answered);
  held_ = nullptr;  // the last copy of the Respond: the answer will never come

  ASSERT_TRUE(answered);
  EXPECT_EQ(answered->status, 500);
  ASSERT_EQ(lines_.size(), 1U);
  EXPECT_NE(lines_[0].find(R"("status":500)"), std::string::npos) << lines_[0];
  EXPECT_EQ(Counter(R"(route="/v1/charges/{id}",method="POST",status="500")"), "1");
}

}  // namespace
}  // namespace cambista::api
