#include "net/http_client.hpp"

#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include <algorithm>
#include <array>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <stdexcept>
#include <string_view>
#include <thread>

namespace cambista::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using Kind = HttpClientError::Kind;

std::string_view ClientResponse::Header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (beast::iequals(key, name)) return value;
  }
  return {};
}

struct HttpClient::State {
  HttpClientOptions options;
  // Configured once in the constructor and only read afterwards: OpenSSL allows SSL objects to be
  // created from one SSL_CTX on several threads at once.
  ssl::context tls{ssl::context::tls_client};
};

namespace {

// Caps the status line and headers; the body is capped by HttpClientOptions::response_bytes_max.
constexpr int64_t kResponseHeaderBytesMax = 64 << 10;

struct Url {
  bool https = false;
  std::string host;  // without the brackets of an IPv6 literal
  bool host_is_address = false;
  uint16_t port = 0;
  std::string authority;  // for the Host header: brackets kept, port only when not the default
  std::string origin;     // scheme://host:port, for error messages (path and query may hold tokens)
  std::string target;     // path and query, at least "/"
};

bool StartsWithNoCase(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() && beast::iequals(text.substr(0, prefix.size()), prefix);
}

bool IsAsciiAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool IsHostChar(char c) {
  return IsAsciiAlnum(c) || c == '-' || c == '.' || c == '_';
}

// RFC 9110 token characters: what a method or a header name may be made of.
bool IsToken(std::string_view text) {
  constexpr std::string_view kPunctuation = "!#$%&'*+-.^_`|~";
  return !text.empty() && std::all_of(text.begin(), text.end(), [&](char c) {
    return IsAsciiAlnum(c) || kPunctuation.find(c) != std::string_view::npos;
  });
}

// A header value must not be able to end the header line early.
bool IsFieldValue(std::string_view text) {
  return text.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

// URL parts: each takes its part, fills `out` and returns true, or says in `why` what is wrong
// without repeating the URL (its query may carry a token) and returns false.

// Takes "http://" or "https://" off the front of `url`.
bool ParseScheme(std::string_view& url, Url& out, std::string& why) {
  if (StartsWithNoCase(url, "http://")) {
    url.remove_prefix(7);
    out.port = 80;
  } else if (StartsWithNoCase(url, "https://")) {
    url.remove_prefix(8);
    out.https = true;
    out.port = 443;
  } else {
    why = "the URL does not start with http:// or https://";
    return false;
  }
  return true;
}

// "[v6 address]" with an optional ":port" after it; `port_text` is what follows the colon.
bool ParseIpv6Host(std::string_view authority, Url& out, std::string_view& port_text,
                   std::string& why) {
  const size_t close = authority.find(']');
  if (close == std::string_view::npos) {
    why = "the URL has an unterminated IPv6 literal";
    return false;
  }
  out.host = std::string(authority.substr(1, close - 1));
  beast::error_code error;
  asio::ip::make_address_v6(out.host, error);
  if (error) {
    why = "the URL has an invalid IPv6 literal";
    return false;
  }
  out.host_is_address = true;
  const std::string_view after = authority.substr(close + 1);
  if (!after.empty()) {
    if (after.front() != ':') {
      why = "the URL has text after its IPv6 literal";
      return false;
    }
    port_text = after.substr(1);
  }
  return true;
}

// A host name or IPv4 address with an optional ":port"; `port_text` is what follows the colon.
bool ParseNameHost(std::string_view authority, Url& out, std::string_view& port_text,
                   std::string& why) {
  const size_t colon = authority.find(':');
  out.host = std::string(authority.substr(0, colon));
  if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
  if (!std::all_of(out.host.begin(), out.host.end(), IsHostChar)) {
    why = "the URL's host has characters a host name cannot have (user info is not supported)";
    return false;
  }
  beast::error_code error;
  asio::ip::make_address_v4(out.host, error);
  out.host_is_address = !error;
  return true;
}

// An empty port ("http://host:/") means the scheme's default (RFC 3986, section 3.2.3).
bool ParsePort(std::string_view port_text, Url& out, std::string& why) {
  if (port_text.empty()) return true;
  int port = 0;
  for (char c : port_text) {
    if (c < '0' || c > '9' || port > 65535) {
      why = "the URL's port is not a number from 1 to 65535";
      return false;
    }
    port = port * 10 + (c - '0');
  }
  if (port < 1 || port > 65535) {
    why = "the URL's port is not a number from 1 to 65535";
    return false;
  }
  out.port = static_cast<uint16_t>(port);
  return true;
}

// Path and query (`rest` starts with '/', '?' or '#', or is empty); the fragment is dropped.
bool ParseTarget(std::string_view rest, Url& out, std::string& why) {
  const std::string_view target = rest.substr(0, rest.find('#'));
  for (char c : target) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || byte == 0x7f) {
      why = "the URL's path or query has a space or a control character";
      return false;
    }
  }
  out.target =
      target.empty() || target.front() == '?' ? "/" + std::string(target) : std::string(target);
  return true;
}

