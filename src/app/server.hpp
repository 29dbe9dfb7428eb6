// The whole of `cambista serve` as one object: the database (migrated), the shared services, the
// job workers and the HTTP listener, built from one Config in one place (the composition root),
// then every module of app/modules.cpp installed on them (module/module.hpp), so that `serve`,
// `bench charges` and in-process tests run exactly the same server.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "app/config.hpp"
#include "app/master_key.hpp"
#include "core/clock.hpp"

namespace cambista::api {
class ApiKeyStore;
}  // namespace cambista::api
namespace cambista::http {
class Router;
}  // namespace cambista::http
namespace cambista::jobs {
class JobQueue;
}
namespace cambista::obs {
class JsonLogger;
}
namespace cambista::payins {
class ChargeService;
}

namespace cambista::app {

class Server {
 public:
  // Opens the database (migrated and unsealed already: MigrateAndUnseal gave `keys`) and builds
  // every service; nothing listens yet. Throws std::exception with a message for people when the
  // database or the configuration is unusable. `clock`: the system clock unless given (tests move
  // time by hand); it must outlive the server.
  Server(Config config, DatabaseKeys keys, const Clock* clock = nullptr);
  ~Server();  // Stop(0) if still running
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Starts the listener (url() is known from then on), then the job workers and the event feed; in
  // sandbox mode also gives the tenant `default` every simulator's credentials. Throws
  // std::runtime_error if the address is taken.
  void Start();
  // Stops taking requests (in flight ones finish within grace_ms), then the gateway lanes, the
  // simulators, the feed and the job workers. Idempotent.
  void Stop(int64_t grace_ms);

  std::string url() const;  // "http://127.0.0.1:PORT", once started
  const Config& config() const;
  const http::Router& router() const;
  api::ApiKeyStore& keys();
  payins::ChargeService& charges();
  obs::JsonLogger& logger();
  // The job queue: a test that moves a manual clock wakes it, so that the jobs now due run at once
  // rather than at the workers' next poll.
  jobs::JobQueue& jobs();

 private:
  struct Parts;
  std::unique_ptr<Parts> parts_;
};

}  // namespace cambista::app
