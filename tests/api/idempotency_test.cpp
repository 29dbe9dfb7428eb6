// Idempotency-Key around handlers whose response is deferred: the key stays in flight until the
// answer comes, which is then stored with the effect and replayed, or the key released on a 5xx
// or a lost Respond, as for an immediate response. Each answer is given from the test's thread
// while another waits for the final response, as a gateway's pool would.
#include "api/idempotency.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

#include "test_database.hpp"
#include "wait_for_response.hpp"

namespace cambista::api {
namespace {

http::HttpResponse Text(int status, std::string body) {
  http::HttpResponse response;
  response.status = status;
  response.content_type = "text/plain";
  response.body = std::move(body);
  return response;
}

// Respond handed over by deferred handlers, for the test to call when it chooses.
class RespondSlot {
 public:
  void Put(http::Respond respond) {
    std::lock_guard lock(mutex_);
    respond_ = std::move(respond);
    put_.notify_all();
  }
  // Waits (up to 10 s) for a Respond to be put; empty if none was.
  http::Respond Take() {
    std::unique_lock lock(mutex_);
    put_.wait_for(lock, std::chrono::seconds(10), [this] { return respond_ != nullptr; });
    return std::exchange(respond_, nullptr);
  }

 private:
  std::mutex mutex_;
  std::condition_variable put_;
  http::Respond respond_;
};

class IdempotencyTest : public cambista::testing::DatabaseTest {
 protected:
  void SetUp() override {
    DatabaseTest::SetUp();
    if (IsSkipped()) return;
    db().Connect()->Execute("CREATE TABLE test_effects (note TEXT NOT NULL)");
    idempotency_ = std::make_unique<Idempotency>(db(), clock_, box_);
  }
  void TearDown() override {
    idempotency_.reset();
    DatabaseTest::TearDown();
  }

  // Inserts the request's body into test_effects in the key's transaction, then answers later.
  AuthorizedHandler Wrapped() {
    return idempotency_->Wrap([this](const http::HttpRequest& request, const http::PathParams&,
                                     const Principal&, store::Connection& tx) {
      ++calls_;
      tx.Execute("INSERT INTO test_effects (note) VALUES ($1)", {std::string_view(request.body)});
      return http::Defer([this](http::Respond respond) { slot_.Put(std::move(respond)); });
    });
  }
  AuthorizedHandler CallingOut() {
    return idempotency_->WrapCallingOut(
        [this](const http::HttpRequest&, const http::PathParams&, const Principal&) {
          ++calls_;
          return http::Defer([this](http::Respond respond) { slot_.Put(std::move(respond)); });
        });
  }

  http::HttpResponse Call(const AuthorizedHandler& handler, std::string key, std::string body) {
    http::HttpRequest request;
    request.method = "POST";
    request.path = "/v1/things";
    request.body = std::move(body);
    request.headers.emplace_back("Idempotency-Key", std::move(key));
    return handler(request, {}, principal_);
  }

  // The final response of a deferred one, answered with `answer` from this thread while another
  // waits for it; a Respond without `answer` is dropped uncalled.
  http::HttpResponse AnswerWith(http::HttpResponse deferred,
                                std::optional<http::HttpResponse> answer) {
    EXPECT_TRUE(http::IsDeferred(deferred));
    auto final_response = std::async(std::launch::async, [&deferred] {
      return cambista::testing::WaitForResponse(std::move(deferred));
    });
    http::Respond respond = slot_.Take();
    EXPECT_TRUE(respond);
    if (respond && answer) respond(std::move(*answer));
    respond = nullptr;
    return final_response.get();
  }

  int64_t Effects() {
    int64_t count = 0;
    db().Connect()->Query("SELECT COUNT(*) FROM test_effects", {},
                          [&count](const store::Row& row) { count = row.Int64(0); });
    return count;
  }

