// What every request goes through around its route: an X-Request-Id (accepted when well-formed,
// generated otherwise, always echoed), one JSON log line (time, request id, method, route pattern,
// status, duration, tenant; never a header or body), and the request metrics (by route pattern and
// status, so label sets stay bounded, plus a latency histogram). For a deferred response all of it
// applies to the final answer, when it comes: the header is on it, the line and the metrics say its
// status, and the duration runs until it. That needs the logger and the metrics registry to outlive
// the deferred responses in flight; the Platform itself need not.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "http/router.hpp"
#include "obs/json_log.hpp"
#include "obs/metrics.hpp"

namespace cambista::api {

class Platform {
 public:
  Platform(const http::Router& router, obs::JsonLogger& logger, obs::MetricsRegistry& metrics);
  http::HttpResponse Handle(const http::HttpRequest& request);

 private:
  // Records one answered request; copied into a deferred response's completion.
  struct Recorder {
    obs::JsonLogger* logger;
    obs::CounterFamily* requests;
    obs::HistogramFamily* durations;
    uint64_t instance;  // unique per Platform ever made: tells per-thread caches apart

    std::pair<obs::Counter*, obs::Histogram*> SeriesFor(std::string_view route,
                                                        std::string_view method, int status) const;
    void Record(http::HttpResponse& response, std::chrono::steady_clock::time_point started,
                std::string_view request_id, std::string_view method, std::string_view route) const;
  };

  const http::Router& router_;
  Recorder recorder_;
};

}  // namespace cambista::api
