// Trades: creation from a quote, with their charge; reads; cancellation; a refund destination.
#include "events/event_outbox.hpp"
#include "jobs/job_table.hpp"
#include "ledger/ids.hpp"
#include "trading/service.hpp"
#include "trading/store.hpp"
#include "trading/trade_json.hpp"

namespace cambista::trading {
namespace {

// Why a cancelled trade's charge was closed (its history says so).
constexpr std::string_view kCancelledReason = "its trade was cancelled";

TradeError FromChargeError(const payins::ChargeError& error) {
  switch (error.kind) {
    case payins::ChargeErrorKind::kGatewayFailed:
    case payins::ChargeErrorKind::kChargeCreating:
    case payins::ChargeErrorKind::kInternal:
    case payins::ChargeErrorKind::kCredentialsUnreadable:
      return TradeError(TradeErrorKind::kGatewayFailed,
                        "No gateway could create the trade's charge: " + error.detail);
    default:
      return TradeError(TradeErrorKind::kGatewayRefused,
                        "No gateway takes the trade's charge: " + error.detail);
  }
}

TradeError FromPayoutError(const payouts::PayoutError& error, std::string_view prefix) {
  std::string field(prefix);
  const std::string_view own = error.field.starts_with("destination.")
                                   ? std::string_view(error.field).substr(12)
                                   : std::string_view(error.field);
  if (!own.empty() && own != "destination" && own != "amount") field += "." + std::string(own);
  switch (error.kind) {
    case payouts::PayoutErrorKind::kNotFound:
      return TradeError(TradeErrorKind::kNotFound, error.detail,
                        error.field == "customer" ? "customer" : field);
    case payouts::PayoutErrorKind::kInternal:
      return TradeError(TradeErrorKind::kInternal, error.detail);
    default:  // no provider sends the asset there, or not this amount; a malformed destination
      return TradeError(TradeErrorKind::kInvalidDestination, error.detail, field);
  }
}

}  // namespace

Result<payouts::Destination, TradeError> TradeService::CheckDestination(std::string_view tenant,
                                                                        const TradeRequest& request,
                                                                        const Quote& quote) {
  if (request.destination.has_value() == request.destination_id.has_value()) {
    return Failure(TradeError(TradeErrorKind::kInvalidRequest,
                              "Give either \"destination\" or \"destination_id\".", "destination"));
  }
  const Asset to = assets_.Find(quote.to_asset).value();
  const payouts::NewPayout probe{.customer = request.customer,
                                 .provider = std::nullopt,
                                 .amount = Amount(quote.amount_out, to),
                                 .destination = request.destination,
                                 .destination_id = request.destination_id,
                                 .origin = payouts::PayoutOrigin::kTrade,
                                 .reference = ""};
  // What the payout will need, checked now: a provider that sends the asset there, this amount.
  auto payout = payouts_.PreparePayout(tenant, "", "", probe);
  if (!payout.ok()) {
    return Failure(
        FromPayoutError(payout.error(), request.destination_id ? "destination_id" : "destination"));
  }
  const payouts::Destination& destination = payout.value().destination;
  if (!quote.network.empty() && (destination.kind != payouts::DestinationKind::kCryptoAddress ||
                                 payouts::NetworkName(destination.network) != quote.network)) {
    return Failure(TradeError(TradeErrorKind::kInvalidDestination,
                              "The quote is for the " + quote.network + " network.",
                              "destination.network"));
  }
  return destination;
}

// A quote a trade may take: a pair traded this way, unused, unexpired, for this customer. The
// refusal, or nothing.
std::optional<TradeError> TradeService::CheckQuote(const Quote& quote,
                                                   std::string_view customer) const {
  auto terms = Terms(quote.from_asset, quote.to_asset);
  if (!terms.ok()) return terms.error();
  if (terms.value()->pays_on_chain) {
    return TradeError(TradeErrorKind::kUnsupportedPair,
                      "Paying in " + quote.from_asset +
                          " needs deposits on chain, which the desk does not take yet.",
                      "quote_id");
  }
  if (!quote.trade_id.empty()) {
    return TradeError(TradeErrorKind::kQuoteUsed, "A trade was made from this quote.", "quote_id");
  }
  if (clock_.NowMs() > quote.expires_at_ms) {
    return TradeError(TradeErrorKind::kQuoteExpired, "The quote has expired.", "quote_id");
  }
  if (!quote.customer_id.empty() && quote.customer_id != customer) {
    return TradeError(TradeErrorKind::kInvalidRequest, "The quote was made for another customer.",
                      "customer");
  }
  return std::nullopt;
}

Result<MadeTrade, TradeError> TradeService::CreateTrade(std::string_view tenant,
                                                        std::string_view actor,
                                                        std::string_view idempotency_key,
                                                        const TradeRequest& request) {
  std::optional<Trade> first;
  std::optional<Quote> quote;
  {
    auto connection = pool_.Acquire();
    first = TradeStore::FindTradeByIdempotencyKey(*connection, tenant, idempotency_key);
    if (!first) quote = TradeStore::FindQuote(*connection, tenant, request.quote_id);
  }
  auto customer = payouts_.GetCustomer(tenant, first ? first->customer_id : request.customer);
  if (!customer.ok()) {
    return Failure(TradeError(TradeErrorKind::kNotFound, "No customer has this id.", "customer"));
  }
  if (first) {
    if (first->status == TradeStatus::kAwaitingPayment && first->charge_id.empty()) {
      return AttachCharge(std::move(*first), customer.value());  // a crash before its charge
    }
    return MadeTrade{std::move(*first), false};
  }
  if (!quote) {
    return Failure(TradeError(TradeErrorKind::kNotFound, "No quote has this id.", "quote_id"));
  }
  if (auto refused = CheckQuote(*quote, request.customer)) return Failure(*refused);
  auto destination = CheckDestination(tenant, request, *quote);
  if (!destination.ok()) return Failure(destination.error());
  Trade trade;
  if (request.refund_destination) {
    auto refund = payouts::ValidateDestination(*request.refund_destination);
    if (!refund.ok()) {
      return Failure(TradeError(TradeErrorKind::kInvalidDestination, refund.error().reason,
                                "refund_destination." + refund.error().field));
    }
    trade.refund_destination = std::move(refund).value();
  }
  trade.id = "tr_" + ToHex32(ledger::TimeOrderedId(clock_));
  trade.tenant = tenant;
  trade.quote_id = quote->id;
  trade.customer_id = request.customer;
  trade.from_asset = quote->from_asset;
  trade.to_asset = quote->to_asset;
  trade.amount_in = quote->amount_in;
  trade.amount_out = quote->amount_out;
  trade.fee_amount = FeeTotal(*quote);
  trade.rate = quote->rate;
  trade.usdt_equivalent = quote->usdt_equivalent;
  trade.destination = std::move(destination).value();
  trade.idempotency_key = idempotency_key;
  trade.created_by = actor;
  trade.created_at_ms = trade.updated_at_ms = clock_.NowMs();
  trade.expires_at_ms = trade.created_at_ms + options_.payment_window_ms;
  auto inserted = InsertTrade(std::move(trade), customer.value());
  if (!inserted.ok()) return Failure(inserted.error());
  return AttachCharge(std::move(inserted).value(), customer.value());
}

// In one transaction: the daily limit checked again, the quote marked used, the trade stored with
// its first history row and its event.
Result<Trade, TradeError> TradeService::InsertTrade(Trade trade,
                                                    const payouts::Customer& customer) {
  auto connection = pool_.Acquire();
  store::Transaction tx(*connection, store::TransactionMode::kWrite);
  TradeStore::LockCustomer(*connection, trade.tenant, trade.customer_id);
  if (auto over = CheckDailyLimit(*connection, trade.tenant, customer, trade.usdt_equivalent)) {
    return Failure(*over);
  }
  if (auto raced =
          TradeStore::FindTradeByIdempotencyKey(*connection, trade.tenant, trade.idempotency_key)) {
    return std::move(*raced);  // a concurrent request with the key won
  }
  if (!TradeStore::UseQuote(*connection, trade.tenant, trade.quote_id, trade.id)) {
    return Failure(
        TradeError(TradeErrorKind::kQuoteUsed, "A trade was made from this quote.", "quote_id"));
  }
  TradeStore::InsertTrade(*connection, trade);
  TradeStore::AppendHistory(*connection, trade,
                            TradeChange{std::nullopt, trade.status, "api:" + trade.created_by,
                                        "created", trade.created_at_ms});
  events::EmitEvent(*connection, clock_,
                    {trade.tenant, EventTypeOf(trade.status), "trades", TradeJson(trade, assets_)},
                    options_.event_attempts_max);
  tx.Commit();
  return trade;
}

// The trade's charge at the tenant's gateways for its currency, under a key of the trade's own.
Result<MadeTrade, TradeError> TradeService::AttachCharge(Trade trade,
                                                         const payouts::Customer& customer) {
  const Asset from = assets_.Find(trade.from_asset).value();
  const int64_t left_s = (trade.expires_at_ms - clock_.NowMs()) / 1000;
  const payins::NewCharge request{
      .gateway = std::nullopt,
      .amount = Amount(trade.amount_in, from),
      .description = "Trade " + trade.id,
      .reference = trade.id,
      .customer = payins::Customer{customer.name, customer.document, "", ""},
      .expires_in_seconds = std::max<int64_t>(60, left_s)};
  auto charge = charges_.Create(trade.tenant, "trade:" + trade.id, request);
  if (!charge.ok()) {
    CancelForCharge(trade, charge.error().detail);
    return Failure(FromChargeError(charge.error()));
  }
  {
    auto connection = pool_.Acquire();
    store::Transaction tx(*connection, store::TransactionMode::kWrite);
    auto locked = TradeStore::FindTrade(*connection, trade.tenant, trade.id, true);
    if (locked && locked->charge_id.empty()) {
      // A change of the charge before this commit has its job waiting for it (Advance).
      locked->charge_id = charge.value().id;
      locked->updated_at_ms = clock_.NowMs();
      TradeStore::UpdateTrade(*connection, *locked);
      // Cancelled or expired while its charge was being made: nobody should pay it any more.
      if (locked->status == TradeStatus::kCancelled || locked->status == TradeStatus::kExpired) {
        charges_.CloseInTransaction(*connection, trade.tenant, locked->charge_id, "trading",
                                    locked->status == TradeStatus::kCancelled
                                        ? kCancelledReason
                                        : "the trade expired before its charge was made");
      }
    }
    tx.Commit();
    if (locked) trade = std::move(*locked);
  }
  return MadeTrade{std::move(trade), true};
}

void TradeService::CancelForCharge(const Trade& trade, std::string_view why) {
  auto connection = pool_.Acquire();
  store::Transaction tx(*connection, store::TransactionMode::kWrite);
  auto locked = TradeStore::FindTrade(*connection, trade.tenant, trade.id, true);
  if (!locked || locked->status != TradeStatus::kAwaitingPayment || !locked->charge_id.empty()) {
    return;
  }
  Transition(*connection, *locked, TradeStatus::kCancelled, "trading",
             "no gateway created the charge: " + std::string(why));
  tx.Commit();
}

Result<TradeView, TradeError> TradeService::GetTrade(std::string_view tenant, std::string_view id) {
  std::optional<Trade> trade;
  {
    auto connection = pool_.Acquire();
    trade = TradeStore::FindTrade(*connection, tenant, id, false);
  }
  if (!trade) return Failure(TradeError(TradeErrorKind::kNotFound, "No trade has this id.", "id"));
  std::optional<payins::Charge> charge;
  if (!trade->charge_id.empty()) charge = charges_.Get(tenant, trade->charge_id);
  return TradeView{std::move(*trade), std::move(charge)};
}

std::vector<Trade> TradeService::ListTrades(std::string_view tenant,
                                            std::optional<std::string_view> customer,
                                            std::optional<TradeStatus> status,
                                            std::optional<std::string_view> before_id, int limit) {
  auto connection = pool_.Acquire();
  return TradeStore::ListTrades(*connection, tenant, customer, status, before_id, limit);
}

std::optional<std::vector<TradeChange>> TradeService::History(std::string_view tenant,
                                                              std::string_view id) {
  auto connection = pool_.Acquire();
  if (!TradeStore::FindTrade(*connection, tenant, id, false)) return std::nullopt;
  return TradeStore::History(*connection, tenant, id);
}

Result<Trade, TradeError> TradeService::Cancel(std::string_view tenant, std::string_view id,
                                               std::string_view actor) {
  auto connection = pool_.Acquire();
  store::Transaction tx(*connection, store::TransactionMode::kWrite);
  auto trade = TradeStore::FindTrade(*connection, tenant, id, true);
  if (!trade) return Failure(TradeError(TradeErrorKind::kNotFound, "No trade has this id.", "id"));
  if (trade->status != TradeStatus::kAwaitingPayment) {
    return Failure(TradeError(TradeErrorKind::kInvalidTransition,
                              "Only a trade awaiting payment can be cancelled; this one is " +
                                  std::string(TradeStatusName(trade->status)) + "."));
  }
  // Its charge closed here with it: a payment that still arrives goes to review with the charge.
  // A charge proven paid (its job has not moved the trade yet) is no longer the customer's to
  // cancel.
  if (!trade->charge_id.empty()) {
    const auto charge = charges_.CloseInTransaction(*connection, tenant, trade->charge_id,
                                                    "api:" + std::string(actor), kCancelledReason);
    if (charge && charge->status != payins::ChargeStatus::kExpired &&
        charge->status != payins::ChargeStatus::kFailed) {
      return Failure(TradeError(TradeErrorKind::kInvalidTransition,
                                "The trade's charge is " +
                                    std::string(payins::ChargeStatusName(charge->status)) +
                                    ": the trade can no longer be cancelled."));
    }
  }
  Transition(*connection, *trade, TradeStatus::kCancelled, "api:" + std::string(actor),
             "cancelled by the customer");
  tx.Commit();
  if (options_.wake_jobs) options_.wake_jobs();
  return std::move(*trade);
}

Result<Trade, TradeError> TradeService::SetRefundDestination(std::string_view tenant,
                                                             std::string_view id,
                                                             const payouts::DestinationInput& input,
                                                             std::string_view actor) {
  auto destination = payouts::ValidateDestination(input);
  if (!destination.ok()) {
    return Failure(TradeError(TradeErrorKind::kInvalidDestination, destination.error().reason,
                              "destination." + destination.error().field));
  }
  auto connection = pool_.Acquire();
  store::Transaction tx(*connection, store::TransactionMode::kWrite);
  auto trade = TradeStore::FindTrade(*connection, tenant, id, true);
  if (!trade) return Failure(TradeError(TradeErrorKind::kNotFound, "No trade has this id.", "id"));
  if (trade->status != TradeStatus::kRefundPending || !trade->refund_payout_id.empty()) {
    return Failure(TradeError(TradeErrorKind::kInvalidTransition,
                              "Only a trade waiting for its refund takes a refund destination."));
  }
  trade->refund_destination = std::move(destination).value();
  trade->reason = "refund destination set by " + std::string(actor);
  trade->updated_at_ms = clock_.NowMs();
  TradeStore::UpdateRefundDestination(*connection, *trade);
  EnqueueAdvance(*connection, tenant, id);
  tx.Commit();
  if (options_.wake_jobs) options_.wake_jobs();
  return std::move(*trade);
}

void TradeService::EnqueueAdvance(store::Connection& tx, std::string_view tenant,
                                  std::string_view trade_id, std::string_view charge_id) {
  jobs::NewJob job;
  job.kind = std::string(kAdvanceJobKind);
  job.payload = std::string(tenant) + "\n" + std::string(trade_id);
  if (!charge_id.empty()) job.payload += "\n" + std::string(charge_id);
  jobs::Enqueue(tx, clock_, job);
}

void TradeService::ChargeChanged(store::Connection& tx, const payins::Charge& charge) {
  if (charge.reference.starts_with("tr_")) {
    EnqueueAdvance(tx, charge.tenant, charge.reference, charge.id);
  }
}

void TradeService::PayoutChanged(store::Connection& tx, const payouts::Payout& payout) {
  const bool trades = payout.origin == payouts::PayoutOrigin::kTrade ||
                      payout.origin == payouts::PayoutOrigin::kRefund;
  // Only an end, or a review, moves a trade on.
  const bool moves =
      payouts::IsFinal(payout.status) || payout.status == payouts::PayoutStatus::kManualReview;
  if (trades && moves && payout.reference.starts_with("tr_")) {
    EnqueueAdvance(tx, payout.tenant, payout.reference);
  }
}

}  // namespace cambista::trading
