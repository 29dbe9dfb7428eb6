// Routes by method and path pattern ("/v1/ledger/accounts/{id}"), hands the captured parameters to
// the handler, and answers what matches no route with problem+json: 404 `not_found`, or 405
// `method_not_allowed` with an Allow header when the path exists for other methods.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "http/http_types.hpp"

namespace cambista::http {

using PathParams = std::map<std::string, std::string, std::less<>>;

// Sees every response a Router gives (api::ResponseRecorder writes them to a file for the test
// suite's check against /openapi.json). Record may be called from any thread.
class ResponseObserver {
 public:
  virtual ~ResponseObserver() = default;
  // `route` is the pattern of the route that answered, empty when none did.
  virtual void Record(std::string_view method, std::string_view route,
                      const HttpResponse& response) = 0;
};

// A response a route may give besides its success and its problem+json errors (the simulators
// answer errors in their gateway's own shape).
struct ResponseDoc {
  int status = 200;
  std::string description;
  std::string schema;  // JSON Schema (http/json_schema.hpp)
  std::string content_type = "application/json";
};

// A request header a route reads (Idempotency-Key has its own flag below).
struct HeaderDoc {
  std::string name;
  std::string description;
  bool required = true;
};

// What /openapi.json says of a route. Every route has one: Router::Add requires it. Written with
// designated initializers, in this order:
//   RouteDoc{.summary = "One charge.", .access = "charges:read", .response_schema = Ref("Charge"),
//            .errors = {{404, {"not_found"}}}}
struct RouteDoc {
  std::string summary;  // one line
  std::string access;   // "public", "key" (any valid API key) or a scope name ("ledger:read")
  std::string description = {};  // more for people, when one line is not enough
  // Of success: 201 when the route creates, 101 for an upgrade; 0 for a route that only refuses.
  int status = 200;
  std::string response_schema = R"({"type":"object"})";  // JSON Schema of the success body
  std::string response_type = "application/json";
  std::string request_schema = {};  // JSON Schema of the JSON body; empty: the route reads none
  bool request_optional = false;    // the body may be left out
  bool idempotency_key = false;     // an Idempotency-Key header is required
  std::vector<HeaderDoc> headers = {};
  std::vector<std::pair<std::string, std::string>> query = {};  // name, description
  // Problem responses: status -> the stable problem codes it can carry. Those every route may
  // give (413, 431, 500; 401, 403 and 429 on keyed routes; 400, 409 and 422 with
  // idempotency_key) are added by the document itself.
  std::vector<std::pair<int, std::vector<std::string>>> errors = {};
  std::vector<ResponseDoc> responses = {};  // other responses, not problem+json
};
using RouteHandler = std::function<HttpResponse(const HttpRequest&, const PathParams&)>;

// How long a route's handler may take: kInMemory answers from memory at once (it may run on an
// I/O thread); kMayWait may query the database or call out (it runs on a worker).
enum class RouteCost { kMayWait, kInMemory };

class Router {
 public:
  // `pattern` segments are literals or {name}; a {name} segment matches one non-empty segment.
  void Add(std::string method, std::string pattern, RouteDoc doc, RouteHandler handler,
           RouteCost cost = RouteCost::kMayWait);
  // `matched_pattern`, when given, receives the pattern of the route that answered (it lives as
  // long as the router), and is left alone when none did. A deferred response (Defer) is returned
  // as the handler made it.
  HttpResponse Handle(const HttpRequest& request,
                      std::string_view* matched_pattern = nullptr) const;
  // Whether Handle would answer `request` from memory: its route is kInMemory, or none matches
  // (404 and 405 need nothing else).
  bool AnswersFromMemory(const HttpRequest& request) const;
  // Marks every route added so far whose pattern starts with `prefix` as kInMemory (a whole
  // in-memory subsystem, such as the sandbox simulators, added by code that takes a Router).
  void MarkInMemory(std::string_view prefix);
  // Names a JSON Schema that route docs reference as schema::Ref(name); it goes into the document's
  // components. Registering a name again with the same schema is a no-op (modules may share a
  // shape); with another schema, a bug.
  void AddSchema(std::string name, std::string schema);
  // Every response Handle gives from now on (deferred ones when they come) is given to
  // `recorder`, which must outlive the router; nullptr stops it. For tests: see
  // api/response_recorder.hpp. Call before serving. Costs one branch per request when unset.
  void RecordResponses(ResponseObserver* recorder) { recorder_ = recorder; }

  struct Route {
    std::string method;
    std::string pattern;
    std::vector<std::string> segments;
    RouteDoc doc;
    RouteHandler handler;
    RouteCost cost;
  };
  const std::vector<Route>& routes() const { return routes_; }
  const std::map<std::string, std::string, std::less<>>& schemas() const { return schemas_; }

 private:
  // The route's answer; `pattern` is set to the route's pattern when one matched.
  HttpResponse Answer(const HttpRequest& request, std::string_view& pattern) const;

  std::vector<Route> routes_;
  std::map<std::string, std::string, std::less<>> schemas_;
  ResponseObserver* recorder_ = nullptr;
};

}  // namespace cambista::http
