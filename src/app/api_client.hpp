// The desk's HTTP API as an integrator's program meets it, for the commands that drive whole flows
// over it (`cambista demo`, `cambista bench flow`): one blocking HTTP/1.1 connection kept alive
// across requests (http:// only, resolved once), the API key on every request that wants it, and
// answers read with the exact-number JSON reader of payins/provider_json.hpp (amounts stay text).
// Not thread-safe: one client per thread.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include "app/bench_load.hpp"

namespace cambista::app {

struct ApiReply {
  int status = 0;      // 0: no answer (refused, closed, timed out); `error` says which
  std::string body{};  // as received
  std::string error{};

  bool ok() const { return status >= 200 && status < 300; }
  // A member's text at a path of nested objects ({"charge", "gateway"}): a string's value or a
  // number as written; "" when the body is not JSON or the member is absent or null.
  std::string Field(std::initializer_list<std::string_view> path) const;
  std::string Field(std::string_view name) const { return Field({name}); }
  // "409 quote_used: <detail>", or the transport error: for messages to people.
  std::string Describe() const;
};

class ApiClient {
 public:
  // `api_key` may be empty (public routes only).
  ApiClient(const Endpoint& endpoint, std::string api_key, int64_t timeout_ms = 30'000);
  ~ApiClient();
  ApiClient(const ApiClient&) = delete;
  ApiClient& operator=(const ApiClient&) = delete;

  // One request; the key is sent when `authorized` (the sandbox's control routes are public).
  // A connection the server closed while idle is reopened and the request sent once more.
  ApiReply Send(std::string_view method, std::string_view path, std::string_view body = "",
                std::string_view idempotency_key = "", bool authorized = true);
  ApiReply Get(std::string_view path) { return Send("GET", path); }

 private:
  bool Connect(std::string& error);
  void Close();
  // Writes `request` and reads one answer on the open connection; `received_any` tells whether
  // the server answered at all (a reused connection closed before it did may be retried).
  ApiReply Exchange(const std::string& request, bool& received_any);

  const Endpoint endpoint_;
  const std::string api_key_;
  const int64_t timeout_ms_;
  int fd_ = -1;
  std::string in_;
};

}  // namespace cambista::app
