#include "events/module.hpp"

#include <memory>
#include <string>

#include "core/assert.hpp"
#include "events/event_outbox.hpp"
#include "events/event_retention.hpp"
#include "events/schema.hpp"
#include "events/webhook_delivery.hpp"
#include "events/webhook_endpoints.hpp"

namespace cambista::events {
namespace {

constexpr int64_t kRetryMaxMs = 6 * 3'600'000;  // 12 attempts span about a day

obs::CounterFamily* RegisterAttempts(obs::MetricsRegistry& metrics) {
  auto attempts = metrics.RegisterCounter("cambista_webhook_attempts_total",
                                          "Webhook delivery attempts by outcome.", {"outcome"});
  CAMBISTA_CHECK(attempts.ok());
  return attempts.value();
}

void Install(module::ModuleContext& context) {
  const module::ModuleContext::Services& services = context.services();
  const module::HostSettings& host = context.host();
  const WebhookPolicy policy{static_cast<int>(host.delivery_attempts_max),
                             host.delivery_retry_base_ms, kRetryMaxMs, host.outbound_timeout_ms};
  // Endpoint URLs are the tenants': public addresses only, unless configured for development.
  net::HttpClientOptions client_options;
  client_options.public_addresses_only = !host.allow_private_addresses;
  const net::HttpClient& client = context.Keep(std::make_unique<net::HttpClient>(client_options));
  WebhookDeliverer& deliverer = context.Keep(std::make_unique<WebhookDeliverer>(
      client, services.box, services.clock, policy, RegisterAttempts(services.metrics)));
  services.jobs.Register(std::string(kDeliverJobKind), [&deliverer](const jobs::JobContext& job) {
    return deliverer.Deliver(job);
  });
  for (jobs::PurgeRule& rule : RetentionRules()) services.retention.AddRule(std::move(rule));
  AddWebhookEndpointRoutes(services.router, services.gate, services.idempotency, services.box,
                           services.database, services.clock, policy.attempts_max,
                           host.allow_private_addresses);
}

}  // namespace

const module::Module kModule{"events", Migrations, nullptr, Install};

}  // namespace cambista::events
