// WebhookDeliverer on both backends, run by a real JobQueue on a ManualClock, sending through a
// real HttpClient to a real HttpServer that records what it receives.
#include "events/webhook_delivery.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "api/http_server.hpp"
#include "events_fixture.hpp"
#include "jobs/job_queue.hpp"
#include "net/http_client.hpp"

namespace cambista::events {
namespace {

// Records every request; answers with the statuses queued, then 200.
class Receiver {
 public:
  Receiver()
      : server_(
            [] {
              api::HttpServerOptions options;
              options.host = "127.0.0.1";
              options.port = 0;
              options.io_threads = 1;
              return options;
            }(),
            [this](const http::HttpRequest& request) {
              std::lock_guard lock(mutex_);
              requests_.push_back(request);
              http::HttpResponse response;
              response.status = 200;
              if (!statuses_.empty()) {
                response.status = statuses_.front();
                statuses_.pop_front();
              }
              response.content_type = "text/plain";
              if (response.status != 204) response.body = "ok";  // 204 has no content
              return response;
            }) {
    server_.Start();
  }

  std::string Url() const {
    return "http://127.0.0.1:" + std::to_string(server_.port()) + "/hooks";
  }

  void Answer(std::initializer_list<int> statuses) {
    std::lock_guard lock(mutex_);
    statuses_.insert(statuses_.end(), statuses);
  }

  std::vector<http::HttpRequest> requests() {
    std::lock_guard lock(mutex_);
    return requests_;
  }

 private:
  std::mutex mutex_;
  std::vector<http::HttpRequest> requests_;
  std::deque<int> statuses_;
  api::HttpServer server_;  // last: stopped before the members its handler uses go
};

// A port that was free a moment ago: nothing listens there, so a connection is refused.
uint16_t ClosedPort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::runtime_error("socket failed");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof(address);
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    close(fd);
    throw std::runtime_error("bind failed");
  }
  close(fd);
  return ntohs(address.sin_port);
}

struct AttemptRow {
  std::string endpoint_id;
  std::string event_id;
  std::string event_type;
  int64_t attempt = 0;
  std::string outcome;
  std::optional<int64_t> response_status;
  std::optional<std::string> error;
  int64_t duration_ms = 0;
  int64_t attempted_at_ms = 0;
  std::optional<int64_t> next_attempt_at_ms;
};

constexpr int64_t kRetryBaseMs = 1'000;
// Past the longest first retry delay: base plus 20 % jitter.
constexpr int64_t kPastFirstRetryMs = kRetryBaseMs * 12 / 10 + 1;

class WebhookDeliveryTest : public EventsTest {
 protected:
  void SetUp() override {
    EventsTest::SetUp();
    if (IsSkipped()) return;
    deliverer_ = std::make_unique<WebhookDeliverer>(client_, box_, clock_, policy_);
    MakeQueue();
  }
  void TearDown() override {
    queue_.reset();
    deliverer_.reset();
    EventsTest::TearDown();
  }

  void MakeQueue() {
    jobs::JobQueueOptions options;
    options.lease_ms = 60'000;
    options.backoff = {.base_ms = 1'000, .max_ms = 60'000, .jitter_fraction = 0.0, .seed = 1};
    queue_ = std::make_unique<jobs::JobQueue>(db(), clock_, options);
    queue_->Register(std::string(kDeliverJobKind), [this](const jobs::JobContext& context) {
      return deliverer_->Deliver(context);
    });
  }

  EmittedEvent EmitChargePaid(int attempts_max = 5) {
    return EmitCommitted(NewEvent{"acme", "charge.paid", "charges", R"({"charge_id":"ch_1"})"},
                         attempts_max);
  }

