#include "app/serve.hpp"

#include <pthread.h>
#include <csignal>
#include <cstdio>

#include "api/http_server.hpp"
#include "api/problem.hpp"
#include "api/router.hpp"
#include "app/config.hpp"
#include "store/database.hpp"
#include "store/migrations.hpp"

namespace cambista::app {
namespace {

api::HttpResponse Json(int status, std::string body) {
  api::HttpResponse response;
  response.status = status;
  response.body = std::move(body);
  return response;
}

// Ready when the database answers and its schema is the one this binary expects.
api::HttpResponse Readiness(store::Database& database) {
  try {
    auto connection = database.Connect();
    const auto pending = store::PendingMigrations(*connection);
    if (!pending.empty()) {
      return api::Problem(503, "not_ready", "Not ready", "The database has pending migrations.");
    }
    return Json(200, R"({"status":"ready","database":"ok","migrations":"current"})");
  } catch (const std::exception&) {
    return api::Problem(503, "not_ready", "Not ready", "The database is not reachable.");
  }
}

void AddRoutes(api::Router& router, store::Database& database) {
  router.Add("GET", "/health/live", [](const api::HttpRequest&, const api::PathParams&) {
    return Json(200, R"({"status":"live"})");
  });
  router.Add("GET", "/health/ready", [&database](const api::HttpRequest&, const api::PathParams&) {
    return Readiness(database);
  });
}

}  // namespace

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

  auto database = store::Open(config.database_url);
  {
    auto connection = database->Connect();
    store::Migrate(*connection);
  }

  // SIGINT/SIGTERM are blocked in every thread and taken by sigwait below, so the server threads
  // never run a signal handler.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  api::Router router;
  AddRoutes(router, *database);
  api::HttpServerOptions options;
  options.host = config.listen_host;
  options.port = config.listen_port;
  options.body_bytes_max = config.body_bytes_max;
  options.header_bytes_max = config.header_bytes_max;
  options.request_timeout_ms = config.request_timeout_ms;
  api::HttpServer server(
      options, [&router](const api::HttpRequest& request) { return router.Handle(request); });
  server.Start();
  const bool ipv6 = config.listen_host.find(':') != std::string::npos;
  std::printf("listening on http://%s%s%s:%u\n", ipv6 ? "[" : "", config.listen_host.c_str(),
              ipv6 ? "]" : "", static_cast<unsigned>(server.port()));
  std::fflush(stdout);
  for (const auto& name : config.ignored_environment) {
    std::fprintf(stderr, "cambista serve: warning: %s names no setting; ignored\n", name.c_str());
  }

  int received = 0;
  sigwait(&signals, &received);
  std::fprintf(stderr, "cambista serve: %s received, stopping\n",
               received == SIGTERM ? "SIGTERM" : "SIGINT");
  server.Stop(config.shutdown_grace_ms);
  return 0;
}

}  // namespace cambista::app
