#include "app/serve.hpp"

#include <pthread.h>
#include <unistd.h>
#include <climits>
#include <csignal>
#include <cstdio>
#include <mutex>
#include <optional>
#include <utility>

#include "api/api_key_store.hpp"
#include "api/auth.hpp"
#include "api/charges.hpp"
#include "api/http_server.hpp"
#include "api/idempotency.hpp"
#include "api/openapi.hpp"
#include "api/platform.hpp"
#include "api/problem.hpp"
#include "api/query.hpp"
#include "api/router.hpp"
#include "api/stream.hpp"
#include "api/webhook_endpoints.hpp"
#include "app/config.hpp"
#include "app/master_key.hpp"
#include "core/assert.hpp"
#include "core/asset.hpp"
#include "events/event_feed.hpp"
#include "events/event_outbox.hpp"
#include "events/webhook_delivery.hpp"
#include "jobs/job_queue.hpp"
#include "jobs/job_table.hpp"
#include "ledger/ledger.hpp"
#include "net/http_client.hpp"
#include "obs/buffered_line_writer.hpp"
#include "obs/json_log.hpp"
#include "obs/metrics.hpp"
#include "payins/charge_service.hpp"
#include "payins/registry.hpp"
#include "sandbox/sandbox.hpp"
#include "store/database.hpp"
#include "store/migrations.hpp"

