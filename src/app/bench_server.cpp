#include "app/bench_server.hpp"

#include <stdlib.h>

#include <filesystem>
#include <stdexcept>

#include "app/config.hpp"
#include "app/master_key.hpp"
#include "store/database.hpp"

namespace cambista::app {
namespace {

constexpr int64_t kStopGraceMs = 5'000;
constexpr int64_t kBenchRateLimit = 1'000'000'000;

Config EmbeddedConfig(const EmbeddedServerOptions& options, const std::string& directory) {
  const std::optional<std::string>& database_url = options.database_url;
  const Environment environment = EnvironmentFromProcess();
  auto loaded = LoadConfig(std::nullopt, environment);
  if (!loaded.ok()) throw std::runtime_error("configuration: " + loaded.error().ToString());
  Config config = std::move(loaded).value();
  config.database_url = database_url.value_or("sqlite:" + directory + "/bench.db");
  config.listen_host = "127.0.0.1";
  config.listen_port = 0;
  if (options.listen) {
    if (auto error = SetListen(config, *options.listen)) {
      throw std::runtime_error("--listen: " + *error);
    }
  }
  config.sandbox = true;
  if (options.open_rate_limits) {
    config.rate_key_burst = kBenchRateLimit;
    config.rate_key_per_second = kBenchRateLimit;
    // The simulators' webhooks and callbacks all come from 127.0.0.1 without a key: under the
    // per-IP limit a flow benchmark measures the limiter (429s, then webhooks given up).
    config.rate_ip_burst = kBenchRateLimit;
    config.rate_ip_per_second = kBenchRateLimit;
    // And so do the gateways' webhooks to their limiter (payins/module.cpp).
    for (const char* key : {"payins.webhook_burst", "payins.webhook_per_second"}) {
      config.module_values[key] = std::to_string(kBenchRateLimit);
    }
  }
  // A request log line per request would flood the terminal; CAMBISTA_LOG_LEVEL=info keeps it.
  if (!environment.contains("CAMBISTA_LOG_LEVEL")) config.log_level = "warn";
  const bool postgres = !config.database_url.starts_with("sqlite");
  if (config.master_key_file.empty() && config.master_key_hex.empty() &&
      (!database_url || postgres)) {
    config.master_key_file = directory + "/bench.key";
  }
  return config;
}

}  // namespace

EmbeddedServer::EmbeddedServer(const EmbeddedServerOptions& options) {
  std::string pattern = "/tmp/cambista-bench-" + options.name + ".XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) {
    throw std::runtime_error("cannot create a temporary dir");
  }
  directory_ = pattern;
  try {
    Start(options);
  } catch (...) {
    server_.reset();
    std::error_code ignored;
    std::filesystem::remove_all(directory_, ignored);
    throw;
  }
}

void EmbeddedServer::Start(const EmbeddedServerOptions& options) {
  const Config config = EmbeddedConfig(options, directory_);
  database_url_ = config.database_url;
  DatabaseKeys keys;
  {
    auto database = store::Open(database_url_);
    backend_ = std::string(store::BackendName(database->backend()));
    SystemClock clock;
    auto unsealed = MigrateAndUnseal(config, *database, clock);
    if (!unsealed.ok()) throw std::runtime_error(unsealed.error());
    keys = unsealed.value().keys;
  }
  server_ = std::make_unique<Server>(config, keys);
  server_->Start();
}

EmbeddedServer::~EmbeddedServer() {
  if (server_) server_->Stop(kStopGraceMs);
  server_.reset();
  std::error_code ignored;
  std::filesystem::remove_all(directory_, ignored);
}

}  // namespace cambista::app
