// The server of `serve --sandbox`, in this process, for the HTTP benchmarks and `cambista demo`: on
// its own database (a temporary SQLite file unless one is given) and a free loopback port (or the
// one asked), with the per-key and per-IP rate limits opened wide for the benchmarks (they measure
// the work, not the limiter) and request logs off unless CAMBISTA_LOG_LEVEL asks; stopped and its
// temporary files removed when done.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "app/server.hpp"

namespace cambista::app {

struct EmbeddedServerOptions {
  std::optional<std::string> database_url{};  // default: a file in the temporary directory
  std::string name{};                         // "charges": /tmp/cambista-bench-charges.XXXXXX
  std::optional<std::string> listen{};        // HOST:PORT; default 127.0.0.1:0
  bool open_rate_limits = true;               // false: the configuration's own limits
};

class EmbeddedServer {
 public:
  // Throws std::exception with a message for people (bad --listen, database, address taken).
  explicit EmbeddedServer(const EmbeddedServerOptions& options);
  EmbeddedServer(const std::optional<std::string>& database_url, std::string_view name)
      : EmbeddedServer(
            EmbeddedServerOptions{.database_url = database_url, .name = std::string(name)}) {}
  ~EmbeddedServer();
  EmbeddedServer(const EmbeddedServer&) = delete;
  EmbeddedServer& operator=(const EmbeddedServer&) = delete;

  Server& server() { return *server_; }
  std::string url() const { return server_->url(); }
  const std::string& backend() const { return backend_; }
  const std::string& database_url() const { return database_url_; }

 private:
  void Start(const EmbeddedServerOptions& options);

  std::string directory_;
  std::string database_url_;
  std::string backend_;
  std::unique_ptr<Server> server_;
};

}  // namespace cambista::app