namespace cambista::app {
namespace {

constexpr const char* kVersion = "0.1.0";

api::HttpResponse Json(int status, std::string body) {
  api::HttpResponse response;
  response.status = status;
  response.body = std::move(body);
  return response;
}

// Ready when the database answers, its schema is the one this binary expects, and the job workers
// run.
api::HttpResponse Readiness(store::Database& database, const jobs::JobQueue& job_queue) {
  if (!job_queue.running()) {
    return api::Problem(503, "not_ready", "Not ready", "The job workers are not running.");
  }
  try {
    auto connection = database.Connect();
    const auto pending = store::PendingMigrations(*connection);
    if (!pending.empty()) {
      return api::Problem(503, "not_ready", "Not ready", "The database has pending migrations.");
    }
    return Json(200,
                R"({"status":"ready","database":"ok","migrations":"current","workers":"running"})");
  } catch (const std::exception&) {
    return api::Problem(503, "not_ready", "Not ready", "The database is not reachable.");
  }
}

std::string AccountJson(const ledger::Account& a) {
  return "{\"id\":\"" + ToHex32(a.id) + "\",\"asset\":" + api::JsonString(a.asset) +
         ",\"code\":" + std::to_string(a.code) + ",\"flags\":" + std::to_string(a.flags) +
         ",\"debits_pending\":\"" + ToDecimal(a.debits_pending) + "\",\"debits_posted\":\"" +
         ToDecimal(a.debits_posted) + "\",\"credits_pending\":\"" + ToDecimal(a.credits_pending) +
         "\",\"credits_posted\":\"" + ToDecimal(a.credits_posted) +
         "\",\"timestamp\":" + std::to_string(a.timestamp) + "}";
}

constexpr const char* kAccountSchema =
    R"({"type":"object","properties":{"id":{"type":"string"},"asset":{"type":"string"},)"
    R"("code":{"type":"integer"},"flags":{"type":"integer"},"debits_pending":{"type":"string"},)"
    R"("debits_posted":{"type":"string"},"credits_pending":{"type":"string"},)"
    R"("credits_posted":{"type":"string"},"timestamp":{"type":"integer"}}})";
constexpr const char* kTransferSchema =
    R"({"type":"object","properties":{"id":{"type":"string"},"debit_account_id":{"type":"string"},)"
    R"("credit_account_id":{"type":"string"},"amount":{"type":"string"},"asset":{"type":"string"},)"
    R"("pending_id":{"type":"string"},"code":{"type":"integer"},"flags":{"type":"integer"},)"
    R"("timeout_s":{"type":"integer"},"timestamp":{"type":"integer"}}})";

std::string TransferJson(const ledger::Transfer& t) {
  return "{\"id\":\"" + ToHex32(t.id) + "\",\"debit_account_id\":\"" + ToHex32(t.debit_account_id) +
         "\",\"credit_account_id\":\"" + ToHex32(t.credit_account_id) + "\",\"amount\":\"" +
         ToDecimal(t.amount) + "\",\"asset\":" + api::JsonString(t.asset) + ",\"pending_id\":\"" +
         ToHex32(t.pending_id) + "\",\"code\":" + std::to_string(t.code) +
         ",\"flags\":" + std::to_string(t.flags) + ",\"timeout_s\":" + std::to_string(t.timeout_s) +
         ",\"timestamp\":" + std::to_string(t.timestamp) + "}";
}

// Cursor of account history pages: "<timestamp>.<id as 32 hex digits>" of the last item returned.
std::optional<std::pair<int64_t, u128>> ParseCursor(std::string_view text) {
  const size_t dot = text.find('.');
  if (dot == std::string_view::npos || text.size() - dot - 1 != 32) return std::nullopt;
  const auto timestamp = ParseI128Decimal(text.substr(0, dot));
  const auto id = ParseHex128(text.substr(dot + 1));
  if (!timestamp || *timestamp < 0 || *timestamp > INT64_MAX || !id) return std::nullopt;
  return std::pair<int64_t, u128>{static_cast<int64_t>(*timestamp), *id};
}

std::optional<u128> ParseAccountId(const std::string& text) {
  return text.size() == 32 ? ParseHex128(text) : std::nullopt;
}

struct Services {
  store::Database& database;
  api::AuthGate& gate;
  obs::MetricsRegistry& metrics;
  ledger::Ledger& ledger;
  const AssetRegistry& assets;
  const jobs::JobQueue& job_queue;
};

// Process-wide figures read at scrape time: the ledger's counters and the job queue's depth.
void RegisterServiceMetrics(obs::MetricsRegistry& metrics, ledger::Ledger& ledger,
                            store::Database& database) {
  const ledger::LedgerStats& stats = ledger.stats();
  auto ok = metrics.RegisterCounterCollector(
      "cambista_ledger_events_total", "Ledger counters since start (batches, transfers, retries).",
      {"event"}, [&stats](obs::CollectorSink& sink) {
        sink.Report({"batches"}, static_cast<int64_t>(stats.batches.load()));
        sink.Report({"transfers_submitted"},
                    static_cast<int64_t>(stats.transfers_submitted.load()));
        sink.Report({"transfers_created"}, static_cast<int64_t>(stats.transfers_created.load()));
        sink.Report({"batch_retries"}, static_cast<int64_t>(stats.batch_retries.load()));
        sink.Report({"batch_failures"}, static_cast<int64_t>(stats.batch_failures.load()));
        sink.Report({"pending_expired"}, static_cast<int64_t>(stats.pending_expired.load()));
      });
  ok = ok.ok() ? metrics.RegisterGaugeCollector(
                     "cambista_jobs", "Durable jobs by state.", {"state"},
                     [&database](obs::GaugeCollectorSink& sink) {
                       auto connection = database.Connect();
                       const jobs::QueueStats queue = jobs::LoadQueueStats(*connection);
                       sink.Report({"ready"}, queue.ready);
                       sink.Report({"running"}, queue.running);
                       sink.Report({"done"}, queue.done);
                       sink.Report({"dead"}, queue.dead);
                     })
               : ok;
  CAMBISTA_CHECK(ok.ok());  // fixed names, registered once
}

// The routes keep references to `services`: it must outlive the server.
// The registry is fixed once the server starts: its JSON is built once.
std::string AssetsJson(const AssetRegistry& assets) {
  std::string body = "{\"data\":[";
  bool first = true;
  for (const Asset& asset : assets.assets()) {
    body += first ? "" : ",";
    first = false;
    body += "{\"code\":" + api::JsonString(asset.code()) +
            ",\"scale\":" + std::to_string(asset.scale()) + "}";
  }
  return body + "]}";
}

void AddRoutes(api::Router& router, const Services& services) {
  router.Add(
      "GET", "/openapi.json",
      api::RouteDoc{"This document (OpenAPI 3.1).", "public", R"({"type":"object"})"},
      [&router](const api::HttpRequest&, const api::PathParams&) {
        return Json(200, api::OpenApiDocument(router, kVersion));
      },
      api::RouteCost::kInMemory);
  router.Add(
      "GET", "/docs",
      api::RouteDoc{"The API for people.", "public", R"({"type":"string"})", "text/html"},
      [&router](const api::HttpRequest&, const api::PathParams&) {
        api::HttpResponse response;
        response.content_type = "text/html; charset=utf-8";
        response.body = api::DocsPage(router);
        return response;
      },
      api::RouteCost::kInMemory);
  router.Add(
      "GET", "/health/live",
      api::RouteDoc{"The process is up.", "public",
                    R"({"type":"object","properties":{"status":{"type":"string"}}})"},
      [](const api::HttpRequest&, const api::PathParams&) {
        return Json(200, R"({"status":"live"})");
      },
      api::RouteCost::kInMemory);
  router.Add(
      "GET", "/health/ready",
      api::RouteDoc{"Ready to serve: database reachable, migrations current, job workers running.",
                    "public",
                    R"({"type":"object","properties":{"status":{"type":"string"}}})",
                    "application/json",
                    {},
                    {{503, {"not_ready"}}}},
      [&services](const api::HttpRequest&, const api::PathParams&) {
        return Readiness(services.database, services.job_queue);
      });
  router.Add("GET", "/metrics",
             api::RouteDoc{"Prometheus metrics (text format 0.0.4).", "metrics:read",
                           R"({"type":"string"})", "text/plain"},
             api::RequireKey(services.gate, Scope::kMetricsRead,
                             [&services](const api::HttpRequest&, const api::PathParams&,
                                         const api::Principal&) {
                               api::HttpResponse response;
                               response.content_type = "text/plain; version=0.0.4; charset=utf-8";
                               response.body = services.metrics.RenderPrometheusText();
                               return response;
                             }));
  router.Add(
      "GET", "/v1/assets",
      api::RouteDoc{
          "Assets and their scales (minor-unit decimals).", "key",
          R"({"type":"object","properties":{"data":{"type":"array","items":{"type":"object","properties":{"code":{"type":"string"},"scale":{"type":"integer"}}}}}})"},
      api::RequireKey(
          services.gate, std::nullopt,
          [body = AssetsJson(services.assets)](const api::HttpRequest&, const api::PathParams&,
                                               const api::Principal&) { return Json(200, body); }),
      api::RouteCost::kInMemory);  // the key check reads the database once a second at most
  router.Add("GET", "/v1/ledger/accounts/{id}/transfers",
             api::RouteDoc{
                 "An account's transfers, oldest first, a page at a time.",
                 "ledger:read",
                 std::string(R"({"type":"object","properties":{"data":{"type":"array","items":)") +
                     kTransferSchema + R"(},"next_cursor":{"type":["string","null"]}}})",
                 "application/json",
                 {{"limit", "Page size, 1 to 200 (default 50)."},
                  {"cursor", "next_cursor of the previous page."}},
                 {{400, {"invalid_request"}}, {404, {"not_found"}}}},
             api::RequireKey(services.gate, Scope::kLedgerRead,
                             [&services](const api::HttpRequest& request,
                                         const api::PathParams& params, const api::Principal&) {
                               const auto id = ParseAccountId(params.at("id"));
                               if (!id) return api::InvalidField("id", "32 hexadecimal digits");
                               const auto page_limit = api::PageLimit(request);
                               if (!page_limit.ok()) return page_limit.error();
                               const int64_t limit = page_limit.value();
                               std::pair<int64_t, u128> after{0, 0};
                               if (auto text = api::QueryValue(request.query, "cursor")) {
                                 const auto cursor = ParseCursor(*text);
                                 if (!cursor)
                                   return api::InvalidField("cursor",
                                                            "a next_cursor from a previous page");
                                 after = *cursor;
                               }
                               if (!services.ledger.LookupAccount(*id)) {
                                 return api::Problem(404, "not_found", "Not found",
                                                     "No ledger account " + params.at("id") + ".");
                               }
                               // One more than asked tells whether another page follows.
                               auto transfers = services.ledger.AccountTransfers(
                                   *id, static_cast<int>(limit) + 1, after.first, after.second);
                               const bool more = transfers.size() > static_cast<size_t>(limit);
                               if (more) transfers.pop_back();
                               std::string body = "{\"data\":[";
                               for (size_t i = 0; i < transfers.size(); ++i) {
                                 body += (i > 0 ? "," : "") + TransferJson(transfers[i]);
                               }
                               body += "],\"next_cursor\":";
                               if (more) {
                                 body += "\"" + std::to_string(transfers.back().timestamp) + "." +
                                         ToHex32(transfers.back().id) + "\"";
                               } else {
                                 body += "null";
                               }
                               return Json(200, body + "}");
                             }));
  router.Add("GET", "/v1/ledger/accounts/{id}",
             api::RouteDoc{"A ledger account and its four balances (minor units, decimal strings).",
                           "ledger:read",
                           kAccountSchema,
                           "application/json",
                           {},
                           {{400, {"invalid_request"}}, {404, {"not_found"}}}},
             api::RequireKey(services.gate, Scope::kLedgerRead,
                             [&services](const api::HttpRequest&, const api::PathParams& params,
                                         const api::Principal&) {
                               const std::string& text = params.at("id");
                               const auto id = ParseAccountId(text);
                               if (!id) return api::InvalidField("id", "32 hexadecimal digits");
                               auto account = services.ledger.LookupAccount(*id);
                               if (!account) {
                                 return api::Problem(404, "not_found", "Not found",
                                                     "No ledger account " + text + ".");
                               }
                               return Json(200, AccountJson(*account));
                             }));
}

}  // namespace

int RunServe(const ServeFlags& flags) {
  auto loaded = LoadConfig(flags.config_file, EnvironmentFromProcess());
  if (!loaded.ok()) {
    std::fprintf(stderr, "cambista serve: configuration: %s\n", loaded.error().ToString().c_str());
    return 2;
  }
  Config config = std::move(loaded).value();
  if (flags.database_url) config.database_url = *flags.database_url;
  if (flags.listen) {
    if (auto error = SetListen(config, *flags.listen)) {
      std::fprintf(stderr, "cambista serve: --listen: %s\n", error->c_str());
      return 2;
    }
  }
  if (flags.sandbox) config.sandbox = true;

  auto database = store::Open(config.database_url);
  {
    auto connection = database->Connect();
    store::Migrate(*connection);
  }

  // SIGINT/SIGTERM are blocked in every thread and taken by sigwait below, so the server threads
  // never run a signal handler.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto master_key = MasterKey(config);
  if (!master_key.ok()) {
    std::fprintf(stderr, "cambista serve: %s\n", master_key.error().c_str());
    return 2;
  }
  SystemClock clock;
  obs::BufferedLineWriter log_writer(STDERR_FILENO);
  obs::JsonLogger logger(clock, log_writer,
                         config.log_level == "debug"   ? obs::LogLevel::kDebug
                         : config.log_level == "warn"  ? obs::LogLevel::kWarn
                         : config.log_level == "error" ? obs::LogLevel::kError
                                                       : obs::LogLevel::kInfo);
  api::ApiKeyStore keys(*database, clock, master_key.value());
  TokenBucketLimiter per_key(clock, {config.rate_key_burst, config.rate_key_per_second});
  TokenBucketLimiter per_ip(clock, {config.rate_ip_burst, config.rate_ip_per_second});
  api::AuthGate gate{keys, per_key, per_ip};
  ledger::Ledger ledger(*database, clock);
  const AssetRegistry assets = AssetRegistry::WithBuiltins();
  obs::MetricsRegistry metrics;
  RegisterServiceMetrics(metrics, ledger, *database);

  const SecretBox box = api::MakeSecretBox(master_key.value());
  api::Idempotency idempotency(*database, clock, box);

  // Durable background work of the server: webhook deliveries and housekeeping.
  const events::WebhookPolicy webhook_policy{static_cast<int>(config.webhook_attempts_max),
                                             config.webhook_retry_base_ms, 6 * 3'600'000,
                                             config.webhook_timeout_ms};
  const net::HttpClient http_client;  // gateways' URLs: the operator's configuration
  // Endpoint URLs are the tenants': public addresses only, unless configured for development.
  net::HttpClientOptions webhook_client_options;
  webhook_client_options.public_addresses_only = !config.webhook_allow_private_addresses;
  const net::HttpClient webhook_client(webhook_client_options);
  auto webhook_attempts = metrics.RegisterCounter(
      "cambista_webhook_attempts_total", "Webhook delivery attempts by outcome.", {"outcome"});
  CAMBISTA_CHECK(webhook_attempts.ok());
  events::WebhookDeliverer deliverer(webhook_client, box, clock, webhook_policy,
                                     webhook_attempts.value());
  jobs::JobQueueOptions job_options;
  job_options.worker_count = 2;  // a slow receiver must not hold up every other job
  job_options.on_error = [&logger](std::string_view message) {
    logger.Warn("job queue", {{"error", message}});
  };
  jobs::JobQueue job_queue(*database, clock, job_options);
  job_queue.Register("idempotency.purge", [&clock](const jobs::JobContext& context) {
    api::PurgeIdempotencyKeys(context.connection, clock.NowMs());
    return jobs::JobOutcome::Done();
  });
  job_queue.Register(std::string(events::kDeliverJobKind),
                     [&deliverer](const auto& context) { return deliverer.Deliver(context); });
  jobs::JobSchedule purge;
  purge.name = "idempotency-purge";
  purge.kind = "idempotency.purge";
  purge.payload = "{}";
  purge.interval_ms = 3'600'000;
  job_queue.AddSchedule(purge);

  // Pay-ins: adapters built per tenant from its sealed credentials; in sandbox mode every gateway
  // is its simulator on this same listener. Our own URL is known once the server listens.
  std::mutex url_mutex;
  std::string listen_url;
  const auto own_url = [&url_mutex, &listen_url] {
    std::lock_guard lock(url_mutex);
    return listen_url;
  };
  payins::GatewayRegistry gateway_registry;
  payins::RegisterPayinGateways(gateway_registry);
  const auto gateway_url = [&config, &own_url](std::string_view gateway) -> std::string {
    if (config.sandbox) return own_url() + "/sandbox/" + std::string(gateway);
    auto it = config.gateway_urls.find(std::string(gateway));
    return it == config.gateway_urls.end() ? std::string() : it->second;
  };
  payins::ChargeServiceOptions charge_options;
  charge_options.public_base_url = [&config, &own_url] {
    return config.public_url.empty() ? own_url() : config.public_url;
  };
  charge_options.event_delivery_attempts_max = webhook_policy.attempts_max;
  payins::ChargeService charges(
      *database, ledger, assets, box, clock,
      [&](std::string_view name, const payins::Credentials& credentials)
          -> Result<std::unique_ptr<payins::PayinGateway>, payins::ChargeError> {
        if (!gateway_registry.Describe(name)) {
          return Failure(payins::ChargeError{404, "unknown_gateway",
                                             "No gateway is called \"" + std::string(name) + "\".",
                                             "gateway"});
        }
        const std::string base_url = gateway_url(name);
        if (base_url.empty()) {
          return Failure(payins::ChargeError{422, "gateway_not_configured",
                                             "No API URL is configured for gateway \"" +
                                                 std::string(name) + "\" (gateways." +
                                                 std::string(name) + "_url).",
                                             "gateway"});
        }
        payins::GatewayContext context{&http_client, &clock, base_url, config.webhook_timeout_ms};
        auto built = gateway_registry.Build(name, credentials, context);
        if (!built.ok()) {
          return Failure(payins::ChargeError{400, built.error().code, built.error().message,
                                             built.error().field});
        }
        return std::move(built).value();
      },
      charge_options);
  job_queue.Register("charges.expire", [&charges](const jobs::JobContext&) {
    charges.ExpireDue();
    return jobs::JobOutcome::Done();
  });
  jobs::JobSchedule expire;
  expire.name = "charges-expire";
  expire.kind = "charges.expire";
  expire.payload = "{}";
  expire.interval_ms = 30'000;
  job_queue.AddSchedule(expire);
  job_queue.Start();

  api::Router router;
  std::optional<sandbox::Sandbox> simulators;
  if (config.sandbox) {
    simulators.emplace(sandbox::SandboxOptions{&http_client, &clock});
    simulators->AddRoutes(router);
  }
  api::AddChargeRoutes(router, gate, idempotency, charges, assets, metrics);
  api::AddWebhookEndpointRoutes(router, gate, idempotency, box, *database, clock,
                                webhook_policy.attempts_max,
                                config.webhook_allow_private_addresses);
  api::StreamHub stream(gate);
  router.Add("GET", "/v1/stream",
             api::RouteDoc{"Events over a WebSocket (send Upgrade: websocket): subscribe to "
                           "channels charges, trades, payouts, rates. See the stream guide in the "
                           "README.",
                           "key",
                           R"({"type":"object"})",
                           "application/json",
                           {},
                           {{426, {"upgrade_required"}}}},
             [](const api::HttpRequest&, const api::PathParams&) {
               api::HttpResponse response =
                   api::Problem(426, "upgrade_required", "Upgrade required",
                                "GET /v1/stream is a WebSocket: send Upgrade: websocket.");
               response.headers.emplace_back("Upgrade", "websocket");
               return response;
             });
  auto stream_metrics = metrics.RegisterGaugeCollector(
      "cambista_stream_connections", "WebSocket stream: open connections.", {},
      [&stream](obs::CollectorSink& sink) { sink.Report({}, stream.stats().connections); });
  auto stream_sent = metrics.RegisterCounterCollector(
      "cambista_stream_events_sent_total", "WebSocket stream: events sent since start.", {},
      [&stream](obs::CollectorSink& sink) { sink.Report({}, stream.stats().events_sent); });
  auto stream_dropped = metrics.RegisterCounterCollector(
      "cambista_stream_slow_clients_dropped_total",
      "WebSocket stream: clients closed since start for not reading.", {},
      [&stream](obs::CollectorSink& sink) { sink.Report({}, stream.stats().dropped_slow); });
  CAMBISTA_CHECK(stream_metrics.ok() && stream_sent.ok() && stream_dropped.ok());
  events::EventFeed feed(*database, clock,
                         [&stream](const events::StoredEvent& event) { stream.Publish(event); });
  const Services services{*database, gate,   metrics,
                          ledger,    assets, job_queue};  // outlives the server
  AddRoutes(router, services);
  api::Platform platform(router, logger, metrics);
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
  options.answers_inline = [&router](const api::HttpRequest& request) {
    return router.AnswersFromMemory(request);
  };
  api::HttpServer server(
      options, [&platform](const api::HttpRequest& request) { return platform.Handle(request); });
  server.AddWebSocket("/v1/stream", [&stream, &logger](const api::HttpRequest& request) {
    api::WebSocketUpgrade upgrade = stream.Upgrade(request);
    logger.Info("stream upgrade",
                {{"route", "/v1/stream"},
                 {"status", upgrade.refusal ? std::to_string(upgrade.refusal->status) : "101"}});
    return upgrade;
  });
  feed.Start();
  server.Start();
  const bool ipv6 = config.listen_host.find(':') != std::string::npos;
  const std::string url = "http://" + std::string(ipv6 ? "[" : "") + config.listen_host +
                          (ipv6 ? "]" : "") + ":" + std::to_string(server.port());
  {
    std::lock_guard lock(url_mutex);
    listen_url = url;
  }
  if (simulators) {
    // The tenant `default` takes payments through every simulator.
    int64_t priority = 10;
    for (std::string_view gateway : sandbox::SandboxGateways()) {
      auto set = charges.SetGateway("default", gateway, simulators->Credentials(gateway), priority);
      if (!set.ok())
        logger.Warn("sandbox gateway", {{"gateway", gateway}, {"error", set.error().detail}});
      priority += 10;
    }
  }
  std::printf("listening on %s\n", url.c_str());
  std::fflush(stdout);
  logger.Info("listening on " + url);
  for (const auto& name : config.ignored_environment) {
    logger.Warn("environment variable names no setting; ignored", {{"variable", name}});
  }

  int received = 0;
  sigwait(&signals, &received);
  logger.Info("stopping", {{"signal", received == SIGTERM ? "SIGTERM" : "SIGINT"}});
  server.Stop(config.shutdown_grace_ms);
  if (simulators) simulators->Stop();
  feed.Stop();
  job_queue.Stop();
  logger.Info("stopped");
  return 0;
}

}  // namespace cambista::app
