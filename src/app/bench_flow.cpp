#include "app/bench_flow.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "api/api_key_store.hpp"
#include "app/api_client.hpp"
#include "app/bench_server.hpp"
#include "app/stream_client.hpp"
#include "payins/provider_json.hpp"
#include "security/hmac.hpp"
#include "security/scope.hpp"

namespace cambista::app {
namespace {

constexpr std::string_view kTronAddress = "TNPeeaaFB7K9cmo4uQpcU32zGK8G1NYqeL";
// A worker that has heard nothing of its trade on the stream for this long reads the trade.
constexpr int64_t kStreamQuietMs = 3'000;
constexpr int64_t kStreamReadMs = 200;
constexpr int kKycLevelWithoutLimit = 3;
constexpr uint64_t kUsdtPerFlowMax = 20;  // 100.00 BRL buys ~17.6 USDT
constexpr uint64_t kSandboxUsdtFloat = 100'000;
constexpr size_t kFailureSamplesMax = 3;

int64_t WallMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int64_t ToInt(const std::string& text) {
  return text.empty() ? 0 : std::strtoll(text.c_str(), nullptr, 10);
}

// A trade's end: its status and what the figures need.
struct Ending {
  std::string status;
  std::string payout_id;
  int64_t at_ms = 0;  // the trade's updated_at_ms
};

bool IsEnd(std::string_view status) {
  for (std::string_view end :
       {"COMPLETED", "REFUNDED", "EXPIRED", "CANCELLED", "MANUAL_REVIEW", "REFUND_PENDING"}) {
    if (status == end) return true;  // REFUND_PENDING and MANUAL_REVIEW: no COMPLETED ahead
  }
  return false;
}

// The ends of the trades as the stream tells them, for the workers to wait on.
class Endings {
 public:
  void Record(std::string trade_id, Ending ending) {
    {
      std::lock_guard lock(mutex_);
      ends_.insert_or_assign(std::move(trade_id), std::move(ending));
    }
    changed_.notify_all();
  }
  std::optional<Ending> Wait(const std::string& trade_id, int64_t timeout_ms) {
    std::unique_lock lock(mutex_);
    std::optional<Ending> found;
    changed_.wait_for(lock, std::chrono::milliseconds(timeout_ms), [&] {
      const auto it = ends_.find(trade_id);
      if (it != ends_.end()) found = it->second;
      return found.has_value();
    });
    return found;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::unordered_map<std::string, Ending> ends_;
};

struct Flow {
  std::string trade_id;
  std::string charge_id;
  std::string error;  // a request that failed
  Ending ending;
};

struct Bench {
  const FlowBenchOptions& options;
  std::string url{};
  std::string key{};
  std::string backend{};
  std::string run{};  // prefix of this run's ids and Idempotency-Keys
  Endpoint endpoint{};
  Endings endings{};
  std::vector<Flow> flows{};
  std::atomic<bool> stopping{false};
};

std::optional<Ending> EndingOf(const payins::JsonNode& trade) {
  const auto text = [&](std::string_view name) {
    const payins::JsonNode* member = trade.Find(name);
    return member != nullptr && (member->IsString() || member->IsNumber())
               ? std::string(member->text())
               : std::string();
  };
  const std::string status = text("status");
  if (!IsEnd(status)) return std::nullopt;
  return Ending{status, text("payout_id"), ToInt(text("updated_at_ms"))};
}

// The stream's reader: every trade that ends, into `bench.endings`.
void Watch(Bench& bench, StreamClient& stream) {
  while (!bench.stopping.load() && !stream.closed()) {
    const auto message = stream.Next(kStreamReadMs);
    if (!message) continue;
    auto document = payins::JsonDocument::Parse(*message);
    if (!document.ok()) continue;
    const payins::JsonNode* event = document.value().root().Find("event");
    const payins::JsonNode* data = event != nullptr ? event->Find("data") : nullptr;
    const payins::JsonNode* id = data != nullptr ? data->Find("id") : nullptr;
    if (id == nullptr || !id->IsString()) continue;
    if (auto ending = EndingOf(*data)) bench.endings.Record(std::string(id->text()), *ending);
  }
}

// Runs `work(client, i)` for every i below `count` from `threads` threads, each with its own
// keep-alive connection.
void ParallelFor(const Bench& bench, int threads, uint64_t count,
                 const std::function<void(ApiClient&, uint64_t)>& work) {
  std::atomic<uint64_t> next{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      ApiClient api(bench.endpoint, bench.key);
      for (uint64_t i = next++; i < count; i = next++) work(api, i);
    });
  }
  for (std::thread& thread : pool) thread.join();
}

// Quote, trade, pay: the requests of one flow; false with flow.error.
bool Start(Bench& bench, ApiClient& api, Flow& flow, const std::string& customer,
           const std::string& idempotency_key) {
  const ApiReply quote =
      api.Send("POST", "/v1/quotes",
               R"({"from_asset":"BRL","to_asset":"USDT","amount":")" + bench.options.amount +
                   R"(","amount_side":"spend","customer":")" + customer + R"("})");
  if (quote.status != 201) {
    flow.error = "quote: " + quote.Describe();
    return false;
  }
  const ApiReply trade =
      api.Send("POST", "/v1/trades",
               R"({"quote_id":")" + quote.Field("id") + R"(","customer":")" + customer +
                   R"(","destination":{"kind":"crypto_address","network":"TRON","address":")" +
                   std::string(kTronAddress) + R"("}})",
               idempotency_key);
  if (trade.status != 201) {
    flow.error = "trade: " + trade.Describe();
    return false;
  }
  flow.trade_id = trade.Field("id");
  flow.charge_id = trade.Field({"charge", "id"});
  const ApiReply paid = api.Send("POST",
                                 "/sandbox/" + trade.Field({"charge", "gateway"}) + "/charges/" +
                                     trade.Field({"charge", "gateway_charge_id"}) + "/pay",
                                 "", "", false);
  if (!paid.ok()) {
    flow.error = "pay: " + paid.Describe();
    return false;
  }
  return true;
}

