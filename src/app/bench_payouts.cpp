#include "app/bench_payouts.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <thread>
#include <vector>

#include "api/api_key_store.hpp"
#include "app/bench_load.hpp"
#include "app/bench_server.hpp"
#include "net/http_client.hpp"
#include "payouts/model.hpp"
#include "security/hmac.hpp"
#include "security/scope.hpp"
#include "store/database.hpp"

namespace cambista::app {
namespace {

constexpr int64_t kSubmittedWaitMs = 300'000;
constexpr std::string_view kTronAddress = "TNPeeaaFB7K9cmo4uQpcU32zGK8G1NYqeL";

int64_t WallMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// One request of the setup, which must succeed.
void Call(const net::HttpClient& http, const std::string& method, const std::string& url,
          const std::string& key, const std::string& body) {
  net::ClientRequest request;
  request.method = method;
  request.url = url;
  request.body = body;
  request.headers.emplace_back("Content-Type", "application/json");
  if (!key.empty()) {
    request.headers.emplace_back("Authorization", "Bearer " + key);
    request.headers.emplace_back("Idempotency-Key", "setup-" + HexEncode(RandomBytes(8)));
  }
  auto response = http.Send(request);
  if (!response.ok() || response.value().status >= 300) {
    throw std::runtime_error("setup: " + method + " " + url + " failed" +
                             (response.ok() ? ": " + response.value().body : std::string()));
  }
}

// A customer with funds, a float at Heleket, and a simulator that does not settle by itself.
void Prepare(const net::HttpClient& http, const std::string& url, const std::string& admin,
             const PayoutBenchOptions& options) {
  const std::string funds = std::to_string(options.n * 1'000 + 1'000);  // amounts up to 1,000
  Call(http, "PUT", url + "/v1/customers/bench", admin, R"({"name":"Bench"})");
  for (const std::string account : {"customer:bench", "provider:heleket"}) {
    Call(http, "POST", url + "/v1/treasury/deposits", admin,
         R"({"account":")" + account + R"(","asset":"USDT","amount":")" + funds +
             R"(","reference":"bench-)" + account + R"("})");
  }
  Call(http, "POST", url + "/sandbox/heleket/settings", "",
       R"({"auto_settle_ms":0,"currency":"USDT","balance":")" + funds + R"("})");
}

struct Submitted {
  std::vector<int64_t> latencies_ms;  // created -> SUBMITTED, per payout
  int64_t last_submitted_ms = 0;
  std::vector<std::string> references;
};

// The run's payouts that reached SUBMITTED, from their history.
Submitted ReadSubmitted(const std::string& database_url, const std::string& run) {
  auto database = store::Open(database_url);
  auto connection = database->Connect();
  Submitted submitted;
  const std::string pattern = run + "%";  // the run has no LIKE wildcards
  connection->Query(
      "SELECT p.provider_reference, p.created_at_ms, h.at_ms FROM payouts p JOIN payout_history "
      "h ON h.tenant = p.tenant AND h.payout_id = p.id WHERE p.idempotency_key LIKE $1 AND "
      "h.to_status = $2",
      {std::string_view(pattern), static_cast<int64_t>(payouts::PayoutStatus::kSubmitted)},
      [&](const store::Row& row) {
        submitted.references.emplace_back(row.Text(0));
        submitted.latencies_ms.push_back(row.Int64(2) - row.Int64(1));
        submitted.last_submitted_ms = std::max(submitted.last_submitted_ms, row.Int64(2));
      });
  return submitted;
}

Submitted WaitForSubmitted(const std::string& database_url, const std::string& run, uint64_t n) {
  const int64_t give_up = WallMs() + kSubmittedWaitMs;
  Submitted submitted = ReadSubmitted(database_url, run);
  while (submitted.references.size() < n && WallMs() < give_up) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    submitted = ReadSubmitted(database_url, run);
  }
  return submitted;
}

// Payouts the simulator holds twice: an order_id listed more than once, or more payouts held
// than the order_ids we sent (`sent`, the warm-up's included).
int64_t Duplicates(const net::HttpClient& http, const std::string& url, size_t sent) {
  net::ClientRequest request;
  request.method = "GET";
  request.url = url + "/sandbox/heleket/payouts";
  auto response = http.Send(request);
  if (!response.ok()) throw std::runtime_error("cannot read the simulator's payouts");
  std::map<std::string, int64_t> held;
  const std::string& body = response.value().body;
  constexpr std::string_view kOrderId = "\"order_id\":\"";
  for (size_t at = body.find(kOrderId); at != std::string::npos; at = body.find(kOrderId, at)) {
    at += kOrderId.size();
    ++held[body.substr(at, body.find('"', at) - at)];
  }
  int64_t duplicates = 0;
  for (const auto& [order_id, count] : held) duplicates += count - 1;
  return duplicates +
         std::max<int64_t>(0, static_cast<int64_t>(held.size()) - static_cast<int64_t>(sent));
}

