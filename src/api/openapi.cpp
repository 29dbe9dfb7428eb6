#include "api/openapi.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <vector>

#include "http/json_schema.hpp"
#include "http/problem.hpp"

namespace cambista::api {
namespace {

std::string Lower(std::string_view text) {
  std::string lower;
  for (char c : text)
    lower.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  return lower;
}

std::string OperationId(const http::Router::Route& route) {
  std::string id = Lower(route.method);
  bool upper = true;
  for (char c : route.pattern) {
    if (c == '/' || c == '{' || c == '}' || c == '-' || c == '.' || c == '_') {
      upper = true;
    } else {
      id.push_back(upper ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c);
      upper = false;
    }
  }
  return id;
}

std::string Security(const http::RouteDoc& doc) {
  if (doc.access == "public") return "[]";
  const std::string scopes = doc.access == "key" ? "" : http::JsonString(doc.access);
  return "[{\"apiKey\":[" + scopes + "]}]";
}

std::string Parameter(std::string_view name, std::string_view in, bool required,
                      std::string_view description, std::string_view schema) {
  std::string out = "{\"name\":" + http::JsonString(name) + ",\"in\":\"" + std::string(in) +
                    "\",\"required\":" + (required ? "true" : "false");
  if (!description.empty()) out += ",\"description\":" + http::JsonString(description);
  return out + ",\"schema\":" + std::string(schema) + "}";
}

std::string Parameters(const http::Router::Route& route) {
  const http::RouteDoc& doc = route.doc;
  std::vector<std::string> parameters;
  for (const std::string& segment : route.segments) {
    if (segment.size() > 2 && segment.front() == '{') {
      parameters.push_back(Parameter(segment.substr(1, segment.size() - 2), "path", true, "",
                                     http::schema::String()));
    }
  }
  for (const auto& [name, description] : doc.query) {
    parameters.push_back(Parameter(name, "query", false, description, http::schema::String()));
  }
  if (doc.idempotency_key) {
    parameters.push_back(Parameter(
        "Idempotency-Key", "header", true,
        "1 to 255 visible ASCII characters, unique per operation: a retry with the same key and "
        "body answers the first response again (Idempotent-Replayed: true); another body under "
        "the key is refused.",
        R"({"type":"string","minLength":1,"maxLength":255,"pattern":"^[!-~]+$"})"));
  }
  for (const http::HeaderDoc& header : doc.headers) {
    parameters.push_back(Parameter(header.name, "header", header.required, header.description,
                                   http::schema::String()));
  }
  std::string out;
  for (const std::string& parameter : parameters) out += (out.empty() ? "" : ",") + parameter;
  return out;
}

// Problem codes per status: the route's own, and those every route (or every keyed route, or every
// route taking an Idempotency-Key) may answer before or around its handler.
std::map<int, std::vector<std::string>> ProblemCodes(const http::RouteDoc& doc) {
  std::map<int, std::vector<std::string>> codes;
  const auto add = [&codes](int status, std::string_view code) {
    std::vector<std::string>& list = codes[status];
    if (std::find(list.begin(), list.end(), code) == list.end()) list.emplace_back(code);
  };
  for (const auto& [status, list] : doc.errors) {
    for (const std::string& code : list) add(status, code);
  }
  add(413, "payload_too_large");  // the server refuses these before routing
  add(431, "headers_too_large");
  add(500, "internal_error");  // a handler that failed
  if (doc.access != "public") {
    add(401, "unauthorized");
    add(401, "key_expired");
    add(429, "rate_limited");
    if (doc.access != "key") add(403, "forbidden");
  }
  if (doc.idempotency_key) {
    add(400, "invalid_request");  // the key is missing or malformed
    add(409, "idempotency_in_flight");
    add(422, "idempotency_key_reused");
  }
  return codes;
}

std::string ProblemSchema(int status, const std::vector<std::string>& codes) {
  std::string list;
  for (const std::string& code : codes) list += (list.empty() ? "" : ",") + http::JsonString(code);
  return "{\"allOf\":[" + http::schema::Ref("Problem") +
         ",{\"properties\":{\"status\":{\"const\":" + std::to_string(status) +
         "},\"code\":{\"enum\":[" + list + "]}}}]}";
}

struct ResponseEntry {
  std::string description;
  std::map<std::string, std::string> content;  // media type -> schema
};

std::string StatusText(int status) {
  switch (status) {
    case 101:
      return "Switching Protocols";
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 204:
      return "No Content";
    default:
      return "Response " + std::to_string(status);
  }
}

std::string Responses(const http::RouteDoc& doc) {
  std::map<int, ResponseEntry> responses;
  if (doc.status != 0) {  // 0: a route that only ever refuses
    ResponseEntry& success = responses[doc.status];
    success.description = StatusText(doc.status);
    if (doc.status != 101 && doc.status != 204 && !doc.response_type.empty()) {
      success.content[doc.response_type] = doc.response_schema;
    }
  }
  for (const auto& [status, codes] : ProblemCodes(doc)) {
    ResponseEntry& entry = responses[status];
    std::string list;
    for (const std::string& code : codes) list += (list.empty() ? "" : ", ") + code;
    entry.description = "Problem: " + list;
    entry.content["application/problem+json"] = ProblemSchema(status, codes);
  }
  for (const http::ResponseDoc& other : doc.responses) {
    ResponseEntry& entry = responses[other.status];
    entry.description += (entry.description.empty() ? "" : "; ") + other.description;
    entry.content[other.content_type] = other.schema;
  }
  std::string out;
  for (const auto& [status, entry] : responses) {
    std::string content;
    for (const auto& [type, schema] : entry.content) {
      content +=
          (content.empty() ? "" : ",") + http::JsonString(type) + ":{\"schema\":" + schema + "}";
    }
    out += (out.empty() ? "" : ",") + http::JsonString(std::to_string(status)) +
           ":{\"description\":" + http::JsonString(entry.description) +
           (content.empty() ? "" : ",\"content\":{" + content + "}") + "}";
  }
  return "{" + out + "}";
}

std::string Operation(const http::Router::Route& route) {
  const http::RouteDoc& doc = route.doc;
  std::string out = "{\"operationId\":" + http::JsonString(OperationId(route)) +
                    ",\"summary\":" + http::JsonString(doc.summary);
  if (!doc.description.empty()) out += ",\"description\":" + http::JsonString(doc.description);
  out += ",\"security\":" + Security(doc);
  if (const std::string parameters = Parameters(route); !parameters.empty()) {
    out += ",\"parameters\":[" + parameters + "]";
  }
  if (!doc.request_schema.empty()) {
    out +=
        ",\"requestBody\":{\"required\":" + std::string(doc.request_optional ? "false" : "true") +
        ",\"content\":{\"application/json\":{\"schema\":" + doc.request_schema + "}}}";
  }
  return out + ",\"responses\":" + Responses(doc) + "}";
}

std::string ProblemComponent() {
  using namespace http::schema;
  return Described(
      Object({{"type", Described(String(), "/problems/<code>")},
              {"title", String()},
              {"status", Integer(400, 599)},
              {"detail", Described(String(), "What went wrong, for people.")},
              {"code", Described(String(), "Stable machine code: switch on it.")},
              Optional("field", Described(String(), "The request field at fault.")),
              Optional("reason", Described(String(),
                                           "invalid_destination: the rule broken "
                                           "(checksum_mismatch, invalid_length...).")),
              Optional("minimum", Described(Nullable(Decimal()),
                                            "amount_out_of_range: the least amount taken.")),
              Optional("maximum", Described(Nullable(Decimal()),
                                            "amount_out_of_range: the largest amount taken "
                                            "(null: no upper bound)."))}),
      "RFC 9457 problem details.");
}

std::string Components(const http::Router& router) {
  std::string schemas = "\"Problem\":" + ProblemComponent();
  for (const auto& [name, schema] : router.schemas()) {
    schemas += "," + http::JsonString(name) + ":" + schema;
  }
  return "{\"securitySchemes\":{\"apiKey\":{\"type\":\"http\",\"scheme\":\"bearer\","
         "\"description\":\"An API key cmb_<prefix>_<secret> (cambista keys create). An "
         "operation's security names the scope it needs; the admin scope has them all.\"}},"
         "\"schemas\":{" +
         schemas + "}}";
}

}  // namespace

std::string OpenApiDocument(const http::Router& router, std::string_view version) {
  std::map<std::string, std::vector<const http::Router::Route*>> paths;
  for (const http::Router::Route& route : router.routes()) paths[route.pattern].push_back(&route);
  std::string out =
      "{\"openapi\":\"3.1.0\",\"info\":{\"title\":\"Cambista API\",\"version\":" +
      http::JsonString(version) +
      ",\"description\":\"The HTTP API of a Cambista exchange desk. Money travels as decimal "
      "strings (\\\"10.50\\\"), never JSON numbers. Errors are RFC 9457 problem+json with a "
      "stable code.\",\"license\":{\"name\":\"Apache-2.0\",\"identifier\":"
      "\"Apache-2.0\"}},\"servers\":[{\"url\":\"/\"}],\"paths\":{";
  bool first_path = true;
  for (const auto& [pattern, routes] : paths) {
    out += std::string(first_path ? "" : ",") + http::JsonString(pattern) + ":{";
    first_path = false;
    bool first_method = true;
    for (const http::Router::Route* route : routes) {
      out += std::string(first_method ? "" : ",") + http::JsonString(Lower(route->method)) + ":" +
             Operation(*route);
      first_method = false;
    }
    out += "}";
  }
  return out + "},\"components\":" + Components(router) + "}";
}

std::string DocsPage(const http::Router& router) {
  const auto escape = [](std::string_view text) {
    std::string out;
    for (char c : text) {
      if (c == '<')
        out += "&lt;";
      else if (c == '>')
        out += "&gt;";
      else if (c == '&')
        out += "&amp;";
      else
        out.push_back(c);
    }
    return out;
  };
  std::string rows;
  for (const http::Router::Route& route : router.routes()) {
    rows +=
        "<tr><td><code>" + escape(route.method) + "</code></td><td><code>" + escape(route.pattern) +
        "</code></td><td>" + escape(route.doc.access) + "</td><td>" + escape(route.doc.summary) +
        (route.doc.description.empty() ? "" : " " + escape(route.doc.description)) + "</td></tr>\n";
  }
  return "<!doctype html><html><head><meta charset=\"utf-8\"><title>Cambista API</title>"
         "<style>body{font-family:sans-serif;margin:2em}td{padding:4px 12px;border-bottom:1px "
         "solid #ddd}</style></head><body><h1>Cambista API</h1><p>Machine-readable: <a "
         "href=\"/openapi.json\">/openapi.json</a> (OpenAPI 3.1). Errors are "
         "<code>application/problem+json</code> with a stable <code>code</code>.</p><table>"
         "<tr><th>method</th><th>path</th><th>access</th><th>what</th></tr>\n" +
         rows + "</table></body></html>";
}

}  // namespace cambista::api
