#include "api/http_server.hpp"

#include <sys/socket.h>
#include <array>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/asio/any_completion_handler.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <ctime>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>
#include <utility>
#include <vector>

#include "http/problem.hpp"

namespace cambista::api {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace beast_http = beast::http;
namespace websocket = beast::websocket;
using asio::ip::tcp;

namespace {

constexpr auto kWatchdogInterval = std::chrono::milliseconds(100);

// Deadlines are checked every kWatchdogInterval: the coarse clock (a few milliseconds' resolution)
// serves, without the cost of reading the fine one twice per request.
int64_t CoarseMonotonicNs() {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC_COARSE, &now);
  return int64_t{now.tv_sec} * 1'000'000'000 + now.tv_nsec;
}

http::HttpResponse InternalError() {
  return http::Problem(500, "internal_error", "Internal error",
                       "The server failed to handle the request; it was logged.");
}

// A deferred response that did not come within the request deadline. 504, not 503: the server is
// up, what it waited on (a payment gateway) was late, and the request may still take effect.
http::HttpResponse DeadlineAnswer() {
  return http::Problem(
      504, "upstream_timeout", "Upstream timeout",
      "The answer did not come in time; the request may still take effect. Retry with "
      "the same Idempotency-Key to learn its outcome.");
}

http::HttpResponse StoppingAnswer() {
  return http::Problem(
      503, "server_stopping", "Server stopping",
      "The server stopped before the answer came; the request may still take effect. "
      "Retry with the same Idempotency-Key to learn its outcome.");
}

// Where a deferred response meets its connection. Settled once, by the first of: the handler's
// Respond, the request deadline (504), the server stopping (503), or every copy of the Respond
// dropped uncalled (500); later answers are ignored. Settling posts the answer to the connection's
// waiting coroutine, or keeps it for the coroutine to find if it has not started waiting yet. It
// references nothing of the server, and the server settles every one it waits on before its I/O
// threads stop, so a Respond called after Stop() or the server's end touches only this.
class PendingResponse {
 public:
  // Returns whether `response` is the answer (nothing settled it before).
  bool Settle(http::HttpResponse response) {
    std::lock_guard lock(mutex_);
    if (settled_) return false;
    settled_ = true;
    if (waiter_) {
      // Under the mutex: whoever settles after Stop() has swept finds settled_ and never posts.
      Resume(std::move(*waiter_), std::move(response));
      waiter_.reset();
    } else {
      early_ = std::move(response);
    }
    return true;
  }

  // The answer, resumed on the awaiting coroutine's executor. Awaited once.
  auto Wait() {
    return asio::async_initiate<const asio::use_awaitable_t<>&, void(http::HttpResponse)>(
        [this](auto waiter) {
          std::lock_guard lock(mutex_);
          executor_ = asio::get_associated_executor(waiter);
          if (early_) {
            Resume(std::move(waiter), std::move(*early_));
          } else {
            waiter_.emplace(std::move(waiter));
          }
        },
        asio::use_awaitable);
  }

 private:
  // Boost 1.81's any_completion_handler recurses without end in its move assignment: it is only
  // ever constructed here (emplace, moves).
  using Waiter = asio::any_completion_handler<void(http::HttpResponse)>;

  // On the coroutine's executor (its strand), never inline: Settle may run on any thread. The
  // executor is not kept: a strand's outliving its io_context would touch it when destroyed.
  template <class Handler>
  void Resume(Handler&& waiter, http::HttpResponse response) {
    const asio::any_io_executor executor = std::exchange(executor_, asio::any_io_executor());
    asio::post(executor,
               [waiter = std::forward<Handler>(waiter), response = std::move(response)]() mutable {
                 std::move(waiter)(std::move(response));
               });
  }

  std::mutex mutex_;
  bool settled_ = false;
  std::optional<http::HttpResponse> early_;
  std::optional<Waiter> waiter_;
  asio::any_io_executor executor_;  // the waiter's, while there is one
};

// Behind the Respond the server gives a deferred response's start: the answer, or a 500 once every
// copy of the Respond is gone without one (a handler that lost it), so the connection need not
// wait for its deadline.
class Responder {
 public:
  explicit Responder(std::shared_ptr<PendingResponse> pending) : pending_(std::move(pending)) {}
  Responder(const Responder&) = delete;
  Responder& operator=(const Responder&) = delete;
  ~Responder() { pending_->Settle(InternalError()); }
  void Answer(http::HttpResponse response) { pending_->Settle(std::move(response)); }

