// For tests that call a Router or a handler directly, without a server: the final response.
//
//   #include "wait_for_response.hpp"   // the test links cambista_api
//
//   HttpResponse response = cambista::testing::WaitForResponse(router.Handle(request));
//
// An immediate response comes back as it is; a deferred one is started here (as the server would
// start it) and waited for, however long its Respond takes. A Respond dropped uncalled gives 500
// `internal_error`, as the server answers then.
#pragma once

#include <atomic>
#include <future>
#include <memory>
#include <utility>

#include "http/http_types.hpp"
#include "http/problem.hpp"

namespace cambista::testing {

inline http::HttpResponse WaitForResponse(http::HttpResponse response) {
  if (!http::IsDeferred(response)) return response;
  class Answer {
   public:
    ~Answer() {
      Set(http::Problem(500, "internal_error", "Internal error",
                        "The server failed to handle the request; it was logged."));
    }
    void Set(http::HttpResponse final_response) {
      if (!answered_.exchange(true)) promise_.set_value(std::move(final_response));
    }
    std::future<http::HttpResponse> Future() { return promise_.get_future(); }

   private:
    std::promise<http::HttpResponse> promise_;
    std::atomic<bool> answered_{false};
  };
  auto answer = std::make_shared<Answer>();
  std::future<http::HttpResponse> future = answer->Future();
  response.deferred(
      [answer](http::HttpResponse final_response) { answer->Set(std::move(final_response)); });
  answer.reset();  // only the Respond holds it now: dropping it answers 500
  response.deferred = nullptr;
  return future.get();
}

}  // namespace cambista::testing
