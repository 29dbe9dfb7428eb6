#include "app/demo.hpp"

#include <pthread.h>

#include <csignal>
#include <cstdio>
#include <exception>
#include <fstream>
#include <memory>

#include "api/api_key_store.hpp"
#include "app/api_client.hpp"
#include "app/bench_server.hpp"
#include "app/demo_flows.hpp"
#include "ledger/auditor.hpp"
#include "security/hmac.hpp"
#include "security/scope.hpp"
#include "store/database.hpp"

namespace cambista::app {
namespace {

constexpr int64_t kServeStopGraceMs = 10'000;

// The server the flows run against: this process's own, or one at --url.
struct Target {
  std::unique_ptr<EmbeddedServer> embedded;
  std::string url;
  std::string key;
  std::optional<std::string> database_url;  // for the audit
};

// The prefix of a key "cmb_<prefix>_<secret>".
std::string PrefixOf(const std::string& key) {
  const size_t first = key.find('_');
  const size_t second = key.find('_', first + 1);
  return first == std::string::npos || second == std::string::npos
             ? std::string()
             : key.substr(first + 1, second - first - 1);
}

// Revokes the previous run's key (its prefix in `file`), then records this one's.
void RotateRunKey(api::ApiKeyStore& keys, const std::string& file, const std::string& key) {
  std::string previous;
  if (std::ifstream in(file); in) std::getline(in, previous);
  if (!previous.empty()) keys.Revoke(previous);
  std::ofstream out(file, std::ios::trunc);
  out << PrefixOf(key) << "\n";
  if (!out) std::fprintf(stderr, "demo: cannot write %s\n", file.c_str());
}

// nullopt after saying why the server could not be reached or started.
std::optional<Target> Connect(const DemoOptions& options) {
  Target target;
  if (options.url) {
    target.url = *options.url;
    while (target.url.ends_with('/')) target.url.pop_back();
    target.key = *options.key;
    target.database_url = options.database_url;
    std::printf("demo: against %s\n", target.url.c_str());
    return target;
  }
  try {
    target.embedded = std::make_unique<EmbeddedServer>(
        EmbeddedServerOptions{.database_url = options.database_url,
                              .name = "demo",
                              .listen = options.listen.value_or("127.0.0.1:0"),
                              .open_rate_limits = false});
    target.url = target.embedded->url();
    target.database_url = target.embedded->database_url();
    target.key = target.embedded->server().keys().Create("default", ScopeSet{Scope::kAdmin});
    if (options.key_prefix_file) {
      RotateRunKey(target.embedded->server().keys(), *options.key_prefix_file, target.key);
    }
  } catch (const std::exception& error) {
    std::fprintf(stderr, "demo: cannot start the sandbox server: %s\n", error.what());
    return std::nullopt;
  }
  std::printf("demo: sandbox server at %s on %s\n", target.url.c_str(),
              target.database_url->c_str());
  std::fflush(stdout);
  return target;
}

// `ledger verify` on the database; nullopt when there is none to read (--url alone).
std::optional<bool> VerifyLedger(const std::optional<std::string>& database_url) {
  if (!database_url) {
    std::printf("ledger verify: skipped (--url without --db: the database is the server's)\n");
    return std::nullopt;
  }
  auto database = store::Open(*database_url);
  auto connection = database->Connect();
  const ledger::AuditReport report = ledger::AuditLedger(*connection);
  if (report.consistent()) {
    std::printf("ledger verify: ok (%llu accounts, %llu transfers, %llu pending open)\n",
                static_cast<unsigned long long>(report.accounts),
                static_cast<unsigned long long>(report.transfers),
                static_cast<unsigned long long>(report.pending_open));
    return true;
  }
  std::printf("ledger verify: %zu discrepancies\n", report.discrepancies.size());
  for (const std::string& line : report.discrepancies) std::printf("  %s\n", line.c_str());
  return false;
}

// The flows, the ledger summary and the audit; true when all went as expected.
bool RunFlows(const Target& target, const DemoOptions& options, const std::string& customer) {
  ApiClient api(ResolveEndpoint(target.url), target.key);
  DemoFlows flows(api, customer, options.flow_timeout_ms);
  if (!flows.Prepare()) return false;
  int passed = 0;
  passed += flows.BuyUsdtWithBrl() ? 1 : 0;
  passed += flows.BuyUsdtWithVes() ? 1 : 0;
  passed += flows.TradeThatExpires() ? 1 : 0;
  passed += flows.PayoutFailsAndIsRefunded() ? 1 : 0;
  flows.PrintLedger();
  const std::optional<bool> verified = VerifyLedger(target.database_url);
  std::printf("demo: %d of 4 flows ended as expected; ledger verify %s\n", passed,
              !verified ? "skipped" : (*verified ? "ok" : "FAILED"));
  std::fflush(stdout);
  return passed == 4 && verified.value_or(true);
}

void PrintTryIt(const Target& target, const std::string& customer, bool rotating) {
  const std::string& url = target.url;
  const std::string auth = "-H 'Authorization: Bearer " + target.key + "'";
  std::printf(
      "\nThe sandbox server keeps running at %s (data: %s); Ctrl-C stops it.\n"
      "API key (admin, tenant default; shown once%s):\n  %s\n"
      "Try:\n"
      "  # the reference rates, then a quote: 100.00 BRL for USDT\n"
      "  curl %s %s/v1/rates\n"
      "  curl %s %s/v1/quotes -d "
      "'{\"from_asset\":\"BRL\",\"to_asset\":\"USDT\",\"amount\":\"100.00\","
      "\"amount_side\":\"spend\"}'\n"
      "  # a trade on it (QUOTE_ID: the quote's id) for the demo's customer, to a TRON address:\n"
      "  curl %s -H 'Idempotency-Key: try-%s' %s/v1/trades -d "
      "'{\"quote_id\":\"QUOTE_ID\",\"customer\":\"%s\",\"destination\":{\"kind\":"
      "\"crypto_address\",\"network\":\"TRON\",\"address\":\"TNPeeaaFB7K9cmo4uQpcU32zGK8G1NYqeL\"}}"
      "'\n"
      "  # pay its charge at the sandbox gateway (charge.gateway, charge.gateway_charge_id), then\n"
      "  # watch the trade go to COMPLETED:\n"
      "  curl -X POST %s/sandbox/GATEWAY/charges/GATEWAY_CHARGE_ID/pay\n"
      "  curl %s %s/v1/trades/TRADE_ID\n"
      "  open %s/docs for the API reference.\n",
      url.c_str(), target.database_url->c_str(), rotating ? ", revoked at the next run" : "",
      target.key.c_str(), auth.c_str(), url.c_str(), auth.c_str(), url.c_str(), auth.c_str(),
      HexEncode(RandomBytes(4)).c_str(), url.c_str(), customer.c_str(), url.c_str(), auth.c_str(),
      url.c_str(), url.c_str());
  std::fflush(stdout);
}

bool ValidOptions(const DemoOptions& options) {
  if (options.url && !options.key) {
    std::fprintf(stderr, "demo: --url needs --key (an API key of the server's tenant)\n");
    return false;
  }
  if (options.url && (options.serve || options.listen || options.key_prefix_file)) {
    std::fprintf(stderr,
                 "demo: --serve, --listen and --key-prefix-file are for the embedded "
                 "server, not --url\n");
    return false;
  }
  if (options.key && !options.url) {
    std::fprintf(stderr, "demo: --key goes with --url (the embedded server makes its own)\n");
    return false;
  }
  return true;
}

}  // namespace

int RunDemo(const DemoOptions& options) {
  if (!ValidOptions(options)) return 2;
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  // Taken by sigwait below, in every thread (the server's inherit the mask).
  if (options.serve) pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::optional<Target> target = Connect(options);
  if (!target) return 2;
  const std::string customer = "demo-" + HexEncode(RandomBytes(4));
  const bool passed = RunFlows(*target, options, customer);
  if (options.serve) {
    PrintTryIt(*target, customer, options.key_prefix_file.has_value());
    int received = 0;
    sigwait(&signals, &received);
    std::printf("demo: stopping the server (%s)\n", received == SIGTERM ? "SIGTERM" : "SIGINT");
    std::fflush(stdout);
    target->embedded->server().Stop(kServeStopGraceMs);
  }
  return passed ? 0 : 1;
}

}  // namespace cambista::app
