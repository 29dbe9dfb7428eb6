// Delivery of one event to one endpoint, as the `webhook.deliver` job (event_outbox.hpp enqueues
// it). Follows Standard Webhooks: POST of {"id","type","timestamp","data"} with `webhook-id` (the
// event id, the same on every retry, so receivers can deduplicate), `webhook-timestamp` (Unix
// seconds of the attempt) and `webhook-signature: v1,<base64 HMAC-SHA256 of id.timestamp.body>`
// keyed by the endpoint's `whsec_` secret. A 2xx answer ends it; 410 Gone disables the endpoint;
// anything else (another status, a timeout, a refused connection) is retried after an exponential,
// jittered delay until WebhookPolicy::attempts_max. Every attempt is recorded in webhook_attempts
// (GET /v1/webhook-endpoints/{id}/deliveries). At-least-once: a worker that dies after the
// receiver answered sends the event again with the same webhook-id.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/clock.hpp"
#include "jobs/backoff.hpp"
#include "jobs/job_queue.hpp"
#include "net/http_client.hpp"
#include "obs/metrics.hpp"
#include "security/secret_box.hpp"

namespace cambista::events {

struct WebhookPolicy {
  int attempts_max = 12;
  int64_t retry_base_ms = 5'000;         // before the second attempt; doubles each time ...
  int64_t retry_max_ms = 6 * 3'600'000;  // ... up to this (12 attempts span about a day)
  int64_t timeout_ms = 10'000;           // per attempt, the whole HTTP exchange
};

// "v1,<base64 HMAC-SHA256 of `id.timestamp.body`>" with the key decoded from `whsec_<base64>`;
// nullopt for a malformed secret.
std::optional<std::string> StandardWebhookSignature(std::string_view secret, std::string_view id,
                                                    int64_t timestamp_s, std::string_view body);

// What the receiver gets as the body (deterministic for an event, so every retry sends the same).
std::string WebhookBody(std::string_view id, std::string_view type, int64_t created_at_ms,
                        std::string_view data);

// The sealing context of an endpoint's secret (webhook_endpoints.secret_sealed).
std::string EndpointSecretContext(std::string_view endpoint_id);

class WebhookDeliverer {
 public:
  // `attempts`, when given, counts every attempt by outcome (label "outcome").
  WebhookDeliverer(const net::HttpClient& client, const SecretBox& box, const Clock& clock,
                   WebhookPolicy policy, obs::CounterFamily* attempts = nullptr);
  // The handler of kDeliverJobKind.
  jobs::JobOutcome Deliver(const jobs::JobContext& context);

 private:
  const net::HttpClient& client_;
  const SecretBox& box_;
  const Clock& clock_;
  const WebhookPolicy policy_;
  jobs::Backoff backoff_;
  obs::CounterFamily* attempts_;
};

}  // namespace cambista::events
