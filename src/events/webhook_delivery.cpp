#include "events/webhook_delivery.hpp"

#include <boost/json.hpp>
#include <optional>

#include "obs/json_log.hpp"
#include "security/hmac.hpp"

namespace cambista::events {
namespace {

constexpr std::string_view kSecretPrefix = "whsec_";
constexpr size_t kRecordedErrorCharsMax = 500;

struct Target {
  std::string url;
  std::string sealed_secret;
  bool active = false;
};

struct StoredEventRow {
  std::string type;
  std::string data;
  int64_t created_at_ms = 0;
};

// The job payload is ours ({"event_id":...,"endpoint_id":...}); a malformed one is a bug.
std::optional<std::pair<std::string, std::string>> ParsePayload(std::string_view payload) {
  boost::system::error_code error;
  const boost::json::value value = boost::json::parse(payload, error);
  if (error || !value.is_object()) return std::nullopt;
  const auto* event = value.as_object().if_contains("event_id");
  const auto* endpoint = value.as_object().if_contains("endpoint_id");
  if (!event || !endpoint || !event->is_string() || !endpoint->is_string()) return std::nullopt;
  return std::pair{std::string(event->as_string()), std::string(endpoint->as_string())};
}

}  // namespace

std::optional<std::string> StandardWebhookSignature(std::string_view secret, std::string_view id,
                                                    int64_t timestamp_s, std::string_view body) {
  if (!secret.starts_with(kSecretPrefix)) return std::nullopt;
  auto key = Base64Decode(secret.substr(kSecretPrefix.size()));
  if (!key.ok()) return std::nullopt;
  std::string message;
  message.reserve(id.size() + body.size() + 24);
  message.append(id).append(".").append(std::to_string(timestamp_s)).append(".").append(body);
  return "v1," + Base64Encode(HmacSha256(key.value(), message));
}

std::string WebhookBody(std::string_view id, std::string_view type, int64_t created_at_ms,
                        std::string_view data) {
  std::string body = "{\"id\":\"";
  body.append(id).append("\",\"type\":\"").append(type).append("\",\"timestamp\":\"");
  obs::AppendRfc3339Millis(body, created_at_ms * 1'000'000);
  body.append("\",\"data\":").append(data).append("}");
  return body;
}

std::string EndpointSecretContext(std::string_view endpoint_id) {
  return "webhook_endpoints.secret:" + std::string(endpoint_id);
}

WebhookDeliverer::WebhookDeliverer(const net::HttpClient& client, const SecretBox& box,
                                   const Clock& clock, WebhookPolicy policy,
                                   obs::CounterFamily* attempts)
    : client_(client),
      box_(box),
      clock_(clock),
      policy_(policy),
      backoff_(jobs::BackoffOptions{policy.retry_base_ms, policy.retry_max_ms, 0.2, 0}),
      attempts_(attempts) {}

namespace {

std::optional<Target> LoadTarget(store::Connection& connection, std::string_view endpoint_id) {
  std::optional<Target> target;
  connection.Query(
      "SELECT url, secret_sealed, deleted_at_ms, disabled_at_ms FROM "
      "webhook_endpoints WHERE id = $1",
      {endpoint_id}, [&](const store::Row& row) {
        target = Target{std::string(row.Text(0)), row.Bytes(1), row.IsNull(2) && row.IsNull(3)};
      });
  return target;
}

std::optional<StoredEventRow> LoadEvent(store::Connection& connection, std::string_view event_id) {
  std::optional<StoredEventRow> event;
  connection.Query(
      "SELECT type, data, created_at_ms FROM events WHERE id = $1", {event_id},
      [&](const store::Row& row) {
        event = StoredEventRow{std::string(row.Text(0)), std::string(row.Text(1)), row.Int64(2)};
      });
  return event;
}

// What one attempt came to, as recorded in webhook_attempts.
struct Attempt {
  int64_t started_ms = 0;
  int64_t finished_ms = 0;
  std::optional<int64_t> status;  // none when no HTTP answer came
  std::string error;              // empty when delivered
  bool delivered = false;
  bool gone = false;  // 410: the endpoint is disabled
  std::string outcome;
  std::optional<int64_t> retry_delay_ms;
};

// Delivered on a 2xx; on anything else the endpoint is disabled (410 Gone), the job gives up (its
// last attempt) or it retries after the backoff.
void Judge(Attempt& attempt, const jobs::ClaimedJob& job, const WebhookPolicy& policy,
           jobs::Backoff& backoff) {
  const std::optional<int64_t>& status = attempt.status;
  attempt.delivered = status && *status >= 200 && *status < 300;
  attempt.gone = status && *status == 410;
  const bool last = job.attempt >= policy.attempts_max || job.attempt >= job.max_attempts;
  attempt.outcome = "succeeded";
  if (!attempt.delivered) {
    if (attempt.error.empty()) attempt.error = "HTTP " + std::to_string(*status);
    attempt.outcome = attempt.gone ? "disabled" : last ? "failed" : "retrying";
    if (!attempt.gone && !last) attempt.retry_delay_ms = backoff.DelayMs(job.attempt);
  }
}

void RecordAttempt(store::Connection& connection, std::string_view endpoint_id,
                   std::string_view event_id, std::string_view event_type, int attempt_number,
                   const Attempt& attempt) {
  store::Transaction tx(connection, store::TransactionMode::kWrite);
  connection.Execute(
      "INSERT INTO webhook_attempts (endpoint_id, event_id, event_type, attempt, outcome, "
      "response_status, error, duration_ms, attempted_at_ms, next_attempt_at_ms) VALUES ($1, "
      "$2, $3, $4, $5, $6, $7, $8, $9, $10)",
      {endpoint_id, event_id, event_type, int64_t{attempt_number},
       std::string_view(attempt.outcome),
       attempt.status ? store::Param{*attempt.status} : store::Param{store::Null{}},
       attempt.error.empty() ? store::Param{store::Null{}}
                             : store::Param{std::string_view(attempt.error)},
       attempt.finished_ms - attempt.started_ms, attempt.started_ms,
       attempt.retry_delay_ms ? store::Param{attempt.finished_ms + *attempt.retry_delay_ms}
                              : store::Param{store::Null{}}});
  if (attempt.gone) {
    connection.Execute(
        "UPDATE webhook_endpoints SET disabled_at_ms = $2 WHERE id = $1 AND disabled_at_ms IS "
        "NULL",
        {endpoint_id, attempt.finished_ms});
  }
  tx.Commit();
}

}  // namespace

jobs::JobOutcome WebhookDeliverer::Deliver(const jobs::JobContext& context) {
  const auto ids = ParsePayload(context.job.payload);
  if (!ids) return jobs::JobOutcome::Fail("malformed webhook.deliver payload");
  const auto& [event_id, endpoint_id] = *ids;
  store::Connection& connection = context.connection;

  const std::optional<Target> target = LoadTarget(connection, endpoint_id);
  // Deleted or disabled since the event: nothing to send.
  if (!target || !target->active) return jobs::JobOutcome::Done();
  const std::optional<StoredEventRow> event = LoadEvent(connection, event_id);
  if (!event) return jobs::JobOutcome::Fail("event " + event_id + " not found");
  auto secret = box_.Open(target->sealed_secret, EndpointSecretContext(endpoint_id));
  if (!secret.ok()) return jobs::JobOutcome::Fail("endpoint secret cannot be opened");

  const std::string body = WebhookBody(event_id, event->type, event->created_at_ms, event->data);
  Attempt attempt;
  attempt.started_ms = clock_.NowMs();
  const int64_t timestamp_s = attempt.started_ms / 1000;
  const auto signature = StandardWebhookSignature(secret.value(), event_id, timestamp_s, body);
  if (!signature) return jobs::JobOutcome::Fail("endpoint secret is not a whsec_ secret");
  net::ClientRequest request;
  request.method = "POST";
  request.url = target->url;
  request.timeout_ms = policy_.timeout_ms;
  request.headers = {{"Content-Type", "application/json"},
                     {"webhook-id", event_id},
                     {"webhook-timestamp", std::to_string(timestamp_s)},
                     {"webhook-signature", *signature}};
  request.body = body;
  const auto response = client_.Send(request);
  attempt.finished_ms = clock_.NowMs();
  if (response.ok()) {
    attempt.status = response.value().status;
  } else {
    attempt.error = response.error().message.substr(0, kRecordedErrorCharsMax);
  }
  Judge(attempt, context.job, policy_, backoff_);

  RecordAttempt(connection, endpoint_id, event_id, event->type, context.job.attempt, attempt);
  if (attempts_) attempts_->WithLabels({attempt.outcome}).Increment();
  if (attempt.delivered) return jobs::JobOutcome::Done();
  if (attempt.gone) return jobs::JobOutcome::Fail("endpoint answered 410 Gone; disabled");
  if (!attempt.retry_delay_ms) return jobs::JobOutcome::Fail(attempt.error);
  return jobs::JobOutcome::Retry(attempt.error, attempt.retry_delay_ms);
}

}  // namespace cambista::events
