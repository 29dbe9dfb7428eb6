#include "payouts/routes.hpp"

#include <iterator>

#include "http/json_input.hpp"
#include "http/json_schema.hpp"
#include "http/problem.hpp"
#include "http/query.hpp"

namespace cambista::payouts {
namespace {

using namespace cambista::http;
using namespace cambista::api;

constexpr size_t kNameCharsMax = 200;
constexpr size_t kDocumentCharsMax = 32;
constexpr size_t kReferenceCharsMax = 64;
constexpr size_t kReasonCharsMax = 500;
constexpr size_t kCallbackBodyBytesMax = 64 << 10;

HttpResponse Json(int status, std::string body) {
  HttpResponse response;
  response.status = status;
  response.body = std::move(body);
  return response;
}

// Each error of the payouts with its HTTP status and stable problem code: the one place they meet.
struct ErrorRow {
  PayoutErrorKind kind;
  int status;
  std::string_view code;
};
constexpr ErrorRow kErrorTable[] = {
    {PayoutErrorKind::kInvalidRequest, 400, "invalid_request"},
    {PayoutErrorKind::kInvalidAmount, 400, "invalid_amount"},
    {PayoutErrorKind::kInvalidDestination, 422, "invalid_destination"},
    {PayoutErrorKind::kNotFound, 404, "not_found"},
    {PayoutErrorKind::kUnknownProvider, 404, "unknown_provider"},
    {PayoutErrorKind::kInsufficientFunds, 409, "insufficient_funds"},
    {PayoutErrorKind::kInvalidTransition, 409, "invalid_transition"},
    {PayoutErrorKind::kApprovalRefused, 403, "approval_refused"},
    {PayoutErrorKind::kProviderRefused, 422, "provider_refused"},
    {PayoutErrorKind::kProviderFailed, 502, "provider_failed"},
    {PayoutErrorKind::kConflict, 409, "reference_conflict"},
    {PayoutErrorKind::kInternal, 500, "internal_error"},
};

const ErrorRow& RowOf(PayoutErrorKind kind) {
  for (const ErrorRow& row : kErrorTable) {
    if (row.kind == kind) return row;
  }
  return kErrorTable[std::size(kErrorTable) - 1];  // kInternal: every kind has a row
}

// The service's error as problem+json, with `field` and `reason` members when it names them.
HttpResponse ToProblem(const PayoutError& error) {
  const ErrorRow& row = RowOf(error.kind);
  HttpResponse response = Problem(
      row.status, row.code, row.status >= 500 ? "Server error" : "Request refused", error.detail);
  std::string members;
  if (!error.field.empty()) members += ",\"field\":" + JsonString(error.field);
  if (!error.reason.empty()) members += ",\"reason\":" + JsonString(error.reason);
  response.body.insert(response.body.size() - 1, members);
  return response;
}

// A body field out of its rules: 400, naming the field.
HttpResponse InputProblem(const InputError& error) {
  HttpResponse response = http::ToProblem(error);
  if (!error.field.empty()) {
    response.body.insert(response.body.size() - 1, ",\"field\":" + JsonString(error.field));
  }
  return response;
}

std::string CustomerJson(const Customer& c) {
  return "{\"id\":" + JsonString(c.id) + ",\"name\":" + JsonString(c.name) +
         ",\"document\":" + JsonString(c.document) +
         ",\"kyc_level\":" + std::to_string(c.kyc_level) +
         ",\"created_at_ms\":" + std::to_string(c.created_at_ms) +
         ",\"updated_at_ms\":" + std::to_string(c.updated_at_ms) + "}";
}

std::string DestinationFields(const Destination& d) {
  switch (d.kind) {
    case DestinationKind::kCryptoAddress:
      return ",\"network\":" + JsonString(NetworkName(d.network)) +
             ",\"address\":" + JsonString(d.address);
    case DestinationKind::kPixKey:
      return ",\"key\":" + JsonString(d.key) +
             ",\"key_type\":" + JsonString(pix::PixKeyKindName(d.pix_key_kind));
    case DestinationKind::kVesBank:
      return ",\"bank\":" + JsonString(d.bank) +
             ",\"bank_name\":" + JsonString(VesBankName(d.bank)) +
             ",\"account\":" + JsonString(d.account) + ",\"document\":" + JsonString(d.document);
  }
  return "";
}

std::string DestinationJson(const SavedDestination& s) {
  return "{\"id\":" + JsonString(s.id) + ",\"customer\":" + JsonString(s.customer_id) +
         ",\"kind\":" + JsonString(DestinationKindName(s.destination.kind)) +
         DestinationFields(s.destination) +
         ",\"created_at_ms\":" + std::to_string(s.created_at_ms) + "}";
}

std::string DepositJson(const Deposit& d, const AssetRegistry& assets) {
  auto asset = assets.Find(d.asset);
  const std::string amount = asset.ok() ? Amount(d.amount, asset.value()).ToString() : "";
  return "{\"id\":" + JsonString(d.id) + ",\"account\":" + JsonString(d.account) +
         ",\"asset\":" + JsonString(d.asset) + ",\"amount\":" + JsonString(amount) +
         ",\"reference\":" + JsonString(d.reference) + ",\"actor\":" + JsonString(d.actor) +
         ",\"created_at_ms\":" + std::to_string(d.created_at_ms) + "}";
}

std::string MoneyText(const AssetRegistry& assets, std::string_view code, i128 minor) {
  auto asset = assets.Find(code);
  return JsonString(asset.ok() ? Amount(minor, asset.value()).ToString() : ToDecimal(minor));
}

std::string PayoutJson(const Payout& p, const AssetRegistry& assets) {
  const auto text_or_null = [](const std::string& text) {
    return text.empty() ? std::string("null") : JsonString(text);
  };
  return "{\"id\":" + JsonString(p.id) + ",\"status\":" + JsonString(PayoutStatusName(p.status)) +
         ",\"customer\":" + JsonString(p.customer_id) + ",\"provider\":" + JsonString(p.provider) +
         ",\"asset\":" + JsonString(p.asset) +
         ",\"amount\":" + MoneyText(assets, p.asset, p.amount) +
         ",\"destination\":{\"kind\":" + JsonString(DestinationKindName(p.destination.kind)) +
         DestinationFields(p.destination) +
         "},\"origin\":" + JsonString(PayoutOriginName(p.origin)) +
         ",\"reference\":" + JsonString(p.reference) +
         ",\"provider_reference\":" + JsonString(p.provider_reference) +
         ",\"provider_id\":" + text_or_null(p.provider_id) + ",\"txid\":" + text_or_null(p.txid) +
         ",\"commission\":" +
         (p.commission ? MoneyText(assets, p.asset, *p.commission) : std::string("null")) +
         ",\"failure_reason\":" + text_or_null(p.failure_reason) +
         ",\"created_at_ms\":" + std::to_string(p.created_at_ms) +
         ",\"updated_at_ms\":" + std::to_string(p.updated_at_ms) + "}";
}

std::string HistoryJson(const std::vector<PayoutChange>& history) {
  std::string out = "[";
  for (const PayoutChange& change : history) {
    out += (out.size() > 1 ? ",{\"from\":" : "{\"from\":") +
           (change.from ? JsonString(PayoutStatusName(*change.from)) : std::string("null")) +
           ",\"to\":" + JsonString(PayoutStatusName(change.to)) +
           ",\"actor\":" + JsonString(change.actor) + ",\"reason\":" + JsonString(change.reason) +
           ",\"at_ms\":" + std::to_string(change.at_ms) + "}";
  }
  return out + "]";
}

std::string PayoutStatusSchema() {
  std::vector<std::string_view> names;
  for (int i = 0; i < kPayoutStatusCount; ++i) {
    names.push_back(PayoutStatusName(static_cast<PayoutStatus>(i)));
  }
  return schema::Enum(names);
}

void AddPayoutSchema(Router& router) {
  using namespace schema;
  const std::string nullable_text = Nullable(String());
  router.AddSchema(
      "Payout",
      Object(
          {{"id", Id("po_")},
           {"status", PayoutStatusSchema()},
           {"customer", Described(String(), "Empty for a treasury sweep (the desk's own money).")},
           {"provider", String()},
           {"asset", String()},
           {"amount", Decimal()},
           {"destination", OpenObject({{"kind", Enum({"crypto_address", "pix_key", "ves_bank"})}})},
           {"origin",
            Described(Enum({"manual", "scheduled", "bonus", "trade", "sweep", "refund"}),
                      "`sweep`: a treasury sweep's credit to the desk's bank; `refund`: a "
                      "trade's pay-in going back to its customer.")},
           {"reference", String()},
           {"provider_reference",
            Described(String(), "Our id at the provider (Heleket order_id), fixed at creation.")},
           {"provider_id", nullable_text},
           {"txid", nullable_text},
           {"commission", Described(Nullable(Decimal()), "What the provider charged.")},
           {"failure_reason", nullable_text},
           {"created_at_ms", Integer()},
           {"updated_at_ms", Integer()},
           Optional("history", ArrayOf(Object({{"from", Nullable(PayoutStatusSchema())},
                                               {"to", PayoutStatusSchema()},
                                               {"actor", String()},
                                               {"reason", String()},
                                               {"at_ms", Integer()}})))}));
}

void AddPayoutSchemas(Router& router) {
  using namespace schema;
  AddPayoutSchema(router);
  router.AddSchema("Customer", Object({{"id", String()},
                                       {"name", String()},
                                       {"document", String()},
                                       {"kyc_level", Integer(0, kKycLevelMax)},
                                       {"created_at_ms", Integer()},
                                       {"updated_at_ms", Integer()}}));
  router.AddSchema(
      "Destination",
      Object({{"id", Id("dst_")},
              {"customer", String()},
              {"kind", Enum({"crypto_address", "pix_key", "ves_bank"})},
              Optional("network", Enum({"TRON", "ETH", "POLYGON", "BSC", "BTC", "SOL"})),
              Optional("address", Described(String(), "In its normal form (EIP-55 casing).")),
              Optional("key", String()),
              Optional("key_type", Enum({"cpf", "cnpj", "phone", "email", "evp"})),
              Optional("bank", String()),
              Optional("bank_name", String()),
              Optional("account", String()),
              Optional("document", String()),
              {"created_at_ms", Integer()}}));
  router.AddSchema("Deposit", Object({{"id", Id("dep_")},
                                      {"account", Described(String(), "The chart account's name.")},
                                      {"asset", String()},
                                      {"amount", Decimal()},
                                      {"reference", String()},
                                      {"actor", String()},
                                      {"created_at_ms", Integer()}}));
}

}  // namespace

namespace {

Result<CustomerInput, HttpResponse> ReadCustomerInput(const HttpRequest& request) {
  auto reader = JsonObjectReader::Parse(request.body);
  if (!reader.ok()) return Failure(InputProblem(reader.error()));
  JsonObjectReader& body = reader.value();
  auto name = body.RequiredString("name", kNameCharsMax);
  if (!name.ok()) return Failure(InputProblem(name.error()));
  auto document = body.OptionalString("document", kDocumentCharsMax);
  if (!document.ok()) return Failure(InputProblem(document.error()));
  auto kyc = body.OptionalInteger("kyc_level", 0, kKycLevelMax);
  if (!kyc.ok()) return Failure(InputProblem(kyc.error()));
  if (auto unknown = body.RejectUnknownFields()) return Failure(InputProblem(*unknown));
  return CustomerInput{std::move(name).value(), document.value().value_or(""),
                       static_cast<int>(kyc.value().value_or(0))};
}

Result<DestinationInput, HttpResponse> ReadDestinationInput(const HttpRequest& request) {
  auto reader = JsonObjectReader::Parse(request.body);
  if (!reader.ok()) return Failure(InputProblem(reader.error()));
  return ReadDestinationFields(reader.value(), "");
}

Result<DepositRequest, HttpResponse> ReadDeposit(const HttpRequest& request,
                                                 const AssetRegistry& assets) {
  auto reader = JsonObjectReader::Parse(request.body);
  if (!reader.ok()) return Failure(InputProblem(reader.error()));
  JsonObjectReader& body = reader.value();
  auto account = body.RequiredString("account", 2 * kCustomerIdCharsMax);
  if (!account.ok()) return Failure(InputProblem(account.error()));
  auto code = body.RequiredString("asset", 10);
  if (!code.ok()) return Failure(InputProblem(code.error()));
  auto asset = assets.Find(code.value());
  if (!asset.ok()) {
    return Failure(InputProblem(
        {"invalid_request", "asset", "\"asset\" must be an asset of the desk, such as USDT."}));
  }
  auto amount = body.RequiredAmount("amount", asset.value());
  if (!amount.ok()) return Failure(InputProblem(amount.error()));
  auto reference = body.RequiredString("reference", kReferenceCharsMax);
  if (!reference.ok()) return Failure(InputProblem(reference.error()));
  if (auto unknown = body.RejectUnknownFields()) return Failure(InputProblem(*unknown));
  return DepositRequest{std::move(account).value(), amount.value(), std::move(reference).value()};
}

Result<NewPayout, HttpResponse> ReadNewPayout(const HttpRequest& request,
                                              const AssetRegistry& assets) {
  auto reader = JsonObjectReader::Parse(request.body);
  if (!reader.ok()) return Failure(InputProblem(reader.error()));
  JsonObjectReader& body = reader.value();
  auto customer = body.RequiredString("customer", kCustomerIdCharsMax);
  if (!customer.ok()) return Failure(InputProblem(customer.error()));
  auto provider = body.OptionalString("provider", 32);
  if (!provider.ok()) return Failure(InputProblem(provider.error()));
  auto code = body.RequiredString("asset", 10);
  if (!code.ok()) return Failure(InputProblem(code.error()));
  auto asset = assets.Find(code.value());
  if (!asset.ok()) {
    return Failure(InputProblem(
        {"invalid_request", "asset", "\"asset\" must be an asset of the desk, such as USDT."}));
  }
  auto amount = body.RequiredAmount("amount", asset.value());
  if (!amount.ok()) return Failure(InputProblem(amount.error()));
  static constexpr std::string_view kOrigins[] = {"manual", "scheduled", "bonus", "trade"};
  auto origin = body.RequiredEnum("origin", kOrigins);
  if (!origin.ok()) return Failure(InputProblem(origin.error()));
  auto reference = body.OptionalString("reference", kReferenceCharsMax);
  if (!reference.ok()) return Failure(InputProblem(reference.error()));
  auto destination_id = body.OptionalString("destination_id", 40);
  if (!destination_id.ok()) return Failure(InputProblem(destination_id.error()));
  auto object = body.OptionalObject("destination");
  if (!object.ok()) return Failure(InputProblem(object.error()));
  std::optional<DestinationInput> destination;
  if (object.value()) {
    auto fields = ReadDestinationFields(*object.value(), "destination.");
    if (!fields.ok()) return Failure(fields.error());
    destination = std::move(fields).value();
  }
  if (auto unknown = body.RejectUnknownFields()) return Failure(InputProblem(*unknown));
  if (destination.has_value() == destination_id.value().has_value()) {
    return Failure(InputProblem(
        {"invalid_request", "destination", "Give either \"destination\" or \"destination_id\"."}));
  }
  return NewPayout{std::move(customer).value(),
                   std::move(provider).value(),
                   amount.value(),
                   std::move(destination),
                   std::move(destination_id).value(),
                   ParsePayoutOrigin(origin.value()).value_or(PayoutOrigin::kManual),
                   std::move(reference).value().value_or("")};
}

void AddCustomerRoutes(Router& router, AuthGate& gate, PayoutService& payouts) {
  router.Add(
      "PUT", "/v1/customers/{id}",
      RouteDoc{
          .summary = "Create or update one of the desk's customers.",
          .access = "payouts:write",
          .description = "The id is the desk's own (a bot may use its chat id): 1 to 64 of "
                         "A-Z, a-z, 0-9, '_', '.' and '-'. 201 when created, 200 when "
                         "updated.",
          .status = 201,
          .response_schema = schema::Ref("Customer"),
          .request_schema = schema::Object({{"name", schema::Text(kNameCharsMax)},
                                            schema::Optional("document", schema::String()),
                                            schema::Optional("kyc_level", schema::Integer(0, 9))}),
          .errors = {{400, {"invalid_request"}}},
          .responses = {{200, "Updated.", schema::Ref("Customer")}}},
      RequireKey(gate, Scope::kPayoutsWrite,
                 [&payouts](const HttpRequest& request, const PathParams& params,
                            const Principal& principal) -> HttpResponse {
                   auto input = ReadCustomerInput(request);
                   if (!input.ok()) return input.error();
                   auto put = payouts.PutCustomer(principal.tenant, params.at("id"), input.value());
                   if (!put.ok()) return ToProblem(put.error());
                   return Json(put.value().created ? 201 : 200, CustomerJson(put.value().value));
                 }));
  router.Add("GET", "/v1/customers/{id}",
             RouteDoc{.summary = "One customer.",
                      .access = "payouts:write",
                      .response_schema = schema::Ref("Customer"),
                      .errors = {{404, {"not_found"}}}},
             RequireKey(gate, Scope::kPayoutsWrite,
                        [&payouts](const HttpRequest&, const PathParams& params,
                                   const Principal& principal) -> HttpResponse {
                          auto customer = payouts.GetCustomer(principal.tenant, params.at("id"));
                          if (!customer.ok()) return ToProblem(customer.error());
                          return Json(200, CustomerJson(customer.value()));
                        }));
}

HttpResponse ListDestinations(PayoutService& payouts, const HttpRequest& request,
                              std::string_view customer_id, const Principal& principal) {
  auto limit = PageLimit(request);
  if (!limit.ok()) return limit.error();
  const auto cursor = QueryValue(request.query, "cursor");
  if (cursor && !cursor->starts_with("dst_")) {
    return InvalidField("cursor", "the next_cursor of a previous page");
  }
  auto list = payouts.ListDestinations(principal.tenant, customer_id, cursor.value_or(""),
                                       static_cast<int>(limit.value()));
  if (!list.ok()) return ToProblem(list.error());
  std::string body = "{\"data\":[";
  for (size_t i = 0; i < list.value().size(); ++i) {
    body += (i == 0 ? "" : ",") + DestinationJson(list.value()[i]);
  }
  body += "],\"next_cursor\":";
  body += static_cast<int64_t>(list.value().size()) == limit.value()
              ? JsonString(list.value().back().id)
              : std::string("null");
  return Json(200, body + "}");
}

void AddDestinationRoutes(Router& router, AuthGate& gate, PayoutService& payouts) {
  using namespace schema;
  router.Add(
      "POST", "/v1/customers/{id}/destinations",
      RouteDoc{.summary = "Save a destination for a customer's payouts.",
               .access = "payouts:write",
               .description =
                   "{kind: crypto_address, network, address}, {kind: pix_key, key} or {kind: "
                   "ves_bank, bank, account, document}, validated before anything is stored: 422 "
                   "`invalid_destination` with `field` and `reason` (checksum_mismatch, "
                   "invalid_length, unknown_network, ...). 201 when saved; 200 with the first one "
                   "when the customer already has this destination.",
               .status = 201,
               .response_schema = Ref("Destination"),
               .request_schema = Object({{"kind", Enum({"crypto_address", "pix_key", "ves_bank"})},
                                         Optional("network", String()),
                                         Optional("address", String()),
                                         Optional("key", String()),
                                         Optional("bank", String()),
                                         Optional("account", String()),
                                         Optional("document", String())}),
               .errors = {{400, {"invalid_request"}},
                          {404, {"not_found"}},
                          {422, {"invalid_destination"}}},
               .responses = {{200, "Already saved: the first one.", Ref("Destination")}}},
      RequireKey(
          gate, Scope::kPayoutsWrite,
          [&payouts](const HttpRequest& request, const PathParams& params,
                     const Principal& principal) -> HttpResponse {
            auto input = ReadDestinationInput(request);
            if (!input.ok()) return input.error();
            auto saved = payouts.AddDestination(principal.tenant, params.at("id"), input.value());
            if (!saved.ok()) return ToProblem(saved.error());
            return Json(saved.value().created ? 201 : 200, DestinationJson(saved.value().value));
          }));
  router.Add("GET", "/v1/customers/{id}/destinations",
             RouteDoc{.summary = "A customer's saved destinations, oldest first.",
                      .access = "payouts:write",
                      .response_schema = Page(Ref("Destination")),
                      .query = {{"cursor", "next_cursor of the previous page"},
                                {"limit", "1 to 200, default 50"}},
                      .errors = {{400, {"invalid_request"}}, {404, {"not_found"}}}},
             RequireKey(gate, Scope::kPayoutsWrite,
                        [&payouts](const HttpRequest& request, const PathParams& params,
                                   const Principal& principal) {
                          return ListDestinations(payouts, request, params.at("id"), principal);
                        }));
}

void AddDepositRoute(Router& router, AuthGate& gate, Idempotency& idempotency,
                     PayoutService& payouts, const AssetRegistry& assets) {
  using namespace schema;
  router.Add(
      "POST", "/v1/treasury/deposits",
      RouteDoc{
          .summary = "Record money that arrived outside the system.",
          .access = "admin",
          .description =
              "A float topped up at a provider (account `provider:heleket`), a customer's bank "
              "deposit (`customer:c1`), the desk's own money at a place (`treasury:bank`) or the "
              "merchant's: one ledger transfer against the tenant's `external` account, in the "
              "transaction that records it. 201 when recorded; 200 with the first when the "
              "reference was recorded already with the same account, asset and amount; 409 "
              "`reference_conflict` when with others.",
          .status = 201,
          .response_schema = Ref("Deposit"),
          .request_schema = Object({{"account", String()},
                                    {"asset", String()},
                                    {"amount", Decimal()},
                                    {"reference", Text(kReferenceCharsMax)}}),
          .idempotency_key = true,
          .errors = {{400, {"invalid_request", "invalid_amount"}},
                     {404, {"not_found"}},
                     {409, {"reference_conflict"}}},
          .responses = {{200, "Recorded already: the first.", Ref("Deposit")}}},
      RequireKey(gate, Scope::kAdmin,
                 idempotency.WrapCallingOut([&payouts, &assets](const HttpRequest& request,
                                                                const PathParams&,
                                                                const Principal& principal) {
                   auto deposit = ReadDeposit(request, assets);
                   if (!deposit.ok()) return deposit.error();
                   auto recorded = payouts.RecordDeposit(principal.tenant, principal.key_prefix,
                                                         deposit.value());
                   if (!recorded.ok()) return ToProblem(recorded.error());
                   return Json(recorded.value().created ? 201 : 200,
                               DepositJson(recorded.value().value, assets));
                 })));
}

void AddPayoutCreateRoute(Router& router, AuthGate& gate, Idempotency& idempotency,
                          PayoutService& payouts, const AssetRegistry& assets) {
  using namespace schema;
  router.Add(
      "POST", "/v1/payouts",
      RouteDoc{
          .summary = "Pay a customer out.",
          .access = "payouts:write",
          .description =
              "From the customer's account to a destination (inline, validated, or a saved "
              "destination_id), through the named provider or the first that sends the asset "
              "there. The amount is held at once (a pending ledger transfer to the provider's "
              "float): 409 `insufficient_funds` when the customer's balance or the float does not "
              "cover it, and nothing is sent. Above the asset's approval threshold the payout "
              "waits in AWAITING_APPROVAL. It reaches the provider at most once, under its "
              "provider_reference.",
          .status = 201,
          .response_schema = Ref("Payout"),
          .request_schema = Object({{"customer", String()},
                                    Optional("provider", String()),
                                    {"asset", String()},
                                    {"amount", Decimal()},
                                    Optional("destination", OpenObject({{"kind", String()}})),
                                    Optional("destination_id", Id("dst_")),
                                    {"origin", Enum({"manual", "scheduled", "bonus", "trade"})},
                                    Optional("reference", Text(kReferenceCharsMax))}),
          .idempotency_key = true,
          .errors = {{400, {"invalid_request", "invalid_amount"}},
                     {404, {"not_found", "unknown_provider"}},
                     {409, {"insufficient_funds"}},
                     {422, {"invalid_destination"}}}},
      RequireKey(
          gate, Scope::kPayoutsWrite,
          idempotency.WrapCallingOut([&payouts, &assets](const HttpRequest& request,
                                                         const PathParams&,
                                                         const Principal& principal) {
            auto payout = ReadNewPayout(request, assets);
            if (!payout.ok()) return payout.error();
            auto made = payouts.CreatePayout(principal.tenant, principal.key_prefix,
                                             request.Header("Idempotency-Key"), payout.value());
            if (!made.ok()) return ToProblem(made.error());
            return Json(made.value().created ? 201 : 200, PayoutJson(made.value().value, assets));
          })));
}

HttpResponse ListPayouts(PayoutService& payouts, const AssetRegistry& assets,
                         const HttpRequest& request, const Principal& principal) {
  auto limit = PageLimit(request);
  if (!limit.ok()) return limit.error();
  std::optional<PayoutStatus> status;
  if (const auto text = QueryValue(request.query, "status")) {
    status = ParsePayoutStatus(*text);
    if (!status) return InvalidField("status", "a payout status such as SUBMITTED");
  }
  const auto cursor = QueryValue(request.query, "cursor");
  if (cursor && !cursor->starts_with("po_")) {
    return InvalidField("cursor", "the next_cursor of a previous page");
  }
  const auto list =
      payouts.ListPayouts(principal.tenant, status, QueryValue(request.query, "customer"), cursor,
                          static_cast<int>(limit.value()));
  std::string body = "{\"data\":[";
  for (size_t i = 0; i < list.size(); ++i) {
    body += (i == 0 ? "" : ",") + PayoutJson(list[i], assets);
  }
  body += "],\"next_cursor\":";
  body += static_cast<int64_t>(list.size()) == limit.value() ? JsonString(list.back().id)
                                                             : std::string("null");
  return Json(200, body + "}");
}

void AddPayoutReadRoutes(Router& router, AuthGate& gate, PayoutService& payouts,
                         const AssetRegistry& assets) {
  router.Add("GET", "/v1/payouts/{id}",
             RouteDoc{.summary = "One payout, with its history.",
                      .access = "payouts:write",
                      .response_schema = schema::Ref("Payout"),
                      .errors = {{404, {"not_found"}}}},
             RequireKey(gate, Scope::kPayoutsWrite,
                        [&payouts, &assets](const HttpRequest&, const PathParams& params,
                                            const Principal& principal) -> HttpResponse {
                          auto payout = payouts.GetPayout(principal.tenant, params.at("id"));
                          if (!payout.ok()) return ToProblem(payout.error());
                          std::string body = PayoutJson(payout.value(), assets);
                          body.insert(body.size() - 1,
                                      ",\"history\":" + HistoryJson(payouts.PayoutHistory(
                                                            principal.tenant, params.at("id"))));
                          return Json(200, body);
                        }));
  router.Add("GET", "/v1/payouts",
             RouteDoc{.summary = "The tenant's payouts, newest first, a page at a time.",
                      .access = "payouts:write",
                      .response_schema = schema::Page(schema::Ref("Payout")),
                      .query = {{"status", "only payouts in this status (any case)"},
                                {"customer", "only this customer's payouts"},
                                {"cursor", "next_cursor of the previous page"},
                                {"limit", "1 to 200, default 50"}},
                      .errors = {{400, {"invalid_request"}}}},
             RequireKey(gate, Scope::kPayoutsWrite,
                        [&payouts, &assets](const HttpRequest& request, const PathParams&,
                                            const Principal& principal) {
                          return ListPayouts(payouts, assets, request, principal);
                        }));
}

// Another tenant's payout answers like a missing one, before the code is looked at; then the
// key's TOTP code. The problem, or nothing when both hold.
std::optional<HttpResponse> CheckOperator(PayoutService& payouts, ApiKeyStore& keys,
                                          const PathParams& params, const Principal& principal,
                                          const std::string& totp) {
  if (auto payout = payouts.GetPayout(principal.tenant, params.at("id")); !payout.ok()) {
    return ToProblem(payout.error());
  }
  if (keys.CheckTotp(principal.key_prefix, totp) != ApiKeyStore::TotpCheck::kOk) {
    return ToProblem(PayoutError(PayoutErrorKind::kApprovalRefused,
                                 "The TOTP code is wrong, used already, or the key has none "
                                 "(cambista keys totp-enroll).",
                                 "totp"));
  }
  return std::nullopt;
}

// approve | reject: a second key with payouts:approve and its TOTP code in the body.
HttpResponse Decide(PayoutService& payouts, ApiKeyStore& keys, const AssetRegistry& assets,
                    const HttpRequest& request, const PathParams& params,
                    const Principal& principal, bool approve) {
  auto reader = JsonObjectReader::Parse(request.body);
  if (!reader.ok()) return InputProblem(reader.error());
  auto totp = reader.value().RequiredString("totp", 10);
  if (!totp.ok()) return InputProblem(totp.error());
  if (auto unknown = reader.value().RejectUnknownFields()) return InputProblem(*unknown);
  if (auto refused = CheckOperator(payouts, keys, params, principal, totp.value())) {
    return *refused;
  }
  auto decided = payouts.Decide(principal.tenant, params.at("id"), principal.key_prefix, approve);
  if (!decided.ok()) return ToProblem(decided.error());
  return Json(200, PayoutJson(decided.value(), assets));
}

void AddPayoutActionRoutes(Router& router, AuthGate& gate, PayoutService& payouts,
                           const AssetRegistry& assets) {
  router.Add("POST", "/v1/payouts/{id}/cancel",
             RouteDoc{.summary = "Cancel a payout not yet sent.",
                      .access = "payouts:write",
                      .description = "REQUESTED or AWAITING_APPROVAL: CANCELLED, the hold voided. "
                                     "Else 409 `invalid_transition`.",
                      .response_schema = schema::Ref("Payout"),
                      .errors = {{404, {"not_found"}}, {409, {"invalid_transition"}}}},
             RequireKey(gate, Scope::kPayoutsWrite,
                        [&payouts, &assets](const HttpRequest&, const PathParams& params,
                                            const Principal& principal) -> HttpResponse {
                          auto cancelled = payouts.CancelPayout(principal.tenant, params.at("id"),
                                                                principal.key_prefix);
                          if (!cancelled.ok()) return ToProblem(cancelled.error());
                          return Json(200, PayoutJson(cancelled.value(), assets));
                        }));
  for (const bool approve : {true, false}) {
    router.Add(
        "POST", approve ? "/v1/payouts/{id}/approve" : "/v1/payouts/{id}/reject",
        RouteDoc{.summary = approve ? "Approve a payout awaiting approval."
                                    : "Reject a payout awaiting approval.",
                 .access = "payouts:approve",
                 .description = "By a key other than the one that created the payout, with the "
                                "current code of its TOTP (`cambista keys totp-enroll`): 403 "
                                "`approval_refused` otherwise. Every decision is in the history.",
                 .response_schema = schema::Ref("Payout"),
                 .request_schema = schema::Object({{"totp", schema::String()}}),
                 .errors = {{400, {"invalid_request"}},
                            {403, {"approval_refused"}},
                            {404, {"not_found"}},
                            {409, {"invalid_transition"}}}},
        RequireKey(
            gate, Scope::kPayoutsApprove,
            [&payouts, &keys = gate.keys, &assets, approve](
                const HttpRequest& request, const PathParams& params, const Principal& principal) {
              return Decide(payouts, keys, assets, request, params, principal, approve);
            }));
  }
}

// An operator's word on a payout under review: {outcome: "confirmed" | "failed", reason, totp}.
HttpResponse ResolveReview(PayoutService& payouts, ApiKeyStore& keys, const AssetRegistry& assets,
                           const HttpRequest& request, const PathParams& params,
                           const Principal& principal) {
  auto reader = JsonObjectReader::Parse(request.body);
  if (!reader.ok()) return InputProblem(reader.error());
  JsonObjectReader& body = reader.value();
  static constexpr std::string_view kOutcomes[] = {"confirmed", "failed"};
  auto outcome = body.RequiredEnum("outcome", kOutcomes);
  if (!outcome.ok()) return InputProblem(outcome.error());
  auto reason = body.RequiredString("reason", kReasonCharsMax);
  if (!reason.ok()) return InputProblem(reason.error());
  auto totp = body.RequiredString("totp", 10);
  if (!totp.ok()) return InputProblem(totp.error());
  if (auto unknown = body.RejectUnknownFields()) return InputProblem(*unknown);
  if (auto refused = CheckOperator(payouts, keys, params, principal, totp.value())) {
    return *refused;
  }
  auto resolved = payouts.Resolve(principal.tenant, params.at("id"), principal.key_prefix,
                                  outcome.value() == "confirmed", reason.value());
  if (!resolved.ok()) return ToProblem(resolved.error());
  return Json(200, PayoutJson(resolved.value(), assets));
}

void AddResolveRoute(Router& router, AuthGate& gate, PayoutService& payouts,
                     const AssetRegistry& assets) {
  using namespace schema;
  router.Add(
      "POST", "/v1/payouts/{id}/resolve",
      RouteDoc{.summary = "Resolve a payout under review.",
               .access = "payouts:approve",
               .description =
                   "MANUAL_REVIEW only (an answer never resolved, or paid with another amount): "
                   "after looking at the provider, `confirmed` posts the held amount, `failed` "
                   "releases it (a trade's payout then refunds the trade). By a key other than the "
                   "payout's creator, with its TOTP code: 403 `approval_refused` otherwise.",
               .response_schema = Ref("Payout"),
               .request_schema = Object({{"outcome", Enum({"confirmed", "failed"})},
                                         {"reason", Text(kReasonCharsMax)},
                                         {"totp", String()}}),
               .errors = {{400, {"invalid_request"}},
                          {403, {"approval_refused"}},
                          {404, {"not_found"}},
                          {409, {"invalid_transition"}}}},
      RequireKey(
          gate, Scope::kPayoutsApprove,
          [&payouts, &keys = gate.keys, &assets](
              const HttpRequest& request, const PathParams& params, const Principal& principal) {
            return ResolveReview(payouts, keys, assets, request, params, principal);
          }));
}

// Milliseconds as seconds with three decimals ("1.250"), for people; no floating point.
std::string Seconds(std::optional<int64_t> ms) {
  if (!ms) return "null";
  std::string fraction = std::to_string(*ms % 1000);
  fraction.insert(0, 3 - fraction.size(), '0');
  return std::to_string(*ms / 1000) + "." + fraction;
}

std::string StatsJson(const std::vector<ProviderStats>& stats, const AssetRegistry& assets,
                      int64_t from_ms, int64_t to_ms) {
  std::string body = "{\"from_ms\":" + std::to_string(from_ms) +
                     ",\"to_ms\":" + std::to_string(to_ms) + ",\"providers\":[";
  for (size_t i = 0; i < stats.size(); ++i) {
    const ProviderStats& s = stats[i];
    std::string volume;
    for (const auto& [asset, minor] : s.volume) {
      volume +=
          (volume.empty() ? "" : ",") + JsonString(asset) + ":" + MoneyText(assets, asset, minor);
    }
    body += (i == 0 ? "" : ",") + std::string("{\"provider\":") + JsonString(s.provider) +
            ",\"count\":" + std::to_string(s.count) +
            ",\"confirmed\":" + std::to_string(s.confirmed) +
            ",\"failed\":" + std::to_string(s.failed) + ",\"volume\":{" + volume +
            "},\"success_rate_bp\":" +
            (s.success_rate_bp ? std::to_string(*s.success_rate_bp) : std::string("null")) +
            ",\"seconds_to_final_p50\":" + Seconds(s.p50_ms_to_final) +
            ",\"seconds_to_final_p95\":" + Seconds(s.p95_ms_to_final) + "}";
  }
  return body + "]}";
}

HttpResponse PayoutStats(PayoutService& payouts, const AssetRegistry& assets, const Clock& clock,
                         const HttpRequest& request, const Principal& principal) {
  constexpr int64_t kDefaultRangeMs = 30LL * 24 * 3'600'000;
  std::optional<int64_t> bounds[2];
  const std::string_view names[] = {"from", "to"};
  for (int i = 0; i < 2; ++i) {
    const auto text = QueryValue(request.query, names[i]);
    if (!text) continue;
    const auto value = ParseI128Decimal(*text);
    if (!value || *value < 0 || *value > INT64_MAX) {
      return InvalidField(names[i], "a time in milliseconds since 1970");
    }
    bounds[i] = static_cast<int64_t>(*value);
  }
  const int64_t to_ms = bounds[1].value_or(clock.NowMs());
  const int64_t from_ms = bounds[0].value_or(to_ms - kDefaultRangeMs);
  if (from_ms > to_ms) return InvalidField("from", "at most `to`");
  return Json(200,
              StatsJson(payouts.Stats(principal.tenant, from_ms, to_ms), assets, from_ms, to_ms));
}

void AddStatsRoute(Router& router, AuthGate& gate, PayoutService& payouts,
                   const AssetRegistry& assets, const Clock& clock) {
  using namespace schema;
  const std::string seconds = Nullable(Described(Number(), "Seconds, three decimals."));
  router.Add(
      "GET", "/v1/stats/payouts",
      RouteDoc{.summary = "Payout figures per provider over a time range.",
               .access = "payouts:write",
               .description = "Of the payouts created in [from, to) (ms since 1970; default the "
                              "last 30 days): count, confirmed and failed, the confirmed volume "
                              "per asset, the success rate (confirmed of those final, in basis "
                              "points) and the median and p95 seconds from creation to final.",
               .response_schema = Object(
                   {{"from_ms", Integer()},
                    {"to_ms", Integer()},
                    {"providers", ArrayOf(Object({{"provider", String()},
                                                  {"count", Integer()},
                                                  {"confirmed", Integer()},
                                                  {"failed", Integer()},
                                                  {"volume", MapOf(Decimal())},
                                                  {"success_rate_bp", Nullable(Integer(0, 10'000))},
                                                  {"seconds_to_final_p50", seconds},
                                                  {"seconds_to_final_p95", seconds}}))}}),
               .query = {{"from", "ms since 1970 (default: `to` less 30 days)"},
                         {"to", "ms since 1970 (default: now)"}},
               .errors = {{400, {"invalid_request"}}}},
      RequireKey(gate, Scope::kPayoutsWrite,
                 [&payouts, &assets, &clock](const HttpRequest& request, const PathParams&,
                                             const Principal& principal) {
                   return PayoutStats(payouts, assets, clock, request, principal);
                 }));
}

void AddCallbackRoute(Router& router, PayoutService& payouts) {
  router.Add(
      "POST", "/callbacks/payouts/{provider}",
      RouteDoc{.summary = "A payout provider's callback.",
               .access = "public",
               .description = "A hint: verified on the raw bytes (401 `invalid_signature`, and "
                              "nothing is recorded), it makes Cambista ask the provider about the "
                              "payout; only that answer moves it. At most 64 KiB.",
               .response_schema = schema::Object(
                   {{"outcome", schema::Enum({"applied", "unknown_payout", "ignored"})}}),
               .request_schema = R"({"type":"object"})",
               .errors = {{400, {"invalid_request"}},
                          {401, {"invalid_signature"}},
                          {404, {"not_found"}}}},
      [&payouts](const HttpRequest& request, const PathParams& params) -> HttpResponse {
        if (request.body.size() > kCallbackBodyBytesMax) {
          return Problem(413, "payload_too_large", "Payload too large",
                         "A callback body may hold at most 64 KiB.");
        }
        const CallbackOutcome outcome = payouts.TakeCallback(
            params.at("provider"), CallbackRequest{request.body, request.headers});
        if (outcome.status >= 400) {
          return Problem(outcome.status, outcome.code, "Callback refused", outcome.detail);
        }
        return Json(200, "{\"outcome\":" + JsonString(outcome.code) + "}");
      });
}

}  // namespace

Result<DestinationInput, HttpResponse> ReadDestinationFields(JsonObjectReader& body,
                                                             std::string_view prefix) {
  DestinationInput input;
  std::optional<std::string>* targets[] = {&input.kind, &input.network, &input.address, &input.key,
                                           &input.bank, &input.account, &input.document};
  const std::string_view names[] = {"kind", "network", "address", "key",
                                    "bank", "account", "document"};
  for (size_t i = 0; i < std::size(names); ++i) {
    // Twice the validator's bound, so that its own error (too_long, naming the rule) answers.
    auto value = body.OptionalString(names[i], 2 * kDestinationFieldCharsMax);
    if (!value.ok()) {
      InputError error = value.error();
      error.field = std::string(prefix) + error.field;
      return Failure(InputProblem(error));
    }
    *targets[i] = std::move(value).value();
  }
  if (auto unknown = body.RejectUnknownFields()) {
    unknown->field = std::string(prefix) + unknown->field;
    return Failure(InputProblem(*unknown));
  }
  return input;
}

void AddPayoutRoutes(Router& router, AuthGate& gate, Idempotency& idempotency,
                     PayoutService& payouts, const AssetRegistry& assets, const Clock& clock) {
  AddPayoutSchemas(router);
  AddCustomerRoutes(router, gate, payouts);
  AddDestinationRoutes(router, gate, payouts);
  AddDepositRoute(router, gate, idempotency, payouts, assets);
  AddPayoutCreateRoute(router, gate, idempotency, payouts, assets);
  AddPayoutReadRoutes(router, gate, payouts, assets);
  AddPayoutActionRoutes(router, gate, payouts, assets);
  AddResolveRoute(router, gate, payouts, assets);
  AddStatsRoute(router, gate, payouts, assets, clock);
  AddCallbackRoute(router, payouts);
}

}  // namespace cambista::payouts
