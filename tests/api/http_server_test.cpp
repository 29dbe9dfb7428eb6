// The HTTP/1.1 server on a loopback port, spoken to with raw bytes over a blocking socket (with a
// receive timeout, so a server bug fails a test instead of hanging it): keep-alive connections
// reuse one request object, so what one request sent must never show in the next. Deferred
// responses are answered from other threads, late, never, or after the server is gone (the ASan
// build checks that nothing is touched after its end).
#include "api/http_server.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <map>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace cambista::api {
namespace {

// What the test handler saw, written into the response body one item a line.
std::string Describe(const http::HttpRequest& request) {
  std::string out = "method=" + request.method + "\ntarget=" + request.target +
                    "\npath=" + request.path + "\nquery=" + request.query + "\n";
  for (const auto& [name, value] : request.headers) out += "header " + name + "=" + value + "\n";
  out += "body=" + request.body;
  return out;
}

http::HttpResponse Echo(const http::HttpRequest& request) {
  http::HttpResponse response;
  if (request.path == "/empty") {
    response.status = 204;
    response.body = "never sent";
    return response;
  }
  response.content_type = "text/plain";
  if (request.path == "/large") {  // more than a socket buffer takes at once
    response.body.resize(8 << 20);
    for (size_t i = 0; i < response.body.size(); ++i) {
      response.body[i] = static_cast<char>('a' + i % 26);
    }
    return response;
  }
  response.headers.emplace_back("X-Test", "yes");
  response.body = Describe(request);
  return response;
}

struct Response {
  int status = 0;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
};

class Client {
 public:
  explicit Client(uint16_t port) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    timeval timeout{10, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  }
  ~Client() { ::close(fd_); }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  bool connected() const { return connected_; }

  void Send(std::string_view bytes) {
    while (!bytes.empty()) {
      const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return;
      bytes.remove_prefix(static_cast<size_t>(n));
    }
  }

  // One response; nullopt if the connection ended (or timed out) first. `head`: no body follows.
  std::optional<Response> Read(bool head = false) {
    size_t end;
    while ((end = pending_.find("\r\n\r\n")) == std::string::npos) {
      if (!Fill()) return std::nullopt;
    }
    Response response;
    const std::string head_text = pending_.substr(0, end);
    pending_.erase(0, end + 4);
    response.status = std::stoi(head_text.substr(9, 3));
    size_t line = head_text.find("\r\n");
    while (line != std::string::npos) {
      const size_t next = head_text.find("\r\n", line + 2);
      const std::string field = head_text.substr(line + 2, next - line - 2);
      const size_t colon = field.find(':');
      std::string name = field.substr(0, colon);
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      response.headers[name] = field.substr(colon + 2);
      line = next;
    }
    const bool bodiless = head || response.status == 204 || response.status == 304;
    const size_t length =
        bodiless ? 0 : static_cast<size_t>(std::stoul(response.headers["content-length"]));
    while (pending_.size() < length) {
      if (!Fill()) return std::nullopt;
    }
    response.body = pending_.substr(0, length);
    pending_.erase(0, length);
    return response;
  }

  // True once the server has closed the connection (and sent nothing more).
  bool Closed() { return pending_.empty() && !Fill(); }

 private:
  bool Fill() {
    char buffer[4096];
    const ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
    if (n <= 0) return false;
    pending_.append(buffer, static_cast<size_t>(n));
    return true;
  }

  int fd_;
  bool connected_ = false;
  std::string pending_;
};

class HttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    HttpServerOptions options;
    options.port = 0;
    options.io_threads = 1;
    options.worker_threads = 1;
    options.header_bytes_max = 1024;
    options.body_bytes_max = 64;
    server_.emplace(options, Echo);
    server_->Start();
  }
  void TearDown() override { server_->Stop(1000); }

  uint16_t port() const { return server_->port(); }

  std::optional<HttpServer> server_;
};

