// The `cambista` binary: command-line entry point and composition root.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>
#include <memory>
#include <optional>
#include <string>

#include "api/api_key_store.hpp"
#include "api/problem.hpp"
#include "app/bench_ledger.hpp"
#include "app/config.hpp"
#include "app/master_key.hpp"
#include "app/serve.hpp"
#include "ledger/auditor.hpp"
#include "obs/json_log.hpp"
#include "store/database.hpp"
#include "store/migrations.hpp"

namespace {

constexpr const char* kVersion = "0.1.0";

int RunMigrate(const std::string& url) {
  auto database = cambista::store::Open(url);
  auto connection = database->Connect();
  const auto report = cambista::store::Migrate(*connection);
  std::string applied;
  for (int version : report.applied) {
    if (!applied.empty()) applied += ",";
    applied += std::to_string(version);
  }
  std::printf("{\"database\":\"%s\",\"current_version\":%d,\"applied\":[%s]}\n",
              database->redacted_url().c_str(), report.current_version, applied.c_str());
  return 0;
}

int RunLedgerVerify(const std::string& url) {
  auto database = cambista::store::Open(url);
  auto connection = database->Connect();
  const auto pending = cambista::store::PendingMigrations(*connection);
  if (!pending.empty()) {
    std::fprintf(stderr, "ledger verify: the database is not migrated; run `cambista migrate`\n");
    return 2;
  }
  const auto report = cambista::ledger::AuditLedger(*connection);
  std::printf("%s\n", report.ToJson().c_str());
  if (!report.consistent()) {
    for (const auto& line : report.discrepancies)
      std::fprintf(stderr, "discrepancy: %s\n", line.c_str());
    return 1;
  }
  return 0;
}

struct KeysFlags {
  std::string database_url;
  std::optional<std::string> master_key_file;
  std::string tenant;
  std::string scopes;
  std::optional<std::string> expires_in;  // "90d", "12h", "30m" (security/api_key.hpp)
  std::string prefix;
};

// The key store for `cambista keys ...`, with the same master key as `serve` (config + environment,
// then --db and --master-key-file).
std::unique_ptr<cambista::api::ApiKeyStore> OpenKeys(const KeysFlags& flags,
                                                     std::unique_ptr<cambista::store::Database>& db,
                                                     const cambista::Clock& clock) {
  auto config = cambista::app::LoadConfig(std::nullopt, cambista::app::EnvironmentFromProcess());
  if (!config.ok()) {
    std::fprintf(stderr, "cambista keys: configuration: %s\n", config.error().ToString().c_str());
    return nullptr;
  }
  config.value().database_url = flags.database_url;
  if (flags.master_key_file) config.value().master_key_file = *flags.master_key_file;
  auto master_key = cambista::app::MasterKey(config.value());
  if (!master_key.ok()) {
    std::fprintf(stderr, "cambista keys: %s\n", master_key.error().c_str());
    return nullptr;
  }
  db = cambista::store::Open(flags.database_url);
  auto connection = db->Connect();
  cambista::store::Migrate(*connection);
  return std::make_unique<cambista::api::ApiKeyStore>(*db, clock, master_key.value());
}

std::string Rfc3339(int64_t unix_ms) {
  std::string out;
  cambista::obs::AppendRfc3339Millis(out, unix_ms * 1'000'000);
  return out;
}

int RunKeysCreate(cambista::api::ApiKeyStore& keys, const KeysFlags& flags,
                  const cambista::Clock& clock) {
  auto scopes = cambista::ParseScopes(flags.scopes);
  if (!scopes.ok() || scopes.value().empty()) {
    std::fprintf(stderr, "cambista keys create: --scopes: unknown or empty scope \"%s\"\n",
                 scopes.ok() ? "" : scopes.error().scope.c_str());
    return 2;
  }
  std::optional<int64_t> lifetime_ms;
  if (flags.expires_in) {
    auto lifetime = cambista::ParseKeyLifetimeMs(*flags.expires_in);
    if (!lifetime.ok()) {
      std::fprintf(stderr, "cambista keys create: --expires-in \"%s\": %s\n",
                   flags.expires_in->c_str(),
                   std::string(cambista::KeyLifetimeErrorMessage(lifetime.error())).c_str());
      return 2;
    }
    lifetime_ms = lifetime.value();
  }
  const std::string key = keys.Create(flags.tenant, scopes.value(), lifetime_ms);
  // About when it expires, for the person reading; keys list gives the stored time exactly.
  std::optional<int64_t> expires_at_ms;
  if (lifetime_ms) expires_at_ms = clock.NowMs() + *lifetime_ms;
  std::fprintf(stderr, "API key for tenant %s with scopes %s, %s%s (shown once, store it now):\n",
               flags.tenant.c_str(), cambista::FormatScopes(scopes.value()).c_str(),
               expires_at_ms ? "expiring at " : "never expiring",
               expires_at_ms ? Rfc3339(*expires_at_ms).c_str() : "");
  std::printf("%s\n", key.c_str());
  return 0;
}

// One JSON object a line; expires_at is null for a key that never expires.
int RunKeysList(cambista::api::ApiKeyStore& keys, const cambista::Clock& clock) {
  const int64_t now_ms = clock.NowMs();
  for (const auto& record : keys.List()) {
    const auto& expiry = record.expires_at_ms;
    std::printf(
        "{\"prefix\":\"%s\",\"tenant\":%s,\"scopes\":\"%s\",\"created_at_ms\":%lld,"
        "\"revoked\":%s,\"expires_at_ms\":%s,\"expires_at\":%s,\"expired\":%s}\n",
        record.prefix.c_str(), cambista::api::JsonString(record.tenant).c_str(),
        cambista::FormatScopes(record.scopes).c_str(), static_cast<long long>(record.created_at_ms),
        record.revoked_at_ms ? "true" : "false", expiry ? std::to_string(*expiry).c_str() : "null",
        expiry ? ("\"" + Rfc3339(*expiry) + "\"").c_str() : "null",
        expiry && now_ms >= *expiry ? "true" : "false");
  }
  return 0;
}

int RunKeys(const std::string& action, const KeysFlags& flags) {
  cambista::SystemClock clock;
  std::unique_ptr<cambista::store::Database> db;
  auto keys = OpenKeys(flags, db, clock);
  if (!keys) return 2;
  if (action == "create") return RunKeysCreate(*keys, flags, clock);
  if (action == "list") return RunKeysList(*keys, clock);
  if (action == "totp-enroll") {
    auto uri = keys->EnrollTotp(flags.prefix);
    if (!uri) {
      std::fprintf(stderr, "cambista keys totp-enroll: no active key with prefix %s\n",
                   flags.prefix.c_str());
      return 1;
    }
    std::fprintf(stderr,
                 "Add this to an authenticator app (shown once); sensitive actions of this "
                 "key will need its code in X-TOTP:\n");
    std::printf("%s\n", uri->c_str());
    return 0;
  }
  if (!keys->Revoke(flags.prefix)) {
    std::fprintf(stderr, "cambista keys revoke: no active key with prefix %s\n",
                 flags.prefix.c_str());
    return 1;
  }
  std::printf("{\"revoked\":\"%s\"}\n", flags.prefix.c_str());
  return 0;
}

struct KeysCommands {
  CLI::App* create;
  CLI::App* list;
  CLI::App* revoke;
  CLI::App* totp;
};

// `cambista keys create|list|revoke|totp-enroll`, their options written into `flags`.
KeysCommands AddKeysCommands(CLI::App& app, KeysFlags& flags) {
  auto* keys = app.add_subcommand("keys", "API keys (stored hashed; a new key is shown once)");
  keys->require_subcommand(1);
  auto* keys_create = keys->add_subcommand("create", "Issue a key; prints it as the last line");
  auto* keys_list =
      keys->add_subcommand("list", "List keys (prefix, tenant, scopes, expiry; no secrets)");
  auto* keys_revoke = keys->add_subcommand("revoke", "Revoke a key by its prefix");
  auto* keys_totp = keys->add_subcommand(
      "totp-enroll", "Give a key a TOTP second factor; prints the otpauth:// URI as the last line");
  for (auto* sub : {keys_create, keys_list, keys_revoke, keys_totp}) {
    sub->add_option("--db", flags.database_url, "Database URL")->required();
    sub->add_option("--master-key-file", flags.master_key_file,
                    "Master key file (default: config, or the SQLite path + .key)");
  }
  keys_create->add_option("--tenant", flags.tenant, "Tenant the key acts for")->required();
  keys_create
      ->add_option("--scopes", flags.scopes,
                   "Comma-separated scopes: admin, quotes:write, trades:write, trades:read, "
                   "charges:write, charges:read, payouts:write, payouts:approve, "
                   "ledger:read, webhooks:write, metrics:read")
      ->required();
  keys_create->add_option("--expires-in", flags.expires_in,
                          "Lifetime: a number and s, m (minutes), h, d or w, e.g. 90d, 12h, 30m "
                          "(default: never expires)");
  for (auto* sub : {keys_revoke, keys_totp}) {
    sub->add_option("--prefix", flags.prefix, "The key's prefix (from keys list)")->required();
  }
  return {keys_create, keys_list, keys_revoke, keys_totp};
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"cambista: the engine of a fiat <-> stablecoin exchange desk"};
  app.set_version_flag("--version", kVersion);
  app.require_subcommand(1);

