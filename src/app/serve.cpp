#include "app/serve.hpp"

#include <pthread.h>
#include <csignal>
#include <cstdio>

#include "api/api_key_store.hpp"
#include "api/auth.hpp"
#include "api/http_server.hpp"
#include "api/problem.hpp"
#include "api/router.hpp"
#include "app/config.hpp"
#include "app/master_key.hpp"
#include "core/asset.hpp"
#include "ledger/ledger.hpp"
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

std::string AccountJson(const ledger::Account& a) {
  return "{\"id\":\"" + ToHex32(a.id) + "\",\"asset\":" + api::JsonString(a.asset) +
         ",\"code\":" + std::to_string(a.code) + ",\"flags\":" + std::to_string(a.flags) +
         ",\"debits_pending\":\"" + ToDecimal(a.debits_pending) + "\",\"debits_posted\":\"" +
         ToDecimal(a.debits_posted) + "\",\"credits_pending\":\"" + ToDecimal(a.credits_pending) +
         "\",\"credits_posted\":\"" + ToDecimal(a.credits_posted) +
         "\",\"timestamp\":" + std::to_string(a.timestamp) + "}";
}

struct Services {
  store::Database& database;
  api::ApiKeyStore& keys;
  ledger::Ledger& ledger;
  const AssetRegistry& assets;
};

void AddRoutes(api::Router& router, const Services& services) {
  store::Database& database = services.database;
  router.Add("GET", "/health/live", [](const api::HttpRequest&, const api::PathParams&) {
    return Json(200, R"({"status":"live"})");
  });
  router.Add("GET", "/health/ready", [&database](const api::HttpRequest&, const api::PathParams&) {
    return Readiness(database);
  });
  router.Add("GET", "/v1/assets",
             api::RequireKey(services.keys, std::nullopt,
                             [&services](const api::HttpRequest&, const api::PathParams&,
                                         const api::Principal&) {
                               std::string body = "{\"data\":[";
                               bool first = true;
                               for (const Asset& asset : services.assets.assets()) {
                                 body += first ? "" : ",";
                                 first = false;
                                 body += "{\"code\":" + api::JsonString(asset.code()) +
                                         ",\"scale\":" + std::to_string(asset.scale()) + "}";
                               }
                               return Json(200, body + "]}");
                             }));
  router.Add("GET", "/v1/ledger/accounts/{id}",
             api::RequireKey(services.keys, Scope::kLedgerRead,
                             [&services](const api::HttpRequest&, const api::PathParams& params,
                                         const api::Principal&) {
                               const std::string& text = params.at("id");
                               const auto id = text.size() == 32 ? ParseHex128(text) : std::nullopt;
                               if (!id) {
                                 return api::Problem(400, "invalid_request", "Invalid request",
                                                     "\"id\" must be 32 hexadecimal digits.");
                               }
                               auto account = services.ledger.LookupAccount(*id);
                               if (!account) {
                                 return api::Problem(404, "not_found", "Not found",
                                                     "No ledger account " + text + ".");
                               }
                               return Json(200, AccountJson(*account));
                             }));
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

  auto pepper = ApiKeyPepper(config);
  if (!pepper.ok()) {
    std::fprintf(stderr, "cambista serve: %s\n", pepper.error().c_str());
    return 2;
  }
  SystemClock clock;
  api::ApiKeyStore keys(*database, clock, pepper.value());
  ledger::Ledger ledger(*database, clock);
  const AssetRegistry assets = AssetRegistry::WithBuiltins();

  api::Router router;
  AddRoutes(router, Services{*database, keys, ledger, assets});
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
