// The one validated configuration of a `cambista` process, built once at start-up from an optional
// TOML file and CAMBISTA_* environment variables (which win), then handed down; nothing reads the
// environment deep inside. Every key has a default, unknown keys are errors (a typo must not pass
// silently; unknown CAMBISTA_* variables are listed for a warning, since other tools use the prefix
// too), and every error names the key and, for files, the line.
//
//   [database]  url = "sqlite:cambista.db"        CAMBISTA_DATABASE_URL
//   [server]    listen = "127.0.0.1:8080"         CAMBISTA_SERVER_LISTEN
//               body_bytes_max = 1048576          CAMBISTA_SERVER_BODY_BYTES_MAX
//               header_bytes_max = 16384          CAMBISTA_SERVER_HEADER_BYTES_MAX
//               request_timeout_ms = 30000        CAMBISTA_SERVER_REQUEST_TIMEOUT_MS
//               shutdown_grace_ms = 10000         CAMBISTA_SERVER_SHUTDOWN_GRACE_MS
//               io_threads = 1                    CAMBISTA_SERVER_IO_THREADS
//               worker_threads = 8 (handlers that query, commit or call out)
//                                                 CAMBISTA_SERVER_WORKER_THREADS
//               public_url = "" (how gateways reach us for webhooks; empty: the listen URL)
//                                                 CAMBISTA_SERVER_PUBLIC_URL
//   [sandbox]   enabled = false                   CAMBISTA_SANDBOX_ENABLED
//                 (every pay-in gateway answered by its simulator under /sandbox/<gateway>/, and
//                 the tenant `default` given the simulators' credentials)
//   Each module's own sections, with the same rules (module/module.hpp, app/modules.cpp); a
//   section may nest ([payouts.providers.heleket] url = "..." is payouts.providers.heleket.url,
//   CAMBISTA_PAYOUTS_PROVIDERS_HELEKET_URL):
//   [gateways], [gateway_fees], [payouts.providers.<name>]: the providers' (providers/module.hpp)
//   [payins]    webhook_burst = 120, webhook_per_second = 20 (webhooks per gateway and source
//                 address; 429 beyond)               CAMBISTA_PAYINS_WEBHOOK_BURST, ...
//   [payouts], [payouts.approval_thresholds]: the payouts' (payouts/module.hpp)
//   A module's secret (a payout provider's credential, CAMBISTA_HELEKET_PAYOUT_API_KEY) is read
//   only from its environment variable; written in the file it is an error, and no error repeats
//   its value.
//   [log]       level = "info"                    CAMBISTA_LOG_LEVEL
//   [rate_limit] key_burst = 200, key_per_second = 100 (per API key)
//               ip_burst = 20, ip_per_second = 5  (per client IP, requests without a valid key)
//                                                 CAMBISTA_RATE_LIMIT_KEY_BURST, ...
//   [webhooks]  attempts_max = 12                 CAMBISTA_WEBHOOKS_ATTEMPTS_MAX
//               retry_base_ms = 5000 (doubling, jittered, capped at 6 h)
//                                                 CAMBISTA_WEBHOOKS_RETRY_BASE_MS
//               timeout_ms = 10000 (per attempt)  CAMBISTA_WEBHOOKS_TIMEOUT_MS
//               allow_private_addresses = false (true: endpoint URLs may reach loopback and private
//                 networks; for development only)    CAMBISTA_WEBHOOKS_ALLOW_PRIVATE_ADDRESSES
//   [retention] days = 30 (1..3650: finished jobs, delivered events, delivery attempts and raw
//                 webhook bodies older than this are purged, hourly)
//                                                 CAMBISTA_RETENTION_DAYS
//   [testing]   record_responses = "" (a file: every HTTP response is appended to it as a JSON
//                 line, for the test suite's check against /openapi.json; response bodies may hold
//                 secrets shown once, so never in production)
//                                                 CAMBISTA_TESTING_RECORD_RESPONSES
//   [security]  master_key_file = "" (SQLite: the database path + ".key")
//                                                 CAMBISTA_SECURITY_MASTER_KEY_FILE
//               master_key = "" (64 hex digits: the master key itself, for a deployment that
//                 passes it in the environment; wins over the file; never logged)
//                                                 CAMBISTA_SECURITY_MASTER_KEY
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "module/config_key.hpp"

namespace cambista::app {

struct Config {
  std::string database_url = "sqlite:cambista.db";
  std::string listen_host = "127.0.0.1";  // every listener on loopback unless configured otherwise
  uint16_t listen_port = 8080;            // 0: the system picks a free port
  int64_t body_bytes_max = 1 << 20;
  int64_t header_bytes_max = 16 << 10;
  int64_t request_timeout_ms = 30'000;
  int64_t shutdown_grace_ms = 10'000;
  int64_t io_threads = 1;  // HTTP threads; handlers that answer from memory run on them
  // The other handlers (queries, commits, calls to gateways). They mostly wait on the disk (a
  // commit waits for its group's fdatasync), so more of them than cores keep the CPUs busy: on 2
  // cores, 8 workers create charges ~30% faster than 4 (docs/BENCHMARKS.md).
  int64_t worker_threads = 8;
  std::string public_url;  // empty: http://<listen>
  bool sandbox = false;
  // The modules' keys (app::ModuleConfigKeys), checked, as text by path.
  module::ConfigValues module_values;
  std::string log_level = "info";  // debug | info | warn | error
  std::string master_key_file;     // empty: see MasterKeyPath
  std::string master_key_hex;      // non-empty: the master key itself (64 hex digits)
  int64_t rate_key_burst = 200;
  int64_t rate_key_per_second = 100;
  int64_t rate_ip_burst = 20;
  int64_t rate_ip_per_second = 5;
  int64_t webhook_attempts_max = 12;
  int64_t webhook_retry_base_ms = 5'000;
  int64_t webhook_timeout_ms = 10'000;
  // Webhook endpoints are tenants' URLs: by default they may reach public addresses only.
  bool webhook_allow_private_addresses = false;
  int64_t retention_days = 30;
  std::string record_responses;  // empty: not recorded (api/response_recorder.hpp)
  // CAMBISTA_* variables that name no setting (a typo, or another tool's), for a start-up warning.
  std::vector<std::string> ignored_environment;
};

struct ConfigError {
  std::string key;      // e.g. "server.listen" or "CAMBISTA_SERVER_LISTEN"
  std::string message;  // what is wrong and what is expected
  std::string ToString() const { return key.empty() ? message : key + ": " + message; }
};

// The environment as name -> value (main() passes the process's environment).
using Environment = std::map<std::string, std::string>;
Environment EnvironmentFromProcess();

// The master key file: as configured, else next to a SQLite database; an error for PostgreSQL.
Result<std::string, ConfigError> MasterKeyPath(const Config& config);

// Sets config.listen_host/listen_port from "HOST:PORT" or "[IPV6]:PORT"; an error message
// otherwise.
std::optional<std::string> SetListen(Config& config, std::string_view text);

// Defaults, then the file (if given), then CAMBISTA_* variables of `environment`.
Result<Config, ConfigError> LoadConfig(const std::optional<std::string>& file_path,
                                       const Environment& environment);
// The same from TOML text (file_name only names it in errors).
Result<Config, ConfigError> LoadConfigText(std::string_view toml_text, std::string_view file_name,
                                           const Environment& environment);

}  // namespace cambista::app
