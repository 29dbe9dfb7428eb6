// The HTTP request and response as the rest of Cambista sees them: plain structs, so handlers and
// their tests never include Boost.Beast (which stays inside http_server.cpp).
#pragma once

#include <cstdint>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cambista::api {

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
// Completes a deferred response. Call it exactly once, from any thread.
using Respond = std::function<void(HttpResponse)>;

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  Headers headers;
  std::string body;
  std::string log_tenant;  // for the request log line only; never sent
  // Set by Defer(): the handler answers later. The server calls it once, with the Respond that
  // writes the final response, and frees the thread that ran the handler.
  std::function<void(Respond)> deferred;
};

// A response given later: `start` is called with the Respond to call once the answer is ready.
// PROVISIONAL: waits for the answer here until the server awaits deferred responses itself.
inline HttpResponse Defer(std::function<void(Respond)> start) {
  std::promise<HttpResponse> answer;
  auto ready = answer.get_future();
  start([&answer](HttpResponse response) { answer.set_value(std::move(response)); });
  return ready.get();
}
inline bool IsDeferred(const HttpResponse& response) {
  return static_cast<bool>(response.deferred);
}

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

}  // namespace cambista::api