// Parses http(s)://host[:port][/path][?query][#fragment]; the fragment is dropped. On failure,
// `why` says what is wrong without repeating the URL (its query may carry a token).
std::optional<Url> ParseUrl(std::string_view url, std::string& why) {
  Url out;
  if (!ParseScheme(url, out, why)) return std::nullopt;
  const size_t authority_end = url.find_first_of("/?#");
  const std::string_view authority = url.substr(0, authority_end);
  const std::string_view rest =
      authority_end == std::string_view::npos ? std::string_view() : url.substr(authority_end);

  std::string_view port_text;
  const bool host_ok = !authority.empty() && authority.front() == '['
                           ? ParseIpv6Host(authority, out, port_text, why)
                           : ParseNameHost(authority, out, port_text, why);
  if (!host_ok) return std::nullopt;
  if (out.host.empty()) {
    why = "the URL has no host";
    return std::nullopt;
  }
  if (!ParsePort(port_text, out, why) || !ParseTarget(rest, out, why)) return std::nullopt;

  const std::string host_text =
      out.host.find(':') != std::string::npos ? "[" + out.host + "]" : out.host;
  const bool default_port = out.port == (out.https ? 443 : 80);
  out.authority = default_port ? host_text : host_text + ":" + std::to_string(out.port);
  out.origin = (out.https ? "https://" : "http://") + host_text + ":" + std::to_string(out.port);
  return out;
}

Failure<HttpClientError> Fail(Kind kind, std::string message) {
  return Failure{HttpClientError{kind, std::move(message)}};
}

bool InNetwork(const asio::ip::address_v4& address, const char* network, int prefix_bits) {
  const uint32_t mask = prefix_bits == 0 ? 0 : ~uint32_t{0} << (32 - prefix_bits);
  return (address.to_uint() & mask) == (asio::ip::make_address_v4(network).to_uint() & mask);
}

bool IsPublicV4(const asio::ip::address_v4& address) {
  // IANA's special-purpose registry (RFC 6890 and later), minus what is globally reachable.
  static constexpr std::pair<const char*, int> kNotPublic[] = {
      {"0.0.0.0", 8},      {"10.0.0.0", 8},     {"100.64.0.0", 10}, {"127.0.0.0", 8},
      {"169.254.0.0", 16}, {"172.16.0.0", 12},  {"192.0.0.0", 24},  {"192.0.2.0", 24},
      {"192.88.99.0", 24}, {"192.168.0.0", 16}, {"198.18.0.0", 15}, {"198.51.100.0", 24},
      {"203.0.113.0", 24}, {"224.0.0.0", 4},    {"240.0.0.0", 4},
  };
  for (const auto& [network, bits] : kNotPublic) {
    if (InNetwork(address, network, bits)) return false;
  }
  return true;
}

