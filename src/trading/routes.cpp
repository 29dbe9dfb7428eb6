#include "trading/routes.hpp"

#include <iterator>

#include "http/json_input.hpp"
#include "http/json_schema.hpp"
#include "http/problem.hpp"
#include "http/query.hpp"
#include "payouts/routes.hpp"
#include "trading/trade_json.hpp"

namespace cambista::trading {
namespace {

using namespace cambista::http;
using namespace cambista::api;

constexpr size_t kAssetCharsMax = 10;
constexpr size_t kAmountCharsMax = 48;
constexpr size_t kIdCharsMax = 40;

HttpResponse Json(int status, std::string body) {
  HttpResponse response;
  response.status = status;
  response.body = std::move(body);
  return response;
}

// Each error of the trades with its HTTP status and stable problem code: the one place they meet.
struct ErrorRow {
  TradeErrorKind kind;
  int status;
  std::string_view code;
};
constexpr ErrorRow kErrorTable[] = {
    {TradeErrorKind::kInvalidRequest, 400, "invalid_request"},
    {TradeErrorKind::kUnsupportedPair, 422, "unsupported_pair"},
    {TradeErrorKind::kRateUnavailable, 503, "rate_unavailable"},
    {TradeErrorKind::kAmountOutOfRange, 422, "amount_out_of_range"},
    {TradeErrorKind::kLimitExceeded, 422, "limit_exceeded"},
    {TradeErrorKind::kNotFound, 404, "not_found"},
    {TradeErrorKind::kQuoteExpired, 410, "quote_expired"},
    {TradeErrorKind::kQuoteUsed, 409, "quote_used"},
    {TradeErrorKind::kInvalidDestination, 422, "invalid_destination"},
    {TradeErrorKind::kInvalidTransition, 409, "invalid_transition"},
    {TradeErrorKind::kGatewayRefused, 422, "gateway_refused"},
    {TradeErrorKind::kGatewayFailed, 502, "gateway_failed"},
    {TradeErrorKind::kInternal, 500, "internal_error"},
};

const ErrorRow& RowOf(TradeErrorKind kind) {
  for (const ErrorRow& row : kErrorTable) {
    if (row.kind == kind) return row;
  }
  return kErrorTable[std::size(kErrorTable) - 1];  // kInternal: every kind has a row
}

HttpResponse ToProblem(const TradeError& error) {
  const ErrorRow& row = RowOf(error.kind);
  HttpResponse response = Problem(
      row.status, row.code, row.status >= 500 ? "Server error" : "Request refused", error.detail);
  if (!error.field.empty()) {
    response.body.insert(response.body.size() - 1, ",\"field\":" + JsonString(error.field));
  }
  if (error.kind == TradeErrorKind::kRateUnavailable) {
    response.headers.emplace_back("Retry-After", "30");
  }
  return response;
}

HttpResponse InputProblem(const InputError& error) {
  HttpResponse response = http::ToProblem(error);
  if (!error.field.empty()) {
    response.body.insert(response.body.size() - 1, ",\"field\":" + JsonString(error.field));
  }
  return response;
}

Result<QuoteRequest, HttpResponse> ReadQuoteRequest(const HttpRequest& request) {
  auto reader = JsonObjectReader::Parse(request.body);
  if (!reader.ok()) return Failure(InputProblem(reader.error()));
  JsonObjectReader& body = reader.value();
  QuoteRequest quote;
  for (auto [field, target] :
       {std::pair{"from_asset", &quote.from_asset}, std::pair{"to_asset", &quote.to_asset}}) {
    auto text = body.RequiredString(field, kAssetCharsMax);
    if (!text.ok()) return Failure(InputProblem(text.error()));
    *target = std::move(text).value();
  }
  auto network = body.OptionalString("network", kAssetCharsMax);
  if (!network.ok()) return Failure(InputProblem(network.error()));
  quote.network = std::move(network).value();
  auto amount = body.RequiredString("amount", kAmountCharsMax);
  if (!amount.ok()) return Failure(InputProblem(amount.error()));
  quote.amount = std::move(amount).value();
  static constexpr std::string_view kSides[] = {"spend", "receive"};
  auto side = body.RequiredEnum("amount_side", kSides);
  if (!side.ok()) return Failure(InputProblem(side.error()));
  quote.side = side.value() == "spend" ? AmountSide::kSpend : AmountSide::kReceive;
  auto customer = body.OptionalString("customer", payouts::kCustomerIdCharsMax);
  if (!customer.ok()) return Failure(InputProblem(customer.error()));
  quote.customer = std::move(customer).value();
  if (auto unknown = body.RejectUnknownFields()) return Failure(InputProblem(*unknown));
  return quote;
}

Result<std::optional<payouts::DestinationInput>, HttpResponse> ReadDestination(
    JsonObjectReader& body, std::string_view field) {
  auto object = body.OptionalObject(field);
  if (!object.ok()) return Failure(InputProblem(object.error()));
  if (!object.value()) return std::optional<payouts::DestinationInput>();
  auto fields = payouts::ReadDestinationFields(*object.value(), std::string(field) + ".");
  if (!fields.ok()) return Failure(fields.error());
  return std::optional(std::move(fields).value());
}

Result<TradeRequest, HttpResponse> ReadTradeRequest(const HttpRequest& request) {
  auto reader = JsonObjectReader::Parse(request.body);
  if (!reader.ok()) return Failure(InputProblem(reader.error()));
  JsonObjectReader& body = reader.value();
  TradeRequest trade;
  auto quote = body.RequiredString("quote_id", kIdCharsMax);
  if (!quote.ok()) return Failure(InputProblem(quote.error()));
  trade.quote_id = std::move(quote).value();
  auto customer = body.RequiredString("customer", payouts::kCustomerIdCharsMax);
  if (!customer.ok()) return Failure(InputProblem(customer.error()));
  trade.customer = std::move(customer).value();
  auto destination_id = body.OptionalString("destination_id", kIdCharsMax);
  if (!destination_id.ok()) return Failure(InputProblem(destination_id.error()));
  trade.destination_id = std::move(destination_id).value();
  auto destination = ReadDestination(body, "destination");
  if (!destination.ok()) return Failure(destination.error());
  trade.destination = std::move(destination).value();
  auto refund = ReadDestination(body, "refund_destination");
  if (!refund.ok()) return Failure(refund.error());
  trade.refund_destination = std::move(refund).value();
  if (auto unknown = body.RejectUnknownFields()) return Failure(InputProblem(*unknown));
  return trade;
}

std::string TradeStatusSchema() {
  std::vector<std::string_view> names;
  for (int i = 0; i < kTradeStatusCount; ++i) {
    names.push_back(TradeStatusName(static_cast<TradeStatus>(i)));
  }
  return schema::Enum(names);
}

void AddSchemas(Router& router) {
  using namespace schema;
  const std::string nullable_text = Nullable(String());
  router.AddSchema(
      "Quote",
      Object({{"id", Id("qt_")},
              {"from_asset", String()},
              {"to_asset", String()},
              {"network", nullable_text},
              {"amount_side", Enum({"spend", "receive"})},
              {"amount_in", Described(Decimal(), "What the customer pays, fees included.")},
              {"amount_out", Described(Decimal(), "What the customer receives.")},
              {"rate", Described(Decimal(), "The reference price used (ask to buy, bid to sell).")},
              {"rate_pair", String()},
              {"rate_source", String()},
              {"spread_bps", Integer()},
              {"fees", ArrayOf(Object({{"kind", Enum({"spread", "network"})},
                                       {"asset", String()},
                                       {"amount", Decimal()}}))},
              {"customer", nullable_text},
              {"trade_id", nullable_text},
              {"created_at", DateTime()},
              {"created_at_ms", Integer()},
              {"expires_at", DateTime()},
              {"expires_at_ms", Integer()}}));
  const std::string destination = OpenObject({{"kind", String()}});
  router.AddSchema(
      "Trade",
      Object({{"id", Id("tr_")},
              {"status", TradeStatusSchema()},
              {"quote_id", Id("qt_")},
              {"customer", String()},
              {"from_asset", String()},
              {"to_asset", String()},
              {"amount_in", Decimal()},
              {"amount_out", Decimal()},
              {"fee_amount", Decimal()},
              {"rate", Decimal()},
              {"destination", destination},
              {"refund_destination", Nullable(destination)},
              {"charge_id", nullable_text},
              {"payout_id", nullable_text},
              {"refund_payout_id", nullable_text},
              {"reason", nullable_text},
              {"expires_at", DateTime()},
              {"expires_at_ms", Integer()},
              {"created_at", DateTime()},
              {"created_at_ms", Integer()},
              {"updated_at", DateTime()},
              {"updated_at_ms", Integer()},
              Optional("charge", Described(OpenObject({{"id", Id("ch_")}}),
                                           "The pay-in: its PIX code or payment instructions.")),
              Optional("history", ArrayOf(OpenObject({{"to", TradeStatusSchema()}})))}));
}

void AddQuoteRoutes(Router& router, AuthGate& gate, TradeService& trades,
                    const AssetRegistry& assets) {
  using namespace schema;
  router.Add(
      "POST", "/v1/quotes",
      RouteDoc{
          .summary = "Price a trade.",
          .access = "quotes:write",
          .description =
              "On the pair's reference rate (GET /v1/rates): the spread and network fee in basis "
              "points of amount_in, in the asset paid, rounded up; amount_out rounded down. With "
              "amount_side `receive`, amount_in is the least amount that buys `amount`. Valid "
              "for the quote TTL (60 s by default); used by one trade. 503 `rate_unavailable` "
              "when no price is fresh enough (never a default price).",
          .status = 201,
          .response_schema = Ref("Quote"),
          .request_schema = Object({{"from_asset", String()},
                                    {"to_asset", String()},
                                    Optional("network", String()),
                                    {"amount", Decimal()},
                                    {"amount_side", Enum({"spend", "receive"})},
                                    Optional("customer", String())}),
          .errors = {{400, {"invalid_request"}},
                     {404, {"not_found"}},
                     {422, {"unsupported_pair", "amount_out_of_range", "limit_exceeded"}},
                     {503, {"rate_unavailable"}}}},
      RequireKey(gate, Scope::kQuotesWrite,
                 [&trades, &assets](const HttpRequest& request, const PathParams&,
                                    const Principal& principal) -> HttpResponse {
                   auto input = ReadQuoteRequest(request);
                   if (!input.ok()) return input.error();
                   auto quote = trades.CreateQuote(principal.tenant, input.value());
                   if (!quote.ok()) return ToProblem(quote.error());
                   return Json(201, QuoteJson(quote.value(), assets));
                 }));
  router.Add("GET", "/v1/quotes/{id}",
             RouteDoc{.summary = "One quote.",
                      .access = "quotes:write",
                      .response_schema = Ref("Quote"),
                      .errors = {{404, {"not_found"}}}},
             RequireKey(gate, Scope::kQuotesWrite,
                        [&trades, &assets](const HttpRequest&, const PathParams& params,
                                           const Principal& principal) -> HttpResponse {
                          auto quote = trades.GetQuote(principal.tenant, params.at("id"));
                          if (!quote.ok()) return ToProblem(quote.error());
                          return Json(200, QuoteJson(quote.value(), assets));
                        }));
}

void AddTradeCreateRoute(Router& router, AuthGate& gate, Idempotency& idempotency,
                         TradeService& trades, const AssetRegistry& assets) {
  using namespace schema;
  const std::string destination = OpenObject({{"kind", String()}});
  router.Add(
      "POST", "/v1/trades",
      RouteDoc{
          .summary = "Trade on a quote.",
          .access = "trades:write",
          .description =
              "From an unexpired, unused quote (410 `quote_expired`, 409 `quote_used`) for one "
              "of the tenant's customers, to a destination a payout provider serves (inline or a "
              "saved destination_id), within the customer's daily limit. The trade waits in "
              "AWAITING_PAYMENT with its charge embedded (PIX code or VES instructions); paid, "
              "it is converted and paid out by jobs. refund_destination is where the payment "
              "goes back if the payout fails for good. Pay-ins on chain: 422 "
              "`unsupported_pair`.",
          .status = 201,
          .response_schema = Ref("Trade"),
          .request_schema = Object({{"quote_id", Id("qt_")},
                                    {"customer", String()},
                                    Optional("destination", destination),
                                    Optional("destination_id", Id("dst_")),
                                    Optional("refund_destination", destination)}),
          .idempotency_key = true,
          .errors = {{400, {"invalid_request"}},
                     {404, {"not_found"}},
                     {409, {"quote_used"}},
                     {410, {"quote_expired"}},
                     {422,
                      {"unsupported_pair", "invalid_destination", "limit_exceeded",
                       "gateway_refused"}},
                     {502, {"gateway_failed"}}}},
      RequireKey(gate, Scope::kTradesWrite,
                 idempotency.WrapCallingOut([&trades, &assets](const HttpRequest& request,
                                                               const PathParams&,
                                                               const Principal& principal) {
                   auto input = ReadTradeRequest(request);
                   if (!input.ok()) return input.error();
                   auto made = trades.CreateTrade(principal.tenant, principal.key_prefix,
                                                  request.Header("Idempotency-Key"), input.value());
                   if (!made.ok()) return ToProblem(made.error());
                   auto view = trades.GetTrade(principal.tenant, made.value().trade.id);
                   if (!view.ok()) return ToProblem(view.error());
                   return Json(made.value().created ? 201 : 200,
                               TradeJson(view.value().trade, assets, view.value().charge));
                 })));
}

HttpResponse ListTrades(TradeService& trades, const AssetRegistry& assets,
                        const HttpRequest& request, const Principal& principal) {
  auto limit = PageLimit(request);
  if (!limit.ok()) return limit.error();
  std::optional<TradeStatus> status;
  if (const auto text = QueryValue(request.query, "status")) {
    status = ParseTradeStatus(*text);
    if (!status) return InvalidField("status", "a trade status such as COMPLETED");
  }
  const auto cursor = QueryValue(request.query, "cursor");
  if (cursor && !cursor->starts_with("tr_")) {
    return InvalidField("cursor", "the next_cursor of a previous page");
  }
  const auto list = trades.ListTrades(principal.tenant, QueryValue(request.query, "customer"),
                                      status, cursor, static_cast<int>(limit.value()));
  std::string body = "{\"data\":[";
  for (size_t i = 0; i < list.size(); ++i) {
    body += (i == 0 ? "" : ",") + TradeJson(list[i], assets);
  }
  body += "],\"next_cursor\":";
  body += static_cast<int64_t>(list.size()) == limit.value() ? JsonString(list.back().id)
                                                             : std::string("null");
  return Json(200, body + "}");
}

void AddTradeReadRoutes(Router& router, AuthGate& gate, TradeService& trades,
                        const AssetRegistry& assets) {
  router.Add("GET", "/v1/trades/{id}",
             RouteDoc{.summary = "One trade, with its charge.",
                      .access = "trades:read",
                      .response_schema = schema::Ref("Trade"),
                      .errors = {{404, {"not_found"}}}},
             RequireKey(gate, Scope::kTradesRead,
                        [&trades, &assets](const HttpRequest&, const PathParams& params,
                                           const Principal& principal) -> HttpResponse {
                          auto view = trades.GetTrade(principal.tenant, params.at("id"));
                          if (!view.ok()) return ToProblem(view.error());
                          return Json(200,
                                      TradeJson(view.value().trade, assets, view.value().charge));
                        }));
  router.Add("GET", "/v1/trades",
             RouteDoc{.summary = "The tenant's trades, newest first, a page at a time.",
                      .access = "trades:read",
                      .response_schema = schema::Page(schema::Ref("Trade")),
                      .query = {{"customer", "only this customer's trades"},
                                {"status", "only trades in this status (any case)"},
                                {"cursor", "next_cursor of the previous page"},
                                {"limit", "1 to 200, default 50"}},
                      .errors = {{400, {"invalid_request"}}}},
             RequireKey(gate, Scope::kTradesRead,
                        [&trades, &assets](const HttpRequest& request, const PathParams&,
                                           const Principal& principal) {
                          return ListTrades(trades, assets, request, principal);
                        }));
  router.Add(
      "GET", "/v1/trades/{id}/history",
      RouteDoc{.summary = "A trade's changes, oldest first, each with its actor and reason.",
               .access = "trades:read",
               .response_schema = schema::Object(
                   {{"data", schema::ArrayOf(schema::OpenObject({{"to", TradeStatusSchema()}}))}}),
               .errors = {{404, {"not_found"}}}},
      RequireKey(gate, Scope::kTradesRead,
                 [&trades](const HttpRequest&, const PathParams& params,
                           const Principal& principal) -> HttpResponse {
                   auto history = trades.History(principal.tenant, params.at("id"));
                   if (!history) {
                     return ToProblem(
                         TradeError(TradeErrorKind::kNotFound, "No trade has this id.", "id"));
                   }
                   return Json(200, "{\"data\":" + TradeHistoryJson(*history) + "}");
                 }));
}

HttpResponse SetRefund(TradeService& trades, const AssetRegistry& assets,
                       const HttpRequest& request, const PathParams& params,
                       const Principal& principal) {
  auto reader = JsonObjectReader::Parse(request.body);
  if (!reader.ok()) return InputProblem(reader.error());
  auto destination = ReadDestination(reader.value(), "destination");
  if (!destination.ok()) return destination.error();
  if (auto unknown = reader.value().RejectUnknownFields()) return InputProblem(*unknown);
  if (!destination.value()) {
    return InputProblem({"invalid_request", "destination", "\"destination\" is required."});
  }
  auto trade = trades.SetRefundDestination(principal.tenant, params.at("id"), *destination.value(),
                                           principal.key_prefix);
  if (!trade.ok()) return ToProblem(trade.error());
  return Json(200, TradeJson(trade.value(), assets));
}

void AddTradeActionRoutes(Router& router, AuthGate& gate, Idempotency& idempotency,
                          TradeService& trades, const AssetRegistry& assets) {
  router.Add("POST", "/v1/trades/{id}/cancel",
             RouteDoc{.summary = "Cancel a trade before payment.",
                      .access = "trades:write",
                      .description = "AWAITING_PAYMENT: CANCELLED, its charge EXPIRED with it (a "
                                     "payment that still arrives goes to the charge's review). "
                                     "Else, or when its charge is paid already, 409 "
                                     "`invalid_transition`.",
                      .response_schema = schema::Ref("Trade"),
                      .errors = {{404, {"not_found"}}, {409, {"invalid_transition"}}}},
             RequireKey(gate, Scope::kTradesWrite,
                        [&trades, &assets](const HttpRequest&, const PathParams& params,
                                           const Principal& principal) -> HttpResponse {
                          auto cancelled = trades.Cancel(principal.tenant, params.at("id"),
                                                         principal.key_prefix);
                          if (!cancelled.ok()) return ToProblem(cancelled.error());
                          return Json(200, TradeJson(cancelled.value(), assets));
                        }));
  router.Add(
      "POST", "/v1/trades/{id}/refund",
      RouteDoc{.summary = "Give a trade waiting for its refund the destination to refund to.",
               .access = "trades:write",
               .description = "REFUND_PENDING without a refund payout: {destination: {kind, ...}} "
                              "(a PIX key for BRL, a bank account for VES); the refund goes out.",
               .response_schema = schema::Ref("Trade"),
               .request_schema = schema::Object(
                   {{"destination", schema::OpenObject({{"kind", schema::String()}})}}),
               .idempotency_key = true,
               .errors = {{404, {"not_found"}},
                          {409, {"invalid_transition"}},
                          {422, {"invalid_destination"}}}},
      RequireKey(gate, Scope::kTradesWrite,
                 idempotency.WrapCallingOut([&trades, &assets](const HttpRequest& request,
                                                               const PathParams& params,
                                                               const Principal& principal) {
                   return SetRefund(trades, assets, request, params, principal);
                 })));
}

}  // namespace

void AddTradingRoutes(Router& router, AuthGate& gate, Idempotency& idempotency,
                      TradeService& trades, const AssetRegistry& assets) {
  AddSchemas(router);
  AddQuoteRoutes(router, gate, trades, assets);
  AddTradeCreateRoute(router, gate, idempotency, trades, assets);
  AddTradeReadRoutes(router, gate, trades, assets);
  AddTradeActionRoutes(router, gate, idempotency, trades, assets);
}

}  // namespace cambista::trading
