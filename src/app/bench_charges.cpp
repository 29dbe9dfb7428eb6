#include "app/bench_charges.hpp"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <map>
#include <memory>
#include <stdexcept>
#include <string_view>
#include <vector>

#include "api/api_key_store.hpp"
#include "app/config.hpp"
#include "app/master_key.hpp"
#include "app/server.hpp"
#include "security/hmac.hpp"
#include "security/scope.hpp"
#include "store/database.hpp"

namespace cambista::app {
namespace {

constexpr int64_t kRequestTimeoutUs = 60'000'000;  // past the server's own 504
constexpr int64_t kStopGraceMs = 5'000;
constexpr size_t kFailureSamplesMax = 3;
constexpr size_t kReadChunkBytes = 16 << 10;
constexpr int kEpollWaitMs = 100;
// The benchmark measures charge creation, not the per-key rate limiter: it is opened wide.
constexpr int64_t kBenchRateLimit = 1'000'000'000;

int64_t NowUs() {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  return int64_t{now.tv_sec} * 1'000'000 + now.tv_nsec / 1'000;
}

int64_t CpuUs(clockid_t clock) {
  timespec spent{};
  clock_gettime(clock, &spent);
  return int64_t{spent.tv_sec} * 1'000'000 + spent.tv_nsec / 1'000;
}

// Microseconds as milliseconds with three decimals ("12.345"), from integers.
std::string Millis(int64_t us) {
  char text[32];
  std::snprintf(text, sizeof text, "%lld.%03lld", static_cast<long long>(us / 1'000),
                static_cast<long long>(us % 1'000));
  return text;
}

// The nearest-rank percentile `percent` of sorted values: the smallest value with at least that
// share of all values at or below it.
int64_t Percentile(const std::vector<int64_t>& sorted, uint64_t percent) {
  if (sorted.empty()) return 0;
  const uint64_t rank = (percent * sorted.size() + 99) / 100;
  return sorted[std::max<uint64_t>(rank, 1) - 1];
}

struct Endpoint {
  std::string host_header;  // "HOST:PORT" as written in the URL
  sockaddr_storage address{};
  socklen_t address_length = 0;
};

// "http://HOST:PORT" (a trailing "/" allowed) resolved once; https is not spoken here.
Endpoint ResolveEndpoint(std::string_view url) {
  constexpr std::string_view kScheme = "http://";
  if (!url.starts_with(kScheme)) throw std::runtime_error("--url must be http://HOST:PORT");
  std::string_view authority = url.substr(kScheme.size());
  if (authority.ends_with('/')) authority.remove_suffix(1);
  const size_t colon = authority.rfind(':');
  if (colon == std::string_view::npos || authority.find('/') != std::string_view::npos) {
    throw std::runtime_error("--url must be http://HOST:PORT");
  }
  std::string host(authority.substr(0, colon));
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  const std::string port(authority.substr(colon + 1));
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (getaddrinfo(host.c_str(), port.c_str(), &hints, &found) != 0 || found == nullptr) {
    throw std::runtime_error("cannot resolve " + std::string(authority));
  }
  Endpoint endpoint;
  endpoint.host_header = std::string(authority);
  std::memcpy(&endpoint.address, found->ai_addr, found->ai_addrlen);
  endpoint.address_length = found->ai_addrlen;
  freeaddrinfo(found);
  return endpoint;
}

// One HTTP/1.1 response taken off the front of `in`: its status (0 while incomplete, -1 when it
// is not one we can read: the client needs Content-Length, which the server always sends).
struct ParsedResponse {
  int status = 0;
  bool close = false;
  std::string body;
};

ParsedResponse TakeResponse(std::string& in) {
  ParsedResponse parsed;
  const size_t header_end = in.find("\r\n\r\n");
  if (header_end == std::string::npos) return parsed;
  if (in.size() < 12 || !in.starts_with("HTTP/1.")) {
    parsed.status = -1;
    return parsed;
  }
  std::string head = in.substr(0, header_end);
  for (char& c : head) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const size_t length_at = head.find("\r\ncontent-length:");
  if (length_at == std::string::npos) {
    parsed.status = -1;
    return parsed;
  }
  const size_t length = std::strtoull(head.c_str() + length_at + 17, nullptr, 10);
  if (in.size() < header_end + 4 + length) return parsed;
  parsed.status = std::atoi(in.c_str() + 9);
  parsed.close = head.find("\r\nconnection: close") != std::string::npos;
  parsed.body = in.substr(header_end + 4, length);
  in.erase(0, header_end + 4 + length);
  return parsed;
}

// What the load came to.
struct Tally {
  std::vector<int64_t> latencies_us;  // every request's, answered or failed
  uint64_t errors = 0;
  std::map<int, uint64_t> statuses;  // HTTP status -> count; 0: transport failure or timeout
  std::vector<std::string> samples;  // the first failures, for stderr
  std::string gateway;               // as the first created charge names it
  int64_t elapsed_us = 0;
  int64_t client_cpu_us = 0;
};

// C keep-alive connections driven by one thread with epoll; each keeps one POST /v1/charges in
// flight until n have been answered.
class LoadClient {
 public:
  LoadClient(const Endpoint& endpoint, std::string api_key, std::string body,
             std::string key_prefix)
      : endpoint_(endpoint),
        api_key_(std::move(api_key)),
        body_(std::move(body)),
        key_prefix_(std::move(key_prefix)) {}
  ~LoadClient() {
    for (Conn& conn : conns_) Close(conn);
    if (epoll_ >= 0) ::close(epoll_);
  }
  LoadClient(const LoadClient&) = delete;
  LoadClient& operator=(const LoadClient&) = delete;

  Tally Run(int concurrency, uint64_t n);

 private:
  struct Conn {
    int fd = -1;
    std::string out;
    size_t written = 0;
    std::string in;
    int64_t started_us = 0;
    bool in_flight = false;
  };

  bool Open(Conn& conn);
  void Close(Conn& conn);
  bool Issue(Conn& conn);
  bool Flush(Conn& conn);
  void Next(Conn& conn);
  void Record(Conn& conn, int status, std::string_view body);
  void Fail(Conn& conn, std::string_view why);
  void Handle(Conn& conn, uint32_t events);
  void ExpireStale();

  const Endpoint endpoint_;
  const std::string api_key_;
  const std::string body_;
  const std::string key_prefix_;
  int epoll_ = -1;
  std::vector<Conn> conns_;
  uint64_t n_ = 0;
  uint64_t issued_ = 0;
  uint64_t done_ = 0;
  Tally tally_;
};

bool LoadClient::Open(Conn& conn) {
  conn.fd = ::socket(endpoint_.address.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (conn.fd < 0) return false;
  // A blocking connect: over loopback it is immediate, and it happens before the clock starts or
  // after a failure only.
  if (::connect(conn.fd, reinterpret_cast<const sockaddr*>(&endpoint_.address),
                endpoint_.address_length) != 0) {
    Close(conn);
    return false;
  }
  const int one = 1;
  ::setsockopt(conn.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  ::fcntl(conn.fd, F_SETFL, ::fcntl(conn.fd, F_GETFL) | O_NONBLOCK);
  epoll_event event{};
  event.events = EPOLLIN;
  event.data.ptr = &conn;
  ::epoll_ctl(epoll_, EPOLL_CTL_ADD, conn.fd, &event);
  conn.in.clear();
  return true;
}

void LoadClient::Close(Conn& conn) {
  if (conn.fd < 0) return;
  ::close(conn.fd);  // also leaves the epoll set
  conn.fd = -1;
  conn.in_flight = false;
}

bool LoadClient::Issue(Conn& conn) {
  const std::string key = key_prefix_ + std::to_string(issued_++);
  conn.out =
      "POST /v1/charges HTTP/1.1\r\nHost: " + endpoint_.host_header + "\r\nAuthorization: Bearer " +
      api_key_ + "\r\nIdempotency-Key: " + key +
      "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body_.size()) +
      "\r\n\r\n" + body_;
  conn.written = 0;
  conn.in_flight = true;
  conn.started_us = NowUs();
  return Flush(conn);
}

// Writes what the socket takes; asks for EPOLLOUT while something is left. False on an error.
bool LoadClient::Flush(Conn& conn) {
  while (conn.written < conn.out.size()) {
    const ssize_t sent = ::send(conn.fd, conn.out.data() + conn.written,
                                conn.out.size() - conn.written, MSG_NOSIGNAL);
    if (sent > 0) {
      conn.written += static_cast<size_t>(sent);
      continue;
    }
    if (sent < 0 && errno == EINTR) continue;
    if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    return false;
  }
  epoll_event event{};
  event.events = conn.written < conn.out.size() ? EPOLLIN | EPOLLOUT : EPOLLIN;
  event.data.ptr = &conn;
  ::epoll_ctl(epoll_, EPOLL_CTL_MOD, conn.fd, &event);
  return true;
}

// The connection's next request, reconnecting if it was closed; none left: it closes.
void LoadClient::Next(Conn& conn) {
  while (issued_ < n_) {
    if (conn.fd < 0 && !Open(conn)) {
      Fail(conn, "cannot connect");
      continue;
    }
    if (Issue(conn)) return;
    Fail(conn, "write failed");
  }
  Close(conn);
}

void LoadClient::Record(Conn& conn, int status, std::string_view body) {
  tally_.latencies_us.push_back(NowUs() - conn.started_us);
  ++tally_.statuses[status];
  ++done_;
  conn.in_flight = false;
  if (status == 201) {
    constexpr std::string_view kGateway = "\"gateway\":\"";
    if (const size_t at = body.find(kGateway);
        tally_.gateway.empty() && at != std::string_view::npos) {
      const size_t from = at + kGateway.size();
      tally_.gateway = std::string(body.substr(from, body.find('"', from) - from));
    }
    return;
  }
  ++tally_.errors;
  if (tally_.samples.size() < kFailureSamplesMax) {
    tally_.samples.push_back(std::to_string(status) + " " + std::string(body.substr(0, 300)));
  }
}

// A failure of the connection: the request in flight (or, before one, a request that could not
// be sent) counts as an error, and the connection is closed (Next reconnects).
void LoadClient::Fail(Conn& conn, std::string_view why) {
  if (!conn.in_flight && conn.fd >= 0) {  // closed while idle: nothing was lost
    Close(conn);
    return;
  }
  if (!conn.in_flight) {
    conn.started_us = NowUs();
    if (conn.fd < 0) ++issued_;  // the request it could not send is used up
  }
  Record(conn, 0, why);
  Close(conn);
}

void LoadClient::Handle(Conn& conn, uint32_t events) {
  if ((events & EPOLLOUT) != 0 && !Flush(conn)) {
    Fail(conn, "write failed");
    Next(conn);
    return;
  }
  if ((events & (EPOLLIN | EPOLLERR | EPOLLHUP)) == 0) return;
  char buffer[kReadChunkBytes];
  for (;;) {
    const ssize_t got = ::recv(conn.fd, buffer, sizeof buffer, 0);
    if (got > 0) {
      conn.in.append(buffer, static_cast<size_t>(got));
      continue;
    }
    if (got < 0 && errno == EINTR) continue;
    if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    Fail(conn, got == 0 ? "connection closed by the server" : "read failed");
    Next(conn);
    return;
  }
  ParsedResponse response = TakeResponse(conn.in);
  if (response.status == 0) return;  // not all of it yet
  if (response.status < 0) {
    Fail(conn, "unreadable response");
  } else {
    Record(conn, response.status, response.body);
    if (response.close) Close(conn);
  }
  Next(conn);
}

void LoadClient::ExpireStale() {
  const int64_t now_us = NowUs();
  for (Conn& conn : conns_) {
    if (conn.fd >= 0 && conn.in_flight && now_us - conn.started_us > kRequestTimeoutUs) {
      Fail(conn, "no answer within the client's timeout");
      Next(conn);
    }
  }
}

Tally LoadClient::Run(int concurrency, uint64_t n) {
  n_ = n;
  epoll_ = ::epoll_create1(EPOLL_CLOEXEC);
  if (epoll_ < 0) throw std::runtime_error("epoll_create1 failed");
  conns_.resize(static_cast<size_t>(std::min<uint64_t>(static_cast<uint64_t>(concurrency), n)));
  for (Conn& conn : conns_) {
    if (!Open(conn)) throw std::runtime_error("cannot connect to " + endpoint_.host_header);
  }
  tally_.latencies_us.reserve(n);
  const int64_t cpu_before_us = CpuUs(CLOCK_THREAD_CPUTIME_ID);
  const int64_t started_us = NowUs();
  for (Conn& conn : conns_) Next(conn);
  std::vector<epoll_event> events(conns_.size());
  while (done_ < n_) {
    const int ready =
        ::epoll_wait(epoll_, events.data(), static_cast<int>(events.size()), kEpollWaitMs);
    for (int i = 0; i < ready; ++i) {
      Conn& conn = *static_cast<Conn*>(events[static_cast<size_t>(i)].data.ptr);
      if (conn.fd >= 0) Handle(conn, events[static_cast<size_t>(i)].events);
    }
    ExpireStale();
    const bool any_open =
        std::any_of(conns_.begin(), conns_.end(), [](const Conn& conn) { return conn.fd >= 0; });
    if (!any_open && done_ < n_) {  // every connection gave up (the server is gone)
      tally_.errors += n_ - done_;
      tally_.statuses[0] += n_ - done_;
      break;
    }
  }
  tally_.elapsed_us = NowUs() - started_us;
  tally_.client_cpu_us = CpuUs(CLOCK_THREAD_CPUTIME_ID) - cpu_before_us;
  return std::move(tally_);
}

std::string RequestBody(const ChargeBenchOptions& options) {
  std::string body = "{\"amount\":\"" + options.amount + "\",\"currency\":\"BRL\",";
  if (options.gateway) body += "\"gateway\":\"" + *options.gateway + "\",";
  return body +
         "\"description\":\"bench charge\",\"customer\":{\"name\":\"Bench Customer\","
         "\"document\":\"12345678909\",\"email\":\"bench@example.com\"}}";
}

// The server of `serve --sandbox`, in this process, on its own database and a free loopback port,
// with an API key for the tenant `default`; stopped and its temporary files removed when done.
class EmbeddedServer {
 public:
  explicit EmbeddedServer(const ChargeBenchOptions& options);
  ~EmbeddedServer() {
    if (server_) server_->Stop(kStopGraceMs);
    server_.reset();
    std::error_code ignored;
    std::filesystem::remove_all(directory_, ignored);
  }
  EmbeddedServer(const EmbeddedServer&) = delete;
  EmbeddedServer& operator=(const EmbeddedServer&) = delete;

  std::string url() const { return server_->url(); }
  const std::string& api_key() const { return api_key_; }
  std::string backend() const { return backend_; }
  // Charges under Idempotency-Keys starting with `key_prefix` now PENDING (created at a gateway),
  // read from the database.
  int64_t PendingCharges(const std::string& key_prefix) const;

 private:
  std::string directory_;
  std::string database_url_;
  std::string backend_;
  std::unique_ptr<Server> server_;
  std::string api_key_;
};

Config EmbeddedConfig(const ChargeBenchOptions& options, const std::string& directory) {
  const Environment environment = EnvironmentFromProcess();
  auto loaded = LoadConfig(std::nullopt, environment);
  if (!loaded.ok()) throw std::runtime_error("configuration: " + loaded.error().ToString());
  Config config = std::move(loaded).value();
  config.database_url = options.database_url.value_or("sqlite:" + directory + "/bench.db");
  config.listen_host = "127.0.0.1";
  config.listen_port = 0;
  config.sandbox = true;
  config.rate_key_burst = kBenchRateLimit;
  config.rate_key_per_second = kBenchRateLimit;
  // A request log line per request would flood the terminal; CAMBISTA_LOG_LEVEL=info keeps it.
  if (!environment.contains("CAMBISTA_LOG_LEVEL")) config.log_level = "warn";
  const bool postgres = !config.database_url.starts_with("sqlite");
  if (config.master_key_file.empty() && config.master_key_hex.empty() &&
      (!options.database_url || postgres)) {
    config.master_key_file = directory + "/bench.key";
  }
  return config;
}

EmbeddedServer::EmbeddedServer(const ChargeBenchOptions& options) {
  char pattern[] = "/tmp/cambista-bench-charges.XXXXXX";
  if (::mkdtemp(pattern) == nullptr) throw std::runtime_error("cannot create a temporary dir");
  directory_ = pattern;
  const Config config = EmbeddedConfig(options, directory_);
  database_url_ = config.database_url;
  DatabaseKeys keys;
  {
    auto database = store::Open(database_url_);
    backend_ = std::string(store::BackendName(database->backend()));
    SystemClock clock;
    auto unsealed = MigrateAndUnseal(config, *database, clock);
    if (!unsealed.ok()) throw std::runtime_error(unsealed.error());
    keys = unsealed.value().keys;
  }
  server_ = std::make_unique<Server>(config, keys);
  server_->Start();
  api_key_ = server_->keys().Create("default", ScopeSet{Scope::kChargesWrite});
}

int64_t EmbeddedServer::PendingCharges(const std::string& key_prefix) const {
  auto database = store::Open(database_url_);
  auto connection = database->Connect();
  int64_t count = 0;
  const std::string pattern = key_prefix + "%";  // the prefix has no LIKE wildcards
  connection->Query(
      "SELECT COUNT(*) FROM charges WHERE tenant = $1 AND status = $2 AND idempotency_key LIKE $3",
      {std::string_view("default"), std::string_view("PENDING"), std::string_view(pattern)},
      [&count](const store::Row& row) { count = row.Int64(0); });
  return count;
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
      backend.c_str(), tally.gateway.c_str(), options.concurrency, static_cast<long long>(n),
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

void ReportFailures(const Tally& tally) {
  if (tally.errors == 0) return;
  std::string statuses;
  for (const auto& [status, count] : tally.statuses) {
    statuses += (statuses.empty() ? "" : ", ") + std::to_string(count) + " x " +
                (status == 0 ? std::string("no answer") : std::to_string(status));
  }
  std::fprintf(stderr, "bench charges: %llu errors (%s); first ones:\n",
               static_cast<unsigned long long>(tally.errors), statuses.c_str());
  for (const std::string& sample : tally.samples) std::fprintf(stderr, "  %s\n", sample.c_str());
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
      embedded = std::make_unique<EmbeddedServer>(options);
      url = embedded->url();
      api_key = embedded->api_key();
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
  Tally warmup = LoadClient(endpoint, api_key, body, run + "warmup-").Run(1, 1);
  if (warmup.errors != 0) {
    ReportFailures(warmup);
    return 1;
  }
  std::fprintf(stderr, "bench charges: %llu charges from %d connections to %s\n",
               static_cast<unsigned long long>(options.n), options.concurrency, url.c_str());
  const int64_t process_cpu_before_us = CpuUs(CLOCK_PROCESS_CPUTIME_ID);
  Tally tally = LoadClient(endpoint, api_key, body, run).Run(options.concurrency, options.n);
  // In-process only: the CPU of the server's threads is this process's, less the client's.
  const int64_t process_cpu_us =
      embedded ? CpuUs(CLOCK_PROCESS_CPUTIME_ID) - process_cpu_before_us : -1;
  if (embedded) {
    const int64_t created = static_cast<int64_t>(options.n - tally.errors) + 1;  // + the warm-up
    const int64_t pending = embedded->PendingCharges(run);
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
