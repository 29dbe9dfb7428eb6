// The HTTP/1.1 server: Boost.Beast with C++20 coroutines, kept inside http_server.cpp so the rest
// of Cambista compiles without it. Keep-alive; limits on header and body size; a deadline on every
// read and write; graceful stop (no new connections, in-flight requests finish within a grace
// period, idle keep-alive connections are closed), and WebSocket upgrades on chosen paths. Handlers
// are plain functions, run on a worker thread unless they answer at once (answers_inline); a
// request the server itself refuses (too large, malformed, too slow) gets a problem+json answer
// where the protocol still allows one.
//
// A handler may defer its response (Defer in http_types.hpp): the server starts it on the thread
// that ran the handler, which is then free, and the connection waits, holding no thread, until its
// Respond is called from any thread; then the response is written, and the connection goes on with
// its next (keep-alive, pipelined) request. The wait is bounded by request_timeout_ms, counted from
// the deferral: past it the server answers 504 `upstream_timeout` itself. A Respond dropped
// uncalled answers 500 at once. Once the server answered, a later Respond is ignored; it is safe
// to call from any thread at any time, even after Stop() and the server's destruction. Stop()
// waits for deferred responses like for any request in flight; those still awaited after the
// grace period are abandoned with their connections (503 `server_stopping` where it can still be
// written).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "http/http_types.hpp"

namespace cambista::api {

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 8080;  // 0: a free port, see HttpServer::port()
  int64_t header_bytes_max = 16 << 10;
  int64_t body_bytes_max = 1 << 20;
  // Whole request read; wait for a deferred response; response write.
  int64_t request_timeout_ms = 30'000;
  int io_threads = 2;
  // Handlers that may wait (a database query or commit, a call to a payment gateway) run on this
  // many worker threads, so the I/O threads never wait on them. 0: every handler on the I/O
  // threads.
  int worker_threads = 4;
  // Whether a request's handler answers at once (from memory) and so runs on the I/O thread,
  // sparing the hand-over to a worker; called on the I/O thread, it must be cheap. Unset: GET and
  // HEAD requests are answered on the I/O threads, others on the workers.
  std::function<bool(const http::HttpRequest&)> answers_inline;
  // WebSocket connections (AddWebSocket): bytes queued for a client before it is dropped as a slow
  // consumer, largest message accepted from a client, and the idle time after which the server
  // pings and then gives up on a silent client.
  int64_t websocket_queue_bytes_max = 1 << 20;
  int64_t websocket_message_bytes_max = 64 << 10;
  int64_t websocket_idle_timeout_ms = 30'000;
};

class HttpServer {
 public:
  HttpServer(HttpServerOptions options, http::HttpHandler handler);
  ~HttpServer();  // Stop(0) if still running
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Upgrade requests (GET with `Upgrade: websocket`) for `path` go to `handler` instead of the
  // HTTP handler. Call before Start().
  void AddWebSocket(std::string path, http::WebSocketHandler handler);

  // Binds and starts the I/O threads. Throws std::runtime_error if the address cannot be bound.
  void Start();
  uint16_t port() const;  // the bound port, once started
  // Stops accepting, lets requests in flight (deferred responses included) finish for up to
  // grace_ms, then closes everything:
  // WebSocket connections with 1001 "going away", waiting up to a second for clients to answer.
  // Every connection has ended (and told its WebSocket handler) when it returns, unless a handler
  // is still running past the grace period.
  void Stop(int64_t grace_ms);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace cambista::api
