// The treasury sweeps' routes (scope admin): GET /v1/treasury/sweeps lists them, newest first;
// POST /v1/treasury/sweeps/run runs one now (the job's own run, in this window: a window that has
// its credit makes none). Only the tenant the sweeps post for sees or runs them.
#include <string>
#include <vector>

#include "http/json_schema.hpp"
#include "http/problem.hpp"
#include "http/query.hpp"
#include "payouts/routes.hpp"
#include "payouts/treasury_sweeps.hpp"

namespace cambista::payouts {
namespace {

using namespace cambista::http;
using namespace cambista::api;

HttpResponse Json(int status, std::string body) {
  HttpResponse response;
  response.status = status;
  response.body = std::move(body);
  return response;
}

std::string SweepJson(const TreasurySweep& s, const AssetRegistry& assets) {
  const auto money = [&](i128 minor) {
    auto asset = assets.Find(s.asset);
    return JsonString(asset.ok() ? Amount(minor, asset.value()).ToString() : ToDecimal(minor));
  };
  const auto optional_money = [&](const std::optional<i128>& minor) {
    return minor ? money(*minor) : std::string("null");
  };
  const bool credited = !s.payout_id.empty();
  return "{\"id\":" + JsonString(s.id) + ",\"provider\":" + JsonString(s.provider) +
         ",\"asset\":" + JsonString(s.asset) +
         ",\"window_start_ms\":" + std::to_string(s.window_start_ms) +
         ",\"available\":" + money(s.available) +
         ",\"processed_total\":" + optional_money(s.processed_total) +
         ",\"credited_total\":" + optional_money(s.credited_total) +
         ",\"ledger_available\":" + money(s.ledger_available) +
         ",\"outcome\":" + JsonString(SweepOutcomeName(s.outcome)) +
         ",\"amount\":" + (credited ? money(s.amount) : std::string("null")) +
         ",\"payout_id\":" + (credited ? JsonString(s.payout_id) : std::string("null")) +
         ",\"payout_status\":" +
         (s.payout_status ? JsonString(PayoutStatusName(*s.payout_status)) : std::string("null")) +
         ",\"alerted\":" + (s.alerted ? "true" : "false") +
         ",\"checks\":" + std::to_string(s.checks) +
         ",\"created_at_ms\":" + std::to_string(s.created_at_ms) +
         ",\"updated_at_ms\":" + std::to_string(s.updated_at_ms) + "}";
}

std::string RunJson(const SweepRun& run, const AssetRegistry& assets) {
  return "{\"provider\":" + JsonString(run.provider) +
         ",\"asset\":" + (run.asset.empty() ? std::string("null") : JsonString(run.asset)) +
         ",\"result\":" + JsonString(SweepRunResultName(run.result)) +
         ",\"detail\":" + (run.detail.empty() ? std::string("null") : JsonString(run.detail)) +
         ",\"sweep\":" + (run.sweep ? SweepJson(*run.sweep, assets) : std::string("null")) + "}";
}

void AddSweepSchema(Router& router) {
  using namespace schema;
  std::vector<std::string_view> statuses;
  for (int i = 0; i < kPayoutStatusCount; ++i) {
    statuses.push_back(PayoutStatusName(static_cast<PayoutStatus>(i)));
  }
  router.AddSchema(
      "TreasurySweep",
      Object({{"id", Id("sw_")},
              {"provider", String()},
              {"asset", String()},
              {"window_start_ms", Described(Integer(), "The window: [start, start + interval).")},
              {"available", Described(Decimal(), "The provider's volume_available, last read.")},
              {"processed_total", Nullable(Decimal())},
              {"credited_total", Nullable(Decimal())},
              {"ledger_available",
               Described(Decimal(), "The provider's clearing account on the books, available.")},
              {"outcome", Enum({"below_minimum", "ledger_short", "credited"})},
              {"amount", Described(Nullable(Decimal()), "What the window's credit sends.")},
              {"payout_id", Nullable(Id("po_"))},
              {"payout_status", Nullable(Enum(statuses))},
              {"alerted", Described(Boolean(), "treasury.capacity_alert emitted in the window.")},
              {"checks", Described(Integer(), "Capacity readings in the window.")},
              {"created_at_ms", Integer()},
              {"updated_at_ms", Integer()}}));
}

HttpResponse NotConfigured() {
  return Problem(409, "sweeps_not_configured", "Request refused",
                 "Treasury sweeps are not set up for this tenant ([treasury] in the "
                 "configuration).");
}

HttpResponse ListSweeps(TreasurySweeps& sweeps, const AssetRegistry& assets,
                        const HttpRequest& request, const Principal& principal) {
  auto limit = PageLimit(request);
  if (!limit.ok()) return limit.error();
  const auto cursor = QueryValue(request.query, "cursor");
  if (cursor && !cursor->starts_with("sw_")) {
    return InvalidField("cursor", "the next_cursor of a previous page");
  }
  const auto list = sweeps.List(principal.tenant, cursor.value_or(std::string_view()),
                                static_cast<int>(limit.value()));
  std::string body = "{\"data\":[";
  for (size_t i = 0; i < list.size(); ++i) {
    body += (i == 0 ? "" : ",") + SweepJson(list[i], assets);
  }
  body += "],\"next_cursor\":";
  body += static_cast<int64_t>(list.size()) == limit.value() ? JsonString(list.back().id)
                                                             : std::string("null");
  return Json(200, body + "}");
}

}  // namespace

void AddTreasuryRoutes(Router& router, AuthGate& gate, TreasurySweeps& sweeps,
                       const AssetRegistry& assets) {
  using namespace schema;
  AddSweepSchema(router);
  router.Add(
      "GET", "/v1/treasury/sweeps",
      RouteDoc{.summary = "The treasury sweeps, newest first: one per provider, asset and window.",
               .access = "admin",
               .response_schema = Page(Ref("TreasurySweep")),
               .query = {{"cursor", "next_cursor of the previous page"},
                         {"limit", "1 to 200, default 50"}},
               .errors = {{400, {"invalid_request"}}}},
      RequireKey(gate, Scope::kAdmin,
                 [&sweeps, &assets](const HttpRequest& request, const PathParams&,
                                    const Principal& principal) {
                   return ListSweeps(sweeps, assets, request, principal);
                 }));
  router.Add(
      "POST", "/v1/treasury/sweeps/run",
      RouteDoc{
          .summary = "Run the treasury sweep now.",
          .access = "admin",
          .description =
              "What the periodic job does, at once: each provider that credits the desk's bank "
              "is asked its capacity, and credited once in the current window when it reaches "
              "the minimum withdrawal; a window that has its credit gets no other "
              "(`swept_already`). 409 `sweeps_not_configured` when sweeps are off or post for "
              "another tenant.",
          .response_schema = Object(
              {{"runs",
                ArrayOf(Object({{"provider", String()},
                                {"asset", Nullable(String())},
                                {"result", Enum({"credited", "swept_already", "below_minimum",
                                                 "ledger_short", "unavailable"})},
                                {"detail", Nullable(String())},
                                {"sweep", Nullable(Ref("TreasurySweep"))}}))}}),
          .errors = {{409, {"sweeps_not_configured"}}}},
      RequireKey(
          gate, Scope::kAdmin,
          [&sweeps, &assets](const HttpRequest&, const PathParams&, const Principal& principal) {
            if (!sweeps.options().enabled || principal.tenant != sweeps.options().tenant) {
              return NotConfigured();
            }
            std::string body = "{\"runs\":[";
            bool first = true;
            for (const SweepRun& run : sweeps.RunOnce()) {
              body += (first ? "" : ",") + RunJson(run, assets);
              first = false;
            }
            return Json(200, body + "]}");
          }));
}

}  // namespace cambista::payouts