 private:
  std::shared_ptr<PendingResponse> pending_;
};

// A handler's answer: the response, or where its deferred response will arrive.
struct HandlerAnswer {
  std::optional<http::HttpResponse> response;
  std::shared_ptr<PendingResponse> pending;
};

// An accepted connection. `deadline_ns` (steady clock; 0: none) bounds the current read or write,
// or the wait for a deferred response; the watchdog enforces it. `websocket`, `closed` and
// `pending` (the deferred response the connection awaits) are guarded by State::sessions_mutex,
// under which alone the socket of a plain HTTP connection is closed or shut down from another
// thread.
struct Connection {
  explicit Connection(tcp::socket accepted) : socket(std::move(accepted)) {}
  tcp::socket socket;
  std::atomic<int64_t> deadline_ns{0};
  bool websocket = false;
  bool closed = false;
  std::shared_ptr<PendingResponse> pending;
};

}  // namespace

struct HttpServer::State {
  explicit State(HttpServerOptions server_options, http::HttpHandler request_handler)
      : options(std::move(server_options)),
        handler(std::move(request_handler)),
        // With one I/O thread the scheduler may skip its internal locking.
        io(std::max(1, options.io_threads)) {}

  HttpServerOptions options;
  http::HttpHandler handler;
  asio::io_context io;
  tcp::acceptor acceptor{io};
  std::optional<asio::thread_pool> workers;  // when options.worker_threads > 0
  std::vector<std::thread> threads;
  std::atomic<bool> stopping{false};
  // Set by Stop() once requests in flight had their grace period, under sessions_mutex: deferred
  // responses are no longer awaited, and the watchdog ends.
  std::atomic<bool> grace_over{false};
  std::atomic<uint16_t> port{0};

  // Open connections, so Stop() can wait for requests in flight and close idle ones.
  std::mutex sessions_mutex;
  std::condition_variable sessions_idle;
  // Reading a request body, running a handler or writing. Counted without the mutex (it changes
  // twice per request); only a decrement while stopping takes the mutex, to wake Stop().
  std::atomic<int> busy_sessions{0};
  int open_sessions = 0;    // connections being served (Serve running)
  int open_websockets = 0;  // of which upgraded to a WebSocket
  std::vector<std::weak_ptr<Connection>> connections;
  std::map<std::string, http::WebSocketHandler, std::less<>> websocket_handlers;
  std::vector<std::weak_ptr<http::WebSocketConnection>> websockets;

  asio::awaitable<void> Accept();
  asio::awaitable<void> Serve(std::shared_ptr<Connection> connection);
  asio::awaitable<http::HttpResponse> Handle(Connection& connection, http::HttpRequest& request,
                                             bool head, bool get);
  HandlerAnswer RunHandler(const http::HttpRequest& request);
  asio::awaitable<http::HttpResponse> AwaitDeferred(Connection& connection,
                                                    std::shared_ptr<PendingResponse> pending);
  asio::awaitable<std::optional<http::HttpResponse>> Upgrade(
      const std::shared_ptr<Connection>& connection, const http::HttpRequest& request,
      const http::WebSocketHandler& upgrade_handler);
  asio::awaitable<void> Watchdog();
  void SessionEnded(bool websocket);
  void RequestEnded();
};

namespace {

// How long Stop() waits for WebSocket clients to answer the close frame, and then for closed
// connections to wind down.
constexpr auto kStopCloseWait = std::chrono::seconds(1);

bool HasLineBreak(std::string_view text) {
  // A plain loop: find_first_of calls memchr once per character.
  for (const char c : text) {
    if (c == '\r' || c == '\n') return true;
  }
  return false;
}

void AppendNumber(std::string& out, uint64_t value) {
  char digits[20];
  const auto [end, error] = std::to_chars(std::begin(digits), std::end(digits), value);
  (void)error;  // 20 digits hold any uint64_t
  out.append(digits, end);
}

// The status line and headers of `response` into `out`, written directly (then one gather write
// with the body): Beast's generic serializer costs more than the rest of a small request. No body
// where HTTP forbids one (1xx, 204, 304); for HEAD the headers the GET would have had,
// Content-Length included. Returns whether the body follows.
bool WriteResponseHead(std::string& out, const http::HttpResponse& response, unsigned version,
                       bool keep_alive, bool head) {
  const int status = response.status >= 100 && response.status <= 599 ? response.status : 500;
  const bool bodiless = status < 200 || status == 204 || status == 304;
  out.clear();
  out += version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ";
  AppendNumber(out, static_cast<uint64_t>(status));
  out += ' ';
  const beast::string_view reason =
      beast_http::obsolete_reason(static_cast<beast_http::status>(status));
  out.append(reason.data(), reason.size());
  out += "\r\nServer: cambista\r\n";
  if (!bodiless) {
    if (!HasLineBreak(response.content_type)) {
      out += "Content-Type: ";
      out += response.content_type;
      out += "\r\n";
    }
    out += "Content-Length: ";
    AppendNumber(out, response.body.size());
    out += "\r\n";
  }
  for (const auto& [name, value] : response.headers) {
    if (name.empty() || HasLineBreak(name) || HasLineBreak(value)) continue;  // never split a head
    out += name;
    out += ": ";
    out += value;
    out += "\r\n";
  }
  if (!keep_alive) {
    out += "Connection: close\r\n";
  } else if (version == 10) {
    out += "Connection: keep-alive\r\n";
  }
  out += "\r\n";
  return !bodiless && !head;
}

// Beast's HTTP/1.1 request parser, writing straight into a request object that outlives it (one
// per connection): fields are assigned over the previous request's, so their strings keep their
// capacity instead of being allocated per request as in Beast's own message type.
class RequestParser final : public beast_http::basic_parser<true> {
 public:
  explicit RequestParser(http::HttpRequest& request) : request_(request) {}

