// `cambista serve`: applies pending migrations, starts the HTTP API, and stops gracefully on
// SIGTERM or SIGINT (no new connections, requests in flight finish within the grace period, exit
// 0).
#pragma once

#include <optional>
#include <string>

namespace cambista::app {

struct ServeFlags {
  std::optional<std::string> config_file;
  std::optional<std::string> database_url;  // --db, wins over config and environment
  std::optional<std::string> listen;        // --listen HOST:PORT
  bool sandbox = false;                     // --sandbox
};

int RunServe(const ServeFlags& flags);

}  // namespace cambista::app