bool IsPublic(const asio::ip::address& address) {
  if (address.is_v4()) return IsPublicV4(address.to_v4());
  const asio::ip::address_v6 v6 = address.to_v6();
  if (v6.is_v4_mapped()) return IsPublicV4(asio::ip::make_address_v4(asio::ip::v4_mapped, v6));
  const asio::ip::address_v6::bytes_type bytes = v6.to_bytes();
  // NAT64 (64:ff9b::/96) carries an IPv4 address in its last 4 bytes.
  static constexpr std::array<unsigned char, 12> kNat64 = {0, 0x64, 0xff, 0x9b};
  if (std::equal(kNat64.begin(), kNat64.end(), bytes.begin())) {
    return IsPublicV4(asio::ip::address_v4({bytes[12], bytes[13], bytes[14], bytes[15]}));
  }
  if (v6.is_loopback() || v6.is_unspecified() || v6.is_multicast() || v6.is_link_local() ||
      v6.is_site_local() || v6.is_v4_compatible()) {
    return false;
  }
  if ((bytes[0] & 0xfe) == 0xfc) return false;  // fc00::/7, unique local
  if (bytes[0] == 0x20 && bytes[1] == 0x01 && bytes[2] == 0x0d && bytes[3] == 0xb8) {
    return false;  // 2001:db8::/32, documentation
  }
  if (bytes[0] == 0x01 && bytes[1] == 0x00 &&
      std::all_of(bytes.begin() + 2, bytes.begin() + 8, [](unsigned char b) { return b == 0; })) {
    return false;  // 100::/64, discard-only
  }
  return true;
}

// Builds the request line and headers. Host, User-Agent, Content-Length and Connection are ours;
// a caller's Host or User-Agent replaces the default, while a caller's framing headers
// (Content-Length, Transfer-Encoding, Connection) are dropped so they cannot contradict ours.
// A method or header that would corrupt the message is a bug in the caller: std::invalid_argument.
http::request<http::string_body> BuildRequest(const Url& url, const ClientRequest& request,
                                              const HttpClientOptions& options) {
  if (!IsToken(request.method)) {
    throw std::invalid_argument("HttpClient: the request method is not an HTTP token");
  }
  if (!IsFieldValue(options.user_agent)) {
    throw std::invalid_argument("HttpClient: the user agent has a line break or NUL");
  }
  http::request<http::string_body> out;
  out.version(11);
  const http::verb verb = http::string_to_verb(request.method);
  if (verb == http::verb::unknown) {
    out.method_string(request.method);
  } else {
    out.method(verb);
  }
  out.target(url.target);
  out.set(http::field::host, url.authority);
  out.set(http::field::user_agent, options.user_agent);
  for (const auto& [name, value] : request.headers) {
    // The messages name neither the header nor its value: either may be a secret.
    if (!IsToken(name)) {
      throw std::invalid_argument("HttpClient: a request header name is not an HTTP token");
    }
    if (!IsFieldValue(value)) {
      throw std::invalid_argument("HttpClient: a request header value has a line break or NUL");
    }
    const http::field field = http::string_to_field(name);
    if (field == http::field::content_length || field == http::field::transfer_encoding ||
        field == http::field::connection) {
      continue;
    }
    if (field == http::field::host || field == http::field::user_agent) {
      out.set(field, value);
    } else {
      out.insert(name, value);
    }
  }
  out.body() = request.body;
  if (!request.body.empty() || verb == http::verb::post || verb == http::verb::put ||
      verb == http::verb::patch) {
    out.content_length(request.body.size());
  }
  out.keep_alive(false);  // one request per connection: "Connection: close"
  return out;
}

// The outcome of a name lookup, shared with the thread that runs it.
struct Resolution {
  std::mutex mutex;
  std::condition_variable finished;
  bool done = false;
  beast::error_code error;
  std::vector<tcp::endpoint> endpoints;
};