  std::vector<AttemptRow> Attempts() {
    std::vector<AttemptRow> rows;
    connection().Query(
        "SELECT endpoint_id, event_id, event_type, attempt, outcome, response_status, error, "
        "duration_ms, attempted_at_ms, next_attempt_at_ms FROM webhook_attempts ORDER BY id",
        {}, [&](const store::Row& row) {
          AttemptRow attempt;
          attempt.endpoint_id = row.Text(0);
          attempt.event_id = row.Text(1);
          attempt.event_type = row.Text(2);
          attempt.attempt = row.Int64(3);
          attempt.outcome = row.Text(4);
          if (!row.IsNull(5)) attempt.response_status = row.Int64(5);
          if (!row.IsNull(6)) attempt.error = std::string(row.Text(6));
          attempt.duration_ms = row.Int64(7);
          attempt.attempted_at_ms = row.Int64(8);
          if (!row.IsNull(9)) attempt.next_attempt_at_ms = row.Int64(9);
          rows.push_back(std::move(attempt));
        });
    return rows;
  }

  jobs::JobRecord OnlyJob() {
    auto records = DeliveryJobs();
    EXPECT_EQ(records.size(), 1u);
    return records.at(0);
  }

  // What a receiver following Standard Webhooks checks.
  void ExpectSignedDelivery(const http::HttpRequest& request, const TestEndpoint& endpoint,
                            const EmittedEvent& event, int64_t sent_at_ms) {
    EXPECT_EQ(request.method, "POST");
    EXPECT_EQ(request.path, "/hooks");
    EXPECT_EQ(request.Header("content-type"), "application/json");
    EXPECT_EQ(request.Header("webhook-id"), event.id);
    EXPECT_EQ(request.Header("webhook-timestamp"), std::to_string(sent_at_ms / 1000));
    EXPECT_EQ(request.body,
              WebhookBody(event.id, "charge.paid", created_at_ms_, R"({"charge_id":"ch_1"})"));
    EXPECT_EQ(request.Header("webhook-signature"),
              StandardWebhookSignature(endpoint.secret, event.id, sent_at_ms / 1000, request.body)
                  .value());
  }

  Receiver receiver_;
  net::HttpClient client_;
  WebhookPolicy policy_{.attempts_max = 12,
                        .retry_base_ms = kRetryBaseMs,
                        .retry_max_ms = 60'000,
                        .timeout_ms = 10'000};
  std::unique_ptr<WebhookDeliverer> deliverer_;
  std::unique_ptr<jobs::JobQueue> queue_;
  const int64_t created_at_ms_ = clock_.NowMs();  // events are emitted before the clock moves
};

TEST_P(WebhookDeliveryTest, PostsASignedEventAndA2xxEndsTheJob) {
  const TestEndpoint endpoint = AddEndpoint("acme", receiver_.Url(), "charge.paid");
  const EmittedEvent event = EmitChargePaid();
  ASSERT_EQ(event.deliveries, 1);

  EXPECT_EQ(queue_->RunDue(), 1);

  const auto requests = receiver_.requests();
  ASSERT_EQ(requests.size(), 1u);
  ExpectSignedDelivery(requests[0], endpoint, event, clock_.NowMs());
  const jobs::JobRecord job = OnlyJob();
  EXPECT_EQ(job.state, jobs::JobState::kDone);
  EXPECT_EQ(job.attempts, 1);
  const auto attempts = Attempts();
  ASSERT_EQ(attempts.size(), 1u);
  EXPECT_EQ(attempts[0].endpoint_id, endpoint.id);
  EXPECT_EQ(attempts[0].event_id, event.id);
  EXPECT_EQ(attempts[0].event_type, "charge.paid");
  EXPECT_EQ(attempts[0].attempt, 1);
  EXPECT_EQ(attempts[0].outcome, "succeeded");
  EXPECT_EQ(attempts[0].response_status, 200);
  EXPECT_EQ(attempts[0].error, std::nullopt);
  EXPECT_EQ(attempts[0].duration_ms, 0);  // the ManualClock stood still
  EXPECT_EQ(attempts[0].attempted_at_ms, clock_.NowMs());
  EXPECT_EQ(attempts[0].next_attempt_at_ms, std::nullopt);

  clock_.AdvanceMs(3'600'000);
  EXPECT_EQ(queue_->RunDue(), 0);
  EXPECT_EQ(receiver_.requests().size(), 1u);
}

TEST_P(WebhookDeliveryTest, AnyStatusIn2xxIsSuccess) {
  AddEndpoint("acme", receiver_.Url(), "charge.paid");
  receiver_.Answer({204});
  EmitChargePaid();
  EXPECT_EQ(queue_->RunDue(), 1);
  EXPECT_EQ(OnlyJob().state, jobs::JobState::kDone);
  ASSERT_EQ(Attempts().size(), 1u);
  EXPECT_EQ(Attempts()[0].outcome, "succeeded");
  EXPECT_EQ(Attempts()[0].response_status, 204) << Attempts()[0].error.value_or("");
}

TEST_P(WebhookDeliveryTest, EachEndpointGetsTheEventSignedWithItsOwnSecret) {
  const TestEndpoint first = AddEndpoint("acme", receiver_.Url(), "charge.paid");
  const TestEndpoint second = AddEndpoint("acme", receiver_.Url(), "charge.paid,charge.failed");
  const EmittedEvent event = EmitChargePaid();
  ASSERT_EQ(event.deliveries, 2);

  EXPECT_EQ(queue_->RunDue(), 2);

  const auto requests = receiver_.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].body, requests[1].body);
  EXPECT_NE(requests[0].Header("webhook-signature"), requests[1].Header("webhook-signature"));
  // Jobs run in id order, and EmitEvent enqueues in endpoint id order.
  const bool first_first = first.id < second.id;
  ExpectSignedDelivery(requests[first_first ? 0 : 1], first, event, clock_.NowMs());
  ExpectSignedDelivery(requests[first_first ? 1 : 0], second, event, clock_.NowMs());
}

