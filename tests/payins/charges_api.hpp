// The charges fixture as an integrator meets it: API keys from the fixture's ApiKeyStore, calls
// over real HTTP with an Idempotency-Key, problem bodies read member by member, the simulators'
// charge lists (to prove that no gateway was called), and a proxy that can stand between an adapter
// and its simulator to make the gateway fail (503), hold its answer, or pass it on.
#pragma once

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "charges_fixture.hpp"
#include "http/problem.hpp"

namespace cambista::payins::test_support {

// A JSON body's member at a dotted path ("data.0.status": array items by index): its text (a
// string's value, a number as written, "true"/"false", "null"), or nullopt when absent.
inline std::optional<std::string> JsonAt(std::string_view body, std::string_view path) {
  auto document = JsonDocument::Parse(body);
  if (!document.ok()) return std::nullopt;
  const JsonNode* node = &document.value().root();
  while (!path.empty()) {
    const size_t dot = path.find('.');
    const std::string_view step = path.substr(0, dot);
    path = dot == std::string_view::npos ? std::string_view() : path.substr(dot + 1);
    if (node->IsArray()) {
      const size_t index = static_cast<size_t>(std::stoul(std::string(step)));
      if (index >= node->size()) return std::nullopt;
      node = &node->child(index);
    } else if (node->IsObject()) {
      node = node->Find(step);
      if (node == nullptr) return std::nullopt;
    } else {
      return std::nullopt;
    }
  }
  switch (node->kind()) {
    case JsonNode::Kind::kNull:
      return "null";
    case JsonNode::Kind::kBool:
      return node->bool_value() ? "true" : "false";
    case JsonNode::Kind::kArray:
    case JsonNode::Kind::kObject:
      return std::to_string(node->size());  // how many items or members
    default:
      return std::string(node->text());
  }
}

// An HTTP server on loopback between an adapter and its simulator. Every request is counted; then,
// by mode, passed on to the simulator, answered 503 (the gateway is down), or held until Release()
// and then passed on (the gateway answers late).
class GatewayProxy {
 public:
  enum class Mode { kPass, kFail, kHold };

  GatewayProxy(const net::HttpClient& http, std::function<std::string()> target_base_url)
      : http_(http), target_(std::move(target_base_url)) {
    api::HttpServerOptions options;
    options.port = 0;
    options.worker_threads = 4;
    options.answers_inline = [](const http::HttpRequest&) { return false; };
    server_ = std::make_unique<api::HttpServer>(
        options, [this](const http::HttpRequest& request) { return Handle(request); });
    server_->Start();
  }
  ~GatewayProxy() { Stop(); }
  GatewayProxy(const GatewayProxy&) = delete;
  GatewayProxy& operator=(const GatewayProxy&) = delete;

  std::string url() const { return "http://127.0.0.1:" + std::to_string(server_->port()); }
  void SetMode(Mode mode) {
    std::lock_guard lock(mutex_);
    mode_ = mode;
  }
  // Lets every held request (and any later one) through.
  void Release() {
    {
      std::lock_guard lock(mutex_);
      mode_ = Mode::kPass;
    }
    released_.notify_all();
  }
  int calls() const { return calls_.load(); }
  int held() const { return held_.load(); }
  void Stop() {
    Release();
    if (server_) server_->Stop(1'000);
  }

 private:
  http::HttpResponse Handle(const http::HttpRequest& request) {
    calls_.fetch_add(1);
    {
      std::unique_lock lock(mutex_);
      if (mode_ == Mode::kFail) {
        return http::Problem(503, "unavailable", "Unavailable", "The gateway is down.");
      }
      if (mode_ == Mode::kHold) {
        held_.fetch_add(1);
        released_.wait(lock, [this] { return mode_ != Mode::kHold; });
      }
    }
    net::ClientRequest forward;
    forward.method = request.method;
    forward.url = target_() + request.target;
    forward.body = request.body;
    for (const auto& [name, value] : request.headers) {
      const std::string lower = LowerCase(name);
      if (lower == "host" || lower == "content-length" || lower == "connection") continue;
      forward.headers.emplace_back(name, value);
    }
    auto answer = http_.Send(forward);
    if (!answer.ok()) return http::Problem(502, "proxy_failed", "Proxy failed", "No answer.");
    http::HttpResponse response;
    response.status = answer.value().status;
    response.content_type = std::string(answer.value().Header("Content-Type"));
    response.body = answer.value().body;
    return response;
  }
  static std::string LowerCase(std::string text) {
    for (char& c : text) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
    return text;
  }

  const net::HttpClient& http_;
  std::function<std::string()> target_;
  std::mutex mutex_;
  std::condition_variable released_;
  Mode mode_ = Mode::kPass;
  std::atomic<int> calls_{0};
  std::atomic<int> held_{0};
  std::unique_ptr<api::HttpServer> server_;
};

class ChargesApiTest : public ChargesTest {
 protected:
  // A new API key of `tenant` with `scopes`.
  std::string Key(const std::string& tenant, ScopeSet scopes) {
    return keys_->Create(tenant, scopes);
  }
  static std::string PrefixOf(const std::string& key) { return key.substr(4, kApiKeyPrefixChars); }

  // A request with the key; a POST gets `idempotency_key` (a fresh one when empty).
  net::ClientResponse Call(const std::string& method, const std::string& path,
                           const std::string& key, std::string body = "",
                           std::string idempotency_key = "") {
    std::vector<std::pair<std::string, std::string>> headers{{"Authorization", "Bearer " + key}};
    if (method == "POST") {
      if (idempotency_key.empty()) idempotency_key = "idem-" + std::to_string(++requests_made_);
      headers.emplace_back("Idempotency-Key", idempotency_key);
    }
    return Send(method, path, std::move(body), std::move(headers));
  }
  // How many charges the simulator of `gateway` holds: each one is a call that created it.
  int ChargesAt(std::string_view gateway) {
    const auto answer = Send("GET", "/sandbox/" + std::string(gateway) + "/charges");
    return std::stoi(JsonAt(answer.body, "data").value_or("-1"));
  }
  std::vector<int> ChargesAtEveryGateway() {
    std::vector<int> counts;
    for (std::string_view gateway : sandbox::SandboxGateways())
      counts.push_back(ChargesAt(gateway));
    return counts;
  }
  // The charge (as the service has it) that a 201 body describes.
  Charge ChargeOf(const net::ClientResponse& created) {
    return service_->Get("default", JsonAt(created.body, "id").value_or("")).value_or(Charge{});
  }

  int requests_made_ = 0;
};

}  // namespace cambista::payins::test_support