  beast_http::verb method() const { return method_; }
  unsigned version() const { return version_; }
  // A GET asking to become a WebSocket (as websocket::is_upgrade says of a Beast message).
  bool IsWebSocketUpgrade() const {
    return version_ >= 11 && method_ == beast_http::verb::get && upgrade() &&
           beast_http::token_list(request_.Header("Upgrade")).exists("websocket");
  }

 private:
  // A body this large is not kept for the connection's next requests.
  static constexpr size_t kKeptBodyCapacityMax = 64 << 10;

  void on_request_impl(beast_http::verb method, beast::string_view method_text,
                       beast::string_view target, int version, beast::error_code&) override {
    method_ = method;
    version_ = static_cast<unsigned>(version);
    request_.method.assign(method_text.data(), method_text.size());
    request_.target.assign(target.data(), target.size());
    const size_t question = target.find('?');
    const beast::string_view path = target.substr(0, question);
    request_.path.assign(path.data(), path.size());
    if (question == beast::string_view::npos) {
      request_.query.clear();
    } else {
      request_.query.assign(target.data() + question + 1, target.size() - question - 1);
    }
    if (request_.body.capacity() > kKeptBodyCapacityMax) {
      std::string().swap(request_.body);
    } else {
      request_.body.clear();
    }
  }
  void on_response_impl(int, beast::string_view, int, beast::error_code&) override {}
  void on_field_impl(beast_http::field, beast::string_view name, beast::string_view value,
                     beast::error_code&) override {
    if (fields_ < request_.headers.size()) {
      auto& [kept_name, kept_value] = request_.headers[fields_];
      kept_name.assign(name.data(), name.size());
      kept_value.assign(value.data(), value.size());
    } else {
      request_.headers.emplace_back(std::string(name), std::string(value));
    }
    ++fields_;
  }
  void on_header_impl(beast::error_code&) override {
    request_.headers.erase(request_.headers.begin() + static_cast<std::ptrdiff_t>(fields_),
                           request_.headers.end());
  }
  void on_body_init_impl(const boost::optional<std::uint64_t>& content_length,
                         beast::error_code&) override {
    // The parser has checked a declared length against the body limit already.
    if (content_length) request_.body.reserve(static_cast<size_t>(*content_length));
  }
  size_t on_body_impl(beast::string_view body, beast::error_code&) override {
    request_.body.append(body.data(), body.size());
    return body.size();
  }
  void on_chunk_header_impl(std::uint64_t, beast::string_view, beast::error_code&) override {}
  size_t on_chunk_body_impl(std::uint64_t, beast::string_view body, beast::error_code&) override {
    request_.body.append(body.data(), body.size());
    return body.size();
  }
  void on_finish_impl(beast::error_code&) override {}

