// Test instrumentation: every response a Router gives, one JSON line each, appended to a file, so
// that tests/e2e/check_responses.mjs can check each one against /openapi.json (a response that
// breaks its documented contract fails the test suite). Enabled by `testing.record_responses`
// (CAMBISTA_TESTING_RECORD_RESPONSES) in `cambista serve`, and by the same variable in the
// in-process test fixtures; off, it costs the router one branch per request.
//
//   {"method":"POST","route":"/v1/charges","status":201,"content_type":"application/json",
//    "body":"{\"id\":\"ch_...\",...}"}
//
// Only responses are written: never a request header, path or query (a gateway's webhook carries
// its charge token in the path: the route pattern is written instead). `route` is null for a
// request no route matched. JSON bodies (application/json, */*+json) are written as a JSON string;
// other bodies (images, HTML, Prometheus text) only by size, as "body_bytes". A response may show a
// secret once (a webhook endpoint's creation answer carries its signing secret): the file is a
// test artifact, kept in the test's temporary directory, never a production log.
#pragma once

#include <string>
#include <string_view>

#include "http/router.hpp"

namespace cambista::api {

class ResponseRecorder final : public http::ResponseObserver {
 public:
  // Opens `path` for appending, creating it if missing; throws std::runtime_error when it cannot.
  explicit ResponseRecorder(const std::string& path);
  ~ResponseRecorder() override;
  ResponseRecorder(const ResponseRecorder&) = delete;
  ResponseRecorder& operator=(const ResponseRecorder&) = delete;

  // Thread-safe; several processes may append to one file: each line is one write to a file
  // opened O_APPEND, so lines never interleave.
  void Record(std::string_view method, std::string_view route,
              const http::HttpResponse& response) override;

 private:
  int fd_ = -1;
};

// Whether `content_type` is JSON: application/json or a +json type, parameters aside.
bool IsJsonContentType(std::string_view content_type);

}  // namespace cambista::api