TEST_P(WebhookDeliveryTest, A5xxIsRetriedLaterWithTheSameIdAndBody) {
  const TestEndpoint endpoint = AddEndpoint("acme", receiver_.Url(), "charge.paid");
  receiver_.Answer({500});
  const EmittedEvent event = EmitChargePaid();
  const int64_t first_at_ms = clock_.NowMs();

  EXPECT_EQ(queue_->RunDue(), 1);

  auto attempts = Attempts();
  ASSERT_EQ(attempts.size(), 1u);
  EXPECT_EQ(attempts[0].outcome, "retrying");
  EXPECT_EQ(attempts[0].response_status, 500);
  EXPECT_EQ(attempts[0].error, "HTTP 500");
  ASSERT_TRUE(attempts[0].next_attempt_at_ms.has_value());
  EXPECT_GE(*attempts[0].next_attempt_at_ms, first_at_ms + kRetryBaseMs * 8 / 10);
  EXPECT_LE(*attempts[0].next_attempt_at_ms, first_at_ms + kRetryBaseMs * 12 / 10);
  jobs::JobRecord job = OnlyJob();
  EXPECT_EQ(job.state, jobs::JobState::kReady);
  EXPECT_EQ(job.attempts, 1);
  EXPECT_EQ(job.last_error, "HTTP 500");
  // The attempt row tells the truth about when the queue runs it again.
  EXPECT_EQ(job.run_at_ms, *attempts[0].next_attempt_at_ms);

  EXPECT_EQ(queue_->RunDue(), 0);  // not due yet
  clock_.AdvanceMs(kPastFirstRetryMs);
  EXPECT_EQ(queue_->RunDue(), 1);

  const auto requests = receiver_.requests();
  ASSERT_EQ(requests.size(), 2u);
  ExpectSignedDelivery(requests[0], endpoint, event, first_at_ms);
  ExpectSignedDelivery(requests[1], endpoint, event, clock_.NowMs());
  EXPECT_EQ(requests[1].Header("webhook-id"), requests[0].Header("webhook-id"));
  EXPECT_EQ(requests[1].body, requests[0].body);
  attempts = Attempts();
  ASSERT_EQ(attempts.size(), 2u);
  EXPECT_EQ(attempts[1].attempt, 2);
  EXPECT_EQ(attempts[1].outcome, "succeeded");
  EXPECT_EQ(attempts[1].response_status, 200);
  EXPECT_EQ(attempts[1].attempted_at_ms, clock_.NowMs());
  job = OnlyJob();
  EXPECT_EQ(job.state, jobs::JobState::kDone);
  EXPECT_EQ(job.attempts, 2);
}