void PrintResult(const PayoutBenchOptions& options, const std::string& backend,
                 Submitted& submitted, int64_t started_ms, uint64_t errors, int64_t duplicates) {
  std::sort(submitted.latencies_ms.begin(), submitted.latencies_ms.end());
  const auto n = static_cast<int64_t>(options.n);
  const int64_t elapsed_ms = std::max<int64_t>(submitted.last_submitted_ms - started_ms, 1);
  const int64_t per_sec_tenths = n * 10'000 / elapsed_ms;
  std::printf(
      "{\"backend\":\"%s\",\"concurrency\":%d,\"n\":%lld,\"seconds\":%s,\"per_sec\":%lld.%lld,"
      "\"p50_ms\":%lld,\"p99_ms\":%lld,\"duplicates\":%lld,\"errors\":%llu}\n",
      backend.c_str(), options.concurrency, static_cast<long long>(n), Millis(elapsed_ms).c_str(),
      static_cast<long long>(per_sec_tenths / 10), static_cast<long long>(per_sec_tenths % 10),
      static_cast<long long>(Percentile(submitted.latencies_ms, 50)),
      static_cast<long long>(Percentile(submitted.latencies_ms, 99)),
      static_cast<long long>(duplicates), static_cast<unsigned long long>(errors));
  std::fflush(stdout);
}

}  // namespace

int RunPayoutBench(const PayoutBenchOptions& options) {
  if (options.concurrency < 1 || options.n < 1) {
    std::fprintf(stderr, "bench payouts: need --concurrency >= 1 and --n >= 1\n");
    return 2;
  }
  std::unique_ptr<EmbeddedServer> embedded;
  std::string admin;
  // The simulator's list of every payout it holds runs to megabytes.
  net::HttpClientOptions client_options;
  client_options.response_bytes_max = 512 << 20;
  const net::HttpClient http(client_options);
  try {
    std::fprintf(stderr, "bench payouts: starting a sandbox server\n");
    embedded = std::make_unique<EmbeddedServer>(options.database_url, "payouts");
    admin = embedded->server().keys().Create("default", ScopeSet{Scope::kAdmin});
    Prepare(http, embedded->url(), admin, options);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "bench payouts: %s\n", error.what());
    return 2;
  }
  const Endpoint endpoint = ResolveEndpoint(embedded->url());
  const std::string body = R"({"customer":"bench","asset":"USDT","amount":")" + options.amount +
                           R"(","origin":"manual","destination":{"kind":"crypto_address",)"
                           R"("network":"TRON","address":")" +
                           std::string(kTronAddress) + R"("}})";
  const std::string run = "bench-" + HexEncode(RandomBytes(8)) + "-";
  // One payout first, untimed: the first call opens the ledger accounts and the provider's lane.
  Tally warmup = LoadClient(endpoint, "/v1/payouts", admin, body, run + "warmup-").Run(1, 1);
  if (warmup.errors != 0 ||
      WaitForSubmitted(embedded->database_url(), run + "warmup-", 1).references.empty()) {
    ReportFailures(warmup);
    std::fprintf(stderr, "bench payouts: the warm-up payout was not submitted\n");
    return 1;
  }
  std::fprintf(stderr, "bench payouts: %llu payouts from %d connections\n",
               static_cast<unsigned long long>(options.n), options.concurrency);
  const int64_t started_ms = WallMs();
  Tally tally = LoadClient(endpoint, "/v1/payouts", admin, body, run + "t-")
                    .Run(options.concurrency, options.n);
  Submitted submitted = WaitForSubmitted(embedded->database_url(), run + "t-", options.n);
  uint64_t errors = tally.errors;
  if (submitted.references.size() != options.n) {
    std::fprintf(stderr, "bench payouts: %zu of %llu payouts were SUBMITTED\n",
                 submitted.references.size(), static_cast<unsigned long long>(options.n));
    errors += options.n - std::min<uint64_t>(options.n, submitted.references.size());
  }
  const int64_t duplicates = Duplicates(http, embedded->url(), submitted.references.size() + 1);
  ReportFailures(tally);
  PrintResult(options, embedded->backend(), submitted, started_ms, errors, duplicates);
  return errors == 0 && duplicates == 0 ? 0 : 1;
}

}  // namespace cambista::app
