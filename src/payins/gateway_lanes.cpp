#include "payins/gateway_lanes.hpp"

#include <tuple>

namespace cambista::payins {
namespace {

std::string BreakerKey(std::string_view tenant, std::string_view gateway) {
  return std::string(tenant) + "\n" + std::string(gateway);
}

// Outages open the breaker; answers (a refusal, a rate limit, bad credentials) do not.
bool IsOutage(const GatewayError& error) {
  return error.kind == GatewayError::Kind::kUnavailable ||
         error.kind == GatewayError::Kind::kBadResponse;
}

}  // namespace

std::string_view BreakerStateName(BreakerState state) {
  switch (state) {
    case BreakerState::kClosed:
      return "closed";
    case BreakerState::kOpen:
      return "open";
    case BreakerState::kHalfOpen:
      return "half_open";
  }
  return "";
}

GatewayLanes::GatewayLanes(const Clock& clock, GatewayLaneOptions options)
    : clock_(clock), options_(options) {}

GatewayLanes::~GatewayLanes() {
  Stop();
}

GatewayLanes::Lane& GatewayLanes::LaneFor(std::string_view gateway) {
  auto it = lanes_.find(gateway);
  if (it != lanes_.end()) return *it->second;
  auto lane = std::make_unique<Lane>();
  Lane& made = *lane;
  for (int i = 0; i < options_.threads_per_gateway; ++i) {
    made.threads.emplace_back([&made] { Run(made); });
  }
  lanes_.emplace(std::string(gateway), std::move(lane));
  return made;
}

void GatewayLanes::Run(Lane& lane) {
  for (;;) {
    std::function<void()> task;
    {
      std::unique_lock lock(lane.mutex);
      lane.wake.wait(lock, [&lane] { return lane.stopping || !lane.queue.empty(); });
      if (lane.queue.empty()) return;  // stopping, and nothing left to do
      task = std::move(lane.queue.front());
      lane.queue.pop_front();
    }
    task();  // tasks report their own failures; one that throws is a bug and ends the process
  }
}

bool GatewayLanes::Post(std::string_view gateway, std::function<void()> task) {
  Lane* lane = nullptr;
  {
    std::lock_guard lock(lanes_mutex_);
    if (stopped_) return false;
    lane = &LaneFor(gateway);
  }
  {
    std::lock_guard lock(lane->mutex);
    if (lane->stopping || lane->queue.size() >= static_cast<size_t>(options_.queue_max)) {
      return false;
    }
    lane->queue.push_back(std::move(task));
  }
  lane->wake.notify_one();
  return true;
}

void GatewayLanes::Stop() {
  std::map<std::string, std::unique_ptr<Lane>, std::less<>> lanes;
  {
    std::lock_guard lock(lanes_mutex_);
    if (stopped_) return;
    stopped_ = true;
    lanes.swap(lanes_);
  }
  for (auto& [name, lane] : lanes) {
    {
      std::lock_guard lock(lane->mutex);
      lane->stopping = true;
    }
    lane->wake.notify_all();
    for (std::thread& thread : lane->threads) thread.join();
  }
}

std::optional<GatewayError> GatewayLanes::Admit(std::string_view tenant, std::string_view gateway) {
  std::lock_guard lock(breakers_mutex_);
  auto it = breakers_.find(BreakerKey(tenant, gateway));
  if (it == breakers_.end() || it->second.failures < options_.breaker_failures) {
    return std::nullopt;
  }
  Breaker& breaker = it->second;
  const int64_t now_ms = clock_.NowMs();
  if (now_ms >= breaker.open_until_ms && !breaker.trial_in_flight) {
    breaker.trial_in_flight = true;  // half-open: this call is the trial
    return std::nullopt;
  }
  return GatewayError{GatewayError::Kind::kUnavailable,
                      "circuit open: the gateway failed " + std::to_string(breaker.failures) +
                          " times in a row; calls resume after a pause",
                      0, std::max<int64_t>(breaker.open_until_ms - now_ms, 0)};
}

void GatewayLanes::Record(std::string_view tenant, std::string_view gateway,
                          const GatewayError* error) {
  std::lock_guard lock(breakers_mutex_);
  Breaker& breaker = breakers_[BreakerKey(tenant, gateway)];
  breaker.trial_in_flight = false;
  if (error == nullptr || !IsOutage(*error)) {
    breaker.failures = 0;
    breaker.open_until_ms = 0;
    return;
  }
  ++breaker.failures;
  if (breaker.failures >= options_.breaker_failures) {
    breaker.open_until_ms = clock_.NowMs() + options_.breaker_open_ms;
  }
}

void GatewayLanes::RecordThrown(std::string_view tenant, std::string_view gateway) {
  const GatewayError thrown{GatewayError::Kind::kBadResponse, "the call threw"};
  Record(tenant, gateway, &thrown);
}

std::optional<GatewayError> GatewayLanes::CallChecking(
    std::string_view tenant, std::string_view gateway,
    const std::function<std::optional<GatewayError>()>& call) {
  if (auto refused = Admit(tenant, gateway)) return refused;
  std::optional<GatewayError> error;
  try {
    error = call();
  } catch (...) {
    RecordThrown(tenant, gateway);
    throw;
  }
  Record(tenant, gateway, error ? &*error : nullptr);
  return error;
}

BreakerState GatewayLanes::State(std::string_view tenant, std::string_view gateway) {
  std::lock_guard lock(breakers_mutex_);
  auto it = breakers_.find(BreakerKey(tenant, gateway));
  if (it == breakers_.end() || it->second.failures < options_.breaker_failures) {
    return BreakerState::kClosed;
  }
  return clock_.NowMs() >= it->second.open_until_ms ? BreakerState::kHalfOpen : BreakerState::kOpen;
}

std::vector<std::tuple<std::string, std::string, BreakerState>> GatewayLanes::OpenBreakers() {
  std::vector<std::pair<std::string, std::string>> keys;
  {
    std::lock_guard lock(breakers_mutex_);
    for (const auto& [key, breaker] : breakers_) {
      if (breaker.failures < options_.breaker_failures) continue;
      const size_t split = key.find('\n');
      keys.emplace_back(key.substr(0, split), key.substr(split + 1));
    }
  }
  std::vector<std::tuple<std::string, std::string, BreakerState>> open;
  for (auto& [tenant, gateway] : keys) {
    const BreakerState state = State(tenant, gateway);
    open.emplace_back(std::move(tenant), std::move(gateway), state);
  }
  return open;
}

}  // namespace cambista::payins
