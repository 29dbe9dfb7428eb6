// The /v1/stream WebSocket end to end: a real HttpServer on a free port with the StreamHub as its
// WebSocket handler, and Boost.Beast WebSocket clients. Every client operation runs with a
// deadline (kDeadline), so a server bug fails a test instead of hanging it.
#include "events/stream.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "api/http_server.hpp"
#include "test_database.hpp"

namespace cambista::events {
namespace {

using namespace cambista::api;

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace beast_http = beast::http;
namespace json = boost::json;
namespace websocket = beast::websocket;
using asio::ip::tcp;

constexpr auto kDeadline = std::chrono::seconds(10);

// Waits for `condition` (polled), up to a generous bound; the bound only guards against hangs.
bool WaitFor(const std::function<bool()>& condition) {
  const auto give_up = std::chrono::steady_clock::now() + kDeadline;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > give_up) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

// Runs one asynchronous operation on `io` to completion or kDeadline; past it, `cancel` closes
// the socket and the operation's error (typically operation_aborted) is returned.
template <typename Start>
beast::error_code Await(asio::io_context& io, const std::function<void()>& cancel, Start start) {
  std::optional<beast::error_code> result;
  start([&result](beast::error_code error, auto&&...) { result = error; });
  io.restart();
  io.run_for(kDeadline);
  if (!result) {
    cancel();
    io.restart();
    io.run();
    ADD_FAILURE() << "a client operation did not finish within the deadline";
    return result.value_or(beast::error::timeout);
  }
  return *result;
}

// A synchronous WebSocket client with a deadline on every operation.
class Client {
 public:
  // `receive_buffer_bytes` > 0 shrinks the socket's receive buffer, so a client that stops
  // reading fills the server's side sooner.
  explicit Client(int receive_buffer_bytes = 0) : ws_(io_) {
    if (receive_buffer_bytes > 0) {
      auto& socket = ws_.next_layer().socket();
      socket.open(tcp::v4());
      socket.set_option(asio::socket_base::receive_buffer_size(receive_buffer_bytes));
    }
    ws_.control_callback([this](websocket::frame_type kind, beast::string_view payload) {
      if (kind == websocket::frame_type::pong) pongs_.emplace_back(payload);
      if (kind == websocket::frame_type::ping) ++pings_received_;
    });
  }

  // The upgrade; `response` is the server's answer (101, or a refusal such as 401).
  beast::error_code Connect(uint16_t port, const std::string& key,
                            websocket::response_type& response) {
    beast::error_code error = Await([&](auto handler) {
      ws_.next_layer().async_connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port),
                                     std::move(handler));
    });
    if (error) return error;
    if (!key.empty()) {
      ws_.set_option(websocket::stream_base::decorator([key](websocket::request_type& request) {
        request.set(beast_http::field::authorization, "Bearer " + key);
      }));
    }
    return Await([&](auto handler) {
      ws_.async_handshake(response, "127.0.0.1", "/v1/stream", std::move(handler));
    });
  }

  // Connects with `key`, failing the test unless the upgrade is accepted.
  void Open(uint16_t port, const std::string& key) {
    websocket::response_type response;
    const beast::error_code error = Connect(port, key, response);
    ASSERT_FALSE(error) << error.message() << "; status " << response.result_int();
  }

  void Write(const std::string& text) {
    ws_.text(true);
    const beast::error_code error =
        Await([&](auto handler) { ws_.async_write(asio::buffer(text), std::move(handler)); });
    EXPECT_FALSE(error) << error.message();
  }

  // The next message, or the error that ended the connection.
  beast::error_code ReadRaw(std::string& text) {
    beast::flat_buffer buffer;
    const beast::error_code error =
        Await([&](auto handler) { ws_.async_read(buffer, std::move(handler)); });
    text = beast::buffers_to_string(buffer.cdata());
    return error;
  }

  // The next message as JSON; null (and a test failure) when the connection ended instead.
  json::value Read() {
    std::string text;
    const beast::error_code error = ReadRaw(text);
    if (error) {
      ADD_FAILURE() << "read failed: " << error.message();
      return nullptr;
    }
    boost::system::error_code parse_error;
    json::value value = json::parse(text, parse_error);
    EXPECT_FALSE(parse_error) << text;
    return value;
  }

  // Sends and reads the answer.
  json::value Ask(const std::string& text) {
    Write(text);
    return Read();
  }

  void Ping(const std::string& payload) {
    const beast::error_code error = Await(
        [&](auto handler) { ws_.async_ping(websocket::ping_data(payload), std::move(handler)); });
    EXPECT_FALSE(error) << error.message();
  }

