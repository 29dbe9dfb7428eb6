#include "trading/service.hpp"

#include "events/event_outbox.hpp"
#include "jobs/job_table.hpp"
#include "ledger/ids.hpp"
#include "trading/store.hpp"
#include "trading/trade_json.hpp"

namespace cambista::trading {
namespace {

TradeError NotFound(std::string_view what, std::string field = "id") {
  return TradeError(TradeErrorKind::kNotFound, "No " + std::string(what) + " has this id.",
                    std::move(field));
}

Rate MidOf(const MarketRate& market) {
  const u128 mid = market.bid.units() / 2 + market.ask.units() / 2 +
                   (market.bid.units() % 2 + market.ask.units() % 2) / 2;
  return Rate::FromUnits(mid).value();
}

}  // namespace

TradeService::TradeService(store::Database& database, ledger::Ledger& ledger,
                           accounting::Chart& chart, const AssetRegistry& assets,
                           const Clock& clock, payins::ChargeService& charges,
                           payouts::PayoutService& payouts, RateLookup rates,
                           TradingOptions options)
    : pool_(database),
      ledger_(ledger),
      chart_(chart),
      assets_(assets),
      clock_(clock),
      charges_(charges),
      payouts_(payouts),
      rates_(std::move(rates)),
      options_(std::move(options)) {}

Result<const PairTerms*, TradeError> TradeService::Terms(std::string_view from,
                                                         std::string_view to) const {
  const auto it = options_.pairs.find(std::string(from) + "->" + std::string(to));
  if (it == options_.pairs.end()) {
    return Failure(
        TradeError(TradeErrorKind::kUnsupportedPair,
                   "The desk does not trade " + std::string(from) + " for " + std::string(to) + ".",
                   "to_asset"));
  }
  return &it->second;
}

// The quote's size in USDT: its USDT side, else its fiat side at the USDT market's mid.
Result<i128, TradeError> TradeService::UsdtEquivalent(const Quote& quote) {
  if (quote.to_asset == "USDT") return quote.amount_out;
  if (quote.from_asset == "USDT") return quote.amount_in;
  const auto usdt = assets_.Find("USDT");
  const auto fiat = assets_.Find(quote.to_asset);
  auto market = rates_("USDT/" + quote.to_asset);
  if (!usdt.ok() || !fiat.ok() || !market.ok()) {
    return Failure(TradeError(
        TradeErrorKind::kRateUnavailable,
        "No USDT/" + quote.to_asset + " reference to weigh the trade against the daily limits."));
  }
  const auto value =
      DivideByRate(MidOf(market.value()), fiat.value(), usdt.value(), quote.amount_out);
  if (!value) return Failure(TradeError(TradeErrorKind::kInvalidRequest, "Too large.", "amount"));
  return *value;
}

std::optional<TradeError> TradeService::CheckDailyLimit(store::Connection& connection,
                                                        std::string_view tenant,
                                                        const payouts::Customer& customer,
                                                        i128 adding) {
  const auto& limit = options_.daily_limits[static_cast<size_t>(customer.kyc_level)];
  if (!limit) return std::nullopt;
  i128 used = adding;
  for (const i128 amount :
       TradeStore::UsdtEquivalentsSince(connection, tenant, customer.id, clock_.NowMs() - kDayMs)) {
    used += amount;
  }
  if (used <= *limit) return std::nullopt;
  const auto usdt = assets_.Find("USDT");
  return TradeError(TradeErrorKind::kLimitExceeded,
                    "Above the customer's limit for 24 hours at KYC level " +
                        std::to_string(customer.kyc_level) + ": " +
                        (usdt.ok() ? Amount(*limit, usdt.value()).ToString() : ToDecimal(*limit)) +
                        " USDT.",
                    "amount");
}

Result<Quote, TradeError> TradeService::CreateQuote(std::string_view tenant,
                                                    const QuoteRequest& request) {
  auto terms = Terms(request.from_asset, request.to_asset);
  if (!terms.ok()) return Failure(terms.error());
  const PairTerms& pair = *terms.value();
  const Asset from = assets_.Find(pair.from).value();
  const Asset to = assets_.Find(pair.to).value();
  auto amount = Amount::Parse(request.amount, request.side == AmountSide::kSpend ? from : to);
  if (!amount.ok() || amount.value().minor() <= 0) {
    return Failure(TradeError(TradeErrorKind::kInvalidRequest,
                              "\"amount\" is a positive decimal amount of the asset it names.",
                              "amount"));
  }
  auto market = rates_(pair.market);
  if (!market.ok()) {
    return Failure(TradeError(market.error(), "No reference price for " + pair.market +
                                                  " is fresh enough to quote; try again later."));
  }
  auto priced = Price(pair, market.value(), from, to, amount.value().minor(), request.side);
  if (!priced.ok()) return Failure(priced.error());
  Quote quote;
  quote.id = "qt_" + ToHex32(ledger::TimeOrderedId(clock_));
  quote.tenant = tenant;
  quote.customer_id = request.customer.value_or("");
  quote.from_asset = pair.from;
  quote.to_asset = pair.to;
  quote.network = request.network.value_or("");
  quote.side = request.side;
  quote.amount_in = priced.value().amount_in;
  quote.amount_out = priced.value().amount_out;
  quote.rate = priced.value().rate.ToString();
  quote.rate_pair = pair.market;
  quote.rate_source = market.value().source;
  quote.spread_bps = pair.spread_bps;
  quote.fees = priced.value().fees;
  auto usdt = UsdtEquivalent(quote);
  if (!usdt.ok()) return Failure(usdt.error());
  quote.usdt_equivalent = usdt.value();
  quote.created_at_ms = clock_.NowMs();
  quote.expires_at_ms = quote.created_at_ms + options_.quote_ttl_ms;
  auto connection = pool_.Acquire();
  if (request.customer) {
    auto customer = payouts_.GetCustomer(tenant, *request.customer);
    if (!customer.ok()) return Failure(NotFound("customer", "customer"));
    auto over = CheckDailyLimit(*connection, tenant, customer.value(), quote.usdt_equivalent);
    if (over) return Failure(*over);
  }
  TradeStore::InsertQuote(*connection, quote);
  return quote;
}

Result<Quote, TradeError> TradeService::GetQuote(std::string_view tenant, std::string_view id) {
  auto connection = pool_.Acquire();
  auto quote = TradeStore::FindQuote(*connection, tenant, id);
  if (!quote) return Failure(NotFound("quote"));
  return std::move(*quote);
}

}  // namespace cambista::trading
