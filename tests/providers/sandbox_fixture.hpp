// Helpers shared by the sandbox tests: polling with a deadline, exact money, JSON paths, a local
// HttpServer and the webhook receiver that records what the simulators send.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <deque>
#include <functional>
#include <initializer_list>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "api/http_server.hpp"
#include "core/amount.hpp"
#include "http/http_types.hpp"
#include "payins/provider_json.hpp"

namespace cambista::sandbox::test_support {

using http::HttpRequest;
using http::HttpResponse;
using payins::JsonNode;

inline constexpr auto kDeadline = std::chrono::seconds(15);

// Polls `condition` until it holds or kDeadline passes; the deadline only guards against hangs.
inline bool WaitFor(const std::function<bool()>& condition) {
  const auto give_up = std::chrono::steady_clock::now() + kDeadline;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > give_up) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

inline Asset AssetOf(std::string_view code) {
  return Asset::Make(code, 2).value();
}
inline Amount Money(std::string_view text, std::string_view code = "BRL") {
  return Amount::Parse(text, AssetOf(code)).value();
}

inline JsonNode ParseJson(std::string_view text) {
  auto document = payins::JsonDocument::Parse(text);
  if (!document.ok()) {
    ADD_FAILURE() << document.error().message << ": " << text;
    return JsonNode();
  }
  return document.value().root();
}

// The value at a dotted path ("data.amount"); null when any step is missing.
inline const JsonNode& At(const JsonNode& root, std::string_view path) {
  static const JsonNode kNull;
  const JsonNode* node = &root;
  while (!path.empty()) {
    const size_t dot = path.find('.');
    node = node->Find(path.substr(0, dot));
    if (node == nullptr) return kNull;
    path = dot == std::string_view::npos ? std::string_view() : path.substr(dot + 1);
  }
  return *node;
}
// Item `index` of an array (a failure and null when there is no such item).
inline JsonNode Item(const JsonNode& array, size_t index) {
  if (index >= array.items().size()) {
    ADD_FAILURE() << "no item " << index << " in an array of " << array.items().size();
    return JsonNode();
  }
  return array.items()[index];
}
inline std::string Text(const JsonNode& root, std::string_view path) {
  return std::string(At(root, path).text());
}

inline HttpResponse Reply(int status, std::string body = "{}") {
  HttpResponse response;
  response.status = status;
  response.body = std::move(body);
  return response;
}

inline api::HttpServerOptions LocalServer(int io_threads = 2) {
  api::HttpServerOptions options;
  options.host = "127.0.0.1";
  options.port = 0;
  options.io_threads = io_threads;
  options.request_timeout_ms = 10'000;
  return options;
}

// The webhook receiver: records every request; answers with the queued statuses first, then 200.
class Receiver {
 public:
  Receiver()
      : server_(LocalServer(), [this](const HttpRequest& request) {
          std::lock_guard lock(mutex_);
          requests_.push_back(request);
          if (replies_.empty()) return Reply(200, R"({"ok":true})");
          const int status = replies_.front();
          replies_.pop_front();
          return Reply(status);
        }) {
    server_.Start();
  }
  ~Receiver() { server_.Stop(1'000); }

  std::string Url(std::string_view path) const {
    return "http://127.0.0.1:" + std::to_string(server_.port()) + std::string(path);
  }
  void QueueReplies(std::initializer_list<int> statuses) {
    std::lock_guard lock(mutex_);
    replies_.insert(replies_.end(), statuses);
  }
  std::vector<HttpRequest> Requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
  }
  // The requests whose body's `id_path` is `id`, in arrival order.
  std::vector<HttpRequest> For(std::string_view id_path, std::string_view id) const {
    std::vector<HttpRequest> matching;
    for (const HttpRequest& request : Requests()) {
      auto body = payins::JsonDocument::Parse(request.body);
      if (body.ok() && Text(body.value().root(), id_path) == id) matching.push_back(request);
    }
    return matching;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<HttpRequest> requests_;
  std::deque<int> replies_;
  api::HttpServer server_;
};

}  // namespace cambista::sandbox::test_support
