// `cambista bench charges`: charge creations per second through the whole HTTP path (API key,
// Idempotency-Key, the charge row, the gateway's lane, the gateway's HTTP API, the answer), against
// the sandbox simulators.
//
// By default it starts the same server as `serve --sandbox` (app::Server) in this process, on a
// fresh SQLite database in a temporary directory (or --db) and a loopback port chosen by the
// system, and issues an API key for the tenant `default` (charges:write). With --url it drives a
// server already running instead, with the key in CAMBISTA_BENCH_KEY. The load comes from one
// client thread holding `concurrency` keep-alive connections over loopback (epoll), each with one
// POST /v1/charges in flight under a fresh Idempotency-Key, until `n` have been answered; so the
// client stays far from being the bottleneck, and its own CPU time is reported.
//
// Prints one JSON line: n, seconds, per_sec, p50_ms, p99_ms, errors (any answer but 201, or a
// transport failure), with backend, concurrency, gateway, p90_ms, max_ms and the CPU spent per
// charge by the client and by everything else in the process. Percentiles are exact (nearest rank
// over every request's latency, in integer microseconds). Timing is reported, never asserted.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace cambista::app {

struct ChargeBenchOptions {
  int concurrency = 64;                     // connections, each with one request in flight
  uint64_t n = 10'000;                      // charges to create
  std::optional<std::string> database_url;  // embedded server: default, a temporary SQLite file
  std::optional<std::string> gateway;       // "gateway" of each request; default the tenant's
  std::optional<std::string> url;           // a running server ("http://HOST:PORT") instead
  std::string amount = "10.00";             // BRL, as a decimal string
};

// Runs the benchmark; progress and failures go to stderr, the JSON line to stdout. Returns the
// process exit code: 0 when every charge was created, 1 when some were not, 2 for bad options or
// a server that could not start.
int RunChargeBench(const ChargeBenchOptions& options);

}  // namespace cambista::app
