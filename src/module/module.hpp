// The module template's contract with the host. A module (payins, and after it payouts, trading,
// chain) is one folder, src/<module>/, with model, store, service and routes, and one `Module`
// record in its module.cpp: its name, its migrations, the configuration keys it owns and its
// Install(), which is handed a ModuleContext and registers everything the module brings to a
// running server (routes, jobs and their schedules, retention rules, metrics, start and stop
// steps). The host (app::Server) builds the shared services once, then calls each module's Install
// in the order of app/modules.cpp; adding a module touches no other module's files.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <typeindex>
#include <unordered_map>
#include <utility>
#include <vector>

#include "api/auth.hpp"
#include "api/idempotency.hpp"
#include "core/asset.hpp"
#include "core/clock.hpp"
#include "http/router.hpp"
#include "jobs/job_queue.hpp"
#include "jobs/retention.hpp"
#include "ledger/ledger.hpp"
#include "module/config_key.hpp"
#include "net/http_client.hpp"
#include "obs/json_log.hpp"
#include "obs/metrics.hpp"
#include "security/secret_box.hpp"
#include "store/database.hpp"
#include "store/migrations.hpp"

namespace cambista::accounting {
class Chart;  // a module in its own right (accounting/module.hpp) whose chart every module books on
}

namespace cambista::module {

// Settings of the whole process that modules read (the rest of the host's configuration is its
// own).
struct HostSettings {
  bool sandbox = false;                    // providers answered by their simulators
  int64_t outbound_timeout_ms = 10'000;    // per call to a provider or a webhook endpoint
  int64_t delivery_attempts_max = 12;      // outbound webhook deliveries per event and endpoint
  int64_t delivery_retry_base_ms = 5'000;  // their first retry; doubling, jittered
  bool allow_private_addresses = false;    // webhook endpoints may reach private networks
};

// The shared services and the registration points a module's Install() receives. References
// outlive every module; what a module builds it keeps with Keep(), and it is destroyed after the
// server has stopped, in the reverse order of installation.
class ModuleContext {
 public:
  struct Services {
    store::Database& database;
    ledger::Ledger& ledger;
    accounting::Chart& chart;
    const AssetRegistry& assets;
    const Clock& clock;
    const SecretBox& box;
    obs::MetricsRegistry& metrics;
    obs::JsonLogger& logger;
    jobs::JobQueue& jobs;
    jobs::Retention& retention;
    http::Router& router;
    api::AuthGate& gate;
    api::Idempotency& idempotency;
    const net::HttpClient& provider_client;   // providers' URLs: the operator's configuration
    std::function<std::string()> public_url;  // how providers reach us (callbacks)
    std::function<std::string()> own_url;     // where this server listens, once it does
  };

  ModuleContext(Services services, HostSettings host, const ConfigValues& values)
      : services_(std::move(services)), host_(host), values_(values) {}
  ModuleContext(const ModuleContext&) = delete;
  ModuleContext& operator=(const ModuleContext&) = delete;
  ~ModuleContext() {
    while (!kept_.empty()) kept_.pop_back();  // the last installed goes first
  }

  const Services& services() const { return services_; }
  const HostSettings& host() const { return host_; }
  // A key of the module's own section, as checked text; nothing when not configured.
  std::optional<std::string_view> Setting(std::string_view path) const {
    const auto it = values_.find(path);
    if (it == values_.end()) return std::nullopt;
    return std::string_view(it->second);
  }

  // Keeps what a module built for the life of the server and returns it.
  template <typename T>
  T& Keep(std::unique_ptr<T> object) {
    T& kept = *object;
    kept_.push_back(std::shared_ptr<void>(std::move(object)));
    return kept;
  }
  // Makes a service another part can find by type (the host's accessors for tests, or a later
  // module that builds on an earlier one: trading on payins and payouts).
  template <typename T>
  void Provide(T& service) {
    provided_[std::type_index(typeid(T))] = &service;
  }
  template <typename T>
  T* Find() const {
    const auto it = provided_.find(std::type_index(typeid(T)));
    return it == provided_.end() ? nullptr : static_cast<T*>(it->second);
  }

  // Steps run when the server has started listening, in installation order, and when it stops
  // (after the listener, in reverse order).
  void OnStart(std::function<void()> step) { on_start_.push_back(std::move(step)); }
  void OnStop(std::function<void()> step) { on_stop_.push_back(std::move(step)); }
  void RunStartSteps() const {
    for (const auto& step : on_start_) step();
  }
  void RunStopSteps() const {
    for (auto it = on_stop_.rbegin(); it != on_stop_.rend(); ++it) (*it)();
  }

 private:
  Services services_;
  const HostSettings host_;
  const ConfigValues& values_;
  std::vector<std::shared_ptr<void>> kept_;
  std::unordered_map<std::type_index, void*> provided_;
  std::vector<std::function<void()>> on_start_;
  std::vector<std::function<void()>> on_stop_;
};

// What a module is, for the host: `cambista migrate` reads only the migrations; `serve` reads all.
struct Module {
  std::string_view name;
  // The module's migrations. Versions are one sequence across modules (the next free number is
  // the next migration, whichever module it belongs to) and never change once released.
  std::span<const store::Migration> (*migrations)() = nullptr;
  std::vector<ConfigKey> (*config_keys)() = nullptr;
  void (*install)(ModuleContext& context) = nullptr;
};

}  // namespace cambista::module
