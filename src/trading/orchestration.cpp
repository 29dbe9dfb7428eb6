// The `trades.advance` job: from the facts (the trade's charge and payouts) to the next step.
#include "core/assert.hpp"
#include "events/event_outbox.hpp"
#include "security/hmac.hpp"
#include "trading/service.hpp"
#include "trading/store.hpp"
#include "trading/trade_json.hpp"

namespace cambista::trading {

namespace {

using accounting::AccountKind;
using accounting::AccountRef;
using payins::ChargeStatus;
using payouts::JobStep;
using payouts::PayoutStatus;

constexpr uint32_t kConversionCode = 700;
constexpr uint32_t kReversalCode = 701;
constexpr int64_t kPayoutRetryMs = 60'000;  // a payout that cannot be held yet (float short)
constexpr std::string_view kFeesQualifier = "trade";

u128 TradeTransferId(std::string_view trade_id, std::string_view leg) {
  const std::string digest =
      Sha256("cambista.trade_transfer:" + std::string(trade_id) + ":" + std::string(leg));
  u128 id = 0;
  for (int i = 0; i < 16; ++i) id = (id << 8) | static_cast<unsigned char>(digest[i]);
  id >>= 1;
  return id == 0 ? 1 : id;
}

// The accounts of a trade's conversion (service.hpp).
struct Books {
  AccountRef merchant;
  AccountRef gateway_fees;
  AccountRef customer_from;
  AccountRef customer_to;
  AccountRef fx_from;
  AccountRef fx_to;
  AccountRef fees;
};

Books BooksOf(const Trade& t, std::string_view gateway) {
  return Books{accounting::MerchantAccount(t.tenant, t.from_asset),
               AccountRef{t.tenant, AccountKind::kProviderFees, std::string(gateway), t.from_asset},
               AccountRef{t.tenant, AccountKind::kCustomer, t.customer_id, t.from_asset},
               AccountRef{t.tenant, AccountKind::kCustomer, t.customer_id, t.to_asset},
               AccountRef{t.tenant, AccountKind::kFx, "", t.from_asset},
               AccountRef{t.tenant, AccountKind::kFx, "", t.to_asset},
               AccountRef{t.tenant, AccountKind::kFees, std::string(kFeesQualifier), t.from_asset}};
}

ledger::Transfer Leg(const Trade& t, std::string_view leg, const AccountRef& debit,
                     const AccountRef& credit, i128 amount, uint32_t code) {
  ledger::Transfer transfer;
  transfer.id = TradeTransferId(t.id, leg);
  transfer.debit_account_id = debit.Id();
  transfer.credit_account_id = credit.Id();
  transfer.amount = static_cast<u128>(amount);
  transfer.asset = debit.currency;
  transfer.code = code;
  transfer.flags = ledger::TransferFlags::kLinked;
  return transfer;
}

// Submits a linked chain (the last transfer closes it): true when every leg is in, now or before.
bool SubmitChain(ledger::Ledger& ledger, store::Connection& tx,
                 std::vector<ledger::Transfer> legs) {
  std::erase_if(legs, [](const ledger::Transfer& t) { return t.amount == 0; });
  if (legs.empty()) return true;
  legs.back().flags &= ~ledger::TransferFlags::kLinked;
  for (const auto result : ledger.SubmitInTransaction(tx, legs)) {
    if (result != ledger::CreateTransferResult::kOk &&
        result != ledger::CreateTransferResult::kExists) {
      return false;
    }
  }
  return true;
}

payouts::DestinationInput InputOf(const payouts::Destination& d) {
  payouts::DestinationInput input;
  input.kind = std::string(payouts::DestinationKindName(d.kind));
  switch (d.kind) {
    case payouts::DestinationKind::kCryptoAddress:
      input.network = std::string(payouts::NetworkName(d.network));
      input.address = d.address;
      break;
    case payouts::DestinationKind::kPixKey:
      input.key = d.key;
      break;
    case payouts::DestinationKind::kVesBank:
      input.bank = d.bank;
      input.account = d.account;
      input.document = d.document;
      break;
  }
  return input;
}

JobStep Again(std::string error, int64_t after_ms = 0) {
  return JobStep{.done = false, .error = std::move(error), .retry_after_ms = after_ms};
}

}  // namespace

void TradeService::EnsureAccounts(const Trade& trade, std::string_view gateway) {
  const Books b = BooksOf(trade, gateway);
  const AccountRef accounts[] = {b.merchant, b.gateway_fees, b.customer_from, b.customer_to,
                                 b.fx_from,  b.fx_to,        b.fees};
  chart_.Ensure(accounts);
}

bool TradeService::BookConversion(store::Connection& tx, const Trade& t,
                                  const payins::Charge& charge) {
  const Books b = BooksOf(t, charge.gateway);
  const i128 gateway_fee = charge.fee_amount.value_or(0);
  return SubmitChain(
      ledger_, tx,
      {Leg(t, "gateway_fee", b.gateway_fees, b.merchant, gateway_fee, kConversionCode),
       Leg(t, "payment", b.merchant, b.customer_from, t.amount_in, kConversionCode),
       Leg(t, "convert_in", b.customer_from, b.fx_from, t.amount_in - t.fee_amount,
           kConversionCode),
       Leg(t, "fees", b.customer_from, b.fees, t.fee_amount, kConversionCode),
       Leg(t, "convert_out", b.fx_to, b.customer_to, t.amount_out, kConversionCode)});
}

// The conversion undone: the customer holds amount_in again, fees included.
bool TradeService::BookReversal(store::Connection& tx, const Trade& t) {
  const Books b = BooksOf(t, "");
  return SubmitChain(
      ledger_, tx,
      {Leg(t, "reverse_out", b.customer_to, b.fx_to, t.amount_out, kReversalCode),
       Leg(t, "reverse_in", b.fx_from, b.customer_from, t.amount_in - t.fee_amount, kReversalCode),
       Leg(t, "reverse_fees", b.fees, b.customer_from, t.fee_amount, kReversalCode)});
}

payouts::NewPayout TradeService::PayoutRequest(const Trade& t, bool refund) const {
  const Asset asset = assets_.Find(refund ? t.from_asset : t.to_asset).value();
  return payouts::NewPayout{
      .customer = t.customer_id,
      .provider = std::nullopt,
      .amount = Amount(refund ? t.amount_in : t.amount_out, asset),
      .destination = InputOf(refund ? *t.refund_destination : t.destination),
      .destination_id = std::nullopt,
      .origin = refund ? payouts::PayoutOrigin::kRefund : payouts::PayoutOrigin::kTrade,
      .reference = t.id};
}

void TradeService::Transition(store::Connection& tx, Trade& trade, TradeStatus to,
                              std::string_view actor, std::string reason) {
  CAMBISTA_CHECK(TransitionAllowed(trade.status, to));
  const TradeStatus from = trade.status;
  trade.status = to;
  trade.reason = std::move(reason);
  trade.updated_at_ms = clock_.NowMs();
  TradeStore::UpdateTrade(tx, trade);
  TradeStore::AppendHistory(
      tx, trade, TradeChange{from, to, std::string(actor), trade.reason, trade.updated_at_ms});
  events::EmitEvent(tx, clock_,
                    {trade.tenant, EventTypeOf(to), "trades", TradeJson(trade, assets_)},
                    options_.event_attempts_max);
}

TradeFacts TradeService::Gather(const Trade& trade) {
  TradeFacts facts;
  if (!trade.charge_id.empty()) facts.charge = charges_.Get(trade.tenant, trade.charge_id);
  if (!trade.payout_id.empty()) {
    auto payout = payouts_.GetPayout(trade.tenant, trade.payout_id);
    if (payout.ok()) facts.payout = std::move(payout).value();
  }
  if (!trade.refund_payout_id.empty()) {
    auto refund = payouts_.GetPayout(trade.tenant, trade.refund_payout_id);
    if (refund.ok()) facts.refund = std::move(refund).value();
  }
  return facts;
}

constexpr int64_t kChargeRecordWaitMs = 1'000;

JobStep TradeService::Advance(std::string_view payload) {
  const size_t newline = payload.find('\n');
  if (newline == std::string_view::npos) return JobStep{};  // not ours to retry
  const std::string_view tenant = payload.substr(0, newline);
  std::string_view id = payload.substr(newline + 1);
  const size_t second = id.find('\n');
  const std::string_view charge_id =
      second == std::string_view::npos ? std::string_view() : id.substr(second + 1);
  id = id.substr(0, second);
  std::optional<Trade> trade;
  {
    auto connection = pool_.Acquire();
    trade = TradeStore::FindTrade(*connection, tenant, id, false);
  }
  if (!trade || IsFinal(trade->status)) return JobStep{};
  if (!charge_id.empty() && trade->charge_id.empty() &&
      trade->status == TradeStatus::kAwaitingPayment) {
    return Again("the trade has not recorded its charge yet", kChargeRecordWaitMs);
  }
  const TradeFacts facts = Gather(*trade);
  const Decision decision = Decide(*trade, facts, clock_.NowMs());
  switch (decision.kind) {
    case Decision::Kind::kNothing:
      return JobStep{};
    case Decision::Kind::kMove:
      return Move(*trade, decision);
    case Decision::Kind::kConvert:
      return ConvertAndPay(*trade, *facts.charge, decision);
    case Decision::Kind::kPay:
      return PayOut(*trade, false);
    case Decision::Kind::kRefund:
      return PayOut(*trade, true);
  }
  return JobStep{};
}

namespace {

bool Transient(const payouts::PayoutError& error) {
  return error.kind == payouts::PayoutErrorKind::kInsufficientFunds ||
         error.kind == payouts::PayoutErrorKind::kInternal;
}

}  // namespace

JobStep TradeService::Move(const Trade& trade, const Decision& decision) {
  auto connection = pool_.Acquire();
  store::Transaction tx(*connection, store::TransactionMode::kWrite);
  auto locked = TradeStore::FindTrade(*connection, trade.tenant, trade.id, true);
  if (!locked || locked->status != trade.status) return JobStep{};  // its change has its own job
  const bool reverse = decision.to == TradeStatus::kRefundPending;
  if (reverse) {
    if (!BookReversal(*connection, *locked)) {
      return Again("the ledger refused the conversion's reversal", kPayoutRetryMs);
    }
    EnqueueAdvance(*connection, trade.tenant, trade.id);  // then the refund payout
  }
  Transition(*connection, *locked, decision.to, decision.actor, decision.reason);
  tx.Commit();
  if (reverse && options_.wake_jobs) options_.wake_jobs();
  return JobStep{};
}

bool TradeService::ConfirmPayment(store::Connection& tx, Trade& trade, const payins::Charge& charge,
                                  const Decision& decision) {
  Transition(tx, trade, TradeStatus::kPaymentConfirmed, decision.actor, decision.reason);
  return BookConversion(tx, trade, charge);
}

// The payment proven: in one transaction PAYMENT_CONFIRMED, the conversion, the payout held and
// PAYOUT_PENDING, then the payout sent at once. A payout that cannot be held now (the provider's
// float is short) leaves the trade PAYMENT_CONFIRMED, converted, for a later try; one that no
// provider can make sends it to REFUND_PENDING.
JobStep TradeService::ConvertAndPay(const Trade& trade, const payins::Charge& charge,
                                    const Decision& decision) {
  EnsureAccounts(trade, charge.gateway);
  auto payout = payouts_.PreparePayout(trade.tenant, "trading", "trade:" + trade.id,
                                       PayoutRequest(trade, false));
  std::string why;
  if (payout.ok()) {
    payouts_.PrepareAccounts(payout.value());
    auto connection = pool_.Acquire();
    store::Transaction tx(*connection, store::TransactionMode::kWrite);
    auto locked = TradeStore::FindTrade(*connection, trade.tenant, trade.id, true);
    if (!locked || locked->status != trade.status) return JobStep{};
    if (!ConfirmPayment(*connection, *locked, charge, decision)) {
      return Again("the ledger refused the conversion", kPayoutRetryMs);
    }
    auto held = payouts_.HoldInTransaction(*connection, payout.value(), "trade:" + trade.id);
    if (held.ok()) {
      locked->payout_id = payout.value().id;
      Transition(*connection, *locked, TradeStatus::kPayoutPending, "trading",
                 "payout " + payout.value().id + " held");
      tx.Commit();
      payouts_.SendSoon(payout.value(), held.value());
      return JobStep{};
    }
    why = held.error().detail;
  }  // rolled back: confirmed and converted without the payout, below
  const bool refund = !payout.ok() && !Transient(payout.error());
  if (!payout.ok()) why = payout.error().detail;
  auto connection = pool_.Acquire();
  store::Transaction tx(*connection, store::TransactionMode::kWrite);
  auto locked = TradeStore::FindTrade(*connection, trade.tenant, trade.id, true);
  if (!locked || locked->status != trade.status) return JobStep{};
  if (!ConfirmPayment(*connection, *locked, charge, decision)) {
    return Again("the ledger refused the conversion", kPayoutRetryMs);
  }
  if (refund) {
    if (!BookReversal(*connection, *locked)) return Again("the ledger refused the reversal");
    Transition(*connection, *locked, TradeStatus::kRefundPending, "trading",
               "no payout can be made: " + why);
    EnqueueAdvance(*connection, trade.tenant, trade.id);
  }
  tx.Commit();
  if (refund) return JobStep{};
  return Again("the payout waits: " + why, kPayoutRetryMs);
}

JobStep TradeService::PayOut(const Trade& trade, bool refund) {
  auto payout = payouts_.PreparePayout(trade.tenant, "trading",
                                       (refund ? "trade-refund:" : "trade:") + trade.id,
                                       PayoutRequest(trade, refund));
  if (!payout.ok()) {
    if (Transient(payout.error())) return Again(payout.error().detail, kPayoutRetryMs);
    return Move(
        trade,
        Decision{Decision::Kind::kMove,
                 refund ? TradeStatus::kManualReview : TradeStatus::kRefundPending, "trading",
                 (refund ? "no refund payout can be made: " : "no payout can be made: ") +
                     payout.error().detail});
  }
  payouts_.PrepareAccounts(payout.value());
  auto connection = pool_.Acquire();
  store::Transaction tx(*connection, store::TransactionMode::kWrite);
  auto locked = TradeStore::FindTrade(*connection, trade.tenant, trade.id, true);
  if (!locked || locked->status != trade.status ||
      !(refund ? locked->refund_payout_id : locked->payout_id).empty()) {
    return JobStep{};
  }
  auto held = payouts_.HoldInTransaction(*connection, payout.value(), "trade:" + trade.id);
  if (!held.ok()) return Again("the payout waits: " + held.error().detail, kPayoutRetryMs);
  if (refund) {
    locked->refund_payout_id = payout.value().id;
    locked->reason = "refund payout " + payout.value().id + " held";
    locked->updated_at_ms = clock_.NowMs();
    TradeStore::UpdateTrade(*connection, *locked);
  } else {
    locked->payout_id = payout.value().id;
    Transition(*connection, *locked, TradeStatus::kPayoutPending, "trading",
               "payout " + payout.value().id + " held");
  }
  tx.Commit();
  payouts_.SendSoon(payout.value(), held.value());
  return JobStep{};
}

int TradeService::ExpireDue(int limit) {
  std::vector<std::pair<std::string, std::string>> overdue;
  {
    auto connection = pool_.Acquire();
    overdue = TradeStore::OverdueTrades(*connection, clock_.NowMs(), limit);
  }
  for (const auto& [tenant, id] : overdue) Advance(tenant + "\n" + id);
  return static_cast<int>(overdue.size());
}

}  // namespace cambista::trading
