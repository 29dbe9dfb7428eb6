#include "app/server.hpp"

#include <unistd.h>

#include <mutex>
#include <optional>
#include <stdexcept>
#include <utility>

#include "accounting/chart.hpp"
#include "accounting/routes.hpp"
#include "api/api_key_store.hpp"
#include "api/http_server.hpp"
#include "api/idempotency.hpp"
#include "api/platform.hpp"
#include "api/response_recorder.hpp"
#include "api/stream.hpp"
#include "api/webhook_endpoints.hpp"
#include "app/platform_routes.hpp"
#include "core/assert.hpp"
#include "core/asset.hpp"
#include "events/event_feed.hpp"
#include "events/event_outbox.hpp"
#include "events/event_retention.hpp"
#include "events/webhook_delivery.hpp"
#include "http/router.hpp"
#include "jobs/job_queue.hpp"
#include "jobs/retention.hpp"
#include "ledger/ledger.hpp"
#include "net/http_client.hpp"
#include "obs/buffered_line_writer.hpp"
#include "obs/json_log.hpp"
#include "obs/metrics.hpp"
#include "payins/charge_service.hpp"
#include "payins/registry.hpp"
#include "payins/routes.hpp"
#include "payins/store.hpp"
#include "providers/providers.hpp"
#include "security/token_bucket.hpp"
#include "store/database.hpp"
#include "store/migrations.hpp"

namespace cambista::app {
namespace {

std::unique_ptr<store::Database> OpenMigrated(const std::string& url) {
  // Many requests write at once: on SQLite they commit in groups (store::Options::group_commit).
  store::Options options;
  options.group_commit = true;
  auto database = store::Open(url, options);
  auto connection = database->Connect();
  store::Migrate(*connection);
  return database;
}

obs::LogLevel LogLevelOf(const std::string& level) {
  return level == "debug"   ? obs::LogLevel::kDebug
         : level == "warn"  ? obs::LogLevel::kWarn
         : level == "error" ? obs::LogLevel::kError
                            : obs::LogLevel::kInfo;
}

obs::CounterFamily* RegisterWebhookAttempts(obs::MetricsRegistry& metrics) {
  auto attempts = metrics.RegisterCounter("cambista_webhook_attempts_total",
                                          "Webhook delivery attempts by outcome.", {"outcome"});
  CAMBISTA_CHECK(attempts.ok());
  return attempts.value();
}

net::HttpClient WebhookClient(const Config& config) {
  // Endpoint URLs are the tenants': public addresses only, unless configured for development.
  net::HttpClientOptions options;
  options.public_addresses_only = !config.webhook_allow_private_addresses;
  return net::HttpClient(options);
}

// Charges a run of the pay-ins' periodic jobs looks at per batch (one short transaction each).
constexpr int kChargeBatchMax = 100;

jobs::JobSchedule Every(std::string name, std::string kind, int64_t interval_ms) {
  jobs::JobSchedule schedule;
  schedule.name = std::move(name);
  schedule.kind = std::move(kind);
  schedule.payload = "{}";
  schedule.interval_ms = interval_ms;
  return schedule;
}

}  // namespace

struct Server::Parts {
  Parts(Config config_in, const DatabaseKeys& secrets, const Clock* given_clock);
  Result<std::unique_ptr<payins::PayinGateway>, payins::ChargeError> BuildAdapter(
      std::string_view name, const payins::Credentials& credentials);
  std::string OwnUrl() {
    std::lock_guard lock(url_mutex);
    return listen_url;
  }
  jobs::JobQueueOptions JobOptions();
  payins::ChargeServiceOptions ChargeOptions();
  void RegisterJobs();
  void AddRoutes();
  api::HttpServerOptions ServerOptions() const;