// getaddrinfo cannot be cancelled, and an io_context joins its resolver thread when destroyed, so
// a slow DNS server would hold Send past its deadline. The lookup runs on a detached thread that
// shares only `Resolution`; when the deadline passes first, Send returns kTimeout and the thread
// finishes on its own later.
Result<std::vector<tcp::endpoint>, HttpClientError> Resolve(const Url& url,
                                                            Clock::time_point deadline) {
  if (url.host_is_address) {
    return std::vector<tcp::endpoint>{tcp::endpoint(asio::ip::make_address(url.host), url.port)};
  }
  auto resolution = std::make_shared<Resolution>();
  std::thread([resolution, host = url.host, port = url.port] {
    beast::error_code error;
    std::vector<tcp::endpoint> endpoints;
    try {
      asio::io_context io(1);
      tcp::resolver resolver(io);
      const auto results =
          resolver.resolve(host, std::to_string(port), tcp::resolver::numeric_service, error);
      if (!error) {
        for (const auto& entry : results) endpoints.push_back(entry.endpoint());
      }
    } catch (const std::exception&) {
      error = asio::error::no_memory;  // io_context or resolver could not be created
    }
    std::lock_guard lock(resolution->mutex);
    resolution->error = error;
    resolution->endpoints = std::move(endpoints);
    resolution->done = true;
    resolution->finished.notify_all();
  }).detach();

  std::unique_lock lock(resolution->mutex);
  if (!resolution->finished.wait_until(lock, deadline, [&] { return resolution->done; })) {
    return Fail(Kind::kTimeout, url.origin + ": the deadline passed while resolving the host");
  }
  if (resolution->error || resolution->endpoints.empty()) {
    const std::string reason =
        resolution->error ? resolution->error.message() : std::string("no addresses");
    return Fail(Kind::kResolve, url.origin + ": cannot resolve the host: " + reason);
  }
  return std::move(resolution->endpoints);
}

// One request/response exchange on one connection, run as a coroutine on a private io_context.
// The tcp_stream's expiry is set once to the deadline and covers connect, the TLS handshake (its
// reads and writes go through the tcp_stream), write and read.
class Exchange {
 public:
  Exchange(const Url& url, http::request<http::string_body>& request,
           const HttpClientOptions& options, Clock::time_point deadline)
      : url_(url), request_(request), options_(options), deadline_(deadline) {}

  asio::awaitable<void> RunPlain(asio::io_context& io,
                                 const std::vector<tcp::endpoint>& endpoints) {
    beast::tcp_stream stream(io);
    stream.expires_at(deadline_);
    if (!co_await Connect(stream, endpoints)) co_return;
    co_await WriteAndRead(stream);
  }

  asio::awaitable<void> RunTls(asio::io_context& io, ssl::context& context,
                               const std::vector<tcp::endpoint>& endpoints) {
    ssl::stream<beast::tcp_stream> stream(io, context);
    beast::get_lowest_layer(stream).expires_at(deadline_);
    if (!co_await Connect(beast::get_lowest_layer(stream), endpoints)) co_return;

    // SNI carries host names only (RFC 6066, section 3), never an IP literal.
    if (!url_.host_is_address &&
        !SSL_set_tlsext_host_name(stream.native_handle(), url_.host.c_str())) {
      SetError(Kind::kTls, "cannot set the TLS server name");
      co_return;
    }
    stream.set_verify_mode(ssl::verify_peer);
    // asio's check, plus the matching X509 error so that the failure says "hostname mismatch"
    // instead of a bare "certificate verify failed".
    stream.set_verify_callback([check = ssl::host_name_verification(url_.host),
                                is_address = url_.host_is_address](bool preverified,
                                                                   ssl::verify_context& verify) {
      if (check(preverified, verify)) return true;
      if (preverified) {
        X509_STORE_CTX_set_error(verify.native_handle(), is_address ? X509_V_ERR_IP_ADDRESS_MISMATCH
                                                                    : X509_V_ERR_HOSTNAME_MISMATCH);
      }
      return false;
    });
    auto [error] = co_await stream.async_handshake(ssl::stream_base::client,
                                                   asio::as_tuple(asio::use_awaitable));
    if (error) {
      std::string reason = error.message();
      const long verify_result = SSL_get_verify_result(stream.native_handle());
      if (verify_result != X509_V_OK) {
        reason += std::string(" (") + X509_verify_cert_error_string(verify_result) + ")";
      }
      SetError(IsTimeout(error) ? Kind::kTimeout : Kind::kTls, "TLS handshake failed: " + reason);
      co_return;
    }
    co_await WriteAndRead(stream);
    // No TLS shutdown: we asked for "Connection: close" and have the whole response, so waiting for
    // the peer's close_notify would only spend the caller's deadline.
  }

