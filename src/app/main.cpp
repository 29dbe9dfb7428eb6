// The `cambista` binary: command-line entry point and composition root.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "accounting/report.hpp"
#include "api/api_key_store.hpp"
#include "app/bench_charges.hpp"
#include "app/bench_flow.hpp"
#include "app/bench_ledger.hpp"
#include "app/bench_payouts.hpp"
#include "app/config.hpp"
#include "app/demo.hpp"
#include "app/master_key.hpp"
#include "app/master_key_rotate.hpp"
#include "app/modules.hpp"
#include "app/reconcile.hpp"
#include "app/serve.hpp"
#include "http/problem.hpp"
#include "ledger/auditor.hpp"
#include "obs/json_log.hpp"
#include "store/database.hpp"
#include "store/migrations.hpp"

namespace {

constexpr const char* kVersion = "0.1.0";

constexpr const char* kRotateHelp =
    "Move the database to a new master key. Stop every `serve` of the database first. The "
    "current key is loaded as `serve` loads it and checked against the database's seal; then, in "
    "one transaction, every sealed secret (gateway credentials, TOTP seeds, stored idempotent "
    "responses, webhook endpoint secrets, the API-key pepper) is opened with the current key and "
    "sealed with the new one, and the seal takes the new key's fingerprint. A secret that does not "
    "open aborts the rotation, naming its table and row: nothing changes. API keys keep working. "
    "Prints one JSON line (values re-sealed per table); no key is ever printed. Afterwards use "
    "the new file (security.master_key_file), or pass --replace-current-file to move it over the "
    "current one (for SQLite by default <db path>.key).";

// --db, --config and --master-key-file of a command that opens the database beside `serve`.
struct DatabaseFlags {
  std::string database_url;
  std::optional<std::string> config_file;
  std::optional<std::string> master_key_file;
};

// The configuration for a command run beside `serve` (file + environment), with its --db and
// --master-key-file; nullopt after printing why not.
std::optional<cambista::app::Config> CommandConfig(const char* command,
                                                   const std::optional<std::string>& config_file,
                                                   const std::string& database_url,
                                                   const std::optional<std::string>& key_file) {
  auto config = cambista::app::LoadConfig(config_file, cambista::app::EnvironmentFromProcess());
  if (!config.ok()) {
    std::fprintf(stderr, "cambista %s: configuration: %s\n", command,
                 config.error().ToString().c_str());
    return std::nullopt;
  }
  config.value().database_url = database_url;
  if (key_file) config.value().master_key_file = *key_file;
  return std::move(config).value();
}

int RunMigrate(const DatabaseFlags& flags) {
  auto config =
      CommandConfig("migrate", flags.config_file, flags.database_url, flags.master_key_file);
  if (!config) return 2;
  auto database = cambista::store::Open(flags.database_url);
  cambista::SystemClock clock;
  auto unsealed = cambista::app::MigrateAndUnseal(*config, *database, clock);
  if (!unsealed.ok()) {
    std::fprintf(stderr, "cambista migrate: %s\n", unsealed.error().c_str());
    return 2;
  }
  const auto& report = unsealed.value().migrations;
  std::string applied;
  for (int version : report.applied) {
    if (!applied.empty()) applied += ",";
    applied += std::to_string(version);
  }
  std::printf("{\"database\":\"%s\",\"current_version\":%d,\"applied\":[%s],\"seal\":\"%s\"}\n",
              database->redacted_url().c_str(), report.current_version, applied.c_str(),
              unsealed.value().sealed_now ? "written" : "checked");
  return 0;
}

int RunLedgerVerify(const std::string& url) {
  auto database = cambista::store::Open(url);
  auto connection = database->Connect();
  const auto pending =
      cambista::store::PendingMigrations(*connection, cambista::app::AllMigrations());
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

// `cambista ledger accounts`: the chart of accounts with balances.
int RunLedgerAccounts(const std::string& url, const std::optional<std::string>& tenant) {
  auto database = cambista::store::Open(url);
  auto connection = database->Connect();
  if (!cambista::store::PendingMigrations(*connection, cambista::app::AllMigrations()).empty()) {
    std::fprintf(stderr, "ledger accounts: the database is not migrated; run `cambista migrate`\n");
    return 2;
  }
  const auto assets = cambista::AssetRegistry::WithBuiltins();
  std::fputs(cambista::accounting::ChartReport(*connection, tenant, assets).c_str(), stdout);
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
// then --db and --master-key-file), checked against the database's seal.
std::unique_ptr<cambista::api::ApiKeyStore> OpenKeys(const KeysFlags& flags,
                                                     std::unique_ptr<cambista::store::Database>& db,
                                                     const cambista::Clock& clock) {
  auto config = CommandConfig("keys", std::nullopt, flags.database_url, flags.master_key_file);
  if (!config) return nullptr;
  db = cambista::store::Open(flags.database_url);
  auto unsealed = cambista::app::MigrateAndUnseal(*config, *db, clock);
  if (!unsealed.ok()) {
    std::fprintf(stderr, "cambista keys: %s\n", unsealed.error().c_str());
    return nullptr;
  }
  const auto& keys = unsealed.value().keys;
  return std::make_unique<cambista::api::ApiKeyStore>(*db, clock, keys.master_key,
                                                      keys.api_key_pepper);
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
        record.prefix.c_str(), cambista::http::JsonString(record.tenant).c_str(),
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

int RunRotate(const DatabaseFlags& flags, const cambista::app::MasterKeyRotateOptions& options) {
  auto config = CommandConfig("master-key rotate", flags.config_file, flags.database_url,
                              flags.master_key_file);
  return config ? cambista::app::RunMasterKeyRotate(*config, options) : 2;
}

CLI::App* AddMigrateCommand(CLI::App& app, DatabaseFlags& flags) {
  auto* migrate = app.add_subcommand(
      "migrate",
      "Apply pending database migrations, after checking the master key against the database's "
      "seal (written at first start)");
  migrate->add_option("--db", flags.database_url, "Database URL: sqlite:PATH or postgresql://...")
      ->required();
  migrate->add_option("--config", flags.config_file, "TOML configuration file");
  migrate->add_option("--master-key-file", flags.master_key_file,
                      "Master key file (default: config, or the SQLite path + .key)");
  return migrate;
}

// `master-key rotate`; returns it.
CLI::App* AddMasterKeyCommands(CLI::App& app, DatabaseFlags& flags,
                               cambista::app::MasterKeyRotateOptions& options) {
  auto* master_key = app.add_subcommand("master-key", "The master key that seals secrets at rest");
  master_key->require_subcommand(1);
  auto* rotate = master_key->add_subcommand("rotate", kRotateHelp);
  rotate->add_option("--db", flags.database_url, "Database URL")->required();
  rotate
      ->add_option("--new", options.new_key_file,
                   "File of the new key (64 hex digits, mode 0600); created with a new random "
                   "key if it does not exist")
      ->required();
  rotate->add_option("--config", flags.config_file, "TOML configuration file");
  rotate->add_option("--master-key-file", flags.master_key_file,
                     "The current master key file (default: config, or the SQLite path + .key)");
  rotate->add_flag("--replace-current-file", options.replace_current_file,
                   "After the commit, move the --new file over the current key file, so that "
                   "nothing else changes (the old key is gone)");
  return rotate;
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
                   "ledger:read, webhooks:write, metrics:read, charges:review")
      ->required();
  keys_create->add_option("--expires-in", flags.expires_in,
                          "Lifetime: a number and s, m (minutes), h, d or w, e.g. 90d, 12h, 30m "
                          "(default: never expires)");
  for (auto* sub : {keys_revoke, keys_totp}) {
    sub->add_option("--prefix", flags.prefix, "The key's prefix (from keys list)")->required();
  }
  return {keys_create, keys_list, keys_revoke, keys_totp};
}

int RunReconcile(const cambista::app::ReconcileFlags& flags) {
  auto config =
      CommandConfig("reconcile", flags.config_file, flags.database_url, flags.master_key_file);
  return config ? cambista::app::RunReconcile(flags, *config) : 2;
}

CLI::App* AddReconcileCommand(CLI::App& app, cambista::app::ReconcileFlags& flags) {
  auto* reconcile = app.add_subcommand(
      "reconcile",
      "Our payouts at a payout provider against its list (credentials from "
      "CAMBISTA_<PROVIDER>_<CREDENTIAL>), or our charges at a gateway against its status API "
      "(each tenant's credentials, with the master key): one JSON line per mismatch");
  reconcile->add_option("--db", flags.database_url, "Database URL")->required();
  reconcile->add_option("--provider", flags.provider, "Payout provider or gateway, e.g. heleket")
      ->required();
  reconcile->add_flag("--charges", flags.charges,
                      "Reconcile the gateway's charges (for a name that is also a payout "
                      "provider's: buhopago)");
  reconcile->add_option("--config", flags.config_file, "TOML configuration file");
  reconcile->add_option("--master-key-file", flags.master_key_file,
                        "Master key file (default: config, or the SQLite path + .key)");
  reconcile->add_option("--url", flags.url, "The provider's API root")->required();
  reconcile->add_option("--since", flags.since, "How far back: e.g. 48h, 7d")
      ->capture_default_str();
  return reconcile;
}

struct BenchCommands {
  CLI::App* ledger;
  CLI::App* charges;
  CLI::App* payouts;
  CLI::App* flow;
};

CLI::App* AddFlowBenchCommand(CLI::App& bench, cambista::app::FlowBenchOptions& flow) {
  auto* command = bench.add_subcommand(
      "flow",
      "Run whole buy flows over HTTP against the sandbox (quote -> trade -> PIX paid -> payout "
      "CONFIRMED -> COMPLETED), by default on an embedded `serve --sandbox`; print one JSON line "
      "(flows, seconds, flows_per_sec, webhook-to-payout-SUBMITTED p50_ms and p99_ms)");
  command->add_option("--concurrency", flow.concurrency, "Workers, each with one flow in flight")
      ->capture_default_str();
  command->add_option("--flows", flow.flows, "Flows to run")->capture_default_str();
  command->add_option("--db", flow.database_url,
                      "Database URL of the embedded server (default: a temporary SQLite file)");
  command
      ->add_option("--url", flow.url,
                   "A running server in sandbox mode (http://HOST:PORT) instead of an embedded one")
      ->excludes("--db");
  command->add_option("--key", flow.key, "Its API key (admin: the setup makes a treasury deposit)");
  command->add_option("--amount", flow.amount, "BRL per flow")->capture_default_str();
  return command;
}

// `cambista demo`; its options written into `options`.
CLI::App* AddDemoCommand(CLI::App& app, cambista::app::DemoOptions& options) {
  auto* demo = app.add_subcommand(
      "demo",
      "The desk's flows end to end against a sandbox server, printing each step: (a) USDT bought "
      "with BRL through a PIX gateway, (b) with VES through BuhoPago, (c) a trade that expires, "
      "(d) a payout that fails and is refunded; then the ledger summary and `ledger verify`. "
      "Exit 0 only when every flow ends as expected and the ledger verifies");
  demo->add_option(
      "--url", options.url,
      "A running server in sandbox mode (http://HOST:PORT) instead of an embedded one");
  demo->add_option("--key", options.key, "The API key for --url (admin, tenant default)");
  demo->add_option("--db", options.database_url,
                   "Database URL: of the embedded server (default: a temporary SQLite file), or, "
                   "with --url, of that server for `ledger verify` (skipped without it)");
  demo->add_option("--listen", options.listen,
                   "HOST:PORT of the embedded server (default 127.0.0.1:0: a free port)");
  demo->add_flag("--serve", options.serve,
                 "Keep the embedded server running after the flows, until Ctrl-C or SIGTERM, and "
                 "print its API key with curl calls to try");
  demo->add_option("--key-prefix-file", options.key_prefix_file,
                   "Embedded: revoke the key whose prefix this file holds (the previous run's) and "
                   "write the new key's prefix into it");
  demo->add_option("--flow-timeout-ms", options.flow_timeout_ms,
                   "How long one flow may take to reach its end")
      ->capture_default_str();
  return demo;
}

CLI::App* AddPayoutBenchCommand(CLI::App& bench, cambista::app::PayoutBenchOptions& payouts) {
  auto* command = bench.add_subcommand(
      "payouts",
      "Send payouts over HTTP to the Heleket simulator of an embedded `serve --sandbox`; print "
      "one JSON line (request to SUBMITTED)");
  command->add_option("--concurrency", payouts.concurrency, "Client connections")
      ->capture_default_str();
  command->add_option("--n", payouts.n, "Payouts to send")->capture_default_str();
  command->add_option("--db", payouts.database_url,
                      "Database URL of the embedded server (default: a temporary SQLite file)");
  command->add_option("--amount", payouts.amount, "USDT per payout")->capture_default_str();
  return command;
}

// `cambista bench ledger|charges`, their options written into `ledger` and `charges`.
BenchCommands AddBenchCommands(CLI::App& app, cambista::app::LedgerBenchOptions& ledger,
                               cambista::app::ChargeBenchOptions& charges,
                               cambista::app::PayoutBenchOptions& payouts,
                               cambista::app::FlowBenchOptions& flow) {
  auto* bench = app.add_subcommand("bench", "Benchmarks");
  bench->require_subcommand(1);
  auto* bench_ledger = bench->add_subcommand(
      "ledger", "Submit transfers through group commit, verify, print one JSON line");
  bench_ledger->add_option("--db", ledger.database_url, "Database URL")->required();
  bench_ledger->add_option("--transfers", ledger.transfers, "Transfers to submit")
      ->capture_default_str();
  bench_ledger
      ->add_option("--concurrency", ledger.concurrency,
                   "Concurrent submitters (each keeps one submission in flight)")
      ->capture_default_str();
  bench_ledger->add_option("--accounts", ledger.accounts, "Accounts to create")
      ->capture_default_str();
  bench_ledger
      ->add_option("--per-submission", ledger.transfers_per_submission,
                   "Transfers in each submission")
      ->capture_default_str();
  bench_ledger->add_flag("--random-ids", ledger.random_ids,
                         "Random 128-bit transfer ids (default: time-ordered, see ledger/ids.hpp)");
  bench_ledger->add_flag("--naive", ledger.naive,
                         "The baseline instead: one durable transaction per transfer (two UPDATEs, "
                         "one INSERT) from --concurrency threads");
  bench_ledger->add_option("--seed", ledger.seed, "Random seed (0: random)");
  bench_ledger->add_option("--committers", ledger.committers,
                           "PostgreSQL: committer threads (0: the ledger's default)");

  auto* bench_charges = bench->add_subcommand(
      "charges",
      "Create charges over HTTP against the sandbox gateways (by default on an embedded "
      "`serve --sandbox` with a temporary SQLite database), print one JSON line");
  bench_charges
      ->add_option("--concurrency", charges.concurrency,
                   "Client connections, each with one request in flight")
      ->capture_default_str();
  bench_charges->add_option("--n", charges.n, "Charges to create")->capture_default_str();
  bench_charges->add_option("--db", charges.database_url,
                            "Database URL of the embedded server (default: a temporary SQLite "
                            "file)");
  bench_charges->add_option("--gateway", charges.gateway,
                            "Gateway of every charge (default: the tenant's first, syncpay)");
  bench_charges->add_option("--amount", charges.amount, "Amount of every charge, in BRL")
      ->capture_default_str();
  bench_charges
      ->add_option("--url", charges.url,
                   "A running server (http://HOST:PORT) instead of an embedded one; the API key "
                   "(charges:write) in CAMBISTA_BENCH_KEY")
      ->excludes("--db");
  return {bench_ledger, bench_charges, AddPayoutBenchCommand(*bench, payouts),
          AddFlowBenchCommand(*bench, flow)};
}

CLI::App* AddServeCommand(CLI::App& app, cambista::app::ServeFlags& flags) {
  auto* serve = app.add_subcommand("serve", "Run the HTTP API (applies pending migrations first)");
  serve->add_option(
      "--db", flags.database_url,
      "Database URL (default from config, CAMBISTA_DATABASE_URL, or sqlite:cambista.db)");
  serve->add_option("--listen", flags.listen,
                    "HOST:PORT to listen on (default 127.0.0.1:8080; port 0 picks a free one)");
  serve->add_option("--config", flags.config_file, "TOML configuration file");
  serve->add_flag("--sandbox", flags.sandbox, "Use the sandbox provider simulators");
  return serve;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"cambista: the engine of a fiat <-> stablecoin exchange desk"};
  app.set_version_flag("--version", kVersion);
  app.require_subcommand(1);

  std::string database_url;
  DatabaseFlags migrate_flags;
  auto* migrate = AddMigrateCommand(app, migrate_flags);

  cambista::app::ServeFlags serve_flags;
  auto* serve = AddServeCommand(app, serve_flags);

  KeysFlags keys_flags;
  const KeysCommands keys = AddKeysCommands(app, keys_flags);

  DatabaseFlags rotate_flags;
  cambista::app::MasterKeyRotateOptions rotate_options;
  auto* rotate = AddMasterKeyCommands(app, rotate_flags, rotate_options);

  auto* ledger = app.add_subcommand("ledger", "Ledger tools");
  ledger->require_subcommand(1);
  auto* verify = ledger->add_subcommand(
      "verify", "Re-derive every balance from the transfers and check debits equal credits");
  verify->add_option("--db", database_url, "Database URL")->required();
  std::optional<std::string> accounts_tenant;
  auto* accounts = ledger->add_subcommand(
      "accounts", "The chart of accounts: its kinds, then every account with its balances");
  accounts->add_option("--db", database_url, "Database URL")->required();
  accounts->add_option("--tenant", accounts_tenant, "Only this tenant's accounts");

  cambista::app::ReconcileFlags reconcile_flags;
  auto* reconcile = AddReconcileCommand(app, reconcile_flags);

  cambista::app::LedgerBenchOptions ledger_bench_options;
  cambista::app::ChargeBenchOptions charge_bench_options;
  cambista::app::PayoutBenchOptions payout_bench_options;
  cambista::app::FlowBenchOptions flow_bench_options;
  const BenchCommands bench = AddBenchCommands(app, ledger_bench_options, charge_bench_options,
                                               payout_bench_options, flow_bench_options);
  cambista::app::DemoOptions demo_options;
  auto* demo = AddDemoCommand(app, demo_options);

  CLI11_PARSE(app, argc, argv);
  try {
    if (*migrate) return RunMigrate(migrate_flags);
    if (*rotate) return RunRotate(rotate_flags, rotate_options);
    if (*serve) return cambista::app::RunServe(serve_flags);
    if (*keys.create) return RunKeys("create", keys_flags);
    if (*keys.list) return RunKeys("list", keys_flags);
    if (*keys.revoke) return RunKeys("revoke", keys_flags);
    if (*keys.totp) return RunKeys("totp-enroll", keys_flags);
    if (*verify) return RunLedgerVerify(database_url);
    if (*accounts) return RunLedgerAccounts(database_url, accounts_tenant);
    if (*reconcile) return RunReconcile(reconcile_flags);
    if (*bench.ledger) {
      return ledger_bench_options.naive ? cambista::app::RunNaiveLedgerBench(ledger_bench_options)
                                        : cambista::app::RunLedgerBench(ledger_bench_options);
    }
    if (*bench.charges) return cambista::app::RunChargeBench(charge_bench_options);
    if (*bench.payouts) return cambista::app::RunPayoutBench(payout_bench_options);
    if (*bench.flow) return cambista::app::RunFlowBench(flow_bench_options);
    if (*demo) return cambista::app::RunDemo(demo_options);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "cambista: %s\n", error.what());
    return 1;
  }
  return 0;
}