  http::HttpRequest& request_;
  size_t fields_ = 0;
  beast_http::verb method_ = beast_http::verb::unknown;
  unsigned version_ = 11;
};

// Feeds `parser` from `buffer`, reading from the socket while it needs more, until the header
// (`header_only`) or the whole request is parsed; what follows stays in `buffer` for the next
// request. Beast's async_read does the same through two composed operations per read (and their
// executor work guards); this awaits the socket's read directly. end_of_stream: the connection
// ended between requests.
asio::awaitable<beast::error_code> ReadRequest(tcp::socket& socket, beast::flat_buffer& buffer,
                                               RequestParser& parser, bool header_only) {
  constexpr size_t kReadBytes = 8 << 10;
  parser.eager(!header_only);
  for (;;) {
    if (buffer.size() > 0) {
      beast::error_code error;
      const size_t used = parser.put(buffer.data(), error);
      buffer.consume(used);
      if (error && error != beast_http::error::need_more) co_return error;
      if (header_only ? parser.is_header_done() : parser.is_done()) co_return beast::error_code();
      if (!error && used > 0 && buffer.size() > 0) continue;  // e.g. a chunk's header: parse on
    }
    auto [error, bytes] = co_await socket.async_read_some(buffer.prepare(kReadBytes),
                                                          asio::as_tuple(asio::use_awaitable));
    buffer.commit(bytes);
    if (error == asio::error::eof) {
      if (!parser.got_some()) co_return beast_http::error::end_of_stream;
      beast::error_code eof_error;
      parser.put_eof(eof_error);
      co_return eof_error ? eof_error : beast::error_code(beast_http::error::partial_message);
    }
    if (error) co_return error;
  }
}

// The upgrade request as a Beast message, for the WebSocket handshake.
beast_http::request<beast_http::string_body> UpgradeMessage(const http::HttpRequest& request) {
  beast_http::request<beast_http::string_body> message;
  message.method_string(request.method);
  message.target(request.target);
  message.version(11);
  for (const auto& [name, value] : request.headers) message.insert(name, value);
  return message;
}

http::HttpResponse RefusalFor(const beast::error_code& error) {
  if (error == beast_http::error::body_limit) {
    return http::Problem(413, "payload_too_large", "Request body too large",
                         "The request body is larger than the server accepts.");
  }
  if (error == beast_http::error::header_limit) {
    return http::Problem(431, "headers_too_large", "Request headers too large",
                         "The request headers are larger than the server accepts.");
  }
  return http::Problem(400, "invalid_request", "Malformed HTTP request",
                       "The request could not be parsed as HTTP/1.1.");
}

// One accepted WebSocket connection. Its reads and writes run on the connection's strand; Send and
// Close may come from any thread and only touch the queue under `mutex_` before posting there.
class WebSocketSession final : public http::WebSocketConnection,
                               public std::enable_shared_from_this<WebSocketSession> {
 public:
  WebSocketSession(std::shared_ptr<tcp::socket> tcp, const HttpServerOptions& options)
      : tcp_(std::move(tcp)),
        ws_(*tcp_),
        queue_bytes_max_(static_cast<size_t>(options.websocket_queue_bytes_max)) {
    // The WebSocket layer keeps its own time (handshake, idle pings). Events are small writes with
    // nothing coming back to piggyback ACKs on: with Nagle's algorithm each could wait for the
    // client's delayed ACK (milliseconds per event).
    beast::error_code ignored;
    tcp_->set_option(tcp::no_delay(true), ignored);
    websocket::stream_base::timeout timeout;
    timeout.handshake_timeout = std::chrono::seconds(10);
    timeout.idle_timeout = std::chrono::milliseconds(options.websocket_idle_timeout_ms);
    timeout.keep_alive_pings = true;
    ws_.set_option(timeout);
    ws_.read_message_max(static_cast<std::uint64_t>(options.websocket_message_bytes_max));
    ws_.set_option(websocket::stream_base::decorator([](websocket::response_type& response) {
      response.set(beast_http::field::server, "cambista");
    }));
  }

  // Answers the upgrade request, then reads until the connection ends.
  asio::awaitable<void> Run(
      beast_http::request<beast_http::string_body> request,
      std::function<http::WebSocketCallbacks(std::shared_ptr<http::WebSocketConnection>)> on_open) {
    auto self = shared_from_this();
    auto [accept_error] = co_await ws_.async_accept(request, asio::as_tuple(asio::use_awaitable));
    if (accept_error) co_return;
    callbacks_ = on_open(self);
    beast::flat_buffer buffer;
    for (;;) {
      auto [read_error, bytes] =
          co_await ws_.async_read(buffer, asio::as_tuple(asio::use_awaitable));
      (void)bytes;
      if (read_error) break;
      if (ws_.got_text() && callbacks_.on_message) {
        const auto data = buffer.cdata();
        try {
          callbacks_.on_message(
              std::string_view(static_cast<const char*>(data.data()), data.size()));
        } catch (const std::exception&) {
          // A failing handler ends this connection; the exception must not leave the coroutine
          // (Serve would answer with HTTP on the upgraded socket).
          Close(1011, "internal error");
        }
      }
      buffer.consume(buffer.size());
    }
    {
      std::lock_guard lock(mutex_);
      closing_ = true;
      queue_.clear();
    }
    if (callbacks_.on_close) callbacks_.on_close();
    callbacks_ = {};  // they may hold this connection: break the cycle
    beast::error_code ignored;
    tcp_->close(ignored);
  }

  SendResult Send(std::string text) override {
    std::lock_guard lock(mutex_);
    if (closing_) return SendResult::kClosed;
    if (queued_bytes_ + text.size() > queue_bytes_max_) {
      CloseLocked(1008, "slow consumer");
      return SendResult::kDroppedSlow;
    }
    queued_bytes_ += text.size();
    queue_.push_back(std::move(text));
    if (!writing_) {
      writing_ = true;
      // Posted, not spawned here: a spawn on the strand we may be running on would start the
      // writer inline, under mutex_.
      asio::post(tcp_->get_executor(), [self = shared_from_this()] {
        asio::co_spawn(self->tcp_->get_executor(), WriteQueued(self), asio::detached);
      });
    }
    return SendResult::kQueued;
  }

  void Close(uint16_t code, std::string reason) override {
    std::lock_guard lock(mutex_);
    if (!closing_) CloseLocked(code, std::move(reason));
  }

 private:
  // What was queued is dropped; the close frame follows any write already on the wire. A client
  // that does not read lets neither through, so the socket is closed after kCloseGrace anyway.
  void CloseLocked(uint16_t code, std::string reason) {
    closing_ = true;
    queue_.clear();
    queued_bytes_ = 0;
    auto self = shared_from_this();
    asio::post(tcp_->get_executor(), [self, code, reason = std::move(reason)]() mutable {
      asio::co_spawn(
          self->tcp_->get_executor(),
          [self, code, reason = std::move(reason)]() -> asio::awaitable<void> {
            asio::steady_timer grace(self->tcp_->get_executor(), kCloseGrace);
            grace.async_wait([self](const beast::error_code& error) {
              if (error) return;
              beast::error_code ignored;
              self->tcp_->close(ignored);
            });
            co_await self->ws_.async_close(
                websocket::close_reason(static_cast<websocket::close_code>(code), reason),
                asio::as_tuple(asio::use_awaitable));
            grace.cancel();
          },
          asio::detached);
    });
  }

  static asio::awaitable<void> WriteQueued(std::shared_ptr<WebSocketSession> self) {
    for (;;) {
      std::string message;
      {
        std::lock_guard lock(self->mutex_);
        if (self->queue_.empty() || self->closing_) {
          self->writing_ = false;
          co_return;
        }
        message = std::move(self->queue_.front());
        self->queue_.pop_front();
        self->queued_bytes_ -= message.size();
      }
      self->ws_.text(true);
      auto [error, bytes] = co_await self->ws_.async_write(asio::buffer(message),
                                                           asio::as_tuple(asio::use_awaitable));
      (void)bytes;
      if (error) {
        std::lock_guard lock(self->mutex_);
        self->writing_ = false;
        self->closing_ = true;
        self->queue_.clear();
        self->queued_bytes_ = 0;
        co_return;
      }
    }
  }

  static constexpr auto kCloseGrace = std::chrono::seconds(5);

  std::shared_ptr<tcp::socket> tcp_;
  websocket::stream<tcp::socket&> ws_;
  const size_t queue_bytes_max_;
  http::WebSocketCallbacks callbacks_;  // strand only
  std::mutex mutex_;
  std::deque<std::string> queue_;
  size_t queued_bytes_ = 0;
  bool writing_ = false;
  bool closing_ = false;
};

}  // namespace

