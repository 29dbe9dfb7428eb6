// Outbound HTTP/1.1 for webhooks and provider adapters: one request at a time per call, http:// and
// https:// (TLS with the system's trust store, or a CA file, and host name verification), a
// deadline on the whole exchange (resolve, connect, handshake, write, read) and a cap on the
// response size. Kept in http_client.cpp so callers never include Boost.Beast.
//
// Transport failures (no such host, refused, timed out, TLS failure, response too large or not
// HTTP) come back as an HttpClientError; any HTTP status, 5xx included, is a response.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.hpp"

namespace cambista::net {

struct ClientRequest {
  std::string method = "GET";
  std::string url;  // http://host[:port]/path?query or https://...
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;  // sent with Content-Length when non-empty or method is POST/PUT/PATCH
  int64_t timeout_ms = 10'000;
};

struct ClientResponse {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  // First value of a header, matched case-insensitively; empty when absent.
  std::string_view Header(std::string_view name) const;
};

struct HttpClientError {
  enum class Kind {
    kInvalidUrl,        // not http(s)://host..., or a scheme we do not speak
    kResolve,           // host name did not resolve
    kConnect,           // refused, unreachable
    kTls,               // handshake or certificate verification failed
    kTimeout,           // the deadline passed
    kProtocol,          // the peer did not answer with HTTP/1.x, or closed early
    kTooLarge,          // the response exceeded response_bytes_max
    kForbiddenAddress,  // public_addresses_only, and the host is (or resolves only to) a private,
                        // loopback, link-local or reserved address
  };
  Kind kind;
  std::string message;  // for logs and delivery records; never contains request headers or body
};

struct HttpClientOptions {
  int64_t response_bytes_max = 1 << 20;
  // Connect only to public addresses (IsPublicAddress), for URLs that others choose (webhook
  // endpoints): a URL must not reach the desk's own network, loopback or a cloud metadata
  // service. Checked on the addresses the host resolves to, which are the ones connected to, so a
  // name that resolves differently later (DNS rebinding) gains nothing.
  bool public_addresses_only = false;
  std::optional<std::string> ca_file;  // PEM bundle to trust instead of the system's store
  std::string user_agent = "cambista";
};

// True for an IP address (text, IPv4 or IPv6) a host on the public internet may have; false for
// loopback, unspecified, private (RFC 1918, unique local), shared (100.64/10), link-local,
// multicast, benchmarking, documentation and reserved ranges, for an IPv4-mapped or NAT64 form
// of one of those, and for text that is not an address.
bool IsPublicAddress(std::string_view address);

// Why Send would refuse `url` before any traffic: not an http(s) URL it can read, or, with
// `public_addresses_only`, a host given as an IP address that is not public (a host name is
// checked once resolved, when sending). nullopt when Send would go ahead.
std::optional<std::string> UrlRefusal(std::string_view url, bool public_addresses_only);

// The host of an http(s) URL and the addresses it resolves to now (text form, each once, in the
// resolver's order); an IP literal resolves to itself. For checking a URL that others choose
// before accepting it (a webhook endpoint): Send checks again on every request, since a name may
// resolve differently later.
struct ResolvedHost {
  std::string host;  // as written in the URL, without the brackets of an IPv6 literal
  std::vector<std::string> addresses;
};
// Fails with kInvalidUrl, kResolve (no such name, or no addresses) or kTimeout.
Result<ResolvedHost, HttpClientError> ResolveUrlHost(std::string_view url, int64_t timeout_ms);

class HttpClient {
 public:
  explicit HttpClient(HttpClientOptions options = {});
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Thread-safe: concurrent calls from several threads are fine.
  Result<ClientResponse, HttpClientError> Send(const ClientRequest& request) const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace cambista::net
