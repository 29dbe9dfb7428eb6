// The server of `serve --sandbox`, in this process, for the HTTP benchmarks: on its own database
// (a temporary SQLite file unless one is given) and a free loopback port, with the per-key rate
// limits opened wide (the benchmarks measure the work, not the limiter) and request logs off
// unless CAMBISTA_LOG_LEVEL asks; stopped and its temporary files removed when done.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "app/server.hpp"

namespace cambista::app {

class EmbeddedServer {
 public:
  // `name` names the temporary directory ("charges": /tmp/cambista-bench-charges.XXXXXX).
  EmbeddedServer(const std::optional<std::string>& database_url, std::string_view name);
  ~EmbeddedServer();
  EmbeddedServer(const EmbeddedServer&) = delete;
  EmbeddedServer& operator=(const EmbeddedServer&) = delete;

  Server& server() { return *server_; }
  std::string url() const { return server_->url(); }
  const std::string& backend() const { return backend_; }
  const std::string& database_url() const { return database_url_; }

 private:
  std::string directory_;
  std::string database_url_;
  std::string backend_;
  std::unique_ptr<Server> server_;
};

}  // namespace cambista::app
