#include "api/webhook_endpoints.hpp"

#include <array>
#include <memory>

#include "api/json_input.hpp"
#include "api/problem.hpp"
#include "security/hmac.hpp"

namespace cambista::api {
namespace {

constexpr std::array<std::string_view, 8> kEventTypes = {
    "charge.paid",     "charge.failed", "charge.expired",   "charge.refunded",
    "trade.completed", "trade.expired", "payout.confirmed", "payout.failed"};
constexpr size_t kUrlCharsMax = 2048;

std::string EndpointJson(std::string_view id, std::string_view url, std::string_view types,
                         int64_t created_at_ms) {
  std::string list;
  size_t start = 0;
  while (start <= types.size()) {
    const size_t comma = types.find(',', start);
    const std::string_view type = types.substr(start, comma - start);
    if (!type.empty()) list += (list.empty() ? "" : ",") + JsonString(type);
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return "{\"id\":" + JsonString(id) + ",\"url\":" + JsonString(url) + ",\"event_types\":[" + list +
         "],\"created_at_ms\":" + std::to_string(created_at_ms);
}

HttpResponse Json(int status, std::string body) {
  HttpResponse response;
  response.status = status;
  response.body = std::move(body);
  return response;
}

}  // namespace

void AddWebhookEndpointRoutes(Router& router, AuthGate& gate, Idempotency& idempotency,
                              const SecretBox& box, store::Database& database, const Clock& clock) {
  const std::string endpoint_schema =
      R"({"type":"object","properties":{"id":{"type":"string"},"url":{"type":"string"},)"
      R"("event_types":{"type":"array","items":{"type":"string"}},"created_at_ms":{"type":"integer"}}})";
  router.Add(
      "POST", "/v1/webhook-endpoints",
      RouteDoc{"Register an endpoint for signed webhooks (Standard Webhooks). Needs "
               "Idempotency-Key. The secret is in this response only.",
               "webhooks:write",
               endpoint_schema,
               "application/json",
               {},
               {{400, {"invalid_request"}},
                {409, {"idempotency_in_flight"}},
                {422, {"idempotency_key_reused"}}}},
      RequireKey(gate, Scope::kWebhooksWrite,
                 idempotency.Wrap([&box, &clock](const HttpRequest& request, const PathParams&,
                                                 const Principal& principal,
                                                 store::Connection& tx) -> HttpResponse {
                   auto reader = JsonObjectReader::Parse(request.body);
                   if (!reader.ok()) return ToProblem(reader.error());
                   auto url = reader.value().RequiredString("url", kUrlCharsMax);
                   if (!url.ok()) return ToProblem(url.error());
                   if (!url.value().starts_with("https://") &&
                       !url.value().starts_with("http://")) {
                     return ToProblem(InputError{"invalid_request", "url",
                                                 "\"url\" must be an http:// or https:// URL."});
                   }
                   auto types = reader.value().RequiredStringArray("event_types", 16, 64);
                   if (!types.ok()) return ToProblem(types.error());
                   std::string joined;
                   for (const std::string& type : types.value()) {
                     bool known = false;
                     for (std::string_view candidate : kEventTypes) known |= candidate == type;
                     if (!known) {
                       std::string allowed;
                       for (std::string_view candidate : kEventTypes) {
                         allowed += (allowed.empty() ? "" : ", ") + std::string(candidate);
                       }
                       return ToProblem(InputError{
                           "invalid_request", "event_types",
                           "Unknown event type \"" + type + "\"; known: " + allowed + "."});
                     }
                     joined += (joined.empty() ? "" : ",") + type;
                   }
                   if (auto unknown = reader.value().RejectUnknownFields()) {
                     return ToProblem(*unknown);
                   }
                   const std::string id = "we_" + HexEncode(RandomBytes(12));
                   const std::string secret = "whsec_" + Base64Encode(RandomBytes(24));
                   const std::string sealed = box.Seal(secret, "webhook_endpoints.secret:" + id);
                   const int64_t now_ms = clock.NowMs();
                   tx.Execute(
                       "INSERT INTO webhook_endpoints (id, tenant, url, event_types, "
                       "secret_sealed, created_at_ms) VALUES ($1, $2, $3, $4, $5, $6)",
                       {std::string_view(id), std::string_view(principal.tenant),
                        std::string_view(url.value()), std::string_view(joined),
                        store::Blob{sealed}, now_ms});
                   return Json(201, EndpointJson(id, url.value(), joined, now_ms) +
                                        ",\"secret\":" + JsonString(secret) + "}");
                 })));
  auto pool = std::make_shared<store::ConnectionPool>(database);
  router.Add("GET", "/v1/webhook-endpoints",
             RouteDoc{"The tenant's webhook endpoints (never their secrets).", "webhooks:write",
                      R"({"type":"object","properties":{"data":{"type":"array","items":)" +
                          endpoint_schema + "}}}"},
             RequireKey(gate, Scope::kWebhooksWrite,
                        [pool](const HttpRequest&, const PathParams&, const Principal& principal) {
                          auto connection = pool->Acquire();
                          std::string body = "{\"data\":[";
                          bool first = true;
                          connection->Query(
                              "SELECT id, url, event_types, created_at_ms FROM webhook_endpoints "
                              "WHERE tenant = $1 AND deleted_at_ms IS NULL ORDER BY created_at_ms, "
                              "id",
                              {std::string_view(principal.tenant)}, [&](const store::Row& row) {
                                body += (first ? "" : ",") +
                                        EndpointJson(row.Text(0), row.Text(1), row.Text(2),
                                                     row.Int64(3)) +
                                        "}";
                                first = false;
                              });
                          return Json(200, body + "]}");
                        }));
  router.Add("DELETE", "/v1/webhook-endpoints/{id}",
             RouteDoc{"Stop sending webhooks to an endpoint.",
                      "webhooks:write",
                      R"({"type":"object","properties":{"deleted":{"type":"string"}}})",
                      "application/json",
                      {},
                      {{404, {"not_found"}}}},
             RequireKey(gate, Scope::kWebhooksWrite,
                        [pool, &clock](const HttpRequest&, const PathParams& params,
                                       const Principal& principal) {
                          auto connection = pool->Acquire();
                          const int64_t changed = connection->Execute(
                              "UPDATE webhook_endpoints SET deleted_at_ms = $3 WHERE id = $1 AND "
                              "tenant = $2 AND deleted_at_ms IS NULL",
                              {std::string_view(params.at("id")),
                               std::string_view(principal.tenant), clock.NowMs()});
                          if (changed == 0) {
                            return Problem(404, "not_found", "Not found",
                                           "No webhook endpoint " + params.at("id") + ".");
                          }
                          return Json(200, "{\"deleted\":" + JsonString(params.at("id")) + "}");
                        }));
}

}  // namespace cambista::api
