#include "payins/routes.hpp"

#include <memory>

#include "core/int128.hpp"
#include "http/json_input.hpp"
#include "http/json_schema.hpp"
#include "http/problem.hpp"
#include "http/query.hpp"
#include "pix/qr.hpp"

namespace cambista::payins {
namespace {

// The HTTP side of the pay-ins speaks the HTTP module's language, and the API module's for keys.
using namespace cambista::http;
using namespace cambista::api;

constexpr size_t kTextCharsMax = 200;
constexpr size_t kCredentialCharsMax = 512;
constexpr size_t kCredentialsMax = 16;
constexpr size_t kReasonCharsMax = 500;

HttpResponse Json(int status, std::string body) {
  HttpResponse response;
  response.status = status;
  response.body = std::move(body);
  return response;
}

// Each error of the pay-ins with its HTTP status and stable problem code: the one place they meet.
struct ErrorRow {
  ChargeErrorKind kind;
  int status;
  std::string_view code;
};
constexpr ErrorRow kErrorTable[] = {
    {ChargeErrorKind::kInvalidRequest, 400, "invalid_request"},
    {ChargeErrorKind::kInvalidAmount, 400, "invalid_amount"},
    {ChargeErrorKind::kAmountOutOfRange, 422, "amount_out_of_range"},
    {ChargeErrorKind::kNotFound, 404, "not_found"},
    {ChargeErrorKind::kUnknownGateway, 404, "unknown_gateway"},
    {ChargeErrorKind::kNoTenantGateway, 404, "gateway_not_configured"},
    {ChargeErrorKind::kMissingCredential, 400, "missing_credential"},
    {ChargeErrorKind::kInvalidCredential, 400, "invalid_credential"},
    {ChargeErrorKind::kGatewayNotConfigured, 422, "gateway_not_configured"},
    {ChargeErrorKind::kGatewayRefused, 422, "gateway_refused"},
    {ChargeErrorKind::kGatewayFailed, 502, "gateway_failed"},
    {ChargeErrorKind::kChargeCreating, 409, "charge_creating"},
    {ChargeErrorKind::kInvalidTransition, 409, "invalid_transition"},
    {ChargeErrorKind::kInsufficientFunds, 409, "insufficient_funds"},
    {ChargeErrorKind::kCredentialsUnreadable, 500, "credentials_unreadable"},
    {ChargeErrorKind::kInternal, 500, "internal_error"},
};

const ErrorRow& RowOf(ChargeErrorKind kind) {
  for (const ErrorRow& row : kErrorTable) {
    if (row.kind == kind) return row;
  }
  return kErrorTable[std::size(kErrorTable) - 1];  // kInternal: every kind has a row
}

// The service's error as problem+json; amount_out_of_range carries the bounds as members.
HttpResponse ToProblem(const ChargeError& error) {
  const ErrorRow& row = RowOf(error.kind);
  HttpResponse response = Problem(
      row.status, row.code, row.status >= 500 ? "Server error" : "Request refused", error.detail);
  const bool out_of_range = error.kind == ChargeErrorKind::kAmountOutOfRange;
  if (!error.field.empty() || out_of_range) {
    std::string members = error.field.empty() ? "" : ",\"field\":" + JsonString(error.field);
    if (out_of_range) {
      members += ",\"minimum\":" + (error.minimum.empty() ? "null" : JsonString(error.minimum));
      members += ",\"maximum\":" + (error.maximum.empty() ? "null" : JsonString(error.maximum));
    }
    response.body.insert(response.body.size() - 1, members);
  }
  // The creation under this key ends within seconds, or is recovered as FAILED: the answer is worth
  // asking again, and so is not kept as the key's answer (idempotency.hpp).
  if (error.kind == ChargeErrorKind::kChargeCreating) {
    response.headers.emplace_back("Retry-After", "5");
  }
  return response;
}

int ScaleOf(const AssetRegistry& assets, std::string_view currency) {
  auto asset = assets.Find(currency);
  return asset.ok() ? asset.value().scale() : 2;
}

std::string LowerAscii(std::string_view text) {
  std::string lower(text);
  for (char& c : lower) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
  return lower;
}

std::string UpperAscii(std::string_view text) {
  std::string upper(text);
  for (char& c : upper) c = (c >= 'a' && c <= 'z') ? static_cast<char>(c - 32) : c;
  return upper;
}

std::string MoneyOrNull(const std::optional<i128>& minor, const AssetRegistry& assets,
                        std::string_view currency) {
  if (!minor) return "null";
  auto asset = assets.Find(currency);
  return JsonString(asset.ok() ? Amount(*minor, asset.value()).ToString() : ToDecimal(*minor));
}

std::string GatewayJson(const GatewaySetting& setting, const AssetRegistry& assets) {
  std::string names;
  for (const std::string& name : setting.credential_names) {
    names += (names.empty() ? "" : ",") + JsonString(name);
  }
  return "{\"gateway\":" + JsonString(setting.gateway) +
         ",\"currency\":" + JsonString(setting.currency) +
         ",\"priority\":" + std::to_string(setting.priority) + ",\"tenant_hint\":" +
         (setting.tenant_hint.empty() ? std::string("null") : JsonString(setting.tenant_hint)) +
         ",\"minimum\":" + MoneyOrNull(setting.bounds.minimum, assets, setting.currency) +
         ",\"maximum\":" + MoneyOrNull(setting.bounds.maximum, assets, setting.currency) +
         ",\"credentials\":[" + names +
         "],\"updated_at_ms\":" + std::to_string(setting.updated_at_ms) + "}";
}

std::string ChargeJson(const Charge& charge, const AssetRegistry& assets) {
  return ChargeJson(charge, ScaleOf(assets, charge.currency));
}

std::string ChargeStatusSchema() {
  std::vector<std::string_view> names;
  for (int i = 0; i < kChargeStatusCount; ++i) {
    names.push_back(ChargeStatusName(static_cast<ChargeStatus>(i)));
  }
  return schema::Enum(names);
}

// The pay-ins' shapes, as /openapi.json names them: the JSON of ChargeJson, GatewayJson,
// HistoryJson and StatsJson.
void AddChargeSchemas(Router& router) {
  using namespace schema;
  const std::string money = Nullable(Decimal());
  router.AddSchema(
      "Charge",
      Object({{"id", Id("ch_")},
              {"status", ChargeStatusSchema()},
              {"gateway", Described(String(), "Empty while CREATING.")},
              {"gateway_charge_id", String()},
              {"reference", Described(String(), "The caller's reference, else the charge id.")},
              {"amount", Decimal()},
              {"paid_amount", Described(money, "What the gateway proved was paid.")},
              {"fee_amount", Described(money, "The gateway's fee, booked with the payment.")},
              {"net_amount", Described(money, "PAID: paid_amount less fee_amount.")},
              {"currency", Enum({"BRL", "VES"})},
              {"proof", Nullable(Enum({"signature", "gateway_api", "token", "operator"}))},
              {"review_reason",
               Nullable(Enum({"amount_mismatch", "paid_after_close", "refund_uncovered"}))},
              {"description", String()},
              {"customer", Object({{"name", String()},
                                   {"document", String()},
                                   {"email", String()},
                                   {"phone", String()}})},
              Optional("pix_code", Described(String(), "The PIX BR Code (copia e cola).")),
              Optional("qr_png_url", String()),
              Optional("qr_svg_url", String()),
              Optional("payment_instructions", Described(String(), "VES: how to pay.")),
              {"expires_at", DateTime()},
              {"expires_at_ms", Integer()},
              {"created_at_ms", Integer()},
              {"updated_at_ms", Integer()},
              {"paid_at_ms", Nullable(Integer())},
              {"last_error", Nullable(String())}}));
  router.AddSchema("Gateway", Object({{"gateway", String()},
                                      {"currency", String()},
                                      {"priority", Integer()},
                                      {"tenant_hint", Nullable(String())},
                                      {"minimum", money},
                                      {"maximum", money},
                                      {"credentials", ArrayOf(String())},
                                      {"updated_at_ms", Integer()}}));
  router.AddSchema("ChargeHistoryEntry", Object({{"from", Nullable(ChargeStatusSchema())},
                                                 {"to", ChargeStatusSchema()},
                                                 {"actor", String()},
                                                 {"reason", String()},
                                                 {"at_ms", Integer()}}));
  router.AddSchema("ChargeStats", Object({{"gateway", String()},
                                          {"currency", String()},
                                          {"created", Integer()},
                                          {"paid", Integer()},
                                          {"volume_paid", Decimal()},
                                          {"conversion_bp", Integer(0, 10'000)},
                                          {"failures", Integer()},
                                          {"last_error", Nullable(String())},
                                          {"last_error_at_ms", Nullable(Integer())}}));
}

Result<Customer, HttpResponse> ReadCustomer(JsonObjectReader& body) {
  Customer customer;
  auto object = body.OptionalObject("customer");
  if (!object.ok()) return Failure(ToProblem(object.error()));
  if (!object.value()) return customer;
  JsonObjectReader& fields = *object.value();
  std::string* targets[] = {&customer.name, &customer.document, &customer.email, &customer.phone};
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
  return customer;
}

// Reads a POST /v1/charges body into a NewCharge, or the 400 problem naming the field. Gateway
// names and currency codes are taken in any case.
Result<NewCharge, HttpResponse> ReadNewCharge(const HttpRequest& request,
                                              const AssetRegistry& assets) {
  auto reader = JsonObjectReader::Parse(request.body);
  if (!reader.ok()) return Failure(ToProblem(reader.error()));
  JsonObjectReader& body = reader.value();
  auto gateway = body.OptionalString("gateway", 32);
  if (!gateway.ok()) return Failure(ToProblem(gateway.error()));
  auto currency = body.RequiredString("currency", 10);
  if (!currency.ok()) return Failure(ToProblem(currency.error()));
  const std::string code = UpperAscii(currency.value());
  auto asset = assets.Find(code);
  if (!asset.ok() || (code != "BRL" && code != "VES")) {
    return Failure(InvalidField("currency", "BRL or VES"));
  }
  auto amount = body.RequiredAmount("amount", asset.value());
  if (!amount.ok()) return Failure(ToProblem(amount.error()));
  auto description = body.OptionalString("description", kTextCharsMax);
  if (!description.ok()) return Failure(ToProblem(description.error()));
  auto reference = body.OptionalString("reference", 64);
  if (!reference.ok()) return Failure(ToProblem(reference.error()));
  auto expires = body.OptionalInteger("expires_in_seconds", 60, 7 * 24 * 3600);
  if (!expires.ok()) return Failure(ToProblem(expires.error()));
  auto customer = ReadCustomer(body);
  if (!customer.ok()) return Failure(customer.error());
  if (auto unknown = body.RejectUnknownFields()) return Failure(ToProblem(*unknown));
  std::optional<std::string> gateway_name;
  if (gateway.value()) gateway_name = LowerAscii(*gateway.value());
  return NewCharge{gateway_name,
                   amount.value(),
                   description.value().value_or(""),
                   reference.value().value_or(""),
                   customer.value(),
                   expires.value().value_or(3600)};
}

HttpResponse CreatedResponse(const Result<Charge, ChargeError>& result,
                             const AssetRegistry& assets) {
  if (!result.ok()) return ToProblem(result.error());
  return Json(201, ChargeJson(result.value(), assets));
}

void AddGatewayRoutes(Router& router, AuthGate& gate, ChargeService& charges,
                      const AssetRegistry& assets) {
  router.Add(
      "PUT", "/v1/gateways/{gateway}",
      RouteDoc{
          .summary = "Set the tenant's credentials, priority and bounds for a gateway.",
          .access = "admin",
          .description =
              "The credentials are sealed at rest and never shown again. Priority orders the "
              "tenant's gateways of a currency (lower first); minimum and maximum are the "
              "tenant's own bounds on its charges' amounts there. The gateway's name is taken in "
              "any case.",
          .response_schema = schema::Ref("Gateway"),
          .request_schema = schema::Object(
              {{"credentials", schema::Described(schema::MapOf(schema::Text(kCredentialCharsMax)),
                                                 "name -> value, as the gateway names them")},
               schema::Optional("priority", schema::Integer(0, 1000)),
               schema::Optional("minimum", schema::Decimal()),
               schema::Optional("maximum", schema::Decimal())}),
          .errors = {{400,
                      {"invalid_request", "invalid_amount", "missing_credential",
                       "invalid_credential"}},
                     {404, {"unknown_gateway"}},
                     {422, {"gateway_not_configured"}}}},
      RequireKey(gate, Scope::kAdmin,
                 [&charges, &assets](const HttpRequest& request, const PathParams& params,
                                     const Principal& principal) -> HttpResponse {
                   auto reader = JsonObjectReader::Parse(request.body);
                   if (!reader.ok()) return ToProblem(reader.error());
                   JsonObjectReader& body = reader.value();
                   auto credentials =
                       body.RequiredStringMap("credentials", kCredentialsMax, kCredentialCharsMax);
                   if (!credentials.ok()) return ToProblem(credentials.error());
                   auto priority = body.OptionalInteger("priority", 0, 1000);
                   if (!priority.ok()) return ToProblem(priority.error());
                   auto minimum = body.OptionalString("minimum", 40);
                   if (!minimum.ok()) return ToProblem(minimum.error());
                   auto maximum = body.OptionalString("maximum", 40);
                   if (!maximum.ok()) return ToProblem(maximum.error());
                   if (auto unknown = body.RejectUnknownFields()) return ToProblem(*unknown);
                   auto setting = charges.SetGateway(
                       principal.tenant, LowerAscii(params.at("gateway")), credentials.value(),
                       priority.value().value_or(100), {minimum.value(), maximum.value()});
                   if (!setting.ok()) return ToProblem(setting.error());
                   return Json(200, GatewayJson(setting.value(), assets));
                 }));
  router.Add("GET", "/v1/gateways",
             RouteDoc{.summary = "The tenant's gateways, in priority order per currency.",
                      .access = "admin",
                      .description = "Credential names only, never their values.",
                      .response_schema = schema::List(schema::Ref("Gateway"))},
             RequireKey(gate, Scope::kAdmin,
                        [&charges, &assets](const HttpRequest&, const PathParams&,
                                            const Principal& principal) -> HttpResponse {
                          std::string body = "{\"data\":[";
                          bool first = true;
                          for (const auto& setting : charges.Gateways(principal.tenant)) {
                            body += (first ? "" : ",") + GatewayJson(setting, assets);
                            first = false;
                          }
                          return Json(200, body + "]}");
                        }));
}

std::string NewChargeSchema() {
  using namespace schema;
  const std::string text = Text(kTextCharsMax);
  return Object(
      {Optional("gateway", Described(Text(32), "A gateway of the tenant's (any case).")),
       {"amount", Described(Decimal(), "Positive, with at most the currency's decimals.")},
       {"currency", Described(Enum({"BRL", "VES"}), "Any case.")},
       Optional("description", text),
       Optional("reference", Text(64)),
       Optional("customer", Object({Optional("name", text), Optional("document", text),
                                    Optional("email", text), Optional("phone", text)})),
       Optional("expires_in_seconds", Integer(60, 7 * 24 * 3600))});
}

void AddCreateRoute(Router& router, AuthGate& gate, Idempotency& idempotency,
                    ChargeService& charges, const AssetRegistry& assets) {
  router.Add(
      "POST", "/v1/charges",
      RouteDoc{
          .summary = "Create a charge.",
          .access = "charges:write",
          .description =
              "At the given gateway, or at the tenant's gateways for the currency in priority "
              "order (the next is tried when one fails). 201 when created (PENDING). 422 "
              "`amount_out_of_range` (with `minimum` and `maximum`) when no gateway takes the "
              "amount: no gateway is called. When no gateway created it (the charge is kept as "
              "FAILED): 422 `gateway_refused` if every gateway refused the request itself, else "
              "502 `gateway_failed`. 504 `upstream_timeout` when the gateways take longer than "
              "the request timeout (retry with the same Idempotency-Key).",
          .status = 201,
          .response_schema = schema::Ref("Charge"),
          .request_schema = NewChargeSchema(),
          .idempotency_key = true,
          .errors = {{400, {"invalid_request", "invalid_amount"}},
                     {409, {"charge_creating"}},
                     {422, {"gateway_not_configured", "gateway_refused", "amount_out_of_range"}},
                     {502, {"gateway_failed"}},
                     {504, {"upstream_timeout"}}}},
      RequireKey(gate, Scope::kChargesWrite,
                 idempotency.WrapCallingOut([&charges, &assets](const HttpRequest& request,
                                                                const PathParams&,
                                                                const Principal& principal) {
                   auto charge = ReadNewCharge(request, assets);
                   if (!charge.ok()) return charge.error();
                   // The gateway is called on its own lane: this worker is free meanwhile.
                   return Defer([&charges, &assets, tenant = principal.tenant,
                                 key = std::string(request.Header("Idempotency-Key")),
                                 new_charge = std::move(charge).value()](Respond respond) {
                     try {
                       charges.CreateAsync(tenant, key, new_charge,
                                           [&assets, respond](Result<Charge, ChargeError> made) {
                                             respond(CreatedResponse(made, assets));
                                           });
                     } catch (const std::exception&) {
                       respond(Problem(500, "internal_error", "Internal error",
                                       "The charge could not be created; it was logged."));
                     }
                   });
                 })));
}

HttpResponse NotFound() {
  return Problem(404, "not_found", "Not found", "No such charge.");
}

std::string HistoryJson(const std::vector<ChargeHistoryEntry>& entries) {
  std::string body = "{\"data\":[";
  for (size_t i = 0; i < entries.size(); ++i) {
    const ChargeHistoryEntry& entry = entries[i];
    body += std::string(i == 0 ? "" : ",") +
            "{\"from\":" + (entry.from ? JsonString(ChargeStatusName(*entry.from)) : "null") +
            ",\"to\":" + JsonString(ChargeStatusName(entry.to)) +
            ",\"actor\":" + JsonString(entry.actor) + ",\"reason\":" + JsonString(entry.reason) +
            ",\"at_ms\":" + std::to_string(entry.at_ms) + "}";
  }
  return body + "]}";
}

HttpResponse ListCharges(ChargeService& charges, const AssetRegistry& assets,
                         const HttpRequest& request, const Principal& principal) {
  auto limit = PageLimit(request);
  if (!limit.ok()) return limit.error();
  std::optional<ChargeStatus> status;
  if (const auto text = QueryValue(request.query, "status")) {
    status = ParseChargeStatus(*text);
    if (!status) return InvalidField("status", "a charge status such as PAID or manual_review");
  }
  std::optional<std::string> gateway;
  if (const auto text = QueryValue(request.query, "gateway")) gateway = LowerAscii(*text);
  const auto cursor = QueryValue(request.query, "cursor");
  if (cursor && !cursor->starts_with("ch_")) {
    return InvalidField("cursor", "the next_cursor of a previous page");
  }
  const auto list =
      charges.List(principal.tenant, status, gateway, cursor, static_cast<int>(limit.value()));
  std::string body = "{\"data\":[";
  for (size_t i = 0; i < list.size(); ++i) {
    body += (i == 0 ? "" : ",") + ChargeJson(list[i], assets);
  }
  body += "],\"next_cursor\":";
  body += static_cast<int64_t>(list.size()) == limit.value() ? JsonString(list.back().id)
                                                             : std::string("null");
  return Json(200, body + "}");
}

void AddReadRoutes(Router& router, AuthGate& gate, ChargeService& charges,
                   const AssetRegistry& assets) {
  router.Add("GET", "/v1/charges/{id}",
             RouteDoc{.summary = "One charge.",
                      .access = "charges:read",
                      .response_schema = schema::Ref("Charge"),
                      .errors = {{404, {"not_found"}}}},
             RequireKey(gate, Scope::kChargesRead,
                        [&charges, &assets](const HttpRequest&, const PathParams& params,
                                            const Principal& principal) -> HttpResponse {
                          auto charge = charges.Get(principal.tenant, params.at("id"));
                          return charge ? Json(200, ChargeJson(*charge, assets)) : NotFound();
                        }));
  router.Add("GET", "/v1/charges/{id}/history",
             RouteDoc{.summary = "Every state a charge went through, oldest first.",
                      .access = "charges:read",
                      .description = "From, to, actor (api, webhook:<gateway>, confirm:<gateway>, "
                                     "expiry, operator:<key>), reason and time.",
                      .response_schema = schema::List(schema::Ref("ChargeHistoryEntry")),
                      .errors = {{404, {"not_found"}}}},
             RequireKey(gate, Scope::kChargesRead,
                        [&charges](const HttpRequest&, const PathParams& params,
                                   const Principal& principal) -> HttpResponse {
                          auto history = charges.History(principal.tenant, params.at("id"));
                          return history ? Json(200, HistoryJson(*history)) : NotFound();
                        }));
  router.Add("GET", "/v1/charges",
             RouteDoc{.summary = "The tenant's charges, newest first, a page at a time.",
                      .access = "charges:read",
                      .response_schema = schema::Page(schema::Ref("Charge")),
                      .query = {{"status", "only charges in this status (any case: manual_review)"},
                                {"gateway", "only charges at this gateway"},
                                {"cursor", "next_cursor of the previous page"},
                                {"limit", "1 to 200, default 50"}},
                      .errors = {{400, {"invalid_request"}}}},
             RequireKey(gate, Scope::kChargesRead,
                        [&charges, &assets](const HttpRequest& request, const PathParams&,
                                            const Principal& principal) {
                          return ListCharges(charges, assets, request, principal);
                        }));
}

void AddQrRoutes(Router& router, AuthGate& gate, ChargeService& charges) {
  for (const bool png : {true, false}) {
    router.Add(
        "GET", png ? "/v1/charges/{id}/qr.png" : "/v1/charges/{id}/qr.svg",
        RouteDoc{.summary = png ? "The charge's BR Code as a QR image (PNG)."
                                : "The charge's BR Code as a QR image (SVG).",
                 .access = "charges:read",
                 .response_schema = png ? R"({"type":"string","contentMediaType":"image/png"})"
                                        : R"({"type":"string"})",
                 .response_type = png ? "image/png" : "image/svg+xml",
                 .errors = {{404, {"not_found"}}}},
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
}

HttpResponse ResolveCharge(ChargeService& charges, const AssetRegistry& assets,
                           const HttpRequest& request, const PathParams& params,
                           const Principal& principal) {
  auto reader = JsonObjectReader::Parse(request.body);
  if (!reader.ok()) return ToProblem(reader.error());
  auto action = reader.value().RequiredString("action", 16);
  if (!action.ok()) return ToProblem(action.error());
  const auto resolution = ParseResolution(action.value());
  if (!resolution) return InvalidField("action", "accept, refund or refunded");
  auto reason = reader.value().RequiredString("reason", kReasonCharsMax);
  if (!reason.ok()) return ToProblem(reason.error());
  if (reason.value().empty()) return InvalidField("reason", "a reason for the record");
  if (auto unknown = reader.value().RejectUnknownFields()) return ToProblem(*unknown);
  auto resolved = charges.Resolve(principal.tenant, params.at("id"), *resolution, reason.value(),
                                  principal.key_prefix);
  if (!resolved.ok()) return ToProblem(resolved.error());
  return Json(200, ChargeJson(resolved.value(), assets));
}

void AddResolveRoute(Router& router, AuthGate& gate, Idempotency& idempotency,
                     ChargeService& charges, const AssetRegistry& assets) {
  router.Add(
      "POST", "/v1/charges/{id}/resolve",
      RouteDoc{
          .summary = "Resolve a charge under review.",
          .access = "charges:review",
          .description =
              "`accept` books the amount received (PAID with paid_amount; for a refund the "
              "merchant's balance could not cover, it books the refund now); `refund` returns the "
              "money (no gateway of ours has a refund API: the charge waits in REFUND_PENDING for "
              "a manual refund); `refunded` records that the manual refund was made (REFUNDED). "
              "The actor (the key) and the reason go into the charge's history.",
          .response_schema = schema::Ref("Charge"),
          .request_schema = schema::Object(
              {{"action",
                schema::Described(schema::Enum({"accept", "refund", "refunded"}), "Any case.")},
               {"reason", R"({"type":"string","minLength":1,"maxLength":500})"}}),
          .idempotency_key = true,
          .errors = {{400, {"invalid_request"}},
                     {404, {"not_found"}},
                     {409, {"invalid_transition", "insufficient_funds"}}}},
      RequireKey(gate, Scope::kChargesReview,
                 idempotency.WrapCallingOut([&charges, &assets](const HttpRequest& request,
                                                                const PathParams& params,
                                                                const Principal& principal) {
                   return ResolveCharge(charges, assets, request, params, principal);
                 })));
}

std::string StatsJson(const std::vector<ChargeStatsRow>& rows, const AssetRegistry& assets) {
  std::string body = "{\"data\":[";
  bool first = true;
  for (const auto& row : rows) {
    auto asset = assets.Find(row.currency);
    const std::string volume =
        asset.ok() ? Amount(row.volume_paid, asset.value()).ToString() : ToDecimal(row.volume_paid);
    // Conversion in basis points, rounded down: exact, no floating point.
    const int64_t conversion_bp = row.created == 0 ? 0 : row.paid * 10'000 / row.created;
    body += std::string(first ? "" : ",") + "{\"gateway\":" + JsonString(row.gateway) +
            ",\"currency\":" + JsonString(row.currency) +
            ",\"created\":" + std::to_string(row.created) +
            ",\"paid\":" + std::to_string(row.paid) + ",\"volume_paid\":" + JsonString(volume) +
            ",\"conversion_bp\":" + std::to_string(conversion_bp) +
            ",\"failures\":" + std::to_string(row.failures) + ",\"last_error\":" +
            (row.last_error.empty() ? std::string("null") : JsonString(row.last_error)) +
            ",\"last_error_at_ms\":" +
            (row.last_error_at_ms ? std::to_string(*row.last_error_at_ms) : std::string("null")) +
            "}";
    first = false;
  }
  return body + "]}";
}

void AddStatsRoute(Router& router, AuthGate& gate, ChargeService& charges,
                   const AssetRegistry& assets) {
  router.Add(
      "GET", "/v1/stats/charges",
      RouteDoc{.summary = "Charges per gateway and currency.",
               .access = "charges:read",
               .description = "Created, paid, paid volume, conversion in basis points (paid / "
                              "created, rounded down), failures and the last error.",
               .response_schema = schema::List(schema::Ref("ChargeStats"))},
      RequireKey(
          gate, Scope::kChargesRead,
          [&charges, &assets](const HttpRequest&, const PathParams&, const Principal& principal) {
            return Json(200, StatsJson(charges.Stats(principal.tenant), assets));
          }));
}

HttpResponse IngestWebhook(ChargeService& charges, TokenBucketLimiter& limiter,
                           const HttpRequest& request, const PathParams& params) {
  const std::string& gateway = params.at("gateway");
  if (request.body.size() > kWebhookBodyBytesMax) {
    return Problem(413, "payload_too_large", "Payload too large",
                   "A webhook body may hold at most 64 KiB.");
  }
  // Buckets only for real gateways: a made-up name in the URL must not buy a fresh bucket.
  if (!charges.KnowsGateway(gateway)) {
    return Problem(404, "not_found", "Not found", "No gateway is called that.");
  }
  const RateDecision decision = limiter.TryAcquire(gateway + "\n" + request.remote_address);
  if (!decision.allowed) return RateLimited(decision.retry_after_ms);
  const auto param = [&params](std::string_view name) {
    auto it = params.find(name);
    return it == params.end() ? std::string_view() : std::string_view(it->second);
  };
  const IngestResult result = charges.Ingest(
      IncomingWebhook{gateway, param("tenant"), param("token"),
                      WebhookRequest{request.body, request.headers}, request.remote_address});
  if (result.status >= 400) {
    HttpResponse refused = Problem(result.status, result.code, "Webhook refused", result.detail);
    if (result.status == 503) refused.headers.emplace_back("Retry-After", "5");
    return refused;
  }
  return Json(result.status,
              "{\"outcome\":" + JsonString(result.outcome) + ",\"charge_id\":" +
                  (result.charge_id.empty() ? std::string("null") : JsonString(result.charge_id)) +
                  "}");
}

void AddWebhookRoutes(Router& router, ChargeService& charges, const Clock& clock,
                      const ChargeRoutesOptions& options) {
  auto limiter = std::make_shared<TokenBucketLimiter>(clock, options.webhook_rate);
  const auto ingest = [&charges, limiter](const HttpRequest& request, const PathParams& params) {
    return IngestWebhook(charges, *limiter, request, params);
  };
  const std::string payload = schema::Described(
      R"({"type":"object"})", "The gateway's webhook, in the gateway's own shape.");
  const RouteDoc doc{
      .summary = "A gateway's webhook about one charge.",
      .access = "public",
      .description =
          "At the callback URL Cambista gave the gateway for one charge. It counts only with the "
          "charge's token, and changes the charge only on proof: the gateway's signature "
          "(BuhoPago), the gateway's own status API asked by Cambista (outcome `confirming`: a "
          "job asks it), or the token alone where the gateway has neither (WiinPay). Every "
          "delivery is kept for the audit; at most 64 KiB, rate limited per gateway and source "
          "address.",
      .response_schema =
          schema::Object({{"outcome", schema::Enum({"applied", "manual_review", "stale",
                                                    "duplicate", "confirming", "ignored"})},
                          {"charge_id", schema::Nullable(schema::Id("ch_"))}}),
      .request_schema = payload,
      .headers = {{"X-Signature", "BuhoPago: hex HMAC-SHA256 of the body.", false}},
      .errors = {{400, {"invalid_payload"}},
                 {401, {"invalid_token", "invalid_signature"}},
                 {404, {"not_found"}},
                 {422, {"charge_mismatch"}},
                 {429, {"rate_limited"}},
                 {503, {"charge_not_ready", "gateway_unavailable"}}}};
  router.Add("POST", "/webhooks/{gateway}/{tenant}/{token}", doc, ingest);
  // URLs without a token (handed out before tokens existed) are answered 401, and recorded.
  const RouteDoc legacy{
      .summary = "A webhook URL without a charge token: refused, and recorded.",
      .access = "public",
      .description = "Callback URLs handed out before tokens existed. Always 401 `invalid_token`.",
      .status = 0,
      .request_schema = payload,
      .errors = {{401, {"invalid_token"}}, {429, {"rate_limited"}}}};
  router.Add("POST", "/webhooks/{gateway}", legacy, ingest);
  router.Add("POST", "/webhooks/{gateway}/{tenant}", legacy, ingest);
}

void AddChargeMetrics(obs::MetricsRegistry& metrics, ChargeService& charges) {
  auto collected = metrics.RegisterCounterCollector(
      "cambista_charges_total",
      "Charges per tenant, gateway and currency: created, paid, failures.",
      {"tenant", "gateway", "currency", "figure"}, [&charges](obs::CollectorSink& sink) {
        for (const auto& [tenant, row] : charges.AllStats()) {
          sink.Report({tenant, row.gateway, row.currency, "created"}, row.created);
          sink.Report({tenant, row.gateway, row.currency, "paid"}, row.paid);
          sink.Report({tenant, row.gateway, row.currency, "failures"}, row.failures);
        }
      });
  auto webhooks = metrics.RegisterCounterCollector(
      "cambista_gateway_webhooks_total", "Gateway webhooks received, by result.", {"result"},
      [&charges](obs::CollectorSink& sink) {
        const IngestCounters& counters = charges.counters();
        sink.Report({"applied"}, static_cast<int64_t>(counters.applied.load()));
        sink.Report({"confirming"}, static_cast<int64_t>(counters.confirming.load()));
        sink.Report({"duplicate"}, static_cast<int64_t>(counters.duplicates.load()));
        sink.Report({"invalid_token"}, static_cast<int64_t>(counters.invalid_token.load()));
        sink.Report({"bad_signature"}, static_cast<int64_t>(counters.bad_signature.load()));
        sink.Report({"malformed"}, static_cast<int64_t>(counters.malformed.load()));
      });
  auto breakers = metrics.RegisterGaugeCollector(
      "cambista_gateway_breaker_open",
      "Circuit breakers not closed, per tenant and gateway (1 open, 2 half-open).",
      {"tenant", "gateway"}, [&charges](obs::CollectorSink& sink) {
        for (const auto& [tenant, gateway, state] : charges.lanes().OpenBreakers()) {
          sink.Report({tenant, gateway}, state == BreakerState::kOpen ? 1 : 2);
        }
      });
  CAMBISTA_CHECK(collected.ok() && webhooks.ok() && breakers.ok());
}

}  // namespace

void AddChargeRoutes(Router& router, AuthGate& gate, Idempotency& idempotency,
                     ChargeService& charges, const AssetRegistry& assets,
                     obs::MetricsRegistry& metrics, const Clock& clock,
                     ChargeRoutesOptions options) {
  AddChargeSchemas(router);
  AddGatewayRoutes(router, gate, charges, assets);
  AddCreateRoute(router, gate, idempotency, charges, assets);
  AddReadRoutes(router, gate, charges, assets);
  AddQrRoutes(router, gate, charges);
  AddResolveRoute(router, gate, idempotency, charges, assets);
  AddStatsRoute(router, gate, charges, assets);
  AddWebhookRoutes(router, charges, clock, options);
  AddChargeMetrics(metrics, charges);
}

}  // namespace cambista::payins
