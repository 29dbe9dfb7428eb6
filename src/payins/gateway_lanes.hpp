// Where calls to payment gateways run, so that they never hold the HTTP server's request workers
// and one slow or failing gateway cannot take the others down with it.
//
// Each gateway has its own bounded pool (a few threads and a bounded queue): a request that needs a
// gateway hands the call to that gateway's lane and frees its worker (the HTTP response is given
// later), and a gateway that stops answering fills only its own lane. A full lane refuses at once.
//
// Each (tenant, gateway) pair has a circuit breaker: after `breaker_failures` outages in a row
// (transport failures, timeouts, 5xx, answers we cannot read) it opens, and calls fail at once
// with kUnavailable for `breaker_open_ms`; then one trial call is let through (half-open): success
// closes it, failure opens it again. A gateway's refusal of a request (4xx, below its minimum) or
// its rate limit is an answer, not an outage: it does not count.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "core/clock.hpp"
#include "payins/gateway.hpp"

namespace cambista::payins {

struct GatewayLaneOptions {
  int threads_per_gateway = 8;
  int queue_max = 512;  // calls waiting per gateway before Post refuses
  int breaker_failures = 5;
  int64_t breaker_open_ms = 30'000;
};

enum class BreakerState : uint8_t { kClosed, kOpen, kHalfOpen };
std::string_view BreakerStateName(BreakerState state);  // "closed", "open", "half_open"

class GatewayLanes {
 public:
  GatewayLanes(const Clock& clock, GatewayLaneOptions options = {});
  ~GatewayLanes();  // Stop()
  GatewayLanes(const GatewayLanes&) = delete;
  GatewayLanes& operator=(const GatewayLanes&) = delete;

  // Runs `task` on one of the gateway's threads (started on first use). False, running nothing,
  // when the gateway's queue is full or the lanes are stopping.
  bool Post(std::string_view gateway, std::function<void()> task);

  // A call to a gateway for a tenant, through its breaker: refused at once (kUnavailable) while the
  // breaker is open; otherwise runs `call` on this thread and counts its outcome. A call that
  // throws counts as an outage (so a trial that throws never leaves the breaker shut for good),
  // and the exception goes on to the caller.
  template <class T>
  Result<T, GatewayError> Call(std::string_view tenant, std::string_view gateway,
                               const std::function<Result<T, GatewayError>()>& call) {
    if (auto refused = Admit(tenant, gateway)) return Failure(*refused);
    std::optional<Result<T, GatewayError>> result;
    try {
      result.emplace(call());
    } catch (...) {
      RecordThrown(tenant, gateway);
      throw;
    }
    Record(tenant, gateway, result->ok() ? nullptr : &result->error());
    return std::move(*result);
  }
  // The same for calls that answer only an optional error (ValidateCredentials).
  std::optional<GatewayError> CallChecking(
      std::string_view tenant, std::string_view gateway,
      const std::function<std::optional<GatewayError>()>& call);

  BreakerState State(std::string_view tenant, std::string_view gateway);
  // Every breaker that is not closed, as (tenant, gateway, state), for /metrics.
  std::vector<std::tuple<std::string, std::string, BreakerState>> OpenBreakers();

  // Finishes the tasks already queued, then joins every thread. Idempotent.
  void Stop();

 private:
  struct Lane {
    std::mutex mutex;
    std::condition_variable wake;
    std::deque<std::function<void()>> queue;
    std::vector<std::thread> threads;
    bool stopping = false;
  };
  struct Breaker {
    int failures = 0;
    int64_t open_until_ms = 0;
    bool trial_in_flight = false;
  };

  std::optional<GatewayError> Admit(std::string_view tenant, std::string_view gateway);
  void Record(std::string_view tenant, std::string_view gateway, const GatewayError* error);
  void RecordThrown(std::string_view tenant, std::string_view gateway);
  Lane& LaneFor(std::string_view gateway);
  static void Run(Lane& lane);

  const Clock& clock_;
  const GatewayLaneOptions options_;
  std::mutex lanes_mutex_;
  bool stopped_ = false;
  std::map<std::string, std::unique_ptr<Lane>, std::less<>> lanes_;
  std::mutex breakers_mutex_;
  std::map<std::string, Breaker, std::less<>> breakers_;  // "<tenant>\n<gateway>"
};

}  // namespace cambista::payins