  std::optional<HttpClientError>& error() { return error_; }
  ClientResponse& response() { return response_; }

 private:
  asio::awaitable<bool> Connect(beast::tcp_stream& stream,
                                const std::vector<tcp::endpoint>& endpoints) {
    auto [error, endpoint] =
        co_await stream.async_connect(endpoints, asio::as_tuple(asio::use_awaitable));
    (void)endpoint;
    if (error) {
      SetError(IsTimeout(error) ? Kind::kTimeout : Kind::kConnect,
               "cannot connect: " + error.message());
      co_return false;
    }
    co_return true;
  }

  template <class Stream>
  asio::awaitable<void> WriteAndRead(Stream& stream) {
    auto [write_error, written] =
        co_await http::async_write(stream, request_, asio::as_tuple(asio::use_awaitable));
    (void)written;
    if (write_error) {
      SetError(IsTimeout(write_error) ? Kind::kTimeout : Kind::kProtocol,
               "cannot send the request: " + write_error.message());
      co_return;
    }

    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(
        std::clamp<int64_t>(options_.response_bytes_max, 1, kResponseHeaderBytesMax)));
    parser.body_limit(
        static_cast<std::uint64_t>(std::max<int64_t>(options_.response_bytes_max, 0)));
    if (request_.method() == http::verb::head)
      parser.skip(true);  // headers only, whatever they say
    auto [read_error, read] =
        co_await http::async_read(stream, buffer, parser, asio::as_tuple(asio::use_awaitable));
    (void)read;
    if (read_error == ssl::error::stream_truncated && parser.is_header_done() &&
        parser.need_eof()) {
      // The body ends when the connection does (no Content-Length, HTTP/1.0 style) and the peer
      // closed without a TLS close_notify, as many servers do: accept the body as complete.
      read_error = {};
      parser.put_eof(read_error);
    }
    if (read_error) {
      if (IsTimeout(read_error)) {
        SetError(Kind::kTimeout, "the deadline passed while reading the response");
      } else if (read_error == http::error::body_limit || read_error == http::error::header_limit ||
                 read_error == http::error::buffer_overflow) {
        SetError(Kind::kTooLarge, "the response is larger than " +
                                      std::to_string(options_.response_bytes_max) + " bytes");
      } else {
        SetError(Kind::kProtocol, "no valid HTTP response: " + read_error.message());
      }
      co_return;
    }

    auto& message = parser.get();
    response_.status = static_cast<int>(message.result_int());
    for (const auto& field : message) {
      response_.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    }
    response_.body = std::move(message.body());
  }

  // Some layers report the expired deadline as an I/O error of their own (a TLS read cut short,
  // a reset): past the deadline, every failure is a timeout.
  bool IsTimeout(const beast::error_code& error) const {
    return error == beast::error::timeout || Clock::now() >= deadline_;
  }

  void SetError(Kind kind, const std::string& what) {
    error_ = HttpClientError{kind, url_.origin + ": " + what};
  }

  const Url& url_;
  http::request<http::string_body>& request_;
  const HttpClientOptions& options_;
  Clock::time_point deadline_;
  std::optional<HttpClientError> error_;
  ClientResponse response_;
};

}  // namespace