  void CloseNormally() {
    const beast::error_code error =
        Await([&](auto handler) { ws_.async_close(websocket::close_code::normal, handler); });
    EXPECT_FALSE(error) << error.message();
  }

  const websocket::close_reason& reason() const { return ws_.reason(); }
  const std::vector<std::string>& pongs() const { return pongs_; }
  int pings_received() const { return pings_received_; }

 private:
  template <typename Start>
  beast::error_code Await(Start start) {
    return events::Await(
        io_,
        [this] {
          beast::error_code ignored;
          ws_.next_layer().socket().close(ignored);
        },
        std::move(start));
  }

  asio::io_context io_;
  websocket::stream<beast::tcp_stream> ws_;
  std::vector<std::string> pongs_;
  std::atomic<int> pings_received_{0};  // read from other threads
};

// One plain HTTP/1.1 GET with a deadline; the status, or 0 when there was no answer.
int HttpGet(uint16_t port, const std::string& target) {
  asio::io_context io;
  beast::tcp_stream stream(io);
  auto cancel = [&stream] {
    beast::error_code ignored;
    stream.socket().close(ignored);
  };
  beast::error_code error = Await(io, cancel, [&](auto handler) {
    stream.async_connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port),
                         std::move(handler));
  });
  if (error) return 0;
  beast_http::request<beast_http::empty_body> request{beast_http::verb::get, target, 11};
  request.set(beast_http::field::host, "127.0.0.1");
  error = Await(io, cancel, [&](auto handler) {
    beast_http::async_write(stream, request, std::move(handler));
  });
  if (error) return 0;
  beast::flat_buffer buffer;
  beast_http::response<beast_http::string_body> response;
  error = Await(io, cancel, [&](auto handler) {
    beast_http::async_read(stream, buffer, response, std::move(handler));
  });
  return error ? 0 : response.result_int();
}

events::StoredEvent Event(std::string id, std::string tenant, std::string channel,
                          std::string data = R"({"amount_minor":100})") {
  events::StoredEvent event;
  event.id = std::move(id);
  event.tenant = std::move(tenant);
  event.channel = std::move(channel);
  event.type = event.channel == "charges" ? "charge.paid" : event.channel + ".updated";
  event.data = std::move(data);
  event.created_at_ms = 1'800'000'000'000;
  return event;
}

std::string TypeOf(const json::value& message) {
  const json::object* object = message.if_object();
  const json::value* type = object ? object->if_contains("type") : nullptr;
  return type && type->is_string() ? std::string(type->as_string()) : "";
}

// The id of a {"type":"event"} message, or "" for any other message.
std::string EventIdOf(const json::value& message) {
  if (TypeOf(message) != "event") return "";
  return std::string(message.at("event").at("id").as_string());
}

class StreamTest : public ::testing::Test {
 protected:
  void StartServer(HttpServerOptions options = {}) {
    options.host = "127.0.0.1";
    options.port = 0;
    server_ = std::make_unique<HttpServer>(options, [](const http::HttpRequest& request) {
      http::HttpResponse response;
      response.content_type = "text/plain";
      response.body = "plain " + request.path;
      return response;
    });
    server_->AddWebSocket(
        "/v1/stream", [this](const http::HttpRequest& request) { return hub_->Upgrade(request); });
    server_->Start();
  }

