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

jobs::JobOutcome WebhookDeliverer::Deliver(const jobs::JobContext& context) {
  const auto ids = ParsePayload(context.job.payload);
  if (!ids) return jobs::JobOutcome::Fail("malformed webhook.deliver payload");
  const auto& [event_id, endpoint_id] = *ids;
  store::Connection& connection = context.connection;

  std::optional<Target> target;
  connection.Query(
      "SELECT url, secret_sealed, deleted_at_ms, disabled_at_ms FROM "
      "webhook_endpoints WHERE id = $1",
      {std::string_view(endpoint_id)}, [&](const store::Row& row) {
        target = Target{std::string(row.Text(0)), row.Bytes(1), row.IsNull(2) && row.IsNull(3)};
      });
  // Deleted or disabled since the event: nothing to send.
  if (!target || !target->active) return jobs::JobOutcome::Done();
  std::optional<StoredEventRow> event;
  connection.Query(
      "SELECT type, data, created_at_ms FROM events WHERE id = $1", {std::string_view(event_id)},
      [&](const store::Row& row) {
        event = StoredEventRow{std::string(row.Text(0)), std::string(row.Text(1)), row.Int64(2)};
      });
  if (!event) return jobs::JobOutcome::Fail("event " + event_id + " not found");
  auto secret = box_.Open(target->sealed_secret, EndpointSecretContext(endpoint_id));
  if (!secret.ok()) return jobs::JobOutcome::Fail("endpoint secret cannot be opened");

  const std::string body = WebhookBody(event_id, event->type, event->created_at_ms, event->data);
  const int64_t started_ms = clock_.NowMs();
  const int64_t timestamp_s = started_ms / 1000;
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
  const int64_t finished_ms = clock_.NowMs();

  std::optional<int64_t> status;
  std::string error;
  if (response.ok()) {
    status = response.value().status;
  } else {
    error = response.error().message.substr(0, kRecordedErrorCharsMax);
  }
  const bool delivered = status && *status >= 200 && *status < 300;
  const bool gone = status && *status == 410;
  const bool last = context.job.attempt >= policy_.attempts_max ||
                    context.job.attempt >= context.job.max_attempts;
  std::optional<int64_t> retry_delay_ms;
  std::string outcome = "succeeded";
  if (!delivered) {
    if (error.empty()) error = "HTTP " + std::to_string(*status);
    outcome = gone ? "disabled" : last ? "failed" : "retrying";
    if (!gone && !last) retry_delay_ms = backoff_.DelayMs(context.job.attempt);
  }
  {
    store::Transaction tx(connection, store::TransactionMode::kWrite);
    connection.Execute(
        "INSERT INTO webhook_attempts (endpoint_id, event_id, event_type, attempt, outcome, "
        "response_status, error, duration_ms, attempted_at_ms, next_attempt_at_ms) VALUES ($1, "
        "$2, $3, $4, $5, $6, $7, $8, $9, $10)",
        {std::string_view(endpoint_id), std::string_view(event_id), std::string_view(event->type),
         int64_t{context.job.attempt}, std::string_view(outcome),
         status ? store::Param{*status} : store::Param{store::Null{}},
         error.empty() ? store::Param{store::Null{}} : store::Param{std::string_view(error)},
         finished_ms - started_ms, started_ms,
         retry_delay_ms ? store::Param{finished_ms + *retry_delay_ms}
                        : store::Param{store::Null{}}});
    if (gone) {
      connection.Execute(
          "UPDATE webhook_endpoints SET disabled_at_ms = $2 WHERE id = $1 AND disabled_at_ms IS "
          "NULL",
          {std::string_view(endpoint_id), finished_ms});
    }
    tx.Commit();
  }
  if (attempts_) attempts_->WithLabels({outcome}).Increment();
  if (delivered) return jobs::JobOutcome::Done();
  if (gone) return jobs::JobOutcome::Fail("endpoint answered 410 Gone; disabled");
  if (!retry_delay_ms) return jobs::JobOutcome::Fail(error);
  return jobs::JobOutcome::Retry(error, retry_delay_ms);
}

}  // namespace cambista::events
