// What every request goes through around its route: an X-Request-Id (accepted when well-formed,
// generated otherwise, always echoed), one JSON log line (time, request id, method, route pattern,
// status, duration, tenant; never a header or body), and the request metrics (by route pattern and
// status, so label sets stay bounded, plus a latency histogram).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "api/router.hpp"
#include "obs/json_log.hpp"
#include "obs/metrics.hpp"

namespace cambista::api {

class Platform {
 public:
  Platform(const Router& router, obs::JsonLogger& logger, obs::MetricsRegistry& metrics);
  HttpResponse Handle(const HttpRequest& request);

 private:
  const Router& router_;
  obs::JsonLogger& logger_;
  std::pair<obs::Counter*, obs::Histogram*> SeriesFor(std::string_view route,
                                                      std::string_view method, int status);

  obs::CounterFamily* requests_;
  obs::HistogramFamily* durations_;
  uint64_t instance_;  // unique per Platform ever made: tells per-thread caches apart
};

}  // namespace cambista::api
