#include "http/http_types.hpp"

#include <algorithm>
#include <atomic>

#include "http/problem.hpp"

namespace cambista::http {
namespace {

HttpResponse Abandoned() {
  return Problem(500, "internal_error", "Internal error",
                 "The server failed to handle the request; it was logged.");
}

// Behind the Respond that WhenFinal hands to a deferred response's start: applies `finish` to the
// answer and passes it on, once; an answer that never comes (every copy of the Respond dropped)
// passes on a 500, so the layers outside still see a final response.
class FinalRelay {
 public:
  FinalRelay(Respond respond, std::function<HttpResponse(HttpResponse)> finish)
      : respond_(std::move(respond)), finish_(std::move(finish)) {}
  FinalRelay(const FinalRelay&) = delete;
  FinalRelay& operator=(const FinalRelay&) = delete;
  ~FinalRelay() {
    if (!answered_.exchange(true)) Forward(Abandoned());
  }

  void Answer(HttpResponse response) {
    if (!answered_.exchange(true)) Forward(std::move(response));
  }

 private:
  // Runs on the thread of whoever answers (a gateway's pool, say): nothing may escape to it.
  void Forward(HttpResponse response) noexcept {
    try {
      response = finish_(std::move(response));
    } catch (...) {
      response = Abandoned();
    }
    try {
      respond_(std::move(response));
    } catch (...) {  // the server's Respond does not throw; an outer layer's relays catch
    }
  }

  Respond respond_;
  std::function<HttpResponse(HttpResponse)> finish_;
  std::atomic<bool> answered_{false};
};

// Header names are ASCII (RFC 9110); their case carries no meaning.
bool EqualIgnoringAsciiCase(std::string_view a, std::string_view b) {
  const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
  return std::ranges::equal(a, b, [&](char x, char y) { return lower(x) == lower(y); });
}

}  // namespace

std::string_view HttpRequest::Header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (EqualIgnoringAsciiCase(key, name)) return value;
  }
  return {};
}

HttpResponse Defer(std::function<void(Respond)> start) {
  HttpResponse response;
  response.deferred = std::move(start);
  return response;
}

bool IsDeferred(const HttpResponse& response) {
  return static_cast<bool>(response.deferred);
}

HttpResponse WhenFinal(HttpResponse response, std::function<HttpResponse(HttpResponse)> finish) {
  if (!IsDeferred(response)) return finish(std::move(response));
  return Defer(
      [start = std::move(response.deferred), finish = std::move(finish)](Respond respond) mutable {
        auto relay = std::make_shared<FinalRelay>(std::move(respond), std::move(finish));
        start([relay](HttpResponse answer) { relay->Answer(std::move(answer)); });
      });
}

}  // namespace cambista::http