// One flow from its quote to its trade's end (or its deadline).
void RunFlow(Bench& bench, ApiClient& api, Flow& flow, const std::string& customer,
             const std::string& idempotency_key) {
  const int64_t deadline_us = NowUs() + bench.options.flow_timeout_ms * 1'000;
  if (!Start(bench, api, flow, customer, idempotency_key)) return;
  while (NowUs() < deadline_us) {
    if (auto ending = bench.endings.Wait(flow.trade_id, kStreamQuietMs)) {
      flow.ending = *ending;
      return;
    }
    // The stream has said nothing of it for a while: read the trade itself.
    const ApiReply trade = api.Get("/v1/trades/" + flow.trade_id);
    auto document = payins::JsonDocument::Parse(trade.body);
    if (trade.ok() && document.ok()) {
      if (auto ending = EndingOf(document.value().root())) {
        flow.ending = *ending;
        return;
      }
    }
  }
}

std::string CustomerOf(const Bench& bench, uint64_t worker) {
  return bench.run + "-" + std::to_string(worker);
}

// One request of the setup, which must succeed.
void Must(const ApiReply& reply, std::string_view what) {
  if (!reply.ok()) throw std::runtime_error(std::string(what) + ": " + reply.Describe());
}

// Rates, the simulator's settling and balance, the ledger's float, the customers.
void Prepare(const Bench& bench) {
  ApiClient api(bench.endpoint, bench.key);
  Must(api.Send("PUT", "/sandbox/rates/USDT-BRL", R"({"bid":"5.40","ask":"5.50"})", "", false),
       "PUT /sandbox/rates/USDT-BRL (is the server in sandbox mode?)");
  const uint64_t usdt = (bench.options.flows + 1) * kUsdtPerFlowMax;
  Must(api.Send("POST", "/sandbox/heleket/settings",
                R"({"auto_settle_ms":1,"currency":"USDT","balance":")" +
                    std::to_string(usdt + kSandboxUsdtFloat) + R"("})",
                "", false),
       "POST /sandbox/heleket/settings");
  Must(api.Send("POST", "/v1/treasury/deposits",
                R"({"account":"provider:heleket","asset":"USDT","amount":")" +
                    std::to_string(usdt) + R"(","reference":")" + bench.run + R"("})",
                bench.run + "-deposit"),
       "POST /v1/treasury/deposits");
  for (int worker = 0; worker <= bench.options.concurrency; ++worker) {
    Must(api.Send("PUT", "/v1/customers/" + CustomerOf(bench, static_cast<uint64_t>(worker)),
                  R"({"name":"Bench )" + std::to_string(worker) + R"(","kyc_level":)" +
                      std::to_string(kKycLevelWithoutLimit) + "}"),
         "PUT /v1/customers");
  }
}

