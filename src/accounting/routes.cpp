#include "accounting/routes.hpp"

#include <climits>

#include "core/int128.hpp"
#include "http/json_schema.hpp"
#include "http/problem.hpp"
#include "http/query.hpp"

namespace cambista::accounting {
namespace {

using api::Principal;
using http::HttpRequest;
using http::HttpResponse;
using http::JsonString;
using http::PathParams;

HttpResponse Json(std::string body) {
  HttpResponse response;
  response.body = std::move(body);
  return response;
}

HttpResponse NotFound(std::string_view id) {
  return http::Problem(404, "not_found", "Not found", "No ledger account " + std::string(id) + ".");
}

std::string Money(const AssetRegistry& assets, std::string_view asset_code, i128 minor) {
  return JsonString(DecimalText(assets, asset_code, minor));
}

std::string AccountJson(const ledger::Account& a, const ChartEntry& entry,
                        const AssetRegistry& assets) {
  const Balances b = BalancesOf(a);
  const auto money = [&](u128 v) { return Money(assets, a.asset, static_cast<i128>(v)); };
  return "{\"account_id\":\"" + ToHex32(a.id) + "\",\"kind\":" + JsonString(entry.kind) +
         ",\"qualifier\":" + (entry.qualifier.empty() ? "null" : JsonString(entry.qualifier)) +
         ",\"currency\":" + JsonString(a.asset) + ",\"code\":" + std::to_string(a.code) +
         ",\"posted\":" + Money(assets, a.asset, b.posted) +
         ",\"pending\":" + Money(assets, a.asset, b.pending) +
         ",\"available\":" + Money(assets, a.asset, b.available) +
         ",\"debits_pending\":" + money(a.debits_pending) +
         ",\"debits_posted\":" + money(a.debits_posted) +
         ",\"credits_pending\":" + money(a.credits_pending) +
         ",\"credits_posted\":" + money(a.credits_posted) +
         ",\"timestamp\":" + std::to_string(a.timestamp) + "}";
}

std::string TransferJson(const ledger::Transfer& t, const AssetRegistry& assets) {
  return "{\"id\":\"" + ToHex32(t.id) + "\",\"debit_account_id\":\"" + ToHex32(t.debit_account_id) +
         "\",\"credit_account_id\":\"" + ToHex32(t.credit_account_id) +
         "\",\"amount\":" + Money(assets, t.asset, static_cast<i128>(t.amount)) +
         ",\"asset\":" + JsonString(t.asset) + ",\"pending_id\":\"" + ToHex32(t.pending_id) +
         "\",\"code\":" + std::to_string(t.code) + ",\"flags\":" + std::to_string(t.flags) +
         ",\"timeout_s\":" + std::to_string(t.timeout_s) +
         ",\"timestamp\":" + std::to_string(t.timestamp) + "}";
}

// The JSON of AccountJson and TransferJson, as /openapi.json names them.
void AddLedgerSchemas(http::Router& router) {
  using namespace http::schema;
  const std::string id = Hex(32);
  router.AddSchema("LedgerAccount",
                   Object({{"account_id", id},
                           {"kind", Described(String(), "merchant, gateway_clearing, suspense...")},
                           {"qualifier", Nullable(String())},
                           {"currency", String()},
                           {"code", Integer()},
                           {"posted", Described(Decimal(), "As the account's side reads it.")},
                           {"pending", Decimal()},
                           {"available", Described(Decimal(),
                                                   "Posted less what pending "
                                                   "transfers may take out.")},
                           {"debits_pending", Decimal()},
                           {"debits_posted", Decimal()},
                           {"credits_pending", Decimal()},
                           {"credits_posted", Decimal()},
                           {"timestamp", Integer()}}));
  router.AddSchema("LedgerTransfer", Object({{"id", id},
                                             {"debit_account_id", id},
                                             {"credit_account_id", id},
                                             {"amount", Decimal()},
                                             {"asset", String()},
                                             {"pending_id", id},
                                             {"code", Integer()},
                                             {"flags", Integer()},
                                             {"timeout_s", Integer()},
                                             {"timestamp", Integer()}}));
}

// Cursor of account history pages: "<timestamp>.<id as 32 hex digits>" of the last item returned.
std::optional<std::pair<int64_t, u128>> ParseCursor(std::string_view text) {
  const size_t dot = text.find('.');
  if (dot == std::string_view::npos || text.size() - dot - 1 != 32) return std::nullopt;
  const auto timestamp = ParseI128Decimal(text.substr(0, dot));
  const auto id = ParseHex128(text.substr(dot + 1));
  if (!timestamp || *timestamp < 0 || *timestamp > INT64_MAX || !id) return std::nullopt;
  return std::pair<int64_t, u128>{static_cast<int64_t>(*timestamp), *id};
}

std::optional<u128> ParseAccountId(std::string_view text) {
  return text.size() == 32 ? ParseHex128(text) : std::nullopt;
}

HttpResponse BalancesResponse(ledger::Ledger& ledger, Chart& chart, const AssetRegistry& assets,
                              const Principal& principal) {
  std::string body = "{\"data\":[";
  bool first = true;
  for (const ChartEntry& entry : chart.ForTenant(principal.tenant)) {
    auto account = ledger.LookupAccount(entry.account_id);
    if (!account) continue;  // registered, not yet created in the ledger (a crash between them)
    body += (first ? "" : ",") + AccountJson(*account, entry, assets);
    first = false;
  }
  return Json(body + "]}");
}

HttpResponse Account(ledger::Ledger& ledger, Chart& chart, const AssetRegistry& assets,
                     const PathParams& params, const Principal& principal) {
  const std::string& text = params.at("id");
  const auto id = ParseAccountId(text);
  if (!id) return http::InvalidField("id", "32 hexadecimal digits");
  auto entry = chart.FindOwned(principal.tenant, *id);
  auto account = entry ? ledger.LookupAccount(*id) : std::nullopt;
  if (!account) return NotFound(text);
  return Json(AccountJson(*account, *entry, assets));
}

HttpResponse Transfers(ledger::Ledger& ledger, Chart& chart, const AssetRegistry& assets,
                       const HttpRequest& request, const PathParams& params,
                       const Principal& principal) {
  const auto id = ParseAccountId(params.at("id"));
  if (!id) return http::InvalidField("id", "32 hexadecimal digits");
  const auto page_limit = http::PageLimit(request);
  if (!page_limit.ok()) return page_limit.error();
  const int64_t limit = page_limit.value();
  std::pair<int64_t, u128> after{0, 0};
  if (auto text = http::QueryValue(request.query, "cursor")) {
    const auto cursor = ParseCursor(*text);
    if (!cursor) return http::InvalidField("cursor", "a next_cursor from a previous page");
    after = *cursor;
  }
  if (!chart.FindOwned(principal.tenant, *id) || !ledger.LookupAccount(*id)) {
    return NotFound(params.at("id"));
  }
  // One more than asked tells whether another page follows.
  auto transfers =
      ledger.AccountTransfers(*id, static_cast<int>(limit) + 1, after.first, after.second);
  const bool more = transfers.size() > static_cast<size_t>(limit);
  if (more) transfers.pop_back();
  std::string body = "{\"data\":[";
  for (size_t i = 0; i < transfers.size(); ++i) {
    body += (i > 0 ? "," : "") + TransferJson(transfers[i], assets);
  }
  body += "],\"next_cursor\":";
  body += more ? "\"" + std::to_string(transfers.back().timestamp) + "." +
                     ToHex32(transfers.back().id) + "\""
               : std::string("null");
  return Json(body + "}");
}

}  // namespace

void AddAccountingRoutes(http::Router& router, api::AuthGate& gate, ledger::Ledger& ledger,
                         Chart& chart, const AssetRegistry& assets) {
  AddLedgerSchemas(router);
  router.Add(
      "GET", "/v1/balances",
      http::RouteDoc{.summary = "The tenant's ledger accounts and their balances.",
                     .access = "ledger:read",
                     .description = "Merchant, gateway clearing, suspense, ... with posted, "
                                    "pending and available balances.",
                     .response_schema = http::schema::List(http::schema::Ref("LedgerAccount"))},
      api::RequireKey(gate, Scope::kLedgerRead,
                      [&](const HttpRequest&, const PathParams&, const Principal& principal) {
                        return BalancesResponse(ledger, chart, assets, principal);
                      }));
  router.Add(
      "GET", "/v1/ledger/accounts/{id}/transfers",
      http::RouteDoc{.summary = "An account's transfers, oldest first, a page at a time.",
                     .access = "ledger:read",
                     .response_schema = http::schema::Page(http::schema::Ref("LedgerTransfer")),
                     .query = {{"limit", "Page size, 1 to 200 (default 50)."},
                               {"cursor", "next_cursor of the previous page."}},
                     .errors = {{400, {"invalid_request"}}, {404, {"not_found"}}}},
      api::RequireKey(
          gate, Scope::kLedgerRead,
          [&](const HttpRequest& request, const PathParams& params, const Principal& principal) {
            return Transfers(ledger, chart, assets, request, params, principal);
          }));
  router.Add("GET", "/v1/ledger/accounts/{id}",
             http::RouteDoc{.summary = "One of the tenant's ledger accounts and its balances.",
                            .access = "ledger:read",
                            .response_schema = http::schema::Ref("LedgerAccount"),
                            .errors = {{400, {"invalid_request"}}, {404, {"not_found"}}}},
             api::RequireKey(
                 gate, Scope::kLedgerRead,
                 [&](const HttpRequest&, const PathParams& params, const Principal& principal) {
                   return Account(ledger, chart, assets, params, principal);
                 }));
}

}  // namespace cambista::accounting
