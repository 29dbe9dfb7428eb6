#include "api/openapi.hpp"

#include <map>

#include "api/problem.hpp"

namespace cambista::api {
namespace {

std::string OperationId(const Router::Route& route) {
  std::string id;
  for (char c : route.method) id.push_back(static_cast<char>(std::tolower(c)));
  bool upper = true;
  for (char c : route.pattern) {
    if (c == '/' || c == '{' || c == '}' || c == '-' || c == '.') {
      upper = true;
    } else {
      id.push_back(upper ? static_cast<char>(std::toupper(c)) : c);
      upper = false;
    }
  }
  return id;
}

std::string Operation(const Router::Route& route) {
  const RouteDoc& doc = route.doc;
  std::string out = "{\"operationId\":" + JsonString(OperationId(route)) +
                    ",\"summary\":" + JsonString(doc.summary);
  if (doc.access == "public") {
    out += ",\"security\":[]";
  } else {
    out += ",\"security\":[{\"apiKey\":[]}],\"x-scope\":" +
           JsonString(doc.access == "key" ? "any" : doc.access);
  }
  std::string parameters;
  for (const std::string& segment : route.segments) {
    if (segment.size() > 2 && segment.front() == '{') {
      parameters += std::string(parameters.empty() ? "" : ",") +
                    "{\"name\":" + JsonString(segment.substr(1, segment.size() - 2)) +
                    ",\"in\":\"path\",\"required\":true,\"schema\":{\"type\":\"string\"}}";
    }
  }
  for (const auto& [name, description] : doc.query) {
    parameters +=
        std::string(parameters.empty() ? "" : ",") + "{\"name\":" + JsonString(name) +
        ",\"in\":\"query\",\"required\":false,\"description\":" + JsonString(description) +
        ",\"schema\":{\"type\":\"string\"}}";
  }
  if (!parameters.empty()) out += ",\"parameters\":[" + parameters + "]";
  out += ",\"responses\":{\"200\":{\"description\":\"OK\",\"content\":{" +
         JsonString(doc.response_type) + ":{\"schema\":" + doc.response_schema + "}}}";
  std::map<int, std::vector<std::string>> errors(doc.errors.begin(), doc.errors.end());
  // The server itself refuses these on any route, before the handler runs.
  errors[413].push_back("payload_too_large");
  errors[431].push_back("headers_too_large");
  if (doc.access != "public") {
    errors[401].push_back("unauthorized");
    errors[401].push_back("key_expired");
    errors[429].push_back("rate_limited");
    if (doc.access != "key") errors[403].push_back("forbidden");
  }
  for (const auto& [status, codes] : errors) {
    std::string list;
    for (const std::string& code : codes) list += (list.empty() ? "" : ", ") + code;
    out += "," + JsonString(std::to_string(status)) +
           ":{\"description\":" + JsonString("Problem: " + list) +
           ",\"content\":{\"application/problem+json\":{\"schema\":{\"$ref\":\"#/components/"
           "schemas/Problem\"}}}}";
  }
  return out + "}}";
}

}  // namespace

std::string OpenApiDocument(const Router& router, std::string_view version) {
  std::map<std::string, std::vector<const Router::Route*>> paths;
  for (const Router::Route& route : router.routes()) paths[route.pattern].push_back(&route);
  std::string out =
      "{\"openapi\":\"3.1.0\",\"info\":{\"title\":\"Cambista API\",\"version\":" +
      JsonString(version) +
      ",\"description\":\"The HTTP API of a Cambista exchange desk. Errors are RFC 9457 "
      "problem+json with a stable code.\",\"license\":{\"name\":\"Apache-2.0\",\"identifier\":"
      "\"Apache-2.0\"}},\"servers\":[{\"url\":\"/\"}],\"paths\":{";
  bool first_path = true;
  for (const auto& [pattern, routes] : paths) {
    out += std::string(first_path ? "" : ",") + JsonString(pattern) + ":{";
    first_path = false;
    bool first_method = true;
    for (const Router::Route* route : routes) {
      std::string method;
      for (char c : route->method) method.push_back(static_cast<char>(std::tolower(c)));
      out += std::string(first_method ? "" : ",") + JsonString(method) + ":" + Operation(*route);
      first_method = false;
    }
    out += "}";
  }
  out +=
      "},\"components\":{\"securitySchemes\":{\"apiKey\":{\"type\":\"http\",\"scheme\":\"bearer\","
      "\"description\":\"An API key cmb_<prefix>_<secret> (cambista keys create).\"}},"
      "\"schemas\":{\"Problem\":{\"type\":\"object\",\"required\":[\"type\",\"title\",\"status\","
      "\"detail\",\"code\"],\"properties\":{\"type\":{\"type\":\"string\"},\"title\":{\"type\":"
      "\"string\"},\"status\":{\"type\":\"integer\"},\"detail\":{\"type\":\"string\"},\"code\":{"
      "\"type\":\"string\",\"description\":\"Stable machine code.\"}}}}}}";
  return out;
}

std::string DocsPage(const Router& router) {
  std::string rows;
  for (const Router::Route& route : router.routes()) {
    auto escape = [](std::string_view text) {
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
    rows += "<tr><td><code>" + escape(route.method) + "</code></td><td><code>" +
            escape(route.pattern) + "</code></td><td>" + escape(route.doc.access) + "</td><td>" +
            escape(route.doc.summary) + "</td></tr>\n";
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
