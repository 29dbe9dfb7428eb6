#include "net/http_client.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "api/http_server.hpp"

extern char** environ;

namespace cambista::net {
namespace {

using http::HttpRequest;
using http::HttpResponse;
using Kind = HttpClientError::Kind;

// --- helpers: sockets, a recording server, a TLS peer
// ----------------------------------------------

// A port that was free a moment ago: bind port 0, read the port, close.
uint16_t FreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::runtime_error("socket failed");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof(address);
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    close(fd);
    throw std::runtime_error("bind failed");
  }
  close(fd);
  return ntohs(address.sin_port);
}

bool Accepts(uint16_t port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(port);
  const bool connected = connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
  close(fd);
  return connected;
}

std::string Local(uint16_t port, const std::string& target = "/") {
  return "http://127.0.0.1:" + std::to_string(port) + target;
}

// The real server on 127.0.0.1:0 (or another host), recording every request it sees.
class RecordingServer {
 public:
  explicit RecordingServer(http::HttpHandler reply, std::string host = "127.0.0.1")
      : server_(Options(std::move(host)), [this, reply = std::move(reply)](const HttpRequest& r) {
          {
            std::lock_guard lock(mutex_);
            requests_.push_back(r);
          }
          return reply(r);
        }) {}
  ~RecordingServer() { server_.Stop(1'000); }

  void Start() { server_.Start(); }
  uint16_t port() const { return server_.port(); }
  std::vector<HttpRequest> requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
  }

 private:
  static api::HttpServerOptions Options(std::string host) {
    api::HttpServerOptions options;
    options.host = std::move(host);
    options.port = 0;
    options.request_timeout_ms = 5'000;
    return options;
  }

  mutable std::mutex mutex_;
  std::vector<HttpRequest> requests_;
  api::HttpServer server_;
};

// Designated initializers would trip -Wmissing-field-initializers; these spell out the usual cases.
ClientRequest Request(std::string url, std::string method = "GET", int64_t timeout_ms = 10'000) {
  ClientRequest request;
  request.method = std::move(method);
  request.url = std::move(url);
  request.timeout_ms = timeout_ms;
  return request;
}

ClientRequest WithHeader(ClientRequest request, std::string name, std::string value) {
  request.headers.emplace_back(std::move(name), std::move(value));
  return request;
}

HttpClientOptions CaFile(std::string path) {
  HttpClientOptions options;
  options.ca_file = std::move(path);
  return options;
}

HttpClientOptions ResponseBytesMax(int64_t bytes) {
  HttpClientOptions options;
  options.response_bytes_max = bytes;
  return options;
}

HttpResponse Reply(int status, std::string body, http::Headers headers = {}) {
  HttpResponse response;
  response.status = status;
  response.content_type = "text/plain";
  response.body = std::move(body);
  response.headers = std::move(headers);
  return response;
}

// A one-shot TCP peer that answers whatever arrives with fixed bytes, then closes.
class RawPeer {
 public:
  explicit RawPeer(std::string answer) {
    listener_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof(address);
    if (listener_ < 0 || bind(listener_, reinterpret_cast<sockaddr*>(&address), length) != 0 ||
        listen(listener_, 4) != 0 ||
        getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
      throw std::runtime_error("raw peer: cannot listen");
    }
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this, answer = std::move(answer)] {
      const int fd = accept(listener_, nullptr, nullptr);
      if (fd < 0) return;
      char buffer[4096];
      (void)!recv(fd, buffer, sizeof(buffer), 0);
      (void)!send(fd, answer.data(), answer.size(), MSG_NOSIGNAL);
      close(fd);
    });
  }
  ~RawPeer() {
    shutdown(listener_, SHUT_RDWR);  // wakes accept() if the client never came
    thread_.join();
    close(listener_);
  }
  uint16_t port() const { return port_; }

 private:
  int listener_ = -1;
  uint16_t port_ = 0;
  std::thread thread_;
};

// --- plain HTTP against the real server
// -------------------------------------------------------------