  void TearDown() override {
    if (server_) server_->Stop(1'000);
    server_.reset();
    hub_.reset();
  }

  uint16_t port() const { return server_->port(); }
  StreamHub& hub() { return *hub_; }
  ApiKeyStore& keys() { return keys_; }
  HttpServer& server() { return *server_; }
  bool WaitForConnections(int64_t count) {
    return WaitFor([&] { return hub_->stats().connections == count; });
  }

 private:
  std::unique_ptr<cambista::testing::TestDatabase> database_ =
      cambista::testing::TestDatabase::Create(store::Backend::kSqlite);
  ManualClock clock_;
  ApiKeyStore keys_{database_->db(), clock_, std::string(32, 'm'), std::string(32, 'p')};
  TokenBucketLimiter per_key_{clock_, {1'000'000, 1'000'000}};
  TokenBucketLimiter per_ip_{clock_, {1'000'000, 1'000'000}};
  AuthGate gate_{keys_, per_key_, per_ip_};
  std::unique_ptr<StreamHub> hub_ = std::make_unique<StreamHub>(gate_);
  std::unique_ptr<HttpServer> server_;
};

TEST_F(StreamTest, UpgradeWithoutAValidKeyIsRefusedWith401) {
  StartServer();
  const std::string revoked = keys().Create("acme", ScopeSet{Scope::kChargesRead});
  ASSERT_TRUE(keys().Revoke(revoked.substr(4, 8)));
  for (const std::string& key : {std::string(), std::string("cmb_garbage"), revoked}) {
    SCOPED_TRACE("key '" + key + "'");
    Client client;
    websocket::response_type response;
    const beast::error_code error = client.Connect(port(), key, response);
    EXPECT_EQ(error, websocket::error::upgrade_declined) << error.message();
    EXPECT_EQ(response.result_int(), 401);
    EXPECT_EQ(response[beast_http::field::content_type], "application/problem+json");
    EXPECT_NE(response.body().find("unauthorized"), std::string::npos) << response.body();
  }
  EXPECT_EQ(hub().stats().connections, 0);
  // The refused upgrades did not disturb plain requests, on the stream path or elsewhere.
  EXPECT_EQ(HttpGet(port(), "/v1/stream"), 200);
}

TEST_F(StreamTest, SubscriberGetsEventsOfItsTenantAndChannelsOnly) {
  StartServer();
  const std::string acme_key = keys().Create("acme", ScopeSet{Scope::kChargesRead});
  const std::string globex_key = keys().Create("globex", ScopeSet{Scope::kAdmin});
  Client acme;
  Client globex;
  acme.Open(port(), acme_key);
  globex.Open(port(), globex_key);
  EXPECT_EQ(acme.Ask(R"({"type":"subscribe","channels":["charges"]})"),
            json::parse(R"({"type":"subscribed","channels":["charges"]})"));
  EXPECT_EQ(globex.Ask(R"({"type":"subscribe","channels":["trades","charges"]})"),
            json::parse(R"({"type":"subscribed","channels":["charges","trades"]})"));
  EXPECT_EQ(hub().stats().connections, 2);

  hub().Publish(Event("evt_1", "acme", "charges", R"({"charge_id":"chg_1","amount_minor":2500})"));
  const json::value first = acme.Read();
  EXPECT_EQ(TypeOf(first), "event");
  EXPECT_EQ(first.at("channel"), "charges");
  EXPECT_EQ(first.at("event").at("id"), "evt_1");
  EXPECT_EQ(first.at("event").at("type"), "charge.paid");
  EXPECT_EQ(first.at("event").at("data"),
            json::parse(R"({"charge_id":"chg_1","amount_minor":2500})"));
  EXPECT_TRUE(first.at("event").as_object().contains("timestamp"));

  // Another tenant's event and an unsubscribed channel's event do not reach acme: the next event
  // it gets is the later one.
  hub().Publish(Event("evt_2", "globex", "charges"));
  hub().Publish(Event("evt_3", "acme", "trades"));
  hub().Publish(Event("evt_4", "acme", "charges"));
  EXPECT_EQ(EventIdOf(acme.Read()), "evt_4");
  EXPECT_EQ(EventIdOf(globex.Read()), "evt_2");

  // A market-wide event reaches every tenant subscribed to its channel.
  hub().Publish(Event("evt_5", std::string(kAllTenants), "charges"));
  EXPECT_EQ(EventIdOf(acme.Read()), "evt_5");
  EXPECT_EQ(EventIdOf(globex.Read()), "evt_5");

  // Unsubscribing stops a channel.
  EXPECT_EQ(globex.Ask(R"({"type":"unsubscribe","channels":["charges"]})"),
            json::parse(R"({"type":"unsubscribed","channels":["trades"]})"));
  hub().Publish(Event("evt_6", "globex", "charges"));
  hub().Publish(Event("evt_7", "globex", "trades"));
  EXPECT_EQ(EventIdOf(globex.Read()), "evt_7");
  EXPECT_EQ(hub().stats().events_sent, 6);  // evt_1, 2, 4, 5 twice, 7

  acme.CloseNormally();
  globex.CloseNormally();
  EXPECT_TRUE(WaitForConnections(0));
}

TEST_F(StreamTest, BadMessagesGetAnErrorAndTheConnectionStaysUsable) {
  StartServer();
  Client client;
  client.Open(port(), keys().Create("acme", ScopeSet{Scope::kChargesRead}));
  const json::value forbidden = client.Ask(R"({"type":"subscribe","channels":["trades"]})");
  EXPECT_EQ(TypeOf(forbidden), "error");
  EXPECT_EQ(forbidden.at("code"), "forbidden");
  EXPECT_TRUE(forbidden.at("detail").is_string());
  EXPECT_EQ(client.Ask(R"({"type":"ping"})"), json::parse(R"({"type":"pong"})"));
  // A request naming a forbidden channel subscribes to none of its channels.
  EXPECT_EQ(TypeOf(client.Ask(R"({"type":"subscribe","channels":["charges","payouts"]})")),
            "error");

  for (const char* bad : {
           R"({"type":"subscribe","channels":["charges"])",  // malformed JSON
           R"(["subscribe"])",
           R"({"type":7})",
           R"({"channels":["charges"]})",
           R"({"type":"dance"})",
           R"({"type":"subscribe"})",
           R"({"type":"subscribe","channels":"charges"})",
           R"({"type":"subscribe","channels":[]})",
           R"({"type":"subscribe","channels":["bogus"]})",
           R"({"type":"subscribe","channels":[1]})",
           R"({"type":"unsubscribe","channels":["charges","nope"]})",
           R"({"type":"subscribe","channels":["rates","rates","rates","rates","rates","rates",
                                              "rates","rates","rates"]})",
       }) {
    SCOPED_TRACE(bad);
    const json::value answer = client.Ask(bad);
    EXPECT_EQ(TypeOf(answer), "error");
    EXPECT_EQ(answer.at("code"), "invalid_request");
  }
  // Nothing above subscribed to anything.
  hub().Publish(Event("evt_1", "acme", "payouts"));
  hub().Publish(Event("evt_2", "acme", "rates"));
  EXPECT_EQ(client.Ask(R"({"type":"ping"})"), json::parse(R"({"type":"pong"})"));
  EXPECT_EQ(client.Ask(R"({"type":"subscribe","channels":["rates"]})"),
            json::parse(R"({"type":"subscribed","channels":["rates"]})"));
  hub().Publish(Event("evt_3", "acme", "rates"));
  EXPECT_EQ(EventIdOf(client.Read()), "evt_3");
}