asio::awaitable<void> HttpServer::State::Accept() {
  for (;;) {
    // With several I/O threads each connection runs on its own strand (a WebSocket's sends come
    // from other threads); one I/O thread serializes everything already, and a strand would only
    // cost a lock and a queue per operation.
    const asio::any_io_executor executor = options.io_threads > 1
                                               ? asio::any_io_executor(asio::make_strand(io))
                                               : asio::any_io_executor(io.get_executor());
    auto [error, socket] =
        co_await acceptor.async_accept(executor, asio::as_tuple(asio::use_awaitable));
    if (error) {
      if (stopping || error == asio::error::operation_aborted) co_return;
      continue;  // e.g. too many open files: keep serving the connections we have
    }
    if (stopping) continue;  // accepted just before the acceptor closed: dropped
    auto connection = std::make_shared<Connection>(std::move(socket));
    {
      std::lock_guard lock(sessions_mutex);
      std::erase_if(connections, [](const auto& weak) { return weak.expired(); });
      connections.push_back(connection);
      ++open_sessions;
    }
    asio::co_spawn(connection->socket.get_executor(), Serve(connection), asio::detached);
  }
}

namespace {

// Errors that end a connection between requests without an answer.
bool EndsQuietly(const beast::error_code& error) {
  return error == beast_http::error::end_of_stream || error == asio::error::operation_aborted ||
         error == beast::error::timeout || error == asio::error::connection_reset ||
         error == asio::error::eof;
}

std::string RemoteAddress(const tcp::socket& socket) {
  beast::error_code error;
  const auto endpoint = socket.remote_endpoint(error);
  return error ? std::string() : endpoint.address().to_string();
}

}  // namespace

