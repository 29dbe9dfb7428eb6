// Records every response a test's Router gives when CAMBISTA_TESTING_RECORD_RESPONSES names a file:
// ctest sets it for the in-process HTTP tests, and the `responses_match_openapi` test then holds
// the recorded responses to /openapi.json (tests/e2e/check_recorded_responses.sh). Unset, nothing
// is recorded.
//
//   #include "response_recording.hpp"   // the test links cambista_api
//   recorder_ = testing::RecordResponsesIfAsked(router_);  // keep it while the router serves
#pragma once

#include <cstdlib>
#include <memory>

#include "api/response_recorder.hpp"
#include "http/router.hpp"

namespace cambista::testing {

inline std::unique_ptr<api::ResponseRecorder> RecordResponsesIfAsked(http::Router& router) {
  const char* path = std::getenv("CAMBISTA_TESTING_RECORD_RESPONSES");
  if (path == nullptr || *path == '\0') return nullptr;
  auto recorder = std::make_unique<api::ResponseRecorder>(path);
  router.RecordResponses(recorder.get());
  return recorder;
}

}  // namespace cambista::testing