  std::string database_url;
  auto* migrate = app.add_subcommand("migrate", "Apply pending database migrations");
  migrate->add_option("--db", database_url, "Database URL: sqlite:PATH or postgresql://...")
      ->required();

  cambista::app::ServeFlags serve_flags;
  auto* serve = app.add_subcommand("serve", "Run the HTTP API (applies pending migrations first)");
  serve->add_option(
      "--db", serve_flags.database_url,
      "Database URL (default from config, CAMBISTA_DATABASE_URL, or sqlite:cambista.db)");
  serve->add_option("--listen", serve_flags.listen,
                    "HOST:PORT to listen on (default 127.0.0.1:8080; port 0 picks a free one)");
  serve->add_option("--config", serve_flags.config_file, "TOML configuration file");
  serve->add_flag("--sandbox", serve_flags.sandbox, "Use the sandbox provider simulators");

  KeysFlags keys_flags;
  const KeysCommands keys = AddKeysCommands(app, keys_flags);

  auto* ledger = app.add_subcommand("ledger", "Ledger tools");
  ledger->require_subcommand(1);
  auto* verify = ledger->add_subcommand(
      "verify", "Re-derive every balance from the transfers and check debits equal credits");
  verify->add_option("--db", database_url, "Database URL")->required();

  auto* bench = app.add_subcommand("bench", "Benchmarks");
  bench->require_subcommand(1);
  cambista::app::LedgerBenchOptions bench_options;
  auto* bench_ledger = bench->add_subcommand(
      "ledger", "Submit transfers through group commit, verify, print one JSON line");
  bench_ledger->add_option("--db", bench_options.database_url, "Database URL")->required();
  bench_ledger->add_option("--transfers", bench_options.transfers, "Transfers to submit")
      ->capture_default_str();
  bench_ledger
      ->add_option("--concurrency", bench_options.concurrency,
                   "Concurrent submitters (each keeps one submission in flight)")
      ->capture_default_str();
  bench_ledger->add_option("--accounts", bench_options.accounts, "Accounts to create")
      ->capture_default_str();
  bench_ledger
      ->add_option("--per-submission", bench_options.transfers_per_submission,
                   "Transfers in each submission")
      ->capture_default_str();
  bench_ledger->add_flag("--random-ids", bench_options.random_ids,
                         "Random 128-bit transfer ids (default: time-ordered, see ledger/ids.hpp)");
  bench_ledger->add_option("--seed", bench_options.seed, "Random seed (0: random)");

  CLI11_PARSE(app, argc, argv);
  try {
    if (*migrate) return RunMigrate(database_url);
    if (*serve) return cambista::app::RunServe(serve_flags);
    if (*keys.create) return RunKeys("create", keys_flags);
    if (*keys.list) return RunKeys("list", keys_flags);
    if (*keys.revoke) return RunKeys("revoke", keys_flags);
    if (*keys.totp) return RunKeys("totp-enroll", keys_flags);
    if (*verify) return RunLedgerVerify(database_url);
    if (*bench_ledger) return cambista::app::RunLedgerBench(bench_options);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "cambista: %s\n", error.what());
    return 1;
  }
  return 0;
}