TEST(HttpClientTest, GetRoundTrip) {
  RecordingServer server([](const HttpRequest&) {
    return Reply(200, "hello", {{"X-Reply", "yes"}, {"X-Multi", "a"}, {"X-Multi", "b"}});
  });
  server.Start();
  HttpClient client;
  ClientRequest request;
  request.url = Local(server.port(), "/v1/things?limit=5&cursor=abc");
  request.headers = {{"X-Trace", "trace-1"}, {"Accept", "text/plain"}};
  auto result = client.Send(request);
  ASSERT_TRUE(result.ok()) << result.error().message;

  EXPECT_EQ(result->status, 200);
  EXPECT_EQ(result->body, "hello");
  EXPECT_EQ(result->Header("x-reply"), "yes");
  EXPECT_EQ(result->Header("X-MULTI"), "a");
  EXPECT_EQ(result->Header("Content-Type"), "text/plain");
  EXPECT_EQ(result->Header("X-Absent"), "");

  const auto requests = server.requests();
  ASSERT_EQ(requests.size(), 1U);
  const HttpRequest& seen = requests[0];
  EXPECT_EQ(seen.method, "GET");
  EXPECT_EQ(seen.path, "/v1/things");
  EXPECT_EQ(seen.query, "limit=5&cursor=abc");
  EXPECT_EQ(seen.Header("X-Trace"), "trace-1");
  EXPECT_EQ(seen.Header("Accept"), "text/plain");
  EXPECT_EQ(seen.Header("Host"), "127.0.0.1:" + std::to_string(server.port()));
  EXPECT_EQ(seen.Header("User-Agent"), "cambista");
  EXPECT_EQ(seen.Header("Connection"), "close");
  EXPECT_EQ(seen.Header("Content-Length"), "");  // a GET without a body has no framing header
  EXPECT_EQ(seen.body, "");
}

TEST(HttpClientTest, PostRoundTrip) {
  RecordingServer server([](const HttpRequest& r) { return Reply(201, "got " + r.body); });
  server.Start();
  HttpClientOptions options;
  options.user_agent = "cambista-test/1";
  HttpClient client(options);
  ClientRequest request;
  request.method = "POST";
  request.url = Local(server.port(), "/hooks/pix?source=test");
  request.headers = {{"Content-Type", "application/json"}, {"X-Signature", "sig"}};
  request.body = R"({"amount_minor":1250})";
  auto result = client.Send(request);
  ASSERT_TRUE(result.ok()) << result.error().message;

  EXPECT_EQ(result->status, 201);
  EXPECT_EQ(result->body, R"(got {"amount_minor":1250})");
  const auto requests = server.requests();
  ASSERT_EQ(requests.size(), 1U);
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(requests[0].path, "/hooks/pix");
  EXPECT_EQ(requests[0].query, "source=test");
  EXPECT_EQ(requests[0].Header("Content-Type"), "application/json");
  EXPECT_EQ(requests[0].Header("X-Signature"), "sig");
  EXPECT_EQ(requests[0].Header("Content-Length"), std::to_string(request.body.size()));
  EXPECT_EQ(requests[0].Header("User-Agent"), "cambista-test/1");
  EXPECT_EQ(requests[0].body, request.body);
}

TEST(HttpClientTest, EmptyPatchSendsContentLengthZero) {
  RecordingServer server([](const HttpRequest&) { return Reply(204, ""); });
  server.Start();
  HttpClient client;
  auto result = client.Send(Request(Local(server.port(), "/x"), "PATCH"));
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_EQ(result->status, 204);
  ASSERT_EQ(server.requests().size(), 1U);
  EXPECT_EQ(server.requests()[0].method, "PATCH");
  EXPECT_EQ(server.requests()[0].Header("Content-Length"), "0");
}

TEST(HttpClientTest, PathDefaultsToSlashAndFragmentIsDropped) {
  RecordingServer server([](const HttpRequest&) { return Reply(200, "ok"); });
  server.Start();
  HttpClient client;
  const std::string base = "http://127.0.0.1:" + std::to_string(server.port());
  ASSERT_TRUE(client.Send(Request(base)).ok());
  ASSERT_TRUE(client.Send(Request(base + "?a=b")).ok());
  ASSERT_TRUE(client.Send(Request(base + "/p#fragment")).ok());
  ASSERT_TRUE(client.Send(Request("HTTP://127.0.0.1:" + std::to_string(server.port()) + "/")).ok());
  const auto requests = server.requests();
  ASSERT_EQ(requests.size(), 4U);
  EXPECT_EQ(requests[0].target, "/");
  EXPECT_EQ(requests[1].target, "/?a=b");
  EXPECT_EQ(requests[2].target, "/p");
  EXPECT_EQ(requests[3].target, "/");
}  // namespace

