// What the HTTP benchmarks share (`cambista bench charges`, `cambista bench payouts`): a load
// client holding C keep-alive connections over loopback from one thread (epoll), each with one POST
// in flight under a fresh Idempotency-Key, so the client stays far from being the bottleneck and
// its own CPU time is known; and integer-only timing helpers. Timing is reported, never asserted.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <ctime>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace cambista::app {

int64_t NowUs();                 // CLOCK_MONOTONIC
int64_t CpuUs(clockid_t clock);  // CPU time of a clock (CLOCK_PROCESS_CPUTIME_ID, ...)
// Microseconds as milliseconds with three decimals ("12.345"), from integers.
std::string Millis(int64_t us);
// The nearest-rank percentile `percent` of sorted values: the smallest value with at least that
// share of all values at or below it.
int64_t Percentile(const std::vector<int64_t>& sorted, uint64_t percent);

// One HTTP/1.1 response taken off the front of `in`: its status (0 while incomplete, -1 when it
// is not one we can read: the client needs Content-Length, which the server always sends).
struct ParsedResponse {
  int status = 0;
  bool close = false;
  std::string body;
};
ParsedResponse TakeResponse(std::string& in);

struct Endpoint {
  std::string host_header;  // "HOST:PORT" as written in the URL
  sockaddr_storage address{};
  socklen_t address_length = 0;
};

// "http://HOST:PORT" (a trailing "/" allowed) resolved once; https is not spoken here.
Endpoint ResolveEndpoint(std::string_view url);

struct Tally {
  std::vector<int64_t> latencies_us;  // every request's, answered or failed
  uint64_t errors = 0;
  std::map<int, uint64_t> statuses;  // HTTP status -> count; 0: transport failure or timeout
  std::vector<std::string> samples;  // the first failures, for stderr
  std::string first_created;         // the body of the first 201 answer
  int64_t elapsed_us = 0;
  int64_t client_cpu_us = 0;
};

// Prints the failures of a run to stderr (nothing when there were none).
void ReportFailures(const Tally& tally);

// C keep-alive connections driven by one thread with epoll; each keeps one POST `path` (a fresh
// Idempotency-Key each) in flight until n have been answered.
class LoadClient {
 public:
  LoadClient(const Endpoint& endpoint, std::string path, std::string api_key, std::string body,
             std::string key_prefix)
      : endpoint_(endpoint),
        path_(std::move(path)),
        api_key_(std::move(api_key)),
        body_(std::move(body)),
        key_prefix_(std::move(key_prefix)) {}
  ~LoadClient() {
    for (Conn& conn : conns_) Close(conn);
    CloseEpoll();
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

  void CloseEpoll();
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
  const std::string path_;
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

}  // namespace cambista::app