TEST_F(StreamTest, WebSocketPingGetsAPong) {
  StartServer();
  Client client;
  client.Open(port(), keys().Create("acme", ScopeSet{}));
  client.Ping("are you there");
  // The pong control frame arrives while reading; the server answers the ping before it reads
  // (and answers) the next message, so it is in by the time the pong message is.
  EXPECT_EQ(client.Ask(R"({"type":"ping"})"), json::parse(R"({"type":"pong"})"));
  ASSERT_EQ(client.pongs().size(), 1u);
  EXPECT_EQ(client.pongs()[0], "are you there");
}

TEST_F(StreamTest, SlowConsumerIsDroppedWithoutBlockingOthers) {
  HttpServerOptions options;
  options.websocket_queue_bytes_max = 64 << 10;
  StartServer(options);
  const std::string slow_key = keys().Create("acme", ScopeSet{Scope::kChargesRead});
  const std::string fast_key = keys().Create("globex", ScopeSet{Scope::kChargesRead});
  Client slow(4096);
  Client fast;
  slow.Open(port(), slow_key);
  fast.Open(port(), fast_key);
  ASSERT_EQ(slow.Ask(R"({"type":"subscribe","channels":["charges"]})").at("type"), "subscribed");
  ASSERT_EQ(fast.Ask(R"({"type":"subscribe","channels":["charges"]})").at("type"), "subscribed");

  // The slow client stops reading. The fast one gets as many events, of the same size, and reads
  // each before the next is published: at that pace no queue fills, so only the slow client's
  // does, once its socket buffers are full. Meanwhile plain requests are answered.
  const std::string data = R"({"blob":")" + std::string(10 << 10, 'x') + R"("})";
  int published = 0;
  for (; published < 10'000 && hub().stats().dropped_slow == 0; ++published) {
    const std::string n = std::to_string(published);
    hub().Publish(Event("evt_slow_" + n, "acme", "charges", data));
    hub().Publish(Event("evt_fast_" + n, "globex", "charges", data));
    ASSERT_EQ(EventIdOf(fast.Read()), "evt_fast_" + n);
    if (published % 100 == 0) {
      ASSERT_EQ(HttpGet(port(), "/health"), 200);
    }
  }
  ASSERT_EQ(hub().stats().dropped_slow, 1) << "after " << published << " events";
  // Past the drop, its events are not sent (and not counted as drops again).
  hub().Publish(Event("evt_after", "acme", "charges", data));
  EXPECT_EQ(hub().stats().dropped_slow, 1);

  // The server is not blocked by the stuck connection.
  EXPECT_EQ(HttpGet(port(), "/health"), 200);
  hub().Publish(Event("evt_fast_last", "globex", "charges"));
  EXPECT_EQ(EventIdOf(fast.Read()), "evt_fast_last");
  EXPECT_EQ(fast.Ask(R"({"type":"ping"})"), json::parse(R"({"type":"pong"})"));

  // Reading again, the slow client gets what was already on its way, then a close frame 1008.
  std::string text;
  beast::error_code error;
  int received = 0;
  while (!(error = slow.ReadRaw(text))) ++received;
  EXPECT_EQ(error, websocket::error::closed) << error.message() << " after " << received;
  EXPECT_EQ(slow.reason().code, 1008);
  EXPECT_EQ(std::string(slow.reason().reason.data(), slow.reason().reason.size()), "slow consumer");
  // What the socket buffers held (more than the queue's 6 events), not the whole backlog.
  EXPECT_GT(received, 6);
  EXPECT_LT(received, published);
  EXPECT_TRUE(WaitForConnections(1));

  fast.CloseNormally();
  EXPECT_TRUE(WaitForConnections(0));
}