TEST_P(WebhookDeliveryTest, A4xxOtherThan410IsRetriedToo) {
  AddEndpoint("acme", receiver_.Url(), "charge.paid");
  receiver_.Answer({404});
  EmitChargePaid();
  EXPECT_EQ(queue_->RunDue(), 1);
  ASSERT_EQ(Attempts().size(), 1u);
  EXPECT_EQ(Attempts()[0].outcome, "retrying");
  EXPECT_EQ(Attempts()[0].response_status, 404);
  EXPECT_EQ(OnlyJob().state, jobs::JobState::kReady);
}

TEST_P(WebhookDeliveryTest, A410DisablesTheEndpoint) {
  const TestEndpoint endpoint = AddEndpoint("acme", receiver_.Url(), "charge.paid");
  receiver_.Answer({410});
  EmitChargePaid();
  clock_.AdvanceMs(250);

  EXPECT_EQ(queue_->RunDue(), 1);

  const auto attempts = Attempts();
  ASSERT_EQ(attempts.size(), 1u);
  EXPECT_EQ(attempts[0].outcome, "disabled");
  EXPECT_EQ(attempts[0].response_status, 410);
  EXPECT_EQ(attempts[0].next_attempt_at_ms, std::nullopt);
  EXPECT_EQ(EndpointDisabledAtMs(endpoint.id), clock_.NowMs());
  const jobs::JobRecord job = OnlyJob();
  EXPECT_EQ(job.state, jobs::JobState::kDead);
  EXPECT_NE(job.last_error.value_or("").find("410"), std::string::npos);

  // No more jobs for it, and nothing is sent again.
  const EmittedEvent later = EmitChargePaid();
  EXPECT_EQ(later.deliveries, 0);
  EXPECT_EQ(DeliveryJobs().size(), 1u);
  clock_.AdvanceMs(3'600'000);
  EXPECT_EQ(queue_->RunDue(), 0);
  EXPECT_EQ(receiver_.requests().size(), 1u);
}

TEST_P(WebhookDeliveryTest, TheLastAllowedAttemptFailingKillsTheJob) {
  AddEndpoint("acme", receiver_.Url(), "charge.paid");
  receiver_.Answer({500, 503});
  EmitChargePaid(/*attempts_max=*/2);

  EXPECT_EQ(queue_->RunDue(), 1);
  clock_.AdvanceMs(kPastFirstRetryMs);
  EXPECT_EQ(queue_->RunDue(), 1);

  const auto attempts = Attempts();
  ASSERT_EQ(attempts.size(), 2u);
  EXPECT_EQ(attempts[0].outcome, "retrying");
  EXPECT_EQ(attempts[1].attempt, 2);
  EXPECT_EQ(attempts[1].outcome, "failed");
  EXPECT_EQ(attempts[1].response_status, 503);
  EXPECT_EQ(attempts[1].error, "HTTP 503");
  EXPECT_EQ(attempts[1].next_attempt_at_ms, std::nullopt);
  const jobs::JobRecord job = OnlyJob();
  EXPECT_EQ(job.state, jobs::JobState::kDead);
  EXPECT_EQ(job.attempts, 2);
  EXPECT_EQ(job.last_error, "HTTP 503");
  clock_.AdvanceMs(3'600'000);
  EXPECT_EQ(queue_->RunDue(), 0);
  EXPECT_EQ(receiver_.requests().size(), 2u);
}

