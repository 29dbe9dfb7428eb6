#include "api/charges.hpp"

#include "api/json_input.hpp"
#include "api/problem.hpp"
#include "api/query.hpp"
#include "core/int128.hpp"
#include "pix/qr.hpp"

namespace cambista::api {
namespace {

constexpr size_t kTextCharsMax = 200;
constexpr size_t kCredentialCharsMax = 512;
constexpr size_t kCredentialsMax = 16;

HttpResponse Json(int status, std::string body) {
  HttpResponse response;
  response.status = status;
  response.body = std::move(body);
  return response;
}

HttpResponse ToProblem(const payins::ChargeError& error) {
  return Problem(error.status, error.code, error.status >= 500 ? "Server error" : "Request refused",
                 error.detail);
}

int ScaleOf(const AssetRegistry& assets, std::string_view currency) {
  auto asset = assets.Find(currency);
  return asset.ok() ? asset.value().scale() : 2;
}

std::string GatewayJson(const payins::GatewaySetting& setting) {
  std::string names;
  for (const std::string& name : setting.credential_names) {
    names += (names.empty() ? "" : ",") + JsonString(name);
  }
  return "{\"gateway\":" + JsonString(setting.gateway) +
         ",\"currency\":" + JsonString(setting.currency) +
         ",\"priority\":" + std::to_string(setting.priority) + ",\"tenant_hint\":" +
         (setting.tenant_hint.empty() ? std::string("null") : JsonString(setting.tenant_hint)) +
         ",\"credentials\":[" + names +
         "],\"updated_at_ms\":" + std::to_string(setting.updated_at_ms) + "}";
}

// Reads a POST /v1/charges body into a NewCharge, or the 400 problem naming the field.
Result<payins::NewCharge, HttpResponse> ReadNewCharge(const HttpRequest& request,
                                                      const AssetRegistry& assets) {
  auto reader = JsonObjectReader::Parse(request.body);
  if (!reader.ok()) return Failure(ToProblem(reader.error()));
  JsonObjectReader& body = reader.value();
  auto gateway = body.OptionalString("gateway", 32);
  if (!gateway.ok()) return Failure(ToProblem(gateway.error()));
  auto currency = body.RequiredEnum("currency", std::array<std::string_view, 2>{"BRL", "VES"});
  if (!currency.ok()) return Failure(ToProblem(currency.error()));
  auto asset = assets.Find(currency.value());
  if (!asset.ok()) return Failure(InvalidField("currency", "a known currency"));
  auto amount = body.RequiredAmount("amount", asset.value());
  if (!amount.ok()) return Failure(ToProblem(amount.error()));
  auto description = body.OptionalString("description", kTextCharsMax);
  if (!description.ok()) return Failure(ToProblem(description.error()));
  auto reference = body.OptionalString("reference", 64);
  if (!reference.ok()) return Failure(ToProblem(reference.error()));
  auto expires = body.OptionalInteger("expires_in_seconds", 60, 7 * 24 * 3600);
  if (!expires.ok()) return Failure(ToProblem(expires.error()));
  payins::NewCharge charge{gateway.value(),
                           amount.value(),
                           description.value().value_or(""),
                           reference.value().value_or(""),
                           {},
                           expires.value().value_or(3600)};
  auto customer = body.OptionalObject("customer");
  if (!customer.ok()) return Failure(ToProblem(customer.error()));
  if (customer.value()) {
    JsonObjectReader& fields = *customer.value();
    std::string* targets[] = {&charge.customer.name, &charge.customer.document,
                              &charge.customer.email, &charge.customer.phone};
    const std::string_view names[] = {"name", "document", "email", "phone"};
    for (size_t i = 0; i < 4; ++i) {
      auto value = fields.OptionalString(names[i], kTextCharsMax);
      if (!value.ok()) {
        InputError error = value.error();
        error.field = "customer." + error.field;
        return Failure(ToProblem(error));
      }
      *targets[i] = value.value().value_or("");
    }
    if (auto unknown = fields.RejectUnknownFields()) {
      unknown->field = "customer." + unknown->field;
      return Failure(ToProblem(*unknown));
    }
  }
  if (auto unknown = body.RejectUnknownFields()) return Failure(ToProblem(*unknown));
  return charge;
}

}  // namespace

void AddChargeRoutes(Router& router, AuthGate& gate, Idempotency& idempotency,
                     payins::ChargeService& charges, const AssetRegistry& assets,
                     obs::MetricsRegistry& metrics) {
  const std::string gateway_schema =
      R"({"type":"object","properties":{"gateway":{"type":"string"},"currency":{"type":"string"},)"
      R"("priority":{"type":"integer"},"tenant_hint":{"type":["string","null"]},)"
      R"("credentials":{"type":"array","items":{"type":"string"}},"updated_at_ms":{"type":"integer"}}})";
  router.Add(
      "PUT", "/v1/gateways/{gateway}",
      RouteDoc{"Set the tenant's credentials for a gateway (sealed at rest, never shown again) and "
               "its priority among the tenant's gateways of that currency (lower first). Body: "
               "{\"credentials\":{name:value}, \"priority\"?}.",
               "admin",
               gateway_schema,
               "application/json",
               {},
               {{400, {"invalid_request", "missing_credential", "invalid_credential"}},
                {404, {"unknown_gateway"}},
                {422, {"gateway_not_configured"}}}},
      RequireKey(gate, Scope::kAdmin,
                 [&charges](const HttpRequest& request, const PathParams& params,
                            const Principal& principal) -> HttpResponse {
                   auto reader = JsonObjectReader::Parse(request.body);
                   if (!reader.ok()) return ToProblem(reader.error());
                   auto credentials = reader.value().RequiredStringMap(
                       "credentials", kCredentialsMax, kCredentialCharsMax);
                   if (!credentials.ok()) return ToProblem(credentials.error());
                   auto priority = reader.value().OptionalInteger("priority", 0, 1000);
                   if (!priority.ok()) return ToProblem(priority.error());
                   if (auto unknown = reader.value().RejectUnknownFields()) {
                     return ToProblem(*unknown);
                   }
                   auto setting =
                       charges.SetGateway(principal.tenant, params.at("gateway"),
                                          credentials.value(), priority.value().value_or(100));
                   if (!setting.ok()) return ToProblem(setting.error());
                   return Json(200, GatewayJson(setting.value()));
                 }));
  router.Add("GET", "/v1/gateways",
             RouteDoc{"The tenant's gateways, in priority order per currency (credential names "
                      "only, never values).",
                      "admin",
                      R"({"type":"object","properties":{"data":{"type":"array","items":)" +
                          gateway_schema + "}}}"},
             RequireKey(gate, Scope::kAdmin,
                        [&charges](const HttpRequest&, const PathParams&,
                                   const Principal& principal) -> HttpResponse {
                          std::string body = "{\"data\":[";
                          bool first = true;
                          for (const auto& setting : charges.Gateways(principal.tenant)) {
                            body += (first ? "" : ",") + GatewayJson(setting);
                            first = false;
                          }
                          return Json(200, body + "]}");
                        }));

  const std::string charge_schema =
      R"({"type":"object","properties":{"id":{"type":"string"},"status":{"type":"string","enum":)"
      R"(["CREATING","PENDING","PAID","EXPIRED","FAILED","REFUNDED","MANUAL_REVIEW"]},)"
      R"("gateway":{"type":"string"},"gateway_charge_id":{"type":"string"},)"
      R"("reference":{"type":"string"},"amount":{"type":"string"},)"
      R"("paid_amount":{"type":["string","null"]},"currency":{"type":"string"},)"
      R"("pix_code":{"type":"string"},"qr_png_url":{"type":"string"},)"
      R"("payment_instructions":{"type":"string"},"expires_at":{"type":"string","format":"date-time"},)"
      R"("expires_at_ms":{"type":"integer"}}})";
  router.Add(
      "POST", "/v1/charges",
      RouteDoc{"Create a charge at the given gateway, or at the tenant's gateways for the "
               "currency in priority order (the next is tried when one fails). Needs "
               "Idempotency-Key. Body: {gateway?, amount (decimal string), currency (BRL|VES), "
               "description?, reference?, customer?{name,document,email,phone}, "
               "expires_in_seconds?}. 201 when created (PENDING); when no gateway created it "
               "(the charge is kept as FAILED): 422 `gateway_refused` if every gateway refused "
               "the request itself, else 502 `gateway_failed`.",
               "charges:write",
               charge_schema,
               "application/json",
               {},
               {{400, {"invalid_request", "invalid_amount"}},
                {409, {"idempotency_in_flight"}},
                {422, {"idempotency_key_reused", "gateway_not_configured", "gateway_refused"}},
                {502, {"gateway_failed"}}}},
      RequireKey(
          gate, Scope::kChargesWrite,
          idempotency.WrapCallingOut([&charges, &assets](
                                         const HttpRequest& request, const PathParams&,
                                         const Principal& principal) -> HttpResponse {
            auto charge = ReadNewCharge(request, assets);
            if (!charge.ok()) return charge.error();
            auto created =
                charges.Create(principal.tenant, request.Header("Idempotency-Key"), charge.value());
            if (!created.ok()) return ToProblem(created.error());
            const payins::Charge& made = created.value();
            const std::string json = payins::ChargeJson(made, ScaleOf(assets, made.currency));
            if (made.creation_failure_status != 0) {
              // 422 is kept for replays of this key; after a 502 it may be retried.
              const bool refused = made.creation_failure_status == 422;
              return Problem(made.creation_failure_status,
                             refused ? "gateway_refused" : "gateway_failed",
                             refused ? "Gateway refused the charge" : "Gateway failed",
                             "No gateway created the charge " + made.id + ": " + made.last_error);
            }
            return Json(201, json);
          })));
  router.Add("GET", "/v1/charges/{id}",
             RouteDoc{"One charge.",
                      "charges:read",
                      charge_schema,
                      "application/json",
                      {},
                      {{404, {"not_found"}}}},
             RequireKey(gate, Scope::kChargesRead,
                        [&charges, &assets](const HttpRequest&, const PathParams& params,
                                            const Principal& principal) -> HttpResponse {
                          auto charge = charges.Get(principal.tenant, params.at("id"));
                          if (!charge) {
                            return Problem(404, "not_found", "Not found", "No such charge.");
                          }
                          return Json(
                              200, payins::ChargeJson(*charge, ScaleOf(assets, charge->currency)));
                        }));
  router.Add("GET", "/v1/charges",
             RouteDoc{"The tenant's charges, newest first.",
                      "charges:read",
                      R"({"type":"object","properties":{"data":{"type":"array","items":)" +
                          charge_schema + R"(},"next_cursor":{"type":["string","null"]}}})",
                      "application/json",
                      {{"status", "only charges in this status"},
                       {"gateway", "only charges at this gateway"},
                       {"cursor", "next_cursor of the previous page"},
                       {"limit", "1 to 200, default 50"}},
                      {{400, {"invalid_request"}}}},
             RequireKey(gate, Scope::kChargesRead,
                        [&charges, &assets](const HttpRequest& request, const PathParams&,
                                            const Principal& principal) -> HttpResponse {
                          auto limit = PageLimit(request);
                          if (!limit.ok()) return limit.error();
                          const auto status = QueryValue(request.query, "status");
                          const auto gateway = QueryValue(request.query, "gateway");
                          const auto cursor = QueryValue(request.query, "cursor");
                          if (cursor && !cursor->starts_with("ch_")) {
                            return InvalidField("cursor", "the next_cursor of a previous page");
                          }
                          const auto list = charges.List(principal.tenant, status, gateway, cursor,
                                                         static_cast<int>(limit.value()));
                          std::string body = "{\"data\":[";
                          for (size_t i = 0; i < list.size(); ++i) {
                            body += (i == 0 ? "" : ",") +
                                    payins::ChargeJson(list[i], ScaleOf(assets, list[i].currency));
                          }
                          body += "],\"next_cursor\":";
                          body += static_cast<int64_t>(list.size()) == limit.value()
                                      ? JsonString(list.back().id)
                                      : std::string("null");
                          return Json(200, body + "}");
                        }));
  for (const bool png : {true, false}) {
    router.Add("GET", png ? "/v1/charges/{id}/qr.png" : "/v1/charges/{id}/qr.svg",
               RouteDoc{png ? "The charge's BR Code as a QR image (PNG)."
                            : "The charge's BR Code as a QR image (SVG).",
                        "charges:read",
                        R"({"type":"string"})",
                        png ? "image/png" : "image/svg+xml",
                        {},
                        {{404, {"not_found"}}}},
               RequireKey(gate, Scope::kChargesRead,
                          [&charges, png](const HttpRequest&, const PathParams& params,
                                          const Principal& principal) -> HttpResponse {
                            auto charge = charges.Get(principal.tenant, params.at("id"));
                            if (!charge || charge->pix_code.empty()) {
                              return Problem(404, "not_found", "Not found",
                                             "No such charge, or it has no BR Code.");
                            }
                            HttpResponse response;
                            response.content_type = png ? "image/png" : "image/svg+xml";
                            response.body =
                                png ? pix::QrPng(charge->pix_code) : pix::QrSvg(charge->pix_code);
                            response.headers.emplace_back("Cache-Control", "private, max-age=3600");
                            return response;
                          }));
  }
  router.Add(
      "GET", "/v1/stats/charges",
      RouteDoc{"Charges per gateway and currency: created, paid, paid volume, conversion "
               "(paid / created), failures and the last error.",
               "charges:read", R"({"type":"object","properties":{"data":{"type":"array"}}})"},
      RequireKey(
          gate, Scope::kChargesRead,
          [&charges, &assets](const HttpRequest&, const PathParams&,
                              const Principal& principal) -> HttpResponse {
            std::string body = "{\"data\":[";
            bool first = true;
            for (const auto& row : charges.Stats(principal.tenant)) {
              auto asset = assets.Find(row.currency);
              const std::string volume = asset.ok()
                                             ? Amount(row.volume_paid, asset.value()).ToString()
                                             : ToDecimal(row.volume_paid);
              // Conversion in basis points, rounded down: exact, no floating point.
              const int64_t conversion_bp = row.created == 0 ? 0 : row.paid * 10'000 / row.created;
              body += std::string(first ? "" : ",") + "{\"gateway\":" + JsonString(row.gateway) +
                      ",\"currency\":" + JsonString(row.currency) +
                      ",\"created\":" + std::to_string(row.created) +
                      ",\"paid\":" + std::to_string(row.paid) +
                      ",\"volume_paid\":" + JsonString(volume) +
                      ",\"conversion_bp\":" + std::to_string(conversion_bp) +
                      ",\"failures\":" + std::to_string(row.failures) + ",\"last_error\":" +
                      (row.last_error.empty() ? std::string("null") : JsonString(row.last_error)) +
                      ",\"last_error_at_ms\":" +
                      (row.last_error_at_ms ? std::to_string(*row.last_error_at_ms)
                                            : std::string("null")) +
                      "}";
              first = false;
            }
            return Json(200, body + "]}");
          }));

  const auto ingest = [&charges](const HttpRequest& request, const PathParams& params) {
    payins::WebhookRequest webhook{request.body, request.headers};
    std::optional<std::string_view> tenant;
    if (auto it = params.find("tenant"); it != params.end()) tenant = it->second;
    const payins::IngestResult result = charges.Ingest(params.at("gateway"), tenant, webhook);
    if (result.status >= 400) {
      return Problem(result.status, result.code, "Webhook refused", result.detail);
    }
    HttpResponse response;
    response.status = result.status;
    response.body =
        "{\"outcome\":" + JsonString(result.outcome) + ",\"charge_id\":" +
        (result.charge_id.empty() ? std::string("null") : JsonString(result.charge_id)) + "}";
    return response;
  };
  const RouteDoc webhook_doc{
      "A gateway's webhook (raw body verified where the gateway signs; status re-fetched where "
      "it can be). Deliveries are deduplicated; the answer says what was done.",
      "public",
      R"({"type":"object","properties":{"outcome":{"type":"string"},"charge_id":{"type":["string","null"]}}})",
      "application/json",
      {},
      {{400, {"invalid_payload"}},
       {401, {"invalid_signature"}},
       {404, {"not_found"}},
       {503, {"gateway_unavailable"}}}};
  router.Add("POST", "/webhooks/{gateway}", webhook_doc, ingest);
  router.Add("POST", "/webhooks/{gateway}/{tenant}", webhook_doc, ingest);

  auto collected = metrics.RegisterCounterCollector(
      "cambista_charges_total", "Charges per tenant and gateway: created, paid, failures.",
      {"tenant", "gateway", "figure"}, [&charges](obs::CollectorSink& sink) {
        for (const auto& [tenant, row] : charges.AllStats()) {
          sink.Report({tenant, row.gateway, "created"}, row.created);
          sink.Report({tenant, row.gateway, "paid"}, row.paid);
          sink.Report({tenant, row.gateway, "failures"}, row.failures);
        }
      });
  auto webhooks = metrics.RegisterCounterCollector(
      "cambista_gateway_webhooks_total", "Gateway webhooks received, by result.", {"result"},
      [&charges](obs::CollectorSink& sink) {
        const payins::IngestCounters& counters = charges.counters();
        sink.Report({"applied"}, static_cast<int64_t>(counters.applied.load()));
        sink.Report({"duplicate"}, static_cast<int64_t>(counters.duplicates.load()));
        sink.Report({"bad_signature"}, static_cast<int64_t>(counters.bad_signature.load()));
        sink.Report({"malformed"}, static_cast<int64_t>(counters.malformed.load()));
      });
  CAMBISTA_CHECK(collected.ok() && webhooks.ok());
}

}  // namespace cambista::api
