// The HTTP request and response as the rest of Cambista sees them: plain structs, so handlers and
// their tests never include Boost.Beast (which stays inside http_server.cpp).
//
// A handler answers at once, or later: a handler that must wait on something slow (a payment
// gateway) returns Defer(start) and hands the Respond it is given to whatever will produce the
// answer (a gateway's thread pool), so the thread that ran the handler is free meanwhile. The
// server writes the response when Respond is called, from any thread; past the request deadline it
// answers 504 `upstream_timeout` itself and ignores a late Respond. Layers around handlers (auth,
// idempotency, the request log) act on the final response through WhenFinal.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cambista::http {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string target;  // as sent: path and query
  std::string path;    // without the query
  std::string query;   // after '?', may be empty
  Headers headers;
  std::string body;
  std::string remote_address;

  // First value of a header, matched case-insensitively; empty when absent.
  std::string_view Header(std::string_view name) const;
};

struct HttpResponse;

// Completes a deferred response. Call it exactly once, from any thread; later calls are ignored. A
// Respond dropped without being called answers 500 (where it came from the server or WhenFinal).
using Respond = std::function<void(HttpResponse)>;

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  Headers headers;
  std::string body;
  std::string log_tenant;  // for the request log line only; never sent
  // Set by Defer(): the handler answers later. The server calls it once, with the Respond that
  // writes the final response, and frees the thread that ran the handler. The other fields of a
  // deferred response are ignored.
  std::function<void(Respond)> deferred;
};

// A response given later: `start` is called with the Respond to call once the answer is ready.
// `start` should only hand Respond on (to a queue, a pool): it runs on the thread that ran the
// handler, which may be an I/O thread.
HttpResponse Defer(std::function<void(Respond)> start);
bool IsDeferred(const HttpResponse& response);  // deferred is set

// `finish` applied to the final response: at once to an immediate response (an exception goes to
// the caller, as from a handler), or, for a deferred one, to its answer when it comes, on the
// thread that calls Respond. There an exception from `finish` makes the answer 500
// `internal_error`, and a Respond dropped uncalled gives `finish` that 500 too, so a layer that
// holds something for the request (an idempotency key) always lets go of it.
HttpResponse WhenFinal(HttpResponse response, std::function<HttpResponse(HttpResponse)> finish);

using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

// A WebSocket connection as the rest of Cambista sees it. Thread-safe. Send never blocks: text
// messages queue up to a byte bound (HttpServerOptions::websocket_queue_bytes_max); a message past
// it drops the queue and closes the connection with 1008 "slow consumer" (the client was not
// reading) and Send says kDroppedSlow; once the connection is closing or closed it says kClosed.
class WebSocketConnection {
 public:
  enum class SendResult { kQueued, kDroppedSlow, kClosed };
  virtual ~WebSocketConnection() = default;
  virtual SendResult Send(std::string text) = 0;
  virtual void Close(uint16_t code, std::string reason) = 0;
};

struct WebSocketCallbacks {
  std::function<void(std::string_view text)> on_message;  // one complete text message
  std::function<void()> on_close;                         // once, however the connection ended
};

// The answer to a WebSocket upgrade request: a refusal (sent as an HTTP response, e.g. 401), or
// `on_open`, called with the accepted connection, returning what to call as messages arrive.
struct WebSocketUpgrade {
  std::optional<HttpResponse> refusal;
  std::function<WebSocketCallbacks(std::shared_ptr<WebSocketConnection>)> on_open;
};
using WebSocketHandler = std::function<WebSocketUpgrade(const HttpRequest&)>;

}  // namespace cambista::http
