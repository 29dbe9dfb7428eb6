#include "app/bench_load.hpp"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

namespace cambista::app {
namespace {

constexpr int64_t kRequestTimeoutUs = 60'000'000;  // past the server's own 504
constexpr size_t kFailureSamplesMax = 3;
constexpr size_t kReadChunkBytes = 16 << 10;
constexpr int kEpollWaitMs = 100;

}  // namespace

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

void LoadClient::CloseEpoll() {
  if (epoll_ >= 0) ::close(epoll_);
}

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
      "POST " + path_ + " HTTP/1.1\r\nHost: " + endpoint_.host_header +
      "\r\nAuthorization: Bearer " + api_key_ + "\r\nIdempotency-Key: " + key +
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
    if (tally_.first_created.empty()) tally_.first_created = body;
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

void ReportFailures(const Tally& tally) {
  if (tally.errors == 0) return;
  std::string statuses;
  for (const auto& [status, count] : tally.statuses) {
    statuses += (statuses.empty() ? "" : ", ") + std::to_string(count) + " x " +
                (status == 0 ? std::string("no answer") : std::to_string(status));
  }
  std::fprintf(stderr, "bench: %llu errors (%s); first ones:\n",
               static_cast<unsigned long long>(tally.errors), statuses.c_str());
  for (const std::string& sample : tally.samples) std::fprintf(stderr, "  %s\n", sample.c_str());
}

}  // namespace cambista::app