  ManualClock clock_;
  const SecretBox box_ = MakeSecretBox("idempotency-test-master-key-0123456789abcdef");
  const Principal principal_{"prefix00", "acme", ScopeSet{}};
  std::unique_ptr<Idempotency> idempotency_;
  RespondSlot slot_;
  int calls_ = 0;
};

TEST_P(IdempotencyTest, WrapCommitsTheEffectWithTheDeferredAnswerAndReplaysIt) {
  const AuthorizedHandler handler = Wrapped();
  http::HttpResponse deferred = Call(handler, "k1", "first");
  ASSERT_TRUE(http::IsDeferred(deferred));
  auto final_response = std::async(std::launch::async, [&deferred] {
    return cambista::testing::WaitForResponse(std::move(deferred));
  });
  http::Respond respond = slot_.Take();
  ASSERT_TRUE(respond);
  EXPECT_EQ(Effects(), 0);  // the effect waits for the answer, in its transaction
  respond(Text(201, "created first"));
  const http::HttpResponse created = final_response.get();
  EXPECT_EQ(created.status, 201);
  EXPECT_EQ(created.body, "created first");
  EXPECT_EQ(Effects(), 1);

  const http::HttpResponse replayed = Call(handler, "k1", "first");
  EXPECT_FALSE(http::IsDeferred(replayed));
  EXPECT_EQ(replayed.status, 201);
  EXPECT_EQ(replayed.body, "created first");
  ASSERT_EQ(replayed.headers.size(), 1U);
  EXPECT_EQ(replayed.headers[0],
            (std::pair<std::string, std::string>("Idempotent-Replayed", "true")));
  EXPECT_EQ(calls_, 1);
}

TEST_P(IdempotencyTest, WrapRollsBackTheEffectAndReleasesTheKeyOnADeferred5xx) {
  const AuthorizedHandler handler = Wrapped();
  const http::HttpResponse failed = AnswerWith(Call(handler, "k2", "x"), Text(503, "gateway down"));
  EXPECT_EQ(failed.status, 503);
  EXPECT_EQ(Effects(), 0);

  const http::HttpResponse retried = AnswerWith(Call(handler, "k2", "x"), Text(201, "created"));
  EXPECT_EQ(retried.status, 201);
  EXPECT_EQ(calls_, 2);  // the retry ran the handler again
  EXPECT_EQ(Effects(), 1);
}

TEST_P(IdempotencyTest, WrapCallingOutKeepsTheKeyInFlightUntilTheDeferredAnswer) {
  const AuthorizedHandler handler = CallingOut();
  http::HttpResponse deferred = Call(handler, "k3", "charge");
  auto final_response = std::async(std::launch::async, [&deferred] {
    return cambista::testing::WaitForResponse(std::move(deferred));
  });
  http::Respond respond = slot_.Take();
  ASSERT_TRUE(respond);
  const http::HttpResponse meanwhile = Call(handler, "k3", "charge");
  EXPECT_EQ(meanwhile.status, 409);
  EXPECT_NE(meanwhile.body.find("idempotency_in_flight"), std::string::npos);
  respond(Text(201, "charge created"));
  EXPECT_EQ(final_response.get().status, 201);

  const http::HttpResponse replayed = Call(handler, "k3", "charge");
  EXPECT_EQ(replayed.status, 201);
  EXPECT_EQ(replayed.body, "charge created");
  EXPECT_EQ(calls_, 1);
}

TEST_P(IdempotencyTest, WrapCallingOutReleasesTheKeyOnADeferred5xxOrALostRespond) {
  const AuthorizedHandler handler = CallingOut();
  EXPECT_EQ(AnswerWith(Call(handler, "k4", "charge"), Text(502, "bad gateway")).status, 502);
  const http::HttpResponse lost = AnswerWith(Call(handler, "k4", "charge"), std::nullopt);
  EXPECT_EQ(lost.status, 500);
  EXPECT_NE(lost.body.find("internal_error"), std::string::npos);
  EXPECT_EQ(AnswerWith(Call(handler, "k4", "charge"), Text(201, "third time")).status, 201);
  EXPECT_EQ(calls_, 3);
  const http::HttpResponse replayed = Call(handler, "k4", "charge");
  EXPECT_EQ(replayed.body, "third time");
  EXPECT_EQ(calls_, 3);
}

TEST_P(IdempotencyTest, AnAnswerWithRetryAfterIsNotKeptAndItsEffectIsRolledBack) {
  // 409 charge_creating says "ask again shortly": replayed, it would outlive its condition.
  http::HttpResponse busy = Text(409, "still being created");
  busy.headers.emplace_back("retry-after", "5");
  const AuthorizedHandler calling_out = CallingOut();
  EXPECT_EQ(AnswerWith(Call(calling_out, "k5", "charge"), busy).status, 409);
  EXPECT_EQ(AnswerWith(Call(calling_out, "k5", "charge"), Text(502, "failed")).status, 502);
  EXPECT_EQ(calls_, 2);
  const AuthorizedHandler wrapped = Wrapped();
  EXPECT_EQ(AnswerWith(Call(wrapped, "k6", "x"), busy).status, 409);
  EXPECT_EQ(Effects(), 0);
  EXPECT_EQ(AnswerWith(Call(wrapped, "k6", "x"), Text(201, "created")).status, 201);
  EXPECT_EQ(Effects(), 1);
  EXPECT_EQ(calls_, 4);
}

INSTANTIATE_BACKENDS(IdempotencyTest);

}  // namespace
}  // namespace cambista::api