// The webhook-to-SUBMITTED latency of each completed flow, from the server's records.
std::vector<int64_t> Latencies(Bench& bench) {
  std::vector<int64_t> latencies(bench.flows.size(), -1);
  ParallelFor(
      bench, bench.options.concurrency, bench.flows.size(), [&](ApiClient& api, uint64_t i) {
        const Flow& flow = bench.flows[i];
        if (flow.ending.status != "COMPLETED") return;
        const ApiReply charge = api.Get("/v1/charges/" + flow.charge_id);
        const ApiReply payout = api.Get("/v1/payouts/" + flow.ending.payout_id);
        auto document = payins::JsonDocument::Parse(payout.body);
        const payins::JsonNode* history =
            document.ok() ? document.value().root().Find("history") : nullptr;
        if (!charge.ok() || history == nullptr || !history->IsArray()) return;
        for (const payins::JsonNode& change : history->items()) {
          const payins::JsonNode* to = change.Find("to");
          const payins::JsonNode* at = change.Find("at_ms");
          if (to != nullptr && at != nullptr && to->text() == "SUBMITTED") {
            latencies[i] = ToInt(std::string(at->text())) - ToInt(charge.Field("paid_at_ms"));
            return;
          }
        }
      });
  std::erase(latencies, -1);
  std::sort(latencies.begin(), latencies.end());
  return latencies;
}

void PrintResult(Bench& bench, int64_t started_ms, uint64_t errors, uint64_t incomplete) {
  const std::vector<int64_t> latencies = Latencies(bench);
  int64_t last_ms = started_ms;
  for (const Flow& flow : bench.flows) last_ms = std::max(last_ms, flow.ending.at_ms);
  const auto n = static_cast<int64_t>(bench.flows.size());
  const int64_t elapsed_ms = std::max<int64_t>(last_ms - started_ms, 1);
  const int64_t per_sec_tenths = (n - static_cast<int64_t>(incomplete)) * 10'000 / elapsed_ms;
  std::printf(
      "{\"backend\":\"%s\",\"concurrency\":%d,\"flows\":%lld,\"seconds\":%s,"
      "\"flows_per_sec\":%lld.%lld,\"p50_ms\":%lld,\"p99_ms\":%lld,\"errors\":%llu,"
      "\"incomplete\":%llu}\n",
      bench.backend.c_str(), bench.options.concurrency, static_cast<long long>(n),
      Millis(elapsed_ms).c_str(), static_cast<long long>(per_sec_tenths / 10),
      static_cast<long long>(per_sec_tenths % 10),
      static_cast<long long>(Percentile(latencies, 50)),
      static_cast<long long>(Percentile(latencies, 99)), static_cast<unsigned long long>(errors),
      static_cast<unsigned long long>(incomplete));
  std::fflush(stdout);
}

