// The `cambista` binary: command-line entry point and composition root.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>
#include <string>

#include "app/bench_ledger.hpp"
#include "app/serve.hpp"
#include "ledger/auditor.hpp"
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
    if (*verify) return RunLedgerVerify(database_url);
    if (*bench_ledger) return cambista::app::RunLedgerBench(bench_options);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "cambista: %s\n", error.what());
    return 1;
  }
  return 0;
}
