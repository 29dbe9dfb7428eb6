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

void AddPayoutSchemas(Router& router) {
  using namespace schema;
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

// The destination's fields as given; ValidateDestination judges them (kinds, networks, formats).
Result<DestinationInput, HttpResponse> ReadDestinationInput(const HttpRequest& request) {
  auto reader = JsonObjectReader::Parse(request.body);
  if (!reader.ok()) return Failure(InputProblem(reader.error()));
  JsonObjectReader& body = reader.value();
  DestinationInput input;
  std::optional<std::string>* targets[] = {&input.kind, &input.network, &input.address, &input.key,
                                           &input.bank, &input.account, &input.document};
  const std::string_view names[] = {"kind", "network", "address", "key",
                                    "bank", "account", "document"};
  for (size_t i = 0; i < std::size(names); ++i) {
    // Twice the validator's bound, so that its own error (too_long, naming the rule) answers.
    auto value = body.OptionalString(names[i], 2 * kDestinationFieldCharsMax);
    if (!value.ok()) return Failure(InputProblem(value.error()));
    *targets[i] = std::move(value).value();
  }
  if (auto unknown = body.RejectUnknownFields()) return Failure(InputProblem(*unknown));
  return input;
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

}  // namespace

void AddPayoutRoutes(Router& router, AuthGate& gate, Idempotency& idempotency,
                     PayoutService& payouts, const AssetRegistry& assets) {
  AddPayoutSchemas(router);
  AddCustomerRoutes(router, gate, payouts);
  AddDestinationRoutes(router, gate, payouts);
  AddDepositRoute(router, gate, idempotency, payouts, assets);
}

}  // namespace cambista::payouts