// The timed flows, then the result; true when every flow completed.
bool Measure(Bench& bench) {
  bench.flows.resize(bench.options.flows);
  std::fprintf(stderr, "bench flow: %llu flows from %d workers\n",
               static_cast<unsigned long long>(bench.options.flows), bench.options.concurrency);
  const int64_t started_ms = WallMs();
  ParallelFor(bench, bench.options.concurrency, bench.flows.size(),
              [&bench](ApiClient& api, uint64_t i) {
                const uint64_t worker = i % static_cast<uint64_t>(bench.options.concurrency);
                RunFlow(bench, api, bench.flows[i], CustomerOf(bench, worker + 1),
                        bench.run + "-" + std::to_string(i));
              });
  uint64_t errors = 0;
  uint64_t incomplete = 0;
  std::vector<std::string> samples;
  for (const Flow& flow : bench.flows) {
    if (flow.ending.status == "COMPLETED") continue;
    ++incomplete;
    errors += flow.error.empty() ? 0 : 1;
    if (samples.size() < kFailureSamplesMax) {
      samples.push_back(!flow.error.empty() ? flow.error
                        : flow.ending.status.empty()
                            ? "trade " + flow.trade_id + " did not end in time"
                            : "trade " + flow.trade_id + " ended " + flow.ending.status);
    }
  }
  if (incomplete > 0) {
    std::fprintf(stderr, "bench flow: %llu flows did not complete; first ones:\n",
                 static_cast<unsigned long long>(incomplete));
    for (const std::string& sample : samples) std::fprintf(stderr, "  %s\n", sample.c_str());
  }
  PrintResult(bench, started_ms, errors, incomplete);
  return incomplete == 0;
}

// Setup, the stream, a warm-up flow, the measure; the exit code.
int Drive(Bench& bench) {
  try {
    Prepare(bench);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "bench flow: setup: %s\n", error.what());
    return 2;
  }
  StreamClient stream;
  std::string error;
  if (!stream.Open(bench.endpoint, bench.key, {"trades"}, error)) {
    std::fprintf(stderr, "bench flow: the event stream: %s\n", error.c_str());
    return 2;
  }
  std::thread watcher([&] { Watch(bench, stream); });
  bool passed = false;
  {
    // One flow first, untimed: it opens the ledger accounts, the lanes and the connections.
    ApiClient api(bench.endpoint, bench.key);
    Flow warmup;
    RunFlow(bench, api, warmup, CustomerOf(bench, 0), bench.run + "-warmup");
    if (warmup.ending.status != "COMPLETED") {
      std::fprintf(stderr, "bench flow: the warm-up flow did not complete: %s\n",
                   warmup.error.empty() ? warmup.ending.status.c_str() : warmup.error.c_str());
    } else {
      passed = Measure(bench);
    }
  }
  bench.stopping = true;
  watcher.join();
  return passed ? 0 : 1;
}

}  // namespace

int RunFlowBench(const FlowBenchOptions& options) {
  if (options.concurrency < 1 || options.flows < 1 || (options.url && !options.key) ||
      (options.url && options.database_url)) {
    std::fprintf(stderr,
                 "bench flow: need --concurrency >= 1, --flows >= 1, and --key with --url (not "
                 "--db)\n");
    return 2;
  }
  Bench bench{.options = options};
  bench.run = "bflow-" + HexEncode(RandomBytes(4));
  std::unique_ptr<EmbeddedServer> embedded;
  try {
    if (options.url) {
      bench.url = *options.url;
      bench.key = *options.key;
      bench.backend = "remote";
    } else {
      std::fprintf(stderr, "bench flow: starting a sandbox server\n");
      embedded = std::make_unique<EmbeddedServer>(options.database_url, "flow");
      bench.url = embedded->url();
      bench.key = embedded->server().keys().Create("default", ScopeSet{Scope::kAdmin});
      bench.backend = embedded->backend();
    }
    bench.endpoint = ResolveEndpoint(bench.url);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "bench flow: %s\n", error.what());
    return 2;
  }
  return Drive(bench);
}

}  // namespace cambista::app
