// A real loopback HTTP server (api::HttpServer on 127.0.0.1:0) standing in for a gateway's API:
// it records every request and answers with whatever the test says, so adapter tests assert the
// exact method, path, headers, query and body each adapter sends over a real socket.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/http_server.hpp"
#include "core/clock.hpp"
#include "net/http_client.hpp"
#include "payins/gateway.hpp"
#include "payins/provider_json.hpp"

namespace cambista::payins::testing {

using http::HttpRequest;
using http::HttpResponse;

inline HttpResponse JsonReply(int status, std::string body, http::Headers headers = {}) {
  HttpResponse response;
  response.status = status;
  response.content_type = "application/json";
  response.body = std::move(body);
  response.headers = std::move(headers);
  return response;
}

inline HttpResponse TextReply(int status, std::string body) {
  HttpResponse response = JsonReply(status, std::move(body));
  response.content_type = "text/html";
  return response;
}

class FakeGatewayServer {
 public:
  using Replier = std::function<HttpResponse(const HttpRequest&)>;

  FakeGatewayServer()
      : server_(Options(), [this](const HttpRequest& request) {
          Replier replier;
          {
            std::lock_guard lock(mutex_);
            requests_.push_back(request);
            replier = replier_;
          }
          return replier ? replier(request) : JsonReply(500, R"({"message":"no reply set"})");
        }) {
    server_.Start();
  }
  ~FakeGatewayServer() { server_.Stop(1'000); }

  void Reply(Replier replier) {
    std::lock_guard lock(mutex_);
    replier_ = std::move(replier);
  }
  void ReplyAlways(int status, std::string body) {
    Reply([status, body = std::move(body)](const HttpRequest&) { return JsonReply(status, body); });
  }

  std::vector<HttpRequest> requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
  }
  size_t request_count() const {
    std::lock_guard lock(mutex_);
    return requests_.size();
  }
  HttpRequest last_request() const {
    std::lock_guard lock(mutex_);
    return requests_.empty() ? HttpRequest{} : requests_.back();
  }

  // The gateway's API root as the sandbox serves it: a path prefix the adapter must keep.
  std::string base_url(std::string_view prefix) const {
    return "http://127.0.0.1:" + std::to_string(server_.port()) + std::string(prefix);
  }

 private:
  static api::HttpServerOptions Options() {
    api::HttpServerOptions options;
    options.port = 0;
    options.io_threads = 1;
    options.request_timeout_ms = 5'000;
    return options;
  }

  mutable std::mutex mutex_;
  std::vector<HttpRequest> requests_;
  Replier replier_;
  api::HttpServer server_;
};

// Everything an adapter needs, pointing at a fake server.
struct GatewayHarness {
  explicit GatewayHarness(std::string_view prefix) {
    context.http = &client;
    context.clock = &clock;
    context.base_url = server.base_url(prefix);
    context.timeout_ms = 5'000;
  }

  FakeGatewayServer server;
  net::HttpClient client;
  ManualClock clock;
  GatewayContext context;
};

// The node at a dotted path ("data.amount", "split_rules[0].value") of a JSON body, or nullptr.
inline const JsonNode* NodeAt(const JsonNode& root, std::string_view path) {
  const JsonNode* node = &root;
  while (node && !path.empty()) {
    if (path.front() == '[') {
      const size_t close = path.find(']');
      const size_t index = std::stoul(std::string(path.substr(1, close - 1)));
      if (node->kind() != JsonNode::Kind::kArray || index >= node->size()) return nullptr;
      node = &node->child(index);
      path.remove_prefix(close + 1);
    } else {
      const size_t end = path.find_first_of(".[");
      node = node->Find(path.substr(0, end));
      path.remove_prefix(end == std::string_view::npos ? path.size() : end);
    }
    if (!path.empty() && path.front() == '.') path.remove_prefix(1);
  }
  return node;
}

// A request body read back with the same exact parser: numbers keep their text ("10.5").
class BodyView {
 public:
  explicit BodyView(std::string_view body) : document_(JsonDocument::Parse(body)) {}
  bool ok() const { return document_.ok(); }
  // The field's text ("" when absent): a number exactly as sent, a string's value.
  std::string Text(std::string_view path) const {
    const JsonNode* node = Node(path);
    return node ? std::string(node->text()) : std::string();
  }
  JsonNode::Kind KindOf(std::string_view path) const {
    const JsonNode* node = Node(path);
    return node ? node->kind() : JsonNode::Kind::kNull;
  }
  bool Has(std::string_view path) const { return Node(path) != nullptr; }

 private:
  const JsonNode* Node(std::string_view path) const {
    return document_.ok() ? NodeAt(document_.value().root(), path) : nullptr;
  }
  Result<JsonDocument, JsonFieldError> document_;
};

// The value of `name` in a query string ("" when absent; no decoding: tests use plain values).
inline std::string QueryValue(std::string_view query, std::string_view name) {
  while (!query.empty()) {
    const size_t end = query.find('&');
    const std::string_view pair = query.substr(0, end);
    const size_t equals = pair.find('=');
    if (pair.substr(0, equals) == name) {
      return equals == std::string_view::npos ? "" : std::string(pair.substr(equals + 1));
    }
    query.remove_prefix(end == std::string_view::npos ? query.size() : end + 1);
  }
  return "";
}

inline CreateChargeRequest ChargeRequest(Amount amount) {
  CreateChargeRequest request{.amount = amount,
                              .description = "Pedido 123",
                              .reference = "chg_0001",
                              .customer = {.name = "Joao Silva",
                                           .document = "12345678909",
                                           .email = "joao@example.com",
                                           .phone = "11999999999"},
                              .expires_in_seconds = 3600,
                              .webhook_url = "https://desk.example/webhooks/gateway/tenant_1"};
  return request;
}

}  // namespace cambista::payins::testing
