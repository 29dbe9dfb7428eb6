#include "api/platform.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <random>
#include <vector>

#include "core/assert.hpp"
#include "security/hmac.hpp"

namespace cambista::api {
namespace {

constexpr size_t kRequestIdCharsMax = 128;

bool IsWellFormedRequestId(std::string_view id) {
  if (id.empty() || id.size() > kRequestIdCharsMax) return false;
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_' || c == '.' || c == ':';
    if (!ok) return false;
  }
  return true;
}

constexpr size_t kGeneratedIdChars = 32;

// 32 hex digits, unique in practice. Not a secret, so a per-thread generator seeded once from the
// CSPRNG serves, instead of a CSPRNG call per request.
void NewRequestId(char (&id)[kGeneratedIdChars]) {
  thread_local std::mt19937_64 generator = [] {
    const std::string seed = RandomBytes(16);
    std::seed_seq sequence(seed.begin(), seed.end());
    return std::mt19937_64(sequence);
  }();
  static constexpr char kHex[] = "0123456789abcdef";
  for (size_t half = 0; half < 2; ++half) {
    uint64_t bits = generator();
    for (size_t i = 0; i < 16; ++i, bits >>= 4) id[half * 16 + i] = kHex[bits & 15];
  }
}

}  // namespace

Platform::Platform(const http::Router& router, obs::JsonLogger& logger,
                   obs::MetricsRegistry& metrics)
    : router_(router) {
  static std::atomic<uint64_t> instances{0};
  auto requests = metrics.RegisterCounter("cambista_http_requests_total",
                                          "HTTP requests by route pattern, method and status.",
                                          {"route", "method", "status"});
  auto durations = metrics.RegisterHistogram(
      "cambista_http_request_duration_seconds", "Time to handle an HTTP request.", {"route"},
      {100, 250, 500, 1'000, 2'500, 5'000, 10'000, 25'000, 50'000, 100'000, 250'000, 1'000'000},
      obs::kMicrosecondsPerSecond);
  CAMBISTA_CHECK(requests.ok() && durations.ok());  // fixed names, registered once
  recorder_ = Recorder{&logger, requests.value(), durations.value(), ++instances};
}

// The metric series of a (route, method, status): looked up in the registry once per thread, then
// kept, so a request takes no registry lock. Series live as long as their registry.
std::pair<obs::Counter*, obs::Histogram*> Platform::Recorder::SeriesFor(std::string_view route,
                                                                        std::string_view method,
                                                                        int status) const {
  struct Entry {
    uint64_t owner;  // Recorder::instance (an address could be reused by a later Platform)
    std::string route;
    std::string method;
    int status;
    obs::Counter* requests;
    obs::Histogram* durations;
  };
  constexpr size_t kEntriesMax = 256;  // routes x methods x statuses seen; beyond, no caching
  thread_local std::vector<Entry> cache;
  for (const Entry& entry : cache) {
    if (entry.owner == instance && entry.status == status && entry.route == route &&
        entry.method == method) {
      return {entry.requests, entry.durations};
    }
  }
  const std::string status_text = std::to_string(status);
  obs::Counter* counter = &requests->WithLabels({route, method, status_text});
  obs::Histogram* histogram = &durations->WithLabels({route});
  if (cache.size() < kEntriesMax) {
    cache.push_back(
        Entry{instance, std::string(route), std::string(method), status, counter, histogram});
  }
  return {counter, histogram};
}

void Platform::Recorder::Record(http::HttpResponse& response,
                                std::chrono::steady_clock::time_point started,
                                std::string_view request_id, std::string_view method,
                                std::string_view route) const {
  response.headers.emplace_back("X-Request-Id", request_id);
  const int64_t duration_us = std::chrono::duration_cast<std::chrono::microseconds>(
                                  std::chrono::steady_clock::now() - started)
                                  .count();
  const auto [counter, histogram] = SeriesFor(route, method, response.status);
  counter->Increment();
  histogram->Observe(duration_us);
  logger->Info("request", {{"request_id", request_id},
                           {"method", method},
                           {"route", route},
                           {"status", response.status},
                           {"duration_us", duration_us},
                           {"tenant", response.log_tenant}});
}

http::HttpResponse Platform::Handle(const http::HttpRequest& request) {
  const auto started = std::chrono::steady_clock::now();
  std::string_view pattern;
  http::HttpResponse response = router_.Handle(request, &pattern);
  std::string_view request_id = request.Header("X-Request-Id");
  char generated[kGeneratedIdChars];
  if (!IsWellFormedRequestId(request_id)) {
    NewRequestId(generated);
    request_id = std::string_view(generated, sizeof generated);
  }
  const std::string_view route = pattern.empty() ? "(unmatched)" : pattern;
  if (http::IsDeferred(response)) {
    // Copies: the request (reused by its connection) and the Platform may be gone by then.
    return http::WhenFinal(
        std::move(response),
        [recorder = recorder_, started, request_id = std::string(request_id),
         method = request.method, route = std::string(route)](http::HttpResponse answer) {
          recorder.Record(answer, started, request_id, method, route);
          return answer;
        });
  }
  recorder_.Record(response, started, request_id, request.method, route);
  return response;
}

}  // namespace cambista::api