HttpClient::HttpClient(HttpClientOptions options) : state_(std::make_unique<State>()) {
  state_->options = std::move(options);
  ssl::context& tls = state_->tls;
  SSL_CTX_set_min_proto_version(tls.native_handle(), TLS1_2_VERSION);
  // A CA file that cannot be loaded is a configuration error: fail at start-up, not per request.
  beast::error_code error;
  if (state_->options.ca_file) {
    tls.load_verify_file(*state_->options.ca_file, error);
    if (error) {
      throw std::runtime_error("HttpClient: cannot load the CA file '" + *state_->options.ca_file +
                               "': " + error.message());
    }
  } else {
    tls.set_default_verify_paths(error);
    if (error) {
      throw std::runtime_error("HttpClient: cannot load the system's trusted certificates: " +
                               error.message());
    }
  }
  tls.set_verify_mode(ssl::verify_peer);
}

HttpClient::~HttpClient() = default;

bool IsPublicAddress(std::string_view address) {
  beast::error_code error;
  const asio::ip::address parsed = asio::ip::make_address(std::string(address), error);
  return !error && IsPublic(parsed);
}

std::optional<std::string> UrlRefusal(std::string_view url, bool public_addresses_only) {
  std::string why;
  const std::optional<Url> parsed = ParseUrl(url, why);
  if (!parsed) return why;
  if (public_addresses_only && parsed->host_is_address && !IsPublicAddress(parsed->host)) {
    return "the URL's host is a private, loopback, link-local or reserved address";
  }
  return std::nullopt;
}

Result<ResolvedHost, HttpClientError> ResolveUrlHost(std::string_view url, int64_t timeout_ms) {
  const Clock::time_point deadline =
      Clock::now() + std::chrono::milliseconds(std::max<int64_t>(timeout_ms, 0));
  std::string why;
  const std::optional<Url> parsed = ParseUrl(url, why);
  if (!parsed) return Fail(Kind::kInvalidUrl, why);
  auto endpoints = Resolve(*parsed, deadline);
  if (!endpoints) return Failure{endpoints.error()};
  ResolvedHost resolved{parsed->host, {}};
  for (const tcp::endpoint& endpoint : endpoints.value()) {
    std::string address = endpoint.address().to_string();
    if (std::find(resolved.addresses.begin(), resolved.addresses.end(), address) ==
        resolved.addresses.end()) {
      resolved.addresses.push_back(std::move(address));
    }
  }
  return resolved;
}

Result<ClientResponse, HttpClientError> HttpClient::Send(const ClientRequest& request) const {
  const Clock::time_point deadline =
      Clock::now() + std::chrono::milliseconds(std::max<int64_t>(request.timeout_ms, 0));
  std::string why;
  const std::optional<Url> url = ParseUrl(request.url, why);
  if (!url) return Fail(Kind::kInvalidUrl, why);
  http::request<http::string_body> message = BuildRequest(*url, request, state_->options);

  auto endpoints = Resolve(*url, deadline);
  if (!endpoints) return Failure{endpoints.error()};
  if (state_->options.public_addresses_only) {
    std::erase_if(endpoints.value(),
                  [](const tcp::endpoint& endpoint) { return !IsPublic(endpoint.address()); });
    if (endpoints.value().empty()) {
      return Fail(Kind::kForbiddenAddress,
                  url->origin +
                      ": the host is, or resolves only to, private, loopback, link-local or "
                      "reserved addresses, which this client may not reach");
    }
  }

  Exchange exchange(*url, message, state_->options, deadline);
  asio::io_context io(1);
  std::exception_ptr failure;
  auto done = [&failure](std::exception_ptr exception) { failure = std::move(exception); };
  if (url->https) {
    asio::co_spawn(io, exchange.RunTls(io, state_->tls, *endpoints), done);
  } else {
    asio::co_spawn(io, exchange.RunPlain(io, *endpoints), done);
  }
  io.run();
  if (failure) std::rethrow_exception(failure);
  if (exchange.error()) return Failure{std::move(*exchange.error())};
  return std::move(exchange.response());
}

}  // namespace cambista::net
