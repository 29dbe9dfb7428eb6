#include "events/webhook_endpoints.hpp"

#include <climits>
#include <memory>

#include "core/int128.hpp"
#include "events/event_outbox.hpp"
#include "events/webhook_delivery.hpp"
#include "http/json_input.hpp"
#include "http/json_schema.hpp"
#include "http/problem.hpp"
#include "http/query.hpp"
#include "net/http_client.hpp"
#include "security/hmac.hpp"

namespace cambista::events {

using namespace cambista::api;  // the HTTP side's types: Router, Problem, HttpResponse

namespace {

constexpr size_t kUrlCharsMax = 2048;

std::string EndpointJson(std::string_view id, std::string_view url, std::string_view types,
                         int64_t created_at_ms, bool disabled) {
  std::string list;
  size_t start = 0;
  while (start <= types.size()) {
    const size_t comma = types.find(',', start);
    const std::string_view type = types.substr(start, comma - start);
    if (!type.empty()) list += (list.empty() ? "" : ",") + http::JsonString(type);
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return "{\"id\":" + http::JsonString(id) + ",\"url\":" + http::JsonString(url) +
         ",\"event_types\":[" + list + "],\"status\":\"" + (disabled ? "disabled" : "enabled") +
         "\",\"created_at_ms\":" + std::to_string(created_at_ms);
}

// A webhook_attempts row: id, event_id, event_type, attempt, outcome, response_status, error,
// duration_ms, attempted_at_ms, next_attempt_at_ms.
std::string AttemptJson(const store::Row& row) {
  const auto optional_int = [&row](int column) {
    return row.IsNull(column) ? std::string("null") : std::to_string(row.Int64(column));
  };
  return "{\"id\":\"" + std::to_string(row.Int64(0)) +
         "\",\"event_id\":" + http::JsonString(row.Text(1)) +
         ",\"event_type\":" + http::JsonString(row.Text(2)) +
         ",\"attempt\":" + std::to_string(row.Int64(3)) +
         ",\"outcome\":" + http::JsonString(row.Text(4)) +
         ",\"response_status\":" + optional_int(5) +
         ",\"error\":" + (row.IsNull(6) ? std::string("null") : http::JsonString(row.Text(6))) +
         ",\"duration_ms\":" + std::to_string(row.Int64(7)) +
         ",\"attempted_at_ms\":" + std::to_string(row.Int64(8)) +
         ",\"next_attempt_at_ms\":" + optional_int(9) + "}";
}

std::vector<std::string_view> EventTypeNames() {
  std::vector<std::string_view> names;
  for (const events::EventType& type : events::EventTypes()) names.push_back(type.name);
  return names;
}

// The JSON of EndpointJson and AttemptJson, as /openapi.json names them.
void AddEndpointSchemas(http::Router& router) {
  using namespace http::schema;
  std::vector<Field> endpoint = {{"id", Id("we_")},
                                 {"url", String()},
                                 {"event_types", ArrayOf(Enum(EventTypeNames()))},
                                 {"status", Enum({"enabled", "disabled"})},
                                 {"created_at_ms", Integer()}};
  router.AddSchema("WebhookEndpoint", Object(endpoint));
  endpoint.push_back({"secret", Described(Id("whsec_"), "The signing secret, shown this once.")});
  router.AddSchema("NewWebhookEndpoint", Object(endpoint));
  router.AddSchema(
      "WebhookAttempt",
      Object({{"id", Described(R"({"type":"string","pattern":"^[0-9]+$"})", "Also the cursor.")},
              {"event_id", Id("evt_")},
              {"event_type", String()},
              {"attempt", Integer()},
              {"outcome", Enum({"succeeded", "retrying", "failed", "disabled"})},
              {"response_status", Nullable(Integer())},
              {"error", Nullable(String())},
              {"duration_ms", Integer()},
              {"attempted_at_ms", Integer()},
              {"next_attempt_at_ms", Nullable(Integer())}}));
}

http::HttpResponse Json(int status, std::string body) {
  http::HttpResponse response;
  response.status = status;
  response.body = std::move(body);
  return response;
}

// Resolves the host of the body's "url" when it is a well-formed URL; nullopt otherwise (the
// handler then says what is wrong with it) and when every address is public.
std::optional<http::HttpResponse> ResolveEndpointHost(std::string_view body) {
  auto reader = http::JsonObjectReader::Parse(body);
  if (!reader.ok()) return std::nullopt;
  auto url = reader.value().RequiredString("url", kUrlCharsMax);
  if (!url.ok() || net::UrlRefusal(url.value(), /*public_addresses_only=*/true)) {
    return std::nullopt;
  }
  return EndpointAddressRefusal(net::ResolveUrlHost(url.value(), kEndpointResolveTimeoutMs));
}

// POST /v1/webhook-endpoints, in the idempotency transaction. Every 400 comes first (the body as a
// whole is checked), then the 422 decided from where the URL's host resolved.
TransactionalHandler CreateEndpoint(const SecretBox& box, const Clock& clock,
                                    bool allow_private_addresses,
                                    std::optional<http::HttpResponse> address_refusal) {
  return [&box, &clock, allow_private_addresses, address_refusal = std::move(address_refusal)](
             const http::HttpRequest& request, const http::PathParams&, const Principal& principal,
             store::Connection& tx) -> http::HttpResponse {
    auto reader = http::JsonObjectReader::Parse(request.body);
    if (!reader.ok()) return http::ToProblem(reader.error());
    auto url = reader.value().RequiredString("url", kUrlCharsMax);
    if (!url.ok()) return http::ToProblem(url.error());
    // A host name's addresses were checked before (address_refusal), and are again at delivery.
    if (auto refusal = net::UrlRefusal(url.value(), !allow_private_addresses)) {
      return http::ToProblem(http::InputError{
          "invalid_request", "url",
          "\"url\" must be an http:// or https:// URL of a public host: " + *refusal + "."});
    }
    auto types = reader.value().RequiredStringArray("event_types", 16, 64);
    if (!types.ok()) return http::ToProblem(types.error());
    std::string joined;
    for (const std::string& type : types.value()) {
      if (!events::ChannelOf(type)) {
        std::string allowed;
        for (const events::EventType& known : events::EventTypes()) {
          allowed += (allowed.empty() ? "" : ", ") + std::string(known.name);
        }
        return http::ToProblem(
            http::InputError{"invalid_request", "event_types",
                             "Unknown event type \"" + type + "\"; known: " + allowed + "."});
      }
      joined += (joined.empty() ? "" : ",") + type;
    }
    if (auto unknown = reader.value().RejectUnknownFields()) {
      return http::ToProblem(*unknown);
    }
    if (address_refusal) return *address_refusal;
    const std::string id = "we_" + HexEncode(RandomBytes(12));
    const std::string secret = "whsec_" + Base64Encode(RandomBytes(24));
    const std::string sealed = box.Seal(secret, events::EndpointSecretContext(id));
    const int64_t now_ms = clock.NowMs();
    tx.Execute(
        "INSERT INTO webhook_endpoints (id, tenant, url, event_types, "
        "secret_sealed, created_at_ms) VALUES ($1, $2, $3, $4, $5, $6)",
        {std::string_view(id), std::string_view(principal.tenant), std::string_view(url.value()),
         std::string_view(joined), store::Blob{sealed}, now_ms});
    return Json(201, EndpointJson(id, url.value(), joined, now_ms, false) +
                         ",\"secret\":" + http::JsonString(secret) + "}");
  };
}

}  // namespace

std::optional<http::HttpResponse> EndpointAddressRefusal(
    const Result<net::ResolvedHost, net::HttpClientError>& resolved) {
  if (!resolved.ok()) {
    return http::Problem(422, "url_unresolvable", "Webhook URL does not resolve",
                         "\"url\": " + resolved.error().message +
                             "; an endpoint needs a host name that resolves to public addresses.");
  }
  for (const std::string& address : resolved.value().addresses) {
    if (net::IsPublicAddress(address)) continue;
    return http::Problem(
        422, "url_not_public", "Webhook URL not public",
        "\"url\": the host " + resolved.value().host + " resolves to " + address +
            ", a private, loopback, link-local or reserved address that webhooks may "
            "not reach (webhooks.allow_private_addresses lifts this for development).");
  }
  return std::nullopt;
}

namespace {

http::HttpResponse ListEndpoints(store::ConnectionPool& pool, const Principal& principal) {
  auto connection = pool.Acquire();
  std::string body = "{\"data\":[";
  bool first = true;
  connection->Query(
      "SELECT id, url, event_types, created_at_ms, disabled_at_ms FROM webhook_endpoints "
      "WHERE tenant = $1 AND deleted_at_ms IS NULL ORDER BY created_at_ms, id",
      {std::string_view(principal.tenant)}, [&](const store::Row& row) {
        body += (first ? "" : ",") +
                EndpointJson(row.Text(0), row.Text(1), row.Text(2), row.Int64(3), !row.IsNull(4)) +
                "}";
        first = false;
      });
  return Json(200, body + "]}");
}

http::HttpResponse DeleteEndpoint(store::ConnectionPool& pool, const Clock& clock,
                                  const http::PathParams& params, const Principal& principal) {
  auto connection = pool.Acquire();
  const int64_t changed = connection->Execute(
      "UPDATE webhook_endpoints SET deleted_at_ms = $3 WHERE id = $1 AND tenant = $2 AND "
      "deleted_at_ms IS NULL",
      {std::string_view(params.at("id")), std::string_view(principal.tenant), clock.NowMs()});
  if (changed == 0) {
    return http::Problem(404, "not_found", "Not found",
                         "No webhook endpoint " + params.at("id") + ".");
  }
  return Json(200, "{\"deleted\":" + http::JsonString(params.at("id")) + "}");
}

http::HttpResponse ListDeliveries(store::ConnectionPool& pool, const http::HttpRequest& request,
                                  const http::PathParams& params, const Principal& principal) {
  const auto limit = http::PageLimit(request);
  if (!limit.ok()) return limit.error();
  int64_t before = INT64_MAX;
  if (auto text = http::QueryValue(request.query, "cursor")) {
    const auto cursor = ParseI128Decimal(*text);
    if (!cursor || *cursor < 1 || *cursor > INT64_MAX) {
      return http::InvalidField("cursor", "a next_cursor from a previous page");
    }
    before = static_cast<int64_t>(*cursor);
  }
  auto connection = pool.Acquire();
  bool found = false;
  connection->Query(
      "SELECT 1 FROM webhook_endpoints WHERE id = $1 AND tenant = $2 AND deleted_at_ms IS NULL",
      {std::string_view(params.at("id")), std::string_view(principal.tenant)},
      [&](const store::Row&) { found = true; });
  if (!found) {
    return http::Problem(404, "not_found", "Not found",
                         "No webhook endpoint " + params.at("id") + ".");
  }
  std::string body = "{\"data\":[";
  int64_t count = 0;
  int64_t last_id = 0;
  connection->Query(
      "SELECT id, event_id, event_type, attempt, outcome, response_status, error, duration_ms, "
      "attempted_at_ms, next_attempt_at_ms FROM webhook_attempts WHERE endpoint_id = $1 AND id < "
      "$2 ORDER BY id DESC LIMIT $3",
      {std::string_view(params.at("id")), before, limit.value() + 1}, [&](const store::Row& row) {
        if (++count > limit.value()) return;
        last_id = row.Int64(0);
        body += (count > 1 ? "," : "") + AttemptJson(row);
      });
  body += "],\"next_cursor\":";
  body += count > limit.value() ? "\"" + std::to_string(last_id) + "\"" : "null";
  return Json(200, body + "}");
}

// POST /v1/events/test, in the idempotency transaction.
http::HttpResponse EmitTestEvent(const Clock& clock, int delivery_attempts_max,
                                 const http::HttpRequest& request, const Principal& principal,
                                 store::Connection& tx) {
  auto reader = http::JsonObjectReader::Parse(request.body);
  if (!reader.ok()) return http::ToProblem(reader.error());
  auto channel = reader.value().RequiredEnum("channel", events::Channels());
  if (!channel.ok()) return http::ToProblem(channel.error());
  if (auto unknown = reader.value().RejectUnknownFields()) return http::ToProblem(*unknown);
  const events::NewEvent event{principal.tenant, "test.ping", channel.value(),
                               "{\"message\":\"This is a test event from Cambista.\"}"};
  const auto emitted = events::EmitEvent(tx, clock, event, delivery_attempts_max);
  return Json(201, "{\"id\":" + http::JsonString(emitted.id) +
                       ",\"type\":\"test.ping\",\"channel\":" + http::JsonString(channel.value()) +
                       ",\"deliveries\":" + std::to_string(emitted.deliveries) + "}");
}

void AddCreateRoute(http::Router& router, AuthGate& gate, Idempotency& idempotency,
                    const SecretBox& box, const Clock& clock, bool allow_private_addresses) {
  router.Add(
      "POST", "/v1/webhook-endpoints",
      http::RouteDoc{
          .summary = "Register an endpoint for signed webhooks (Standard Webhooks).",
          .access = "webhooks:write",
          .description = "The signing secret is in this response only. The URL must be http(s) "
                         "and its host resolve to public addresses.",
          .status = 201,
          .response_schema = http::schema::Ref("NewWebhookEndpoint"),
          .request_schema = http::schema::Object(
              {{"url", http::schema::Text(kUrlCharsMax)},
               {"event_types", R"({"type":"array","minItems":1,"maxItems":16,"items":)" +
                                   http::schema::Enum(EventTypeNames()) + "}"}}),
          .idempotency_key = true,
          .errors = {{400, {"invalid_request"}}, {422, {"url_not_public", "url_unresolvable"}}}},
      RequireKey(gate, Scope::kWebhooksWrite,
                 [&idempotency, &box, &clock, allow_private_addresses](
                     const http::HttpRequest& request, const http::PathParams& params,
                     const Principal& principal) {
                   // Resolved before the idempotent transaction opens: a slow name server must
                   // not hold the database's write lock. A replay answers what was stored.
                   std::optional<http::HttpResponse> address_refusal;
                   if (!allow_private_addresses)
                     address_refusal = ResolveEndpointHost(request.body);
                   return idempotency.Wrap(CreateEndpoint(box, clock, allow_private_addresses,
                                                          std::move(address_refusal)))(
                       request, params, principal);
                 }));
}

}  // namespace

void AddWebhookEndpointRoutes(http::Router& router, AuthGate& gate, Idempotency& idempotency,
                              const SecretBox& box, store::Database& database, const Clock& clock,
                              int delivery_attempts_max, bool allow_private_addresses) {
  AddEndpointSchemas(router);
  AddCreateRoute(router, gate, idempotency, box, clock, allow_private_addresses);
  auto pool = std::make_shared<store::ConnectionPool>(database);
  router.Add(
      "GET", "/v1/webhook-endpoints",
      http::RouteDoc{.summary = "The tenant's webhook endpoints (never their secrets).",
                     .access = "webhooks:write",
                     .response_schema = http::schema::List(http::schema::Ref("WebhookEndpoint"))},
      RequireKey(gate, Scope::kWebhooksWrite,
                 [pool](const http::HttpRequest&, const http::PathParams&,
                        const Principal& principal) { return ListEndpoints(*pool, principal); }));
  router.Add("DELETE", "/v1/webhook-endpoints/{id}",
             http::RouteDoc{
                 .summary = "Stop sending webhooks to an endpoint.",
                 .access = "webhooks:write",
                 .response_schema = http::schema::Object({{"deleted", http::schema::Id("we_")}}),
                 .errors = {{404, {"not_found"}}}},
             RequireKey(gate, Scope::kWebhooksWrite,
                        [pool, &clock](const http::HttpRequest&, const http::PathParams& params,
                                       const Principal& principal) {
                          return DeleteEndpoint(*pool, clock, params, principal);
                        }));
  router.Add(
      "GET", "/v1/webhook-endpoints/{id}/deliveries",
      http::RouteDoc{.summary = "Delivery attempts to an endpoint, newest first, a page at a time.",
                     .access = "webhooks:write",
                     .response_schema = http::schema::Page(http::schema::Ref("WebhookAttempt")),
                     .query = {{"limit", "Page size, 1 to 200 (default 50)."},
                               {"cursor", "next_cursor of the previous page."}},
                     .errors = {{400, {"invalid_request"}}, {404, {"not_found"}}}},
      RequireKey(gate, Scope::kWebhooksWrite,
                 [pool](const http::HttpRequest& request, const http::PathParams& params,
                        const Principal& principal) {
                   return ListDeliveries(*pool, request, params, principal);
                 }));
  router.Add(
      "POST", "/v1/events/test",
      http::RouteDoc{
          .summary = "Emit a test.ping event on a channel.",
          .access = "webhooks:write",
          .description = "To the tenant's endpoints subscribed to test.ping (`deliveries` "
                         "counts them) and to stream subscribers of the channel.",
          .status = 201,
          .response_schema =
              http::schema::Object({{"id", http::schema::Id("evt_")},
                                    {"type", http::schema::Const("test.ping")},
                                    {"channel", http::schema::Enum(events::Channels())},
                                    {"deliveries", http::schema::Integer()}}),
          .request_schema =
              http::schema::Object({{"channel", http::schema::Enum(events::Channels())}}),
          .idempotency_key = true,
          .errors = {{400, {"invalid_request"}}}},
      RequireKey(gate, Scope::kWebhooksWrite,
                 idempotency.Wrap([&clock, delivery_attempts_max](
                                      const http::HttpRequest& request, const http::PathParams&,
                                      const Principal& principal, store::Connection& tx) {
                   return EmitTestEvent(clock, delivery_attempts_max, request, principal, tx);
                 })));
}

}  // namespace cambista::events