TEST_F(StreamTest, StopClosesConnectionsWithGoingAway) {
  StartServer();
  const std::string key = keys().Create("acme", ScopeSet{Scope::kChargesRead});
  Client reading;
  Client silent;  // never reads again: Stop must not wait for it for ever
  reading.Open(port(), key);
  silent.Open(port(), key);
  ASSERT_EQ(reading.Ask(R"({"type":"subscribe","channels":["charges"]})").at("type"), "subscribed");
  ASSERT_TRUE(WaitForConnections(2));

  auto stopped = std::async(std::launch::async, [this] { server().Stop(1'000); });
  std::string text;
  const beast::error_code error = reading.ReadRaw(text);
  EXPECT_EQ(error, websocket::error::closed) << error.message();
  EXPECT_EQ(reading.reason().code, 1001);
  ASSERT_EQ(stopped.wait_for(kDeadline), std::future_status::ready);
  stopped.get();
  // Every connection ended, so the hub let go of them.
  EXPECT_EQ(hub().stats().connections, 0);
  // Publishing after the stop is harmless.
  hub().Publish(Event("evt_1", "acme", "charges"));
}

TEST_F(StreamTest, OversizedMessageClosesWith1009) {
  HttpServerOptions options;
  options.websocket_message_bytes_max = 1 << 10;
  StartServer(options);
  Client client;
  client.Open(port(), keys().Create("acme", ScopeSet{}));
  client.Write(R"({"type":"ping","padding":")" + std::string(2 << 10, ' ') + R"("})");
  std::string text;
  const beast::error_code error = client.ReadRaw(text);
  // The server stops reading at the frame header, so the rest of the message is left unread
  // when it closes the socket: the reset may beat the client's answer to the close frame.
  EXPECT_TRUE(error == websocket::error::closed || error == asio::error::not_connected ||
              error == asio::error::connection_reset)
      << error.message();
  EXPECT_EQ(client.reason().code, 1009);  // too big
  EXPECT_TRUE(WaitForConnections(0));
}

TEST_F(StreamTest, SilentClientIsDroppedAfterTheIdleTimeout) {
  HttpServerOptions options;
  options.websocket_idle_timeout_ms = 200;
  StartServer(options);
  const std::string key = keys().Create("acme", ScopeSet{});
  Client silent;  // never reads, so never answers the server's ping
  Client listening;
  silent.Open(port(), key);
  listening.Open(port(), key);
  ASSERT_EQ(listening.Ask(R"({"type":"subscribe","channels":["rates"]})").at("type"), "subscribed");
  // The listening client waits for an event; while reading, Beast answers the server's pings.
  std::string text;
  std::thread reader([&] { EXPECT_FALSE(listening.ReadRaw(text)); });
  EXPECT_TRUE(WaitFor([&] { return listening.pings_received() > 0; }));
  EXPECT_TRUE(WaitForConnections(1));
  hub().Publish(Event("evt_1", "acme", "rates"));
  reader.join();
  EXPECT_EQ(EventIdOf(json::parse(text)), "evt_1");
  std::string ignored;
  EXPECT_TRUE(silent.ReadRaw(ignored));  // its connection is gone
}

TEST_F(StreamTest, ConnectionCountFollowsClients) {
  StartServer();
  const std::string key = keys().Create("acme", ScopeSet{});
  {
    Client first;
    Client second;
    first.Open(port(), key);
    second.Open(port(), key);
    EXPECT_TRUE(WaitForConnections(2));
    first.CloseNormally();
    EXPECT_TRUE(WaitForConnections(1));
  }  // second goes away without a close frame
  EXPECT_TRUE(WaitForConnections(0));
}

}  // namespace
}  // namespace cambista::events