asio::awaitable<void> HttpServer::State::Serve(std::shared_ptr<Connection> connection) {
  tcp::socket& socket = connection->socket;
  beast::flat_buffer buffer;
  // Reused for every request of the connection, like the response head: their strings keep their
  // capacity, so a keep-alive request costs no allocation for them.
  http::HttpRequest request;
  std::string response_head;
  request.remote_address = RemoteAddress(socket);
  const int64_t timeout_ns = options.request_timeout_ms * 1'000'000;
  for (;;) {
    RequestParser parser(request);
    parser.header_limit(static_cast<std::uint32_t>(options.header_bytes_max));
    parser.body_limit(static_cast<std::uint64_t>(options.body_bytes_max));
    // An idle keep-alive connection waits at most one request timeout for its next request.
    connection->deadline_ns.store(CoarseMonotonicNs() + timeout_ns, std::memory_order_relaxed);
    beast::error_code read_error = co_await ReadRequest(socket, buffer, parser, true);
    if (EndsQuietly(read_error)) break;
    busy_sessions.fetch_add(1, std::memory_order_acq_rel);
    bool keep_alive = false;
    std::optional<http::HttpResponse>
        response;  // made by the handler, not default-made and replaced
    if (!read_error && !parser.is_done()) {
      read_error = co_await ReadRequest(socket, buffer, parser, false);
    }
    connection->deadline_ns.store(0, std::memory_order_relaxed);  // a handler takes its own time
    const bool head = !read_error && parser.method() == beast_http::verb::head;
    if (read_error) {
      response = RefusalFor(read_error);
    } else {
      const auto websocket_handler = parser.IsWebSocketUpgrade()
                                         ? websocket_handlers.find(request.path)
                                         : websocket_handlers.end();
      if (websocket_handler != websocket_handlers.end() && !stopping) {
        response = co_await Upgrade(connection, request, websocket_handler->second);
        if (!response) co_return;  // served as a WebSocket to its end
      } else {
        response =
            co_await Handle(*connection, request, head, parser.method() == beast_http::verb::get);
        // Past a slow or deferred answer the server may be stopping: the response says so.
        keep_alive = parser.keep_alive() && !stopping;
      }
    }
    const bool send_body =
        WriteResponseHead(response_head, *response, parser.version(), keep_alive, head);
    const std::array<asio::const_buffer, 2> buffers = {
        asio::buffer(response_head),
        send_body ? asio::buffer(response->body) : asio::const_buffer()};
    connection->deadline_ns.store(CoarseMonotonicNs() + timeout_ns, std::memory_order_relaxed);
    // One write takes a response whole unless the socket's buffer is full; only then is the rest
    // written by asio's composed write.
    auto [write_error, written] =
        co_await socket.async_write_some(buffers, asio::as_tuple(asio::use_awaitable));
    if (!write_error && written < asio::buffer_size(buffers)) {
      beast::buffers_suffix<std::array<asio::const_buffer, 2>> rest(buffers);
      rest.consume(written);
      std::tie(write_error, written) =
          co_await asio::async_write(socket, rest, asio::as_tuple(asio::use_awaitable));
    }
    RequestEnded();
    if (write_error || !keep_alive) break;
  }
  {
    std::lock_guard lock(sessions_mutex);  // the watchdog and Stop use the descriptor under it
    connection->closed = true;
    beast::error_code ignored;
    socket.shutdown(tcp::socket::shutdown_both, ignored);
    socket.close(ignored);
  }
  SessionEnded(false);
}

// The handler's response to `request`: on a worker unless it answers inline, and for a deferred
// response awaited without holding any thread. A handler that throws gets a 500.
asio::awaitable<http::HttpResponse> HttpServer::State::Handle(Connection& connection,
                                                              http::HttpRequest& request, bool head,
                                                              bool get) {
  if (head) request.method = "GET";  // HEAD is GET without the body
  HandlerAnswer answer;
  try {
    const bool answers_inline =
        options.answers_inline ? options.answers_inline(request) : head || get;
    if (workers && !answers_inline) {
      answer = co_await asio::co_spawn(
          workers->get_executor(),
          [this, &request]() -> asio::awaitable<HandlerAnswer> { co_return RunHandler(request); },
          asio::use_awaitable);
    } else {
      answer = RunHandler(request);
    }
  } catch (const std::exception&) {
    co_return InternalError();
  }
  if (!answer.pending) co_return std::move(*answer.response);
  co_return co_await AwaitDeferred(connection, std::move(answer.pending));
}

