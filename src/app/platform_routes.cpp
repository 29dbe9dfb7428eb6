#include "app/platform_routes.hpp"

#include <string>
#include <utility>

#include "api/openapi.hpp"
#include "app/modules.hpp"
#include "core/assert.hpp"
#include "http/json_schema.hpp"
#include "http/problem.hpp"
#include "jobs/job_table.hpp"
#include "store/migrations.hpp"

namespace cambista::app {
namespace {

constexpr const char* kVersion = "0.1.0";
constexpr std::string_view kMetricsContentType = "text/plain; version=0.0.4; charset=utf-8";

http::HttpResponse Json(int status, std::string body) {
  http::HttpResponse response;
  response.status = status;
  response.body = std::move(body);
  return response;
}

// Ready when the database answers, its schema is the one this binary expects, and the job workers
// run.
http::HttpResponse Readiness(store::Database& database, const jobs::JobQueue& job_queue) {
  if (!job_queue.running()) {
    return http::Problem(503, "not_ready", "Not ready", "The job workers are not running.");
  }
  try {
    auto connection = database.Connect();
    const auto pending = store::PendingMigrations(*connection, AllMigrations());
    if (!pending.empty()) {
      return http::Problem(503, "not_ready", "Not ready", "The database has pending migrations.");
    }
    return Json(200,
                R"({"status":"ready","database":"ok","migrations":"current","workers":"running"})");
  } catch (const std::exception&) {
    return http::Problem(503, "not_ready", "Not ready", "The database is not reachable.");
  }
}

// The registry is fixed once the server starts: its JSON is built once.
std::string AssetsJson(const AssetRegistry& assets) {
  std::string body = "{\"data\":[";
  bool first = true;
  for (const Asset& asset : assets.assets()) {
    body += first ? "" : ",";
    first = false;
    body += "{\"code\":" + http::JsonString(asset.code()) +
            ",\"scale\":" + std::to_string(asset.scale()) + "}";
  }
  return body + "]}";
}

}  // namespace

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

namespace {

// /openapi.json and /docs: the router describes itself.
void AddDocumentRoutes(http::Router& router) {
  router.Add(
      "GET", "/openapi.json",
      http::RouteDoc{
          .summary = "This document (OpenAPI 3.1).",
          .access = "public",
          .response_schema = http::schema::OpenObject({{"openapi", http::schema::Const("3.1.0")},
                                                       {"info", R"({"type":"object"})"},
                                                       {"paths", R"({"type":"object"})"},
                                                       {"components", R"({"type":"object"})"}})},
      [&router](const http::HttpRequest&, const http::PathParams&) {
        return Json(200, api::OpenApiDocument(router, kVersion));
      },
      http::RouteCost::kInMemory);
  router.Add(
      "GET", "/docs",
      http::RouteDoc{.summary = "The API for people (HTML).",
                     .access = "public",
                     .response_schema = http::schema::String(),
                     .response_type = "text/html; charset=utf-8"},
      [&router](const http::HttpRequest&, const http::PathParams&) {
        http::HttpResponse response;
        response.content_type = "text/html; charset=utf-8";
        response.body = api::DocsPage(router);
        return response;
      },
      http::RouteCost::kInMemory);
}

// /health/live and /health/ready.
void AddHealthRoutes(http::Router& router, const PlatformServices& services) {
  router.Add(
      "GET", "/health/live",
      http::RouteDoc{
          .summary = "The process is up.",
          .access = "public",
          .response_schema = http::schema::Object({{"status", http::schema::Const("live")}})},
      [](const http::HttpRequest&, const http::PathParams&) {
        return Json(200, R"({"status":"live"})");
      },
      http::RouteCost::kInMemory);
  router.Add(
      "GET", "/health/ready",
      http::RouteDoc{
          .summary = "Ready to serve: database reachable, migrations current, job workers running.",
          .access = "public",
          .response_schema = http::schema::Object({{"status", http::schema::Const("ready")},
                                                   {"database", http::schema::Const("ok")},
                                                   {"migrations", http::schema::Const("current")},
                                                   {"workers", http::schema::Const("running")}}),
          .errors = {{503, {"not_ready"}}}},
      [services](const http::HttpRequest&, const http::PathParams&) {
        return Readiness(services.database, services.job_queue);
      });
}

// /metrics and /v1/assets: what a key may read of the process.
void AddKeyedPlatformRoutes(http::Router& router, const PlatformServices& services) {
  router.Add("GET", "/metrics",
             http::RouteDoc{.summary = "Prometheus metrics (text format 0.0.4).",
                            .access = "metrics:read",
                            .response_schema = http::schema::String(),
                            .response_type = std::string(kMetricsContentType)},
             api::RequireKey(services.gate, Scope::kMetricsRead,
                             [services](const http::HttpRequest&, const http::PathParams&,
                                        const api::Principal&) {
                               http::HttpResponse response;
                               response.content_type = kMetricsContentType;
                               response.body = services.metrics.RenderPrometheusText();
                               return response;
                             }));
  router.Add(
      "GET", "/v1/assets",
      http::RouteDoc{.summary = "Assets and their scales (minor-unit decimals).",
                     .access = "key",
                     .response_schema = http::schema::List(http::schema::Object(
                         {{"code", http::schema::String()}, {"scale", http::schema::Integer()}}))},
      api::RequireKey(
          services.gate, std::nullopt,
          [body = AssetsJson(services.assets)](const http::HttpRequest&, const http::PathParams&,
                                               const api::Principal&) { return Json(200, body); }),
      http::RouteCost::kInMemory);  // the key check reads the database once a second at most
}

// /v1/stream without an upgrade (the HTTP server takes the upgrades before the router).
void AddStreamRoute(http::Router& router) {
  router.Add("GET", "/v1/stream",
             http::RouteDoc{.summary = "Events over a WebSocket (send Upgrade: websocket).",
                            .access = "key",
                            .description = "Subscribe to channels charges, trades, payouts, rates. "
                                           "See the stream guide in the README. Without an "
                                           "upgrade: 426.",
                            .status = 101,
                            .errors = {{426, {"upgrade_required"}}}},
             [](const http::HttpRequest&, const http::PathParams&) {
               http::HttpResponse response =
                   http::Problem(426, "upgrade_required", "Upgrade required",
                                 "GET /v1/stream is a WebSocket: send Upgrade: websocket.");
               response.headers.emplace_back("Upgrade", "websocket");
               return response;
             });
}

}  // namespace

void AddPlatformRoutes(http::Router& router, const PlatformServices& services) {
  AddDocumentRoutes(router);
  AddHealthRoutes(router, services);
  AddKeyedPlatformRoutes(router, services);
  AddStreamRoute(router);
}

}  // namespace cambista::app