  const Config config;
  SystemClock system_clock;
  const Clock& clock;
  std::unique_ptr<store::Database> database;
  obs::BufferedLineWriter log_writer{STDERR_FILENO};
  obs::JsonLogger logger;
  api::ApiKeyStore keys;
  TokenBucketLimiter per_key;
  TokenBucketLimiter per_ip;
  api::AuthGate gate{keys, per_key, per_ip};
  ledger::Ledger ledger;
  const AssetRegistry assets = AssetRegistry::WithBuiltins();
  obs::MetricsRegistry metrics;
  const SecretBox box;
  api::Idempotency idempotency;
  const events::WebhookPolicy webhook_policy;
  const net::HttpClient http_client;  // gateways' URLs: the operator's configuration
  const net::HttpClient webhook_client;
  events::WebhookDeliverer deliverer;
  jobs::Retention retention;
  jobs::JobQueue job_queue;
  accounting::Chart chart;
  payins::GatewayRegistry gateway_registry;
  payins::GatewayLanes lanes;
  std::mutex url_mutex;
  std::string listen_url;  // known once the server listens
  payins::ChargeService charges;
  http::Router router;
  std::unique_ptr<api::ResponseRecorder> recorder;  // testing.record_responses
  std::optional<sandbox::Sandbox> simulators;
  api::StreamHub stream{gate};
  events::EventFeed feed;
  api::Platform platform;
  std::unique_ptr<api::HttpServer> server;
  bool stopped = false;
};

Server::Parts::Parts(Config config_in, const DatabaseKeys& secrets, const Clock* given_clock)
    : config(std::move(config_in)),
      clock(given_clock != nullptr ? *given_clock : system_clock),
      database(OpenMigrated(config.database_url)),
      logger(clock, log_writer, LogLevelOf(config.log_level)),
      keys(*database, clock, secrets.master_key, secrets.api_key_pepper),
      per_key(clock, {config.rate_key_burst, config.rate_key_per_second}),
      per_ip(clock, {config.rate_ip_burst, config.rate_ip_per_second}),
      ledger(*database, clock),
      box(api::MakeSecretBox(secrets.master_key)),
      idempotency(*database, clock, box),
      webhook_policy{static_cast<int>(config.webhook_attempts_max), config.webhook_retry_base_ms,
                     6 * 3'600'000, config.webhook_timeout_ms},
      webhook_client(WebhookClient(config)),
      deliverer(webhook_client, box, clock, webhook_policy, RegisterWebhookAttempts(metrics)),
      retention(clock, jobs::RetentionOptions{.days = config.retention_days}),
      job_queue(*database, clock, JobOptions()),
      chart(*database, ledger),
      lanes(clock),
      charges(
          *database, ledger, chart, assets, box, clock,
          [this](std::string_view name, const payins::Credentials& credentials) {
            return BuildAdapter(name, credentials);
          },
          lanes, ChargeOptions()),
      feed(*database, [this](const events::StoredEvent& event) { stream.Publish(event); }),
      platform(router, logger, metrics) {
  payins::RegisterPayinGateways(gateway_registry);
  RegisterServiceMetrics(metrics, ledger, *database);
  RegisterJobs();
  AddRoutes();
  server = std::make_unique<api::HttpServer>(
      ServerOptions(),
      [this](const http::HttpRequest& request) { return platform.Handle(request); });
  server->AddWebSocket("/v1/stream", [this](const http::HttpRequest& request) {
    http::WebSocketUpgrade upgrade = stream.Upgrade(request);
    logger.Info("stream upgrade",
                {{"route", "/v1/stream"},
                 {"status", upgrade.refusal ? std::to_string(upgrade.refusal->status) : "101"}});
    return upgrade;
  });
}

jobs::JobQueueOptions Server::Parts::JobOptions() {
  jobs::JobQueueOptions options;
  options.worker_count = 2;  // a slow receiver must not hold up every other job
  options.on_error = [this](std::string_view message) {
    logger.Warn("job queue", {{"error", message}});
  };
  return options;
}

payins::ChargeServiceOptions Server::Parts::ChargeOptions() {
  payins::ChargeServiceOptions options;
  // Gateways reach us at the configured public URL, else at the URL we listen on.
  options.public_base_url = [this] {
    return config.public_url.empty() ? OwnUrl() : config.public_url;
  };
  options.event_delivery_attempts_max = static_cast<int>(config.webhook_attempts_max);
  options.wake_jobs = [this] { job_queue.Wake(); };
  options.fees = config.gateway_fees;
  return options;
}

// Adapters are built per tenant from its sealed credentials; in sandbox mode every gateway is its
// simulator on this same listener.
Result<std::unique_ptr<payins::PayinGateway>, payins::ChargeError> Server::Parts::BuildAdapter(
    std::string_view name, const payins::Credentials& credentials) {
  if (!gateway_registry.Describe(name)) {
    return Failure(payins::ChargeError{payins::ChargeErrorKind::kUnknownGateway,
                                       "No gateway is called \"" + std::string(name) + "\".",
                                       "gateway"});
  }
  std::string base_url;
  if (config.sandbox) {
    base_url = OwnUrl() + "/sandbox/" + std::string(name);
  } else if (auto it = config.gateway_urls.find(std::string(name));
             it != config.gateway_urls.end()) {
    base_url = it->second;
  }
  if (base_url.empty()) {
    return Failure(payins::ChargeError{payins::ChargeErrorKind::kGatewayNotConfigured,
                                       "No API URL is configured for gateway \"" +
                                           std::string(name) + "\" (gateways." + std::string(name) +
                                           "_url).",
                                       "gateway"});
  }
  payins::GatewayContext context{&http_client, &clock, base_url, config.webhook_timeout_ms};
  auto built = gateway_registry.Build(name, credentials, context);
  if (!built.ok()) {
    return Failure(payins::AsChargeError(built.error()));
  }
  return std::move(built).value();
}

// Durable background work: webhook deliveries, housekeeping and the pay-ins' confirmations, expiry
// and recovery.
void Server::Parts::RegisterJobs() {
  job_queue.Register("idempotency.purge", [this](const jobs::JobContext& context) {
    return jobs::RunBatches(context, jobs::kPurgeBatchRowsDefault, [&] {
      return api::PurgeIdempotencyKeys(context.connection, clock.NowMs(),
                                       jobs::kPurgeBatchRowsDefault);
    });
  });
  job_queue.Register(std::string(events::kDeliverJobKind), [this](const jobs::JobContext& context) {
    return deliverer.Deliver(context);
  });
  job_queue.Register(std::string(payins::kConfirmJobKind), [this](const jobs::JobContext& context) {
    const payins::ConfirmOutcome outcome = charges.Confirm(context.job.payload);
    if (outcome.done) return jobs::JobOutcome::Done();
    return jobs::JobOutcome::Retry(outcome.error, outcome.retry_after_ms > 0
                                                      ? std::optional(outcome.retry_after_ms)
                                                      : std::nullopt);
  });
  job_queue.Register("charges.expire", [this](const jobs::JobContext& context) {
    return jobs::RunBatches(context, kChargeBatchMax,
                            [this] { return charges.ExpireDue(kChargeBatchMax); });
  });
  job_queue.Register("charges.recover", [this](const jobs::JobContext& context) {
    return jobs::RunBatches(context, kChargeBatchMax,
                            [this] { return charges.RecoverCreating(kChargeBatchMax); });
  });
  job_queue.AddSchedule(Every("idempotency-purge", "idempotency.purge", 3'600'000));
  job_queue.AddSchedule(Every("charges-expire", "charges.expire", 30'000));
  job_queue.AddSchedule(Every("charges-recover", "charges.recover", 30'000));
  // Retention (retention.days): every module's purge rules, run hourly in bounded batches.
  retention.AddRule(jobs::FinishedJobsRule());
  for (jobs::PurgeRule& rule : events::RetentionRules()) retention.AddRule(std::move(rule));
  retention.AddRule(payins::DeliveryBodiesRetentionRule());
  CAMBISTA_CHECK(retention.RegisterMetrics(metrics, *database).ok());
  jobs::InstallRetention(job_queue, retention);
}

void Server::Parts::AddRoutes() {
  if (!config.record_responses.empty()) {
    recorder = std::make_unique<api::ResponseRecorder>(config.record_responses);
    router.RecordResponses(recorder.get());
    logger.Warn("recording responses", {{"file", config.record_responses}});
  }
  if (config.sandbox) {
    simulators.emplace(sandbox::SandboxOptions{&http_client, &clock});
    simulators->AddRoutes(router);
  }
  payins::AddChargeRoutes(router, gate, idempotency, charges, assets, metrics, clock);
  api::AddWebhookEndpointRoutes(router, gate, idempotency, box, *database, clock,
                                webhook_policy.attempts_max,
                                config.webhook_allow_private_addresses);
  accounting::AddAccountingRoutes(router, gate, ledger, chart, assets);
  AddPlatformRoutes(router, PlatformServices{*database, gate, metrics, assets, job_queue});
  auto stream_metrics = metrics.RegisterGaugeCollector(
      "cambista_stream_connections", "WebSocket stream: open connections.", {},
      [this](obs::CollectorSink& sink) { sink.Report({}, stream.stats().connections); });
  auto stream_sent = metrics.RegisterCounterCollector(
      "cambista_stream_events_sent_total", "WebSocket stream: events sent since start.", {},
      [this](obs::CollectorSink& sink) { sink.Report({}, stream.stats().events_sent); });
  auto stream_dropped = metrics.RegisterCounterCollector(
      "cambista_stream_slow_clients_dropped_total",
      "WebSocket stream: clients closed since start for not reading.", {},
      [this](obs::CollectorSink& sink) { sink.Report({}, stream.stats().dropped_slow); });
  CAMBISTA_CHECK(stream_metrics.ok() && stream_sent.ok() && stream_dropped.ok());
}

api::HttpServerOptions Server::Parts::ServerOptions() const {
  api::HttpServerOptions options;
  options.host = config.listen_host;
  options.port = config.listen_port;
  options.body_bytes_max = config.body_bytes_max;
  options.header_bytes_max = config.header_bytes_max;
  options.request_timeout_ms = config.request_timeout_ms;
  options.io_threads = static_cast<int>(config.io_threads);
  options.worker_threads = static_cast<int>(config.worker_threads);
  // Only routes answered from memory run on the I/O thread: a query, even a GET's, waits on a
  // worker, so a slow database never holds up every connection.
  options.answers_inline = [this](const http::HttpRequest& request) {
    return router.AnswersFromMemory(request);
  };
  return options;
}

Server::Server(Config config, DatabaseKeys keys, const Clock* clock)
    : parts_(std::make_unique<Parts>(std::move(config), keys, clock)) {}

Server::~Server() {
  Stop(0);
}

void Server::Start() {
  Parts& p = *parts_;
  p.job_queue.Start();
  p.feed.Start();
  p.server->Start();
  const bool ipv6 = p.config.listen_host.find(':') != std::string::npos;
  {
    std::lock_guard lock(p.url_mutex);
    p.listen_url = "http://" + std::string(ipv6 ? "[" : "") + p.config.listen_host +
                   (ipv6 ? "]" : "") + ":" + std::to_string(p.server->port());
  }
  if (!p.simulators) return;
  // The tenant `default` takes payments through every simulator.
  int64_t priority = 10;
  for (std::string_view gateway : sandbox::SandboxGateways()) {
    auto set =
        p.charges.SetGateway("default", gateway, p.simulators->Credentials(gateway), priority);
    if (!set.ok()) {
      p.logger.Warn("sandbox gateway", {{"gateway", gateway}, {"error", set.error().detail}});
    }
    priority += 10;
  }
}

void Server::Stop(int64_t grace_ms) {
  Parts& p = *parts_;
  if (p.stopped) return;
  p.stopped = true;
  p.server->Stop(grace_ms);
  p.lanes.Stop();  // calls under way finish; their answers go nowhere once the server has stopped
  if (p.simulators) p.simulators->Stop();
  p.feed.Stop();
  p.job_queue.Stop();
}

std::string Server::url() const {
  return parts_->OwnUrl();
}

const Config& Server::config() const {
  return parts_->config;
}

const http::Router& Server::router() const {
  return parts_->router;
}

api::ApiKeyStore& Server::keys() {
  return parts_->keys;
}

payins::ChargeService& Server::charges() {
  return parts_->charges;
}

obs::JsonLogger& Server::logger() {
  return parts_->logger;
}

}  // namespace cambista::app
