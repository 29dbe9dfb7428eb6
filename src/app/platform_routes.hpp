// The routes of the platform itself: /openapi.json, /docs, /health/live, /health/ready, /metrics,
// /v1/assets and the /v1/stream upgrade answer for plain GETs.
#pragma once

#include "api/auth.hpp"
#include "core/asset.hpp"
#include "http/router.hpp"
#include "jobs/job_queue.hpp"
#include "ledger/ledger.hpp"
#include "obs/metrics.hpp"
#include "store/database.hpp"

namespace cambista::app {

// What the platform routes read (references, copied into the routes: what they name must outlive
// the router).
struct PlatformServices {
  store::Database& database;
  api::AuthGate& gate;
  obs::MetricsRegistry& metrics;
  const AssetRegistry& assets;
  const jobs::JobQueue& job_queue;
};

void AddPlatformRoutes(http::Router& router, const PlatformServices& services);

// Process-wide figures read at scrape time: the ledger's counters and the job queue's depth.
void RegisterServiceMetrics(obs::MetricsRegistry& metrics, ledger::Ledger& ledger,
                            store::Database& database);

}  // namespace cambista::app