TEST_F(HttpServerTest, AKeepAliveRequestSeesNothingOfThePreviousOne) {
  Client client(port());
  ASSERT_TRUE(client.connected());
  client.Send(
      "POST /first/path?a=1&b=2 HTTP/1.1\r\nHost: x\r\nX-Only-First: 1\r\nX-Second: one\r\n"
      "Content-Length: 5\r\n\r\nhello");
  auto first = client.Read();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->status, 200);
  EXPECT_EQ(first->headers["content-type"], "text/plain");
  EXPECT_EQ(first->headers["x-test"], "yes");
  EXPECT_EQ(first->body,
            "method=POST\ntarget=/first/path?a=1&b=2\npath=/first/path\nquery=a=1&b=2\n"
            "header Host=x\nheader X-Only-First=1\nheader X-Second=one\n"
            "header Content-Length=5\nbody=hello");

  client.Send("GET /second HTTP/1.1\r\nHost: y\r\n\r\n");
  auto second = client.Read();
  ASSERT_TRUE(second);
  EXPECT_EQ(second->body, "method=GET\ntarget=/second\npath=/second\nquery=\nheader Host=y\nbody=");

  client.Send("GET /third?q HTTP/1.1\r\nHost: z\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\nE: 5\r\n\r\n");
  auto third = client.Read();
  ASSERT_TRUE(third);
  EXPECT_EQ(third->body,
            "method=GET\ntarget=/third?q\npath=/third\nquery=q\nheader Host=z\nheader A=1\n"
            "header B=2\nheader C=3\nheader D=4\nheader E=5\nbody=");
}

TEST_F(HttpServerTest, PipelinedRequestsAreAnsweredInOrder) {
  Client client(port());
  client.Send(
      "GET /one HTTP/1.1\r\nHost: x\r\n\r\nPOST /two HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n"
      "\r\nabcGET /three HTTP/1.1\r\nHost: x\r\n\r\n");
  for (const std::string expected : {"path=/one\n", "path=/two\n", "path=/three\n"}) {
    auto response = client.Read();
    ASSERT_TRUE(response);
    EXPECT_NE(response->body.find(expected), std::string::npos) << response->body;
  }
}

TEST_F(HttpServerTest, AChunkedBodyArrivesWhole) {
  Client client(port());
  client.Send(
      "POST /chunked HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
      "3\r\nabc\r\n4;ext=1\r\ndefg\r\n0\r\n\r\n");
  auto response = client.Read();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_TRUE(response->body.ends_with("body=abcdefg")) << response->body;
}

TEST_F(HttpServerTest, ARequestArrivingInPiecesIsParsedWhole) {
  Client client(port());
  for (const std::string_view piece :
       {"PO", "ST /pieces?x=1 HTTP/1.1\r\nHo", "st: x\r\nTransfer-Encoding: chunked\r", "\n\r\n",
        "5\r\nab", "cde\r\n", "2\r\nfg\r\n0\r\n", "\r\n"}) {
    client.Send(piece);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));  // each piece its own read
  }
  auto response = client.Read();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_TRUE(response->body.starts_with("method=POST\ntarget=/pieces?x=1\n")) << response->body;
  EXPECT_TRUE(response->body.ends_with("body=abcdefg")) << response->body;
}

TEST_F(HttpServerTest, AConnectionEndingMidRequestIsDroppedQuietly) {
  {
    Client client(port());
    client.Send("GET /half HTTP/1.1\r\nHost:");
  }                     // closed here
  Client next(port());  // the server still serves
  next.Send("GET /next HTTP/1.1\r\nHost: x\r\n\r\n");
  auto response = next.Read();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
}

TEST_F(HttpServerTest, AResponseLargerThanTheSocketBufferArrivesWhole) {
  Client client(port());
  client.Send("GET /large HTTP/1.1\r\nHost: x\r\n\r\nGET /after HTTP/1.1\r\nHost: x\r\n\r\n");
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // the server's writes fill up
  auto large = client.Read();
  ASSERT_TRUE(large);
  ASSERT_EQ(large->body.size(), size_t{8} << 20);
  bool intact = true;
  for (size_t i = 0; i < large->body.size(); ++i) {
    intact = intact && large->body[i] == static_cast<char>('a' + i % 26);
  }
  EXPECT_TRUE(intact);
  auto after = client.Read();
  ASSERT_TRUE(after);
  EXPECT_NE(after->body.find("path=/after\n"), std::string::npos) << after->body;
}

TEST_F(HttpServerTest, HeadIsGetWithoutTheBody) {
  Client client(port());
  client.Send("HEAD /page HTTP/1.1\r\nHost: x\r\n\r\n");
  auto head = client.Read(/*head=*/true);
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 200);
  client.Send("GET /page HTTP/1.1\r\nHost: x\r\n\r\n");
  auto get = client.Read();
  ASSERT_TRUE(get);
  EXPECT_TRUE(get->body.starts_with("method=GET\n")) << get->body;
  EXPECT_EQ(head->headers["content-length"], std::to_string(get->body.size()));
}