TEST(HttpClientTest, CallerHostAndUserAgentWinButFramingHeadersAreOurs) {
  RecordingServer server([](const HttpRequest&) { return Reply(200, "ok"); });
  server.Start();
  HttpClient client;
  ClientRequest request;
  request.method = "POST";
  request.url = Local(server.port(), "/");
  request.body = "abc";
  request.headers = {{"host", "api.example.com"},
                     {"user-agent", "custom"},
                     {"Content-Length", "999"},
                     {"Transfer-Encoding", "chunked"},
                     {"Connection", "keep-alive"}};
  auto result = client.Send(request);
  ASSERT_TRUE(result.ok()) << result.error().message;
  const auto requests = server.requests();
  ASSERT_EQ(requests.size(), 1U);
  EXPECT_EQ(requests[0].Header("Host"), "api.example.com");
  EXPECT_EQ(requests[0].Header("User-Agent"), "custom");
  EXPECT_EQ(requests[0].Header("Content-Length"), "3");
  EXPECT_EQ(requests[0].Header("Transfer-Encoding"), "");
  EXPECT_EQ(requests[0].Header("Connection"), "close");
  EXPECT_EQ(requests[0].body, "abc");
}

TEST(HttpClientTest, HeadReturnsHeadersWithoutWaitingForABody) {
  RecordingServer server([](const HttpRequest&) { return Reply(200, "a body"); });
  server.Start();
  HttpClient client;
  auto result = client.Send(Request(Local(server.port()), "HEAD", 5'000));
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_EQ(result->status, 200);
  EXPECT_EQ(result->body, "");
  EXPECT_EQ(result->Header("Content-Length"), "6");  // what the GET would carry
  ASSERT_EQ(server.requests().size(), 1U);
  EXPECT_EQ(server.requests()[0].method, "GET");  // the server answers HEAD as GET, minus the body
}

// The server's watchdog closes a connection that sends nothing, or half a request, for longer than
// the request timeout (and keeps serving others).
TEST(HttpClientTest, ServerClosesStalledConnectionsAfterTheRequestTimeout) {
  api::HttpServerOptions options;
  options.port = 0;
  options.request_timeout_ms = 200;
  api::HttpServer server(options, [](const HttpRequest&) { return Reply(200, "ok"); });
  server.Start();
  for (const std::string_view sent : {std::string_view(), std::string_view("GET / HTTP/1.1\r\n")}) {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_GE(fd, 0);
    timeval wait{10, 0};  // only guards against a hang: the server closes long before
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof(wait));
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(server.port());
    ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
    if (!sent.empty()) {
      ASSERT_EQ(write(fd, sent.data(), sent.size()), static_cast<ssize_t>(sent.size()));
    }
    char byte;
    const ssize_t got = read(fd, &byte, 1);
    EXPECT_EQ(got, 0) << "the server did not close the stalled connection (errno " << errno << ")";
    close(fd);
  }
  HttpClient client;
  auto result = client.Send(Request(Local(server.port()), "GET", 5'000));
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_EQ(result->body, "ok");
  server.Stop(1'000);
}

TEST(HttpClientTest, BodylessStatusesGoOutWithoutTheHandlersBody) {
  for (const int status : {204, 304}) {
    RecordingServer server([status](const HttpRequest&) { return Reply(status, "ignored"); });
    server.Start();
    HttpClient client;
    auto result = client.Send(Request(Local(server.port()), "GET", 5'000));
    ASSERT_TRUE(result.ok()) << status << ": " << result.error().message;
    EXPECT_EQ(result->status, status);
    EXPECT_EQ(result->body, "");
  }
}

TEST(HttpClientTest, ServerErrorIsAResponseNotAnError) {
  RecordingServer server([](const HttpRequest&) { return Reply(500, "boom"); });
  server.Start();
  HttpClient client;
  auto result = client.Send(Request(Local(server.port(), "/fail")));
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_EQ(result->status, 500);
  EXPECT_EQ(result->body, "boom");
}

TEST(HttpClientTest, SlowHandlerTimesOutAndTheMessageHoldsNoSecrets) {
  std::mutex mutex;
  std::condition_variable released_cv;
  bool released = false;
  RecordingServer server([&](const HttpRequest&) {
    std::unique_lock lock(mutex);
    released_cv.wait(lock, [&] { return released; });
    return Reply(200, "too late");
  });
  server.Start();
  HttpClient client;
  ClientRequest request;
  request.method = "POST";
  request.url = Local(server.port(), "/slow?token=query-secret");
  request.headers = {{"Authorization", "Bearer header-secret"}};
  request.body = "body-secret";
  request.timeout_ms = 200;
  auto result = client.Send(request);
  {
    std::lock_guard lock(mutex);
    released = true;
  }
  released_cv.notify_all();

  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().kind, Kind::kTimeout) << result.error().message;
  EXPECT_EQ(result.error().message.find("header-secret"), std::string::npos);
  EXPECT_EQ(result.error().message.find("body-secret"), std::string::npos);
  EXPECT_EQ(result.error().message.find("query-secret"), std::string::npos);
  EXPECT_NE(result.error().message.find("127.0.0.1"), std::string::npos);
}

TEST(HttpClientTest, ConnectionRefused) {
  const uint16_t port = FreePort();  // bound, then closed: nothing listens there now
  HttpClient client;
  auto result = client.Send(Request(Local(port), "GET", 5'000));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().kind, Kind::kConnect) << result.error().message;
}

TEST(HttpClientTest, InvalidUrls) {
  HttpClient client;
  for (const std::string url :
       {"", "garbage", "ftp://example.com/file", "http://", "http:///path", "http://:80/",
        "https://?q=1", "http://example.com:0/", "http://example.com:65536/",
        "http://example.com:8o/", "http://user:password@example.com/", "http://[::1/",
        "http://[not-ipv6]/", "http://[::1]x/", "http://exa mple.com/", "http://example.com/a b",
        "http://example.com/\r\nX-Injected: 1", "//example.com/", "mailto:someone@example.com"}) {
    auto result = client.Send(Request(url));
    ASSERT_FALSE(result.ok()) << url;
    EXPECT_EQ(result.error().kind, Kind::kInvalidUrl) << url;
    EXPECT_FALSE(result.error().message.empty()) << url;
  }
}

TEST(HttpClientTest, HeadersThatWouldCorruptTheRequestAreRefused) {
  HttpClient client;
  const std::string url = "http://127.0.0.1:1/";
  EXPECT_THROW((void)client.Send(WithHeader(Request(url), "X-A", "v\r\nX-Injected: 1")),
               std::invalid_argument);
  EXPECT_THROW((void)client.Send(WithHeader(Request(url), "Bad Name", "v")), std::invalid_argument);
  EXPECT_THROW((void)client.Send(Request(url, "GET /x")), std::invalid_argument);
}

TEST(HttpClientTest, ResponseLargerThanTheCapIsTooLarge) {
  RecordingServer server([](const HttpRequest&) { return Reply(200, std::string(10'000, 'x')); });
  server.Start();
  HttpClient small(ResponseBytesMax(1'000));
  auto refused = small.Send(Request(Local(server.port())));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().kind, Kind::kTooLarge) << refused.error().message;

  HttpClient large(ResponseBytesMax(10'000));
  auto accepted = large.Send(Request(Local(server.port())));
  ASSERT_TRUE(accepted.ok()) << accepted.error().message;
  EXPECT_EQ(accepted->body.size(), 10'000U);
}

TEST(HttpClientTest, NotHttpIsAProtocolError) {
  RawPeer peer("SSH-2.0-OpenSSH_9.2\r\n");
  HttpClient client;
  auto result = client.Send(Request(Local(peer.port()), "GET", 5'000));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().kind, Kind::kProtocol) << result.error().message;
}

TEST(HttpClientTest, ClosedBeforeTheWholeBodyIsAProtocolError) {
  RawPeer peer("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly a part");
  HttpClient client;
  auto result = client.Send(Request(Local(peer.port()), "GET", 5'000));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().kind, Kind::kProtocol) << result.error().message;
}

TEST(HttpClientTest, BodyEndingWithTheConnectionIsComplete) {
  RawPeer peer("HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil close");
  HttpClient client;
  auto result = client.Send(Request(Local(peer.port()), "GET", 5'000));
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_EQ(result->body, "until close");
}

TEST(HttpClientTest, UnresolvableHostFailsWithinTheDeadline) {
  HttpClient client;
  // RFC 6761: .invalid never resolves. A resolver that does not answer in time is a timeout.
  auto result = client.Send(Request("http://no-such-host.invalid/", "GET", 3'000));
  ASSERT_FALSE(result.ok());
  EXPECT_TRUE(result.error().kind == Kind::kResolve || result.error().kind == Kind::kTimeout)
      << result.error().message;
}

TEST(HttpClientTest, LocalhostResolves) {
  RecordingServer server([](const HttpRequest&) { return Reply(200, "ok"); });
  server.Start();
  HttpClient client;
  auto result = client.Send(Request("http://localhost:" + std::to_string(server.port()) + "/"));
  // localhost may resolve to ::1 first; the client tries every address, and 127.0.0.1 listens.
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_EQ(result->status, 200);
}

// --- public addresses only (webhook endpoints: URLs that tenants choose)
// -----------------------------------------------

TEST(IsPublicAddressTest, TellsPublicAddressesFromTheRest) {
  for (const char* address :
       {"8.8.8.8", "1.1.1.1", "93.184.216.34", "100.63.255.255", "100.128.0.0", "172.15.255.255",
        "172.32.0.0", "192.169.0.1", "2606:4700:4700::1111", "2001:4860:4860::8888",
        "::ffff:8.8.8.8", "64:ff9b::808:808"}) {
    EXPECT_TRUE(IsPublicAddress(address)) << address;
  }
  for (const char* address : {"127.0.0.1",
                              "127.255.255.254",
                              "0.0.0.0",
                              "10.0.0.1",
                              "10.255.255.255",
                              "100.64.0.1",
                              "100.127.255.255",
                              "169.254.169.254",
                              "172.16.0.1",
                              "172.31.255.255",
                              "192.168.1.1",
                              "192.0.0.8",
                              "192.0.2.1",
                              "198.18.0.1",
                              "198.19.255.255",
                              "198.51.100.7",
                              "203.0.113.9",
                              "224.0.0.1",
                              "239.255.255.250",
                              "240.0.0.1",
                              "255.255.255.255",
                              "::1",
                              "::",
                              "fe80::1",
                              "fc00::1",
                              "fd12:3456::1",
                              "ff02::1",
                              "2001:db8::1",
                              "::ffff:127.0.0.1",
                              "::ffff:10.0.0.1",
                              "64:ff9b::a00:1",
                              "64:ff9b::7f00:1",
                              "100::1",
                              "fec0::1",
                              "not an address",
                              "",
                              "localhost",
                              "1.2.3",
                              "example.com"}) {
    EXPECT_FALSE(IsPublicAddress(address)) << address;
  }
}

TEST(UrlRefusalTest, SaysWhySendWouldRefuse) {
  EXPECT_EQ(UrlRefusal("https://hooks.example.com/in?x=1", true), std::nullopt);
  EXPECT_EQ(UrlRefusal("http://8.8.8.8:8080/", true), std::nullopt);
  EXPECT_EQ(UrlRefusal("http://127.0.0.1:9/", false), std::nullopt);
  // A host name is checked once resolved, when sending.
  EXPECT_EQ(UrlRefusal("http://localhost/", true), std::nullopt);
  for (const char* url : {"http://127.0.0.1/", "http://[::1]:8080/x", "https://10.0.0.1/",
                          "http://169.254.169.254/latest/meta-data", "http://[fd00::1]/"}) {
    const auto refusal = UrlRefusal(url, true);
    ASSERT_TRUE(refusal.has_value()) << url;
    EXPECT_NE(refusal->find("private"), std::string::npos) << *refusal;
  }
  EXPECT_TRUE(UrlRefusal("ftp://example.com/", true).has_value());
  EXPECT_TRUE(UrlRefusal("http://user@example.com/", false).has_value());
  EXPECT_TRUE(UrlRefusal("http://example.com:99999/", false).has_value());
}

// What registration checks before accepting an endpoint: the host and every address it has now.
TEST(ResolveUrlHostTest, GivesTheHostAndItsAddresses) {
  auto literal = ResolveUrlHost("https://8.8.8.8:8443/in?token=x", 3'000);
  ASSERT_TRUE(literal.ok()) << literal.error().message;
  EXPECT_EQ(literal->host, "8.8.8.8");
  EXPECT_EQ(literal->addresses, std::vector<std::string>{"8.8.8.8"});
  auto v6 = ResolveUrlHost("http://[2001:4860:4860::8888]/", 3'000);
  ASSERT_TRUE(v6.ok()) << v6.error().message;
  EXPECT_EQ(v6->host, "2001:4860:4860::8888");
  EXPECT_EQ(v6->addresses, std::vector<std::string>{"2001:4860:4860::8888"});
  // localhost is 127.0.0.1 (and ::1 where the resolver gives it), each address once.
  auto local = ResolveUrlHost("http://localhost:9/x", 3'000);
  ASSERT_TRUE(local.ok()) << local.error().message;
  EXPECT_EQ(local->host, "localhost");
  ASSERT_FALSE(local->addresses.empty());
  for (const std::string& address : local->addresses) {
    EXPECT_TRUE(address == "127.0.0.1" || address == "::1") << address;
    EXPECT_FALSE(IsPublicAddress(address)) << address;
    EXPECT_EQ(std::count(local->addresses.begin(), local->addresses.end(), address), 1);
  }
}

TEST(ResolveUrlHostTest, FailsForBadUrlsAndUnknownNames) {
  auto bad = ResolveUrlHost("ftp://example.com/", 3'000);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().kind, Kind::kInvalidUrl);
  auto unknown = ResolveUrlHost("https://no-such-host.invalid/secret-path", 3'000);
  ASSERT_FALSE(unknown.ok());
  EXPECT_TRUE(unknown.error().kind == Kind::kResolve || unknown.error().kind == Kind::kTimeout)
      << unknown.error().message;
  EXPECT_NE(unknown.error().message.find("no-such-host.invalid"), std::string::npos);
  EXPECT_EQ(unknown.error().message.find("secret-path"), std::string::npos);
}

TEST(HttpClientTest, PublicAddressesOnlyReachesNeitherLoopbackNorALocalName) {
  RecordingServer server([](const HttpRequest&) { return Reply(200, "inside"); });
  server.Start();
  HttpClientOptions options;
  options.public_addresses_only = true;
  const HttpClient guarded(options);
  for (const std::string& url :
       {Local(server.port(), "/"), "http://localhost:" + std::to_string(server.port()) + "/"}) {
    auto result = guarded.Send(Request(url));
    ASSERT_FALSE(result.ok()) << url;
    EXPECT_EQ(result.error().kind, Kind::kForbiddenAddress) << result.error().message;
  }
  EXPECT_TRUE(server.requests().empty());  // nothing was sent
  // The same server, by default (the gateways' and the sandbox's client), is reached.
  auto result = HttpClient().Send(Request(Local(server.port(), "/")));
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_EQ(result->body, "inside");
}

TEST(HttpClientTest, Ipv6Literal) {
  RecordingServer server(
      [](const HttpRequest& r) { return Reply(200, std::string(r.Header("Host"))); }, "::1");
  try {
    server.Start();
  } catch (const std::exception& e) {
    GTEST_SKIP() << "cannot listen on [::1]: " << e.what();
  }
  HttpClient client;
  auto result = client.Send(Request("http://[::1]:" + std::to_string(server.port()) + "/six"));
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_EQ(result->status, 200);
  EXPECT_EQ(result->body, "[::1]:" + std::to_string(server.port()));
  ASSERT_EQ(server.requests().size(), 1U);
  EXPECT_EQ(server.requests()[0].path, "/six");
}

TEST(HttpClientTest, ConcurrentSendsShareOneClient) {
  RecordingServer server([](const HttpRequest& r) { return Reply(200, r.query); });
  server.Start();
  HttpClient client;
  constexpr int kThreads = 8;
  constexpr int kRequestsPerThread = 10;
  std::atomic<int> matched{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kRequestsPerThread; ++i) {
        const std::string query = "t=" + std::to_string(t) + "&i=" + std::to_string(i);
        auto result = client.Send(Request(Local(server.port(), "/?" + query)));
        if (result.ok() && result->body == query) ++matched;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(matched.load(), kThreads * kRequestsPerThread);
}

// --- HTTPS against openssl s_server
// -----------------------------------------------------------------

// A self-signed certificate for localhost and 127.0.0.1, served by `openssl s_server -www`.
class TlsPeer {
 public:
  TlsPeer() {
    char pattern[] = "/tmp/cambista-net-test.XXXXXX";
    if (mkdtemp(pattern) == nullptr) throw std::runtime_error("mkdtemp failed");
    dir_ = pattern;
    const std::string command =
        "openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=localhost"
        " -addext subjectAltName=DNS:localhost,IP:127.0.0.1 -days 1 -keyout '" +
        key() + "' -out '" + cert() + "' >'" + dir_ + "/req.log' 2>&1";
    if (std::system(command.c_str()) != 0) throw std::runtime_error("openssl req failed");

    // The port is free when picked and taken by s_server a moment later; retry if someone else
    // took it in between.
    for (int attempt = 0; attempt < 5 && pid_ <= 0; ++attempt) {
      port_ = FreePort();
      if (Spawn() && WaitUntilAccepting()) break;
      Stop();
    }
    if (pid_ <= 0) throw std::runtime_error("openssl s_server did not start");
  }
  ~TlsPeer() {
    Stop();
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  static bool Available() { return std::system("command -v openssl >/dev/null 2>&1") == 0; }
  std::string cert() const { return dir_ + "/cert.pem"; }
  std::string key() const { return dir_ + "/key.pem"; }
  uint16_t port() const { return port_; }

 private:
  bool Spawn() {
    const std::string port_text = std::to_string(port_);
    const std::string cert_path = cert();
    const std::string key_path = key();
    const std::string log_path = dir_ + "/s_server.log";
    std::vector<std::string> args = {"openssl", "s_server", "-accept", port_text, "-cert",
                                     cert_path, "-key",     key_path,  "-www",    "-quiet"};
    std::vector<char*> argv;
    for (auto& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND,
                                     0600);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    pid_t pid = 0;
    const int error = posix_spawnp(&pid, "openssl", &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (error != 0) return false;
    pid_ = pid;
    return true;
  }

  bool WaitUntilAccepting() {
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < give_up) {
      if (Accepts(port_)) return true;
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {  // exited: e.g. the port was taken
        pid_ = 0;
        return false;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }

  void Stop() {
    if (pid_ <= 0) return;
    kill(pid_, SIGTERM);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = 0;
  }

  std::string dir_;
  uint16_t port_ = 0;
  pid_t pid_ = 0;
};

class HttpClientTlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!TlsPeer::Available()) GTEST_SKIP() << "no openssl binary";
    peer_ = std::make_unique<TlsPeer>();
  }
  std::unique_ptr<TlsPeer> peer_;
};

TEST_F(HttpClientTlsTest, TrustedByCaFile) {
  HttpClient client(CaFile(peer_->cert()));
  auto result = client.Send(
      Request("https://localhost:" + std::to_string(peer_->port()) + "/", "GET", 10'000));
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_EQ(result->status, 200);
  // s_server -www sends an HTTP/1.0 page that ends when the connection does: all of it arrived.
  EXPECT_NE(result->body.find("s_server"), std::string::npos);
  EXPECT_NE(result->body.find("</HTML>"), std::string::npos);

  auto by_address = client.Send(
      Request("https://127.0.0.1:" + std::to_string(peer_->port()) + "/", "GET", 10'000));
  ASSERT_TRUE(by_address.ok()) << by_address.error().message;
  EXPECT_EQ(by_address->status, 200);
}

TEST_F(HttpClientTlsTest, SelfSignedIsRefusedByTheSystemStore) {
  HttpClient client;
  auto result = client.Send(
      Request("https://localhost:" + std::to_string(peer_->port()) + "/", "GET", 10'000));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().kind, Kind::kTls) << result.error().message;
}

TEST_F(HttpClientTlsTest, CertificateForAnotherHostIsRefused) {
  // 127.0.0.2 is loopback on Linux too, but the certificate names only localhost and 127.0.0.1.
  HttpClient client(CaFile(peer_->cert()));
  auto result = client.Send(
      Request("https://127.0.0.2:" + std::to_string(peer_->port()) + "/", "GET", 10'000));
  ASSERT_FALSE(result.ok());
  if (result.error().kind == Kind::kConnect) GTEST_SKIP() << "127.0.0.2 is not reachable here";
  EXPECT_EQ(result.error().kind, Kind::kTls) << result.error().message;
  EXPECT_NE(result.error().message.find("mismatch"), std::string::npos) << result.error().message;
}

TEST_F(HttpClientTlsTest, PlainHttpToATlsPortIsNotHttp) {
  HttpClient client;
  auto result = client.Send(Request(Local(peer_->port()), "GET", 5'000));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().kind, Kind::kProtocol) << result.error().message;
}

TEST(HttpClientTest, UnreadableCaFileFailsAtConstruction) {
  EXPECT_THROW(HttpClient(CaFile("/nonexistent/ca.pem")), std::runtime_error);
}

}  // namespace
}  // namespace cambista::net
