#include "app/server.hpp"

#include <unistd.h>

#include <mutex>
#include <stdexcept>
#include <utility>

#include "accounting/chart.hpp"
#include "api/api_key_store.hpp"
#include "api/http_server.hpp"
#include "api/idempotency.hpp"
#include "api/platform.hpp"
#include "api/response_recorder.hpp"
#include "app/modules.hpp"
#include "app/platform_routes.hpp"
#include "core/assert.hpp"
#include "core/asset.hpp"
#include "events/event_feed.hpp"
#include "events/stream.hpp"
#include "http/router.hpp"
#include "jobs/job_queue.hpp"
#include "jobs/retention.hpp"
#include "ledger/ledger.hpp"
#include "module/module.hpp"
#include "net/http_client.hpp"
#include "obs/buffered_line_writer.hpp"
#include "obs/json_log.hpp"
#include "obs/metrics.hpp"
#include "payins/charge_service.hpp"
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
  store::Migrate(*connection, AllMigrations());
  return database;
}

obs::LogLevel LogLevelOf(const std::string& level) {
  return level == "debug"   ? obs::LogLevel::kDebug
         : level == "warn"  ? obs::LogLevel::kWarn
         : level == "error" ? obs::LogLevel::kError
                            : obs::LogLevel::kInfo;
}

module::HostSettings HostSettingsOf(const Config& config) {
  module::HostSettings host;
  host.sandbox = config.sandbox;
  host.outbound_timeout_ms = config.webhook_timeout_ms;
  host.delivery_attempts_max = config.webhook_attempts_max;
  host.delivery_retry_base_ms = config.webhook_retry_base_ms;
  host.allow_private_addresses = config.webhook_allow_private_addresses;
  return host;
}

}  // namespace

struct Server::Parts {
  Parts(Config config_in, const DatabaseKeys& secrets, const Clock* given_clock);
  std::string OwnUrl() {
    std::lock_guard lock(url_mutex);
    return listen_url;
  }
  jobs::JobQueueOptions JobOptions();
  module::ModuleContext::Services ModuleServices();
  void InstallModules();
  void RegisterPlatformJobs();
  void AddHostRoutes();
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
  const net::HttpClient provider_client;  // providers' URLs: the operator's configuration
  jobs::Retention retention;
  jobs::JobQueue job_queue;
  accounting::Chart chart;
  std::mutex url_mutex;
  std::string listen_url;  // known once the server listens
  http::Router router;
  std::unique_ptr<api::ResponseRecorder> recorder;  // testing.record_responses
  events::StreamHub stream{gate};
  events::EventFeed feed;
  api::Platform platform;
  // After the services they use, before the listener that calls them: destroyed in between.
  module::ModuleContext modules;
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
      retention(clock, jobs::RetentionOptions{.days = config.retention_days}),
      job_queue(*database, clock, JobOptions()),
      chart(*database, ledger),
      feed(*database, [this](const events::StoredEvent& event) { stream.Publish(event); }),
      platform(router, logger, metrics),
      modules(ModuleServices(), HostSettingsOf(config), config.module_values) {
  RegisterServiceMetrics(metrics, ledger, *database);
  if (!config.record_responses.empty()) {
    recorder = std::make_unique<api::ResponseRecorder>(config.record_responses);
    router.RecordResponses(recorder.get());
    logger.Warn("recording responses", {{"file", config.record_responses}});
  }
  RegisterPlatformJobs();
  AddHostRoutes();
  InstallModules();
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
  // Jobs mostly wait on the outside (webhook receivers, payout providers): a slow receiver must
  // not hold up every other job, and sending payouts is one provider call per job.
  options.worker_count = 16;  // each waits on the outside, not on the CPU
  options.on_error = [this](std::string_view message) {
    logger.Warn("job queue", {{"error", message}});
  };
  return options;
}

module::ModuleContext::Services Server::Parts::ModuleServices() {
  return module::ModuleContext::Services{
      .database = *database,
      .ledger = ledger,
      .chart = chart,
      .assets = assets,
      .clock = clock,
      .box = box,
      .metrics = metrics,
      .logger = logger,
      .jobs = job_queue,
      .retention = retention,
      .router = router,
      .gate = gate,
      .idempotency = idempotency,
      .provider_client = provider_client,
      // Providers reach us at the configured public URL, else at the URL we listen on.
      .public_url = [this] { return config.public_url.empty() ? OwnUrl() : config.public_url; },
      .own_url = [this] { return OwnUrl(); },
  };
}

// Every module in the order of app/modules.cpp, then what needs all of them: retention runs
// every module's purge rules.
void Server::Parts::InstallModules() {
  for (const module::Module& module : Modules()) {
    if (module.install != nullptr) module.install(modules);
  }
  CAMBISTA_CHECK(retention.RegisterMetrics(metrics, *database).ok());
  jobs::InstallRetention(job_queue, retention);
}

// The platform's own housekeeping: expired idempotency keys and finished jobs.
void Server::Parts::RegisterPlatformJobs() {
  job_queue.Register("idempotency.purge", [this](const jobs::JobContext& context) {
    return jobs::RunBatches(context, jobs::kPurgeBatchRowsDefault, [&] {
      return api::PurgeIdempotencyKeys(context.connection, clock.NowMs(),
                                       jobs::kPurgeBatchRowsDefault);
    });
  });
  job_queue.AddSchedule(jobs::Every("idempotency-purge", "idempotency.purge", 3'600'000));
  retention.AddRule(jobs::FinishedJobsRule());
}

void Server::Parts::AddHostRoutes() {
  app::AddPlatformRoutes(router, PlatformServices{*database, gate, metrics, assets, job_queue});
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
  // The listener first: jobs reach providers at URLs made from our own (the sandbox's simulators,
  // callback URLs), so no job may run before that URL is known. A job that ran first (the daily
  // reconciliation is due at once) built the sandbox's payout adapters for the server's life with
  // an empty base URL: every payout stayed UNKNOWN.
  p.server->Start();
  const bool ipv6 = p.config.listen_host.find(':') != std::string::npos;
  {
    std::lock_guard lock(p.url_mutex);
    p.listen_url = "http://" + std::string(ipv6 ? "[" : "") + p.config.listen_host +
                   (ipv6 ? "]" : "") + ":" + std::to_string(p.server->port());
  }
  p.job_queue.Start();
  p.feed.Start();
  p.modules.RunStartSteps();
}

void Server::Stop(int64_t grace_ms) {
  Parts& p = *parts_;
  if (p.stopped) return;
  p.stopped = true;
  p.server->Stop(grace_ms);
  p.modules.RunStopSteps();
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
  payins::ChargeService* charges = parts_->modules.Find<payins::ChargeService>();
  CAMBISTA_CHECK(charges != nullptr);
  return *charges;
}

obs::JsonLogger& Server::logger() {
  return parts_->logger;
}

jobs::JobQueue& Server::jobs() {
  return parts_->job_queue;
}

}  // namespace cambista::app