TEST_F(HttpServerTest, NoContentHasNoBodyAndKeepsTheConnection) {
  Client client(port());
  client.Send("GET /empty HTTP/1.1\r\nHost: x\r\n\r\nGET /after HTTP/1.1\r\nHost: x\r\n\r\n");
  auto empty = client.Read();
  ASSERT_TRUE(empty);
  EXPECT_EQ(empty->status, 204);
  EXPECT_EQ(empty->headers.count("content-length"), 0U);
  auto after = client.Read();
  ASSERT_TRUE(after);
  EXPECT_EQ(after->status, 200);
  EXPECT_TRUE(after->body.find("path=/after\n") != std::string::npos) << after->body;
}

TEST_F(HttpServerTest, Http10ClosesUnlessAskedToKeepAlive) {
  Client kept(port());
  kept.Send("GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
  auto first = kept.Read();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->headers["connection"], "keep-alive");
  kept.Send("GET /b HTTP/1.0\r\n\r\n");
  auto second = kept.Read();
  ASSERT_TRUE(second);
  EXPECT_EQ(second->headers["connection"], "close");
  EXPECT_TRUE(kept.Closed());
}

TEST_F(HttpServerTest, RequestsTheServerRefusesGetProblemsAndAClose) {
  {
    Client client(port());
    client.Send("POST /big HTTP/1.1\r\nHost: x\r\nContent-Length: 65\r\n\r\n");
    auto response = client.Read();
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 413);
    EXPECT_EQ(response->headers["content-type"], "application/problem+json");
    EXPECT_NE(response->body.find("\"code\":\"payload_too_large\""), std::string::npos);
    EXPECT_EQ(response->headers["connection"], "close");
  }
  {
    Client client(port());
    client.Send("POST /big HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" +
                std::string("40\r\n") + std::string(64, 'a') + "\r\n1\r\nb\r\n0\r\n\r\n");
    auto response = client.Read();
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 413);
  }
  {
    Client client(port());
    client.Send("GET / HTTP/1.1\r\nHost: x\r\nX-Long: " + std::string(2000, 'a') + "\r\n\r\n");
    auto response = client.Read();
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 431);
    EXPECT_NE(response->body.find("\"code\":\"headers_too_large\""), std::string::npos);
  }
  {
    Client client(port());
    client.Send("NOT HTTP AT ALL\r\n\r\n");
    auto response = client.Read();
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 400);
    EXPECT_NE(response->body.find("\"code\":\"invalid_request\""), std::string::npos);
    EXPECT_TRUE(client.Closed());
  }
}

