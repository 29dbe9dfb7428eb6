#include "app/bench_charges.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string_view>
#include <vector>

#include "api/api_key_store.hpp"
#include "app/bench_load.hpp"
#include "app/bench_server.hpp"
#include "security/hmac.hpp"
#include "security/scope.hpp"
#include "store/database.hpp"

namespace cambista::app {
namespace {

std::string RequestBody(const ChargeBenchOptions& options) {
  std::string body = "{\"amount\":\"" + options.amount + "\",\"currency\":\"BRL\",";
  if (options.gateway) body += "\"gateway\":\"" + *options.gateway + "\",";
  return body +
         "\"description\":\"bench charge\",\"customer\":{\"name\":\"Bench Customer\","
         "\"document\":\"12345678909\",\"email\":\"bench@example.com\"}}";
}

// Charges under Idempotency-Keys starting with `key_prefix` now PENDING (created at a gateway),
// read from the database.
int64_t PendingCharges(const std::string& database_url, const std::string& key_prefix) {
  auto database = store::Open(database_url);
  auto connection = database->Connect();
  int64_t count = 0;
  const std::string pattern = key_prefix + "%";  // the prefix has no LIKE wildcards
  connection->Query(
      "SELECT COUNT(*) FROM charges WHERE tenant = $1 AND status = $2 AND idempotency_key LIKE $3",
      {std::string_view("default"), std::string_view("PENDING"), std::string_view(pattern)},
      [&count](const store::Row& row) { count = row.Int64(0); });
  return count;
}

// The gateway the first created charge names.
std::string GatewayOf(const Tally& tally) {
  constexpr std::string_view kGateway = "\"gateway\":\"";
  const size_t at = tally.first_created.find(kGateway);
  if (at == std::string::npos) return "";
  const size_t from = at + kGateway.size();
  return tally.first_created.substr(from, tally.first_created.find('"', from) - from);
}

void PrintResult(const ChargeBenchOptions& options, const std::string& backend, Tally& tally,
                 int64_t process_cpu_us) {
  std::sort(tally.latencies_us.begin(), tally.latencies_us.end());
  const auto n = static_cast<int64_t>(options.n);
  const int64_t elapsed_us = std::max<int64_t>(tally.elapsed_us, 1);
  const int64_t per_sec_tenths = n * 10'000'000 / elapsed_us;
  const int64_t others_cpu_us = std::max<int64_t>(process_cpu_us - tally.client_cpu_us, 0);
  std::printf(
      "{\"backend\":\"%s\",\"gateway\":\"%s\",\"concurrency\":%d,\"n\":%lld,\"seconds\":%s,"
      "\"per_sec\":%lld.%lld,\"p50_ms\":%s,\"p90_ms\":%s,\"p99_ms\":%s,\"max_ms\":%s,"
      "\"errors\":%llu,\"client_cpu_us_per_charge\":%lld,\"server_cpu_us_per_charge\":%s}\n",
      backend.c_str(), GatewayOf(tally).c_str(), options.concurrency, static_cast<long long>(n),
      Millis(elapsed_us / 1'000).c_str(), static_cast<long long>(per_sec_tenths / 10),
      static_cast<long long>(per_sec_tenths % 10),
      Millis(Percentile(tally.latencies_us, 50)).c_str(),
      Millis(Percentile(tally.latencies_us, 90)).c_str(),
      Millis(Percentile(tally.latencies_us, 99)).c_str(),
      Millis(tally.latencies_us.empty() ? 0 : tally.latencies_us.back()).c_str(),
      static_cast<unsigned long long>(tally.errors),
      static_cast<long long>(tally.client_cpu_us / std::max<int64_t>(n, 1)),
      process_cpu_us < 0 ? "null"
                         : std::to_string(others_cpu_us / std::max<int64_t>(n, 1)).c_str());
  std::fflush(stdout);
}

}  // namespace

int RunChargeBench(const ChargeBenchOptions& options) {
  if (options.concurrency < 1 || options.n < 1) {
    std::fprintf(stderr, "bench charges: need --concurrency >= 1 and --n >= 1\n");
    return 2;
  }
  std::unique_ptr<EmbeddedServer> embedded;
  std::string url;
  std::string api_key;
  std::string backend = "remote";
  try {
    if (options.url) {
      const char* key = std::getenv("CAMBISTA_BENCH_KEY");
      if (key == nullptr || *key == '\0') {
        std::fprintf(stderr, "bench charges: --url needs an API key in CAMBISTA_BENCH_KEY\n");
        return 2;
      }
      url = *options.url;
      api_key = key;
    } else {
      std::fprintf(stderr, "bench charges: starting a sandbox server\n");
      embedded = std::make_unique<EmbeddedServer>(options.database_url, "charges");
      url = embedded->url();
      api_key = embedded->server().keys().Create("default", ScopeSet{Scope::kChargesWrite});
      backend = embedded->backend();
    }
  } catch (const std::exception& error) {
    std::fprintf(stderr, "bench charges: %s\n", error.what());
    return 2;
  }
  const Endpoint endpoint = ResolveEndpoint(url);
  const std::string body = RequestBody(options);
  // Keys of this run only, so that runs against one server never replay each other's charges.
  const std::string run = "bench-" + HexEncode(RandomBytes(8)) + "-";
  // One charge first, untimed: the first call at a gateway fetches its token and creates the
  // ledger accounts of the tenant there, once per server.
  Tally warmup = LoadClient(endpoint, "/v1/charges", api_key, body, run + "warmup-").Run(1, 1);
  if (warmup.errors != 0) {
    ReportFailures(warmup);
    return 1;
  }
  std::fprintf(stderr, "bench charges: %llu charges from %d connections to %s\n",
               static_cast<unsigned long long>(options.n), options.concurrency, url.c_str());
  const int64_t process_cpu_before_us = CpuUs(CLOCK_PROCESS_CPUTIME_ID);
  Tally tally =
      LoadClient(endpoint, "/v1/charges", api_key, body, run).Run(options.concurrency, options.n);
  // In-process only: the CPU of the server's threads is this process's, less the client's.
  const int64_t process_cpu_us =
      embedded ? CpuUs(CLOCK_PROCESS_CPUTIME_ID) - process_cpu_before_us : -1;
  if (embedded) {
    const int64_t created = static_cast<int64_t>(options.n - tally.errors) + 1;  // + the warm-up
    const int64_t pending = PendingCharges(embedded->database_url(), run);
    if (pending != created) {
      std::fprintf(stderr, "bench charges: %lld charges answered 201 but %lld are PENDING\n",
                   static_cast<long long>(created), static_cast<long long>(pending));
      tally.errors += 1;
    }
  }
  ReportFailures(tally);
  PrintResult(options, backend, tally, process_cpu_us);
  return tally.errors == 0 ? 0 : 1;
}

}  // namespace cambista::app