// Runs the handler; a deferred response is started here, on the thread that ran the handler, with
// a Respond that settles a PendingResponse.
HandlerAnswer HttpServer::State::RunHandler(const http::HttpRequest& request) {
  http::HttpResponse response = handler(request);
  if (!http::IsDeferred(response)) return {std::move(response), nullptr};
  auto pending = std::make_shared<PendingResponse>();
  auto responder = std::make_shared<Responder>(pending);
  try {
    response.deferred([responder = std::move(responder)](http::HttpResponse answer) {
      responder->Answer(std::move(answer));
    });
  } catch (const std::exception&) {
    pending->Settle(InternalError());
  }
  return {std::nullopt, std::move(pending)};
}

// Waits for a deferred response within the request deadline, counted from now; the watchdog
// answers 504 past it, Stop() 503 once requests in flight had their grace period.
asio::awaitable<http::HttpResponse> HttpServer::State::AwaitDeferred(
    Connection& connection, std::shared_ptr<PendingResponse> pending) {
  {
    std::lock_guard lock(sessions_mutex);
    if (grace_over) {
      pending->Settle(StoppingAnswer());
    } else {
      connection.pending = pending;
      connection.deadline_ns.store(CoarseMonotonicNs() + options.request_timeout_ms * 1'000'000,
                                   std::memory_order_relaxed);
    }
  }
  http::HttpResponse response = co_await pending->Wait();
  {
    std::lock_guard lock(sessions_mutex);
    connection.pending.reset();
    connection.deadline_ns.store(0, std::memory_order_relaxed);
  }
  co_return response;
}

// An upgrade request for a WebSocket path: the handler's refusal, or nullopt once the connection
// has been served as a WebSocket to its end.
asio::awaitable<std::optional<http::HttpResponse>> HttpServer::State::Upgrade(
    const std::shared_ptr<Connection>& connection, const http::HttpRequest& request,
    const http::WebSocketHandler& upgrade_handler) {
  http::WebSocketUpgrade upgrade;
  try {
    upgrade = upgrade_handler(request);
  } catch (const std::exception&) {
    co_return InternalError();
  }
  if (upgrade.refusal) co_return std::move(upgrade.refusal);
  // The WebSocket session shares the connection through this pointer.
  const std::shared_ptr<tcp::socket> socket(connection, &connection->socket);
  auto session = std::make_shared<WebSocketSession>(socket, options);
  {
    std::lock_guard lock(sessions_mutex);
    connection->websocket = true;  // keeps its own time; closes its own socket
    ++open_websockets;
    std::erase_if(websockets, [](const auto& weak) { return weak.expired(); });
    websockets.push_back(session);
  }
  RequestEnded();  // a long-lived subscription is not a request in flight
  try {
    co_await session->Run(UpgradeMessage(request), std::move(upgrade.on_open));
  } catch (const std::exception&) {  // on_open failed: the session's socket closes with it
  }
  SessionEnded(true);
  co_return std::nullopt;
}

// One timer for every connection's deadline, instead of arming and cancelling a timer around each
// read and write: a connection past its deadline is shut down (its pending read or write then
// fails, and its own coroutine closes it). Deadlines are checked every kWatchdogInterval.
asio::awaitable<void> HttpServer::State::Watchdog() {
  asio::steady_timer timer(io);
  // Also while requests in flight finish during Stop()'s grace period: their deadlines hold.
  while (!grace_over) {
    timer.expires_after(kWatchdogInterval);
    auto [error] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    if (error || grace_over) co_return;
    const int64_t now_ns = CoarseMonotonicNs();
    std::lock_guard lock(sessions_mutex);
    for (const auto& weak : connections) {
      auto connection = weak.lock();
      if (!connection || connection->websocket || connection->closed) continue;
      const int64_t deadline = connection->deadline_ns.load(std::memory_order_relaxed);
      if (deadline == 0 || deadline >= now_ns) continue;
      if (connection->pending) {  // late deferred response: answered now, the connection stays
        connection->pending->Settle(DeadlineAnswer());
        connection->deadline_ns.store(0, std::memory_order_relaxed);
      } else {
        ::shutdown(connection->socket.native_handle(), SHUT_RDWR);
      }
    }
  }
}