// A handler that waits runs on a worker: the one I/O thread answers other requests meanwhile. Here
// /slow waits until /fast has been answered, which could never happen if it held the I/O thread.
TEST(HttpServerWorkersTest, AHandlerThatWaitsDoesNotHoldTheIoThread) {
  std::promise<void> fast_answered;
  std::shared_future<void> released = fast_answered.get_future().share();
  std::atomic<bool> slow_started{false};
  HttpServerOptions options;
  options.port = 0;
  options.io_threads = 1;
  options.worker_threads = 2;
  options.answers_inline = [](const http::HttpRequest& request) { return request.path != "/slow"; };
  HttpServer server(options, [&](const http::HttpRequest& request) {
    http::HttpResponse response;
    if (request.path == "/slow") {
      slow_started = true;
      response.body = released.wait_for(std::chrono::seconds(10)) == std::future_status::ready
                          ? "released"
                          : "the I/O thread was held";
    } else {
      response.body = "fast";
      fast_answered.set_value();
    }
    return response;
  });
  server.Start();
  Client slow(server.port());
  slow.Send("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n");
  for (int i = 0; i < 2'000 && !slow_started; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_TRUE(slow_started);
  Client fast(server.port());
  fast.Send("GET /fast HTTP/1.1\r\nHost: x\r\n\r\n");
  auto fast_response = fast.Read();
  ASSERT_TRUE(fast_response);
  EXPECT_EQ(fast_response->body, "fast");
  auto slow_response = slow.Read();
  ASSERT_TRUE(slow_response);
  EXPECT_EQ(slow_response->body, "released");
  server.Stop(1000);
}

// Respond handed over by deferred handlers, for the test to call when it chooses.
class RespondSlot {
 public:
  void Put(http::Respond respond) {
    std::lock_guard lock(mutex_);
    respond_ = std::move(respond);
    put_.notify_all();
  }
  // Waits (up to 10 s) for a Respond to be put; empty if none was.
  http::Respond Take() {
    std::unique_lock lock(mutex_);
    put_.wait_for(lock, std::chrono::seconds(10), [this] { return respond_ != nullptr; });
    return std::exchange(respond_, nullptr);
  }

 private:
  std::mutex mutex_;
  std::condition_variable put_;
  http::Respond respond_;
};

http::HttpResponse Text(int status, std::string body) {
  http::HttpResponse response;
  response.status = status;
  response.content_type = "text/plain";
  response.body = std::move(body);
  return response;
}

// Paths ending in /later are answered from another thread after a moment, /held when the test
// calls the Respond it takes from held_, /dropped never (the Respond is dropped), /failing not at
// all (start throws); others at once. Paths under /inline/ run on the I/O thread, the others on
// the one worker.
class DeferredResponseTest : public ::testing::Test {
 protected:
  void SetUp() override { Start(200'000); }
  void TearDown() override {
    if (server_) server_->Stop(1000);
    std::lock_guard lock(threads_mutex_);
    for (auto& thread : threads_) thread.join();
  }

  void Start(int64_t request_timeout_ms) {
    if (server_) server_->Stop(0);
    HttpServerOptions options;
    options.port = 0;
    options.io_threads = 2;  // each connection on its strand
    options.worker_threads = 1;
    options.request_timeout_ms = request_timeout_ms;
    options.answers_inline = [](const http::HttpRequest& request) {
      return request.path.starts_with("/inline/");
    };
    server_.emplace(options, [this](const http::HttpRequest& request) { return Handle(request); });
    server_->Start();
  }

  http::HttpResponse Handle(const http::HttpRequest& request) {
    if (request.path.ends_with("/later")) {
      return http::Defer([this](http::Respond respond) {
        std::lock_guard lock(threads_mutex_);
        threads_.emplace_back([respond = std::move(respond)] {
          std::this_thread::sleep_for(std::chrono::milliseconds(20));
          respond(Text(201, "later"));
        });
      });
    }
    if (request.path == "/held") {
      return http::Defer([this](http::Respond respond) { held_.Put(std::move(respond)); });
    }
    if (request.path == "/dropped") return http::Defer([](http::Respond) {});
    if (request.path == "/failing") {
      return http::Defer(
          [](http::Respond) { throw std::runtime_error("the gateway's pool is gone"); });
    }
    return Text(200, "now " + request.path);
  }

  uint16_t port() const { return server_->port(); }

  RespondSlot held_;
  std::optional<HttpServer> server_;
  std::mutex threads_mutex_;
  std::vector<std::thread> threads_;
};

TEST_F(DeferredResponseTest, ADeferredResponseIsWrittenWhenItComesAndTheConnectionGoesOn) {
  Client client(port());
  for (const std::string path : {"/later", "/inline/later"}) {
    client.Send("GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n");
    auto later = client.Read();
    ASSERT_TRUE(later) << path;
    EXPECT_EQ(later->status, 201);
    EXPECT_EQ(later->body, "later");
    EXPECT_EQ(later->headers.count("connection"), 0U);  // kept alive
    client.Send("GET /next HTTP/1.1\r\nHost: x\r\n\r\n");
    auto next = client.Read();
    ASSERT_TRUE(next);
    EXPECT_EQ(next->body, "now /next");
  }
}

TEST_F(DeferredResponseTest, PipelinedRequestsAfterADeferredOneWaitTheirTurn) {
  Client client(port());
  client.Send(
      "POST /later HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"
      "GET /a HTTP/1.1\r\nHost: x\r\n\r\n"
      "HEAD /inline/later HTTP/1.1\r\nHost: x\r\n\r\n"
      "GET /b HTTP/1.1\r\nHost: x\r\n\r\n");
  auto later = client.Read();
  ASSERT_TRUE(later);
  EXPECT_EQ(later->body, "later");
  auto a = client.Read();
  ASSERT_TRUE(a);
  EXPECT_EQ(a->body, "now /a");
  auto head = client.Read(/*head=*/true);
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 201);
  EXPECT_EQ(head->headers["content-length"], "5");  // of the body a GET would get, not sent
  auto b = client.Read();
  ASSERT_TRUE(b);
  EXPECT_EQ(b->body, "now /b");
}

// The one worker ran /held's handler and must be free again at once: /second, on the same worker,
// is answered while /held is still awaited, and /held is answered only after that.
TEST_F(DeferredResponseTest, TheWorkerIsFreeWhileAResponseIsDeferred) {
  Client first(port());
  first.Send("GET /held HTTP/1.1\r\nHost: x\r\n\r\n");
  http::Respond respond = held_.Take();
  ASSERT_TRUE(respond);
  Client second(port());
  second.Send("GET /second HTTP/1.1\r\nHost: x\r\n\r\n");
  auto second_response = second.Read();
  ASSERT_TRUE(second_response) << "the worker was held by the deferred response";
  EXPECT_EQ(second_response->body, "now /second");
  std::thread([&respond] { respond(Text(202, "first")); }).join();
  auto first_response = first.Read();
  ASSERT_TRUE(first_response);
  EXPECT_EQ(first_response->status, 202);
  EXPECT_EQ(first_response->body, "first");
}

TEST_F(DeferredResponseTest, PastTheDeadlineTheServerAnswers504AndALateRespondIsIgnored) {
  Start(/*request_timeout_ms=*/200);
  Client client(port());
  client.Send("GET /held HTTP/1.1\r\nHost: x\r\n\r\n");
  auto timed_out = client.Read();
  ASSERT_TRUE(timed_out);
  EXPECT_EQ(timed_out->status, 504);
  EXPECT_EQ(timed_out->headers["content-type"], "application/problem+json");
  EXPECT_NE(timed_out->body.find("\"code\":\"upstream_timeout\""), std::string::npos);
  EXPECT_EQ(timed_out->headers.count("connection"), 0U);  // the connection goes on
  http::Respond late = held_.Take();
  ASSERT_TRUE(late);
  client.Send("GET /next HTTP/1.1\r\nHost: x\r\n\r\n");
  auto next = client.Read();
  ASSERT_TRUE(next);
  EXPECT_EQ(next->body, "now /next");
  late(Text(201, "too late"));
  late(Text(201, "twice"));  // called again against the rules: ignored as well
  client.Send("GET /again HTTP/1.1\r\nHost: x\r\n\r\n");
  auto again = client.Read();
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 200);
  EXPECT_EQ(again->body, "now /again");
}

TEST_F(DeferredResponseTest, ALostRespondOrAFailingStartAnswers500) {
  Client client(port());
  for (const std::string path : {"/dropped", "/failing"}) {
    client.Send("GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n");
    auto response = client.Read();
    ASSERT_TRUE(response) << path;
    EXPECT_EQ(response->status, 500);
    EXPECT_NE(response->body.find("\"code\":\"internal_error\""), std::string::npos);
  }
  client.Send("GET /next HTTP/1.1\r\nHost: x\r\n\r\n");
  auto next = client.Read();
  ASSERT_TRUE(next);
  EXPECT_EQ(next->body, "now /next");
}

TEST_F(DeferredResponseTest, StopWaitsForADeferredResponseInFlight) {
  Client client(port());
  client.Send("GET /held HTTP/1.1\r\nHost: x\r\n\r\n");
  http::Respond respond = held_.Take();
  ASSERT_TRUE(respond);
  const uint16_t bound_port = port();
  std::thread stopper([this] { server_->Stop(60'000); });
  // Stop has begun once the server refuses new connections; it then waits for /held.
  bool refused = false;
  for (int i = 0; i < 2'000 && !refused; ++i) {
    refused = !Client(bound_port).connected();
    if (!refused) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_TRUE(refused);
  respond(Text(201, "answered while stopping"));
  auto response = client.Read();
  stopper.join();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 201);
  EXPECT_EQ(response->body, "answered while stopping");
  EXPECT_EQ(response->headers["connection"], "close");
  EXPECT_TRUE(client.Closed());
}

TEST_F(DeferredResponseTest, ARespondCalledAfterStopAndAfterTheServerIsGoneIsHarmless) {
  Client client(port());
  client.Send("GET /held HTTP/1.1\r\nHost: x\r\n\r\n");
  http::Respond respond = held_.Take();
  ASSERT_TRUE(respond);
  http::Respond copy = respond;
  server_->Stop(0);  // no grace: the deferred response is abandoned with its connection
  auto response = client.Read();
  if (response) {  // if it got out before the socket closed
    EXPECT_EQ(response->status, 503);
  }
  EXPECT_TRUE(client.Closed());
  respond(Text(201, "after stop"));
  server_.reset();
  copy(Text(201, "after the server"));
  copy = nullptr;  // the last copy: dropping it is harmless too
  respond = nullptr;
  EXPECT_FALSE(client.Read());
}

}  // namespace
}  // namespace cambista::api