TEST_P(WebhookDeliveryTest, ThePolicysAttemptsMaxAlsoEndsTheJob) {
  policy_.attempts_max = 1;  // below the job's own max_attempts
  deliverer_ = std::make_unique<WebhookDeliverer>(client_, box_, clock_, policy_);
  AddEndpoint("acme", receiver_.Url(), "charge.paid");
  receiver_.Answer({500});
  EmitChargePaid(/*attempts_max=*/5);

  EXPECT_EQ(queue_->RunDue(), 1);

  ASSERT_EQ(Attempts().size(), 1u);
  EXPECT_EQ(Attempts()[0].outcome, "failed");
  EXPECT_EQ(OnlyJob().state, jobs::JobState::kDead);
}

TEST_P(WebhookDeliveryTest, ARefusedConnectionIsRecordedAndRetried) {
  const TestEndpoint endpoint = AddEndpoint(
      "acme", "http://127.0.0.1:" + std::to_string(ClosedPort()) + "/hooks", "charge.paid");
  const EmittedEvent event = EmitChargePaid();

  EXPECT_EQ(queue_->RunDue(), 1);

  const auto attempts = Attempts();
  ASSERT_EQ(attempts.size(), 1u);
  EXPECT_EQ(attempts[0].endpoint_id, endpoint.id);
  EXPECT_EQ(attempts[0].event_id, event.id);
  EXPECT_EQ(attempts[0].outcome, "retrying");
  EXPECT_EQ(attempts[0].response_status, std::nullopt);
  ASSERT_TRUE(attempts[0].error.has_value());
  EXPECT_FALSE(attempts[0].error->empty());
  EXPECT_TRUE(attempts[0].next_attempt_at_ms.has_value());
  const jobs::JobRecord job = OnlyJob();
  EXPECT_EQ(job.state, jobs::JobState::kReady);
  EXPECT_EQ(job.last_error, attempts[0].error);
}

TEST_P(WebhookDeliveryTest, ADeletedEndpointEndsTheJobWithoutSending) {
  const TestEndpoint endpoint = AddEndpoint("acme", receiver_.Url(), "charge.paid");
  EmitChargePaid();
  SetEndpointTime(endpoint.id, "deleted_at_ms", clock_.NowMs());

  EXPECT_EQ(queue_->RunDue(), 1);

  EXPECT_TRUE(receiver_.requests().empty());
  EXPECT_EQ(OnlyJob().state, jobs::JobState::kDone);
  EXPECT_TRUE(Attempts().empty());
}

TEST_P(WebhookDeliveryTest, AnEndpointDisabledBeforeTheRetryIsNotCalledAgain) {
  const TestEndpoint endpoint = AddEndpoint("acme", receiver_.Url(), "charge.paid");
  receiver_.Answer({500});
  EmitChargePaid();
  EXPECT_EQ(queue_->RunDue(), 1);
  SetEndpointTime(endpoint.id, "disabled_at_ms", clock_.NowMs());

  clock_.AdvanceMs(kPastFirstRetryMs);
  EXPECT_EQ(queue_->RunDue(), 1);

  EXPECT_EQ(receiver_.requests().size(), 1u);
  EXPECT_EQ(OnlyJob().state, jobs::JobState::kDone);
  EXPECT_EQ(Attempts().size(), 1u);
}

TEST_P(WebhookDeliveryTest, ASecretSealedForAnotherEndpointDoesNotOpen) {
  const TestEndpoint victim = AddEndpoint("acme", receiver_.Url(), "charge.failed");
  const TestEndpoint thief = AddEndpoint("acme", receiver_.Url(), "charge.paid");
  connection().Execute(
      "UPDATE webhook_endpoints SET secret_sealed = (SELECT secret_sealed FROM webhook_endpoints "
      "WHERE id = $1) WHERE id = $2",
      {std::string_view(victim.id), std::string_view(thief.id)});
  EmitChargePaid();

  EXPECT_EQ(queue_->RunDue(), 1);

  EXPECT_TRUE(receiver_.requests().empty());
  const jobs::JobRecord job = OnlyJob();
  EXPECT_EQ(job.state, jobs::JobState::kDead);
  EXPECT_NE(job.last_error.value_or("").find("secret"), std::string::npos);
}

INSTANTIATE_BACKENDS(WebhookDeliveryTest);

}  // namespace
}  // namespace cambista::events