void HttpServer::State::RequestEnded() {
  busy_sessions.fetch_sub(1, std::memory_order_acq_rel);
  // Stop() sets `stopping` before it checks busy_sessions under the mutex: taking the mutex here
  // when stopping means the wake-up cannot fall between its check and its wait.
  if (stopping.load(std::memory_order_acquire)) {
    { std::lock_guard lock(sessions_mutex); }
    sessions_idle.notify_all();
  }
}

void HttpServer::State::SessionEnded(bool websocket) {
  {
    std::lock_guard lock(sessions_mutex);
    --open_sessions;
    if (websocket) --open_websockets;
  }
  sessions_idle.notify_all();
}

HttpServer::HttpServer(HttpServerOptions options, http::HttpHandler handler)
    : state_(std::make_unique<State>(std::move(options), std::move(handler))) {}

HttpServer::~HttpServer() {
  Stop(0);
}

void HttpServer::AddWebSocket(std::string path, http::WebSocketHandler handler) {
  state_->websocket_handlers[std::move(path)] = std::move(handler);
}

void HttpServer::Start() {
  State& s = *state_;
  beast::error_code error;
  const auto address = asio::ip::make_address(s.options.host, error);
  if (error)
    throw std::runtime_error("cannot listen on '" + s.options.host + "': not an IP address");
  const tcp::endpoint endpoint(address, s.options.port);
  s.acceptor.open(endpoint.protocol(), error);
  if (!error) s.acceptor.set_option(asio::socket_base::reuse_address(true), error);
  if (!error) s.acceptor.bind(endpoint, error);
  if (!error) s.acceptor.listen(asio::socket_base::max_listen_connections, error);
  if (error) {
    throw std::runtime_error("cannot listen on " + s.options.host + ":" +
                             std::to_string(s.options.port) + ": " + error.message());
  }
  s.port = s.acceptor.local_endpoint().port();
  if (s.options.worker_threads > 0) s.workers.emplace(s.options.worker_threads);
  asio::co_spawn(s.io, s.Accept(), asio::detached);
  asio::co_spawn(s.io, s.Watchdog(), asio::detached);
  for (int i = 0; i < std::max(1, s.options.io_threads); ++i) {
    s.threads.emplace_back([&s] { s.io.run(); });
  }
}

uint16_t HttpServer::port() const {
  return state_->port;
}

void HttpServer::Stop(int64_t grace_ms) {
  State& s = *state_;
  if (s.threads.empty() || s.stopping.exchange(true)) return;
  asio::post(s.io, [&s] {
    beast::error_code ignored;
    s.acceptor.close(ignored);
  });
  {
    // Requests in flight finish (their responses say Connection: close) within the grace period.
    std::unique_lock lock(s.sessions_mutex);
    s.sessions_idle.wait_for(lock, std::chrono::milliseconds(grace_ms),
                             [&s] { return s.busy_sessions.load() == 0; });
    // Deferred responses still awaited are answered now (their connections close below), and none
    // is awaited from here on: a Respond that comes later finds nothing of the server.
    s.grace_over = true;
    for (auto& weak : s.connections) {
      auto connection = weak.lock();
      if (connection && connection->pending) connection->pending->Settle(StoppingAnswer());
    }
    // WebSocket clients get a close frame and a moment to answer it: the I/O threads must still
    // run for the frame to go out at all.
    for (auto& weak : s.websockets) {
      if (auto connection = weak.lock()) connection->Close(1001, "server stopping");
    }
    s.sessions_idle.wait_for(lock, kStopCloseWait, [&s] { return s.open_websockets == 0; });
    for (auto& weak : s.connections) {
      auto connection = weak.lock();
      if (!connection || connection->closed) continue;
      if (connection->websocket) {
        asio::post(connection->socket.get_executor(), [connection] {
          beast::error_code ignored;
          connection->socket.close(ignored);
        });
      } else {
        ::shutdown(connection->socket.native_handle(), SHUT_RDWR);
      }
    }
    // Then every connection ends on its I/O thread, telling its WebSocket handler (which may
    // hold the connection, e.g. StreamHub): once the threads stop, nothing would, and a
    // connection outliving the server's io_context is a use after free.
    s.sessions_idle.wait_for(lock, kStopCloseWait, [&s] { return s.open_sessions == 0; });
  }
  s.io.stop();
  for (auto& thread : s.threads) thread.join();
  s.threads.clear();
  if (s.workers) s.workers->join();  // a handler past the grace period finishes first
}

}  // namespace cambista::api
