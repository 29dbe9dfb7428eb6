#include "trading/trade_json.hpp"

#include "core/amount.hpp"
#include "obs/json_log.hpp"
#include "obs/json_string.hpp"
#include "payouts/destination.hpp"

namespace cambista::trading {
namespace {

void AppendText(std::string& out, std::string_view key, std::string_view text) {
  out += ",\"";
  out += key;
  out += "\":";
  obs::AppendJsonString(out, text);
}

void AppendTextOrNull(std::string& out, std::string_view key, std::string_view text) {
  if (text.empty()) {
    out += ",\"" + std::string(key) + "\":null";
  } else {
    AppendText(out, key, text);
  }
}

void AppendMoney(std::string& out, std::string_view key, const AssetRegistry& assets,
                 std::string_view code, i128 minor) {
  auto asset = assets.Find(code);
  AppendText(out, key, asset.ok() ? Amount(minor, asset.value()).ToString() : ToDecimal(minor));
}

void AppendTime(std::string& out, std::string_view key, int64_t at_ms) {
  out += ",\"" + std::string(key) + "\":\"";
  obs::AppendRfc3339Millis(out, at_ms * 1'000'000);
  out += "\",\"" + std::string(key) + "_ms\":" + std::to_string(at_ms);
}

std::string DestinationJson(const payouts::Destination& d) {
  std::string out = "{\"kind\":";
  obs::AppendJsonString(out, payouts::DestinationKindName(d.kind));
  switch (d.kind) {
    case payouts::DestinationKind::kCryptoAddress:
      AppendText(out, "network", payouts::NetworkName(d.network));
      AppendText(out, "address", d.address);
      break;
    case payouts::DestinationKind::kPixKey:
      AppendText(out, "key", d.key);
      break;
    case payouts::DestinationKind::kVesBank:
      AppendText(out, "bank", d.bank);
      AppendText(out, "account", d.account);
      AppendText(out, "document", d.document);
      break;
  }
  return out + "}";
}

}  // namespace

std::string QuoteJson(const Quote& q, const AssetRegistry& assets) {
  std::string out = "{\"id\":";
  obs::AppendJsonString(out, q.id);
  AppendText(out, "from_asset", q.from_asset);
  AppendText(out, "to_asset", q.to_asset);
  AppendTextOrNull(out, "network", q.network);
  AppendText(out, "amount_side", q.side == AmountSide::kSpend ? "spend" : "receive");
  AppendMoney(out, "amount_in", assets, q.from_asset, q.amount_in);
  AppendMoney(out, "amount_out", assets, q.to_asset, q.amount_out);
  AppendText(out, "rate", q.rate);
  AppendText(out, "rate_pair", q.rate_pair);
  AppendText(out, "rate_source", q.rate_source);
  out += ",\"spread_bps\":" + std::to_string(q.spread_bps) + ",\"fees\":[";
  for (size_t i = 0; i < q.fees.size(); ++i) {
    out += i == 0 ? "{\"kind\":" : ",{\"kind\":";
    obs::AppendJsonString(out, q.fees[i].kind);
    AppendText(out, "asset", q.fees[i].asset);
    AppendMoney(out, "amount", assets, q.fees[i].asset, q.fees[i].amount);
    out += "}";
  }
  out += "]";
  AppendTextOrNull(out, "customer", q.customer_id);
  AppendTextOrNull(out, "trade_id", q.trade_id);
  AppendTime(out, "created_at", q.created_at_ms);
  AppendTime(out, "expires_at", q.expires_at_ms);
  return out + "}";
}

std::string TradeJson(const Trade& t, const AssetRegistry& assets,
                      const std::optional<payins::Charge>& charge) {
  std::string out = "{\"id\":";
  obs::AppendJsonString(out, t.id);
  AppendText(out, "status", TradeStatusName(t.status));
  AppendText(out, "quote_id", t.quote_id);
  AppendText(out, "customer", t.customer_id);
  AppendText(out, "from_asset", t.from_asset);
  AppendText(out, "to_asset", t.to_asset);
  AppendMoney(out, "amount_in", assets, t.from_asset, t.amount_in);
  AppendMoney(out, "amount_out", assets, t.to_asset, t.amount_out);
  AppendMoney(out, "fee_amount", assets, t.from_asset, t.fee_amount);
  AppendText(out, "rate", t.rate);
  out += ",\"destination\":" + DestinationJson(t.destination);
  out += ",\"refund_destination\":" +
         (t.refund_destination ? DestinationJson(*t.refund_destination) : std::string("null"));
  AppendTextOrNull(out, "charge_id", t.charge_id);
  AppendTextOrNull(out, "payout_id", t.payout_id);
  AppendTextOrNull(out, "refund_payout_id", t.refund_payout_id);
  AppendTextOrNull(out, "reason", t.reason);
  AppendTime(out, "expires_at", t.expires_at_ms);
  AppendTime(out, "created_at", t.created_at_ms);
  AppendTime(out, "updated_at", t.updated_at_ms);
  if (charge) {
    auto asset = assets.Find(charge->currency);
    out += ",\"charge\":" + payins::ChargeJson(*charge, asset.ok() ? asset.value().scale() : 2);
  }
  return out + "}";
}

std::string TradeHistoryJson(const std::vector<TradeChange>& history) {
  std::string out = "[";
  for (const TradeChange& change : history) {
    out += out.size() > 1 ? ",{\"from\":" : "{\"from\":";
    if (change.from) {
      obs::AppendJsonString(out, TradeStatusName(*change.from));
    } else {
      out += "null";
    }
    AppendText(out, "to", TradeStatusName(change.to));
    AppendText(out, "actor", change.actor);
    AppendText(out, "reason", change.reason);
    AppendTime(out, "at", change.at_ms);
    out += "}";
  }
  return out + "]";
}

}  // namespace cambista::trading
