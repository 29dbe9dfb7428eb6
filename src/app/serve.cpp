#include "app/serve.hpp"

#include <pthread.h>

#include <csignal>
#include <cstdio>
#include <exception>
#include <optional>
#include <utility>

#include "app/config.hpp"
#include "app/master_key.hpp"
#include "app/server.hpp"
#include "obs/json_log.hpp"
#include "store/database.hpp"

namespace cambista::app {

int RunServe(const ServeFlags& flags) {
  auto loaded = LoadConfig(flags.config_file, EnvironmentFromProcess());
  if (!loaded.ok()) {
    std::fprintf(stderr, "cambista serve: configuration: %s\n", loaded.error().ToString().c_str());
    return 2;
  }
  Config config = std::move(loaded).value();
  if (flags.database_url) config.database_url = *flags.database_url;
  if (flags.listen) {
    if (auto error = SetListen(config, *flags.listen)) {
      std::fprintf(stderr, "cambista serve: --listen: %s\n", error->c_str());
      return 2;
    }
  }
  if (flags.sandbox) config.sandbox = true;

  // SIGINT/SIGTERM are blocked in every thread and taken by sigwait below, so the server threads
  // (which inherit the mask) never run a signal handler.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  // Another master key than the database's stops here, before anything is written.
  std::optional<DatabaseKeys> secrets;
  {
    auto database = store::Open(config.database_url);
    SystemClock clock;
    auto unsealed = MigrateAndUnseal(config, *database, clock);
    if (!unsealed.ok()) {
      std::fprintf(stderr, "cambista serve: %s\n", unsealed.error().c_str());
      return 2;
    }
    secrets = unsealed.value().keys;
  }
  // A module refuses a configuration it cannot run with (a payout provider's url set without its
  // credentials) while the server is built: that is a configuration error, exit 2.
  std::optional<Server> server;
  try {
    server.emplace(config, *secrets);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "cambista serve: %s\n", error.what());
    return 2;
  }
  try {
    server->Start();
  } catch (const std::exception& error) {
    std::fprintf(stderr, "cambista serve: %s\n", error.what());
    return 1;
  }
  const std::string url = server->url();
  std::printf("listening on %s\n", url.c_str());
  std::fflush(stdout);
  obs::JsonLogger& logger = server->logger();
  logger.Info("listening on " + url);
  for (const auto& name : config.ignored_environment) {
    logger.Warn("environment variable names no setting; ignored", {{"variable", name}});
  }

  int received = 0;
  sigwait(&signals, &received);
  logger.Info("stopping", {{"signal", received == SIGTERM ? "SIGTERM" : "SIGINT"}});
  server->Stop(config.shutdown_grace_ms);
  logger.Info("stopped");
  return 0;
}

}  // namespace cambista::app
