#include "trading/schema.hpp"

#include <array>

namespace cambista::trading {
namespace {

// ---- 18: trades ------------------------------------------------------------------------------
// Quotes (used once: trade_id), trades with their destination and refund destination (the normal
// form, as payouts hold it; refund_kind -1: none) and their history. A quote makes one trade
// (UNIQUE tenant, quote_id); a trade's Idempotency-Key finds it again. trades_open serves the
// expiry of unpaid trades.
constexpr std::string_view kTradesSqlite = R"sql(
CREATE TABLE trades (
  tenant TEXT NOT NULL,
  id TEXT NOT NULL,
  quote_id TEXT NOT NULL,
  customer_id TEXT NOT NULL,
  from_asset TEXT NOT NULL,
  to_asset TEXT NOT NULL,
  amount_in TEXT NOT NULL,
  amount_out TEXT NOT NULL,
  fee_amount TEXT NOT NULL,
  rate TEXT NOT NULL,
  usdt_equivalent TEXT NOT NULL,
  kind INTEGER NOT NULL,
  network INTEGER NOT NULL,
  address TEXT NOT NULL,
  pix_key_kind INTEGER NOT NULL,
  pix_key TEXT NOT NULL,
  bank TEXT NOT NULL,
  account TEXT NOT NULL,
  document TEXT NOT NULL,
  document_kind INTEGER NOT NULL,
  refund_kind INTEGER NOT NULL,
  refund_network INTEGER NOT NULL,
  refund_address TEXT NOT NULL,
  refund_pix_key_kind INTEGER NOT NULL,
  refund_pix_key TEXT NOT NULL,
  refund_bank TEXT NOT NULL,
  refund_account TEXT NOT NULL,
  refund_document TEXT NOT NULL,
  refund_document_kind INTEGER NOT NULL,
  status INTEGER NOT NULL,
  charge_id TEXT NOT NULL,
  payout_id TEXT NOT NULL,
  refund_payout_id TEXT NOT NULL,
  reason TEXT NOT NULL,
  idempotency_key TEXT NOT NULL,
  created_by TEXT NOT NULL,
  expires_at_ms INTEGER NOT NULL,
  created_at_ms INTEGER NOT NULL,
  updated_at_ms INTEGER NOT NULL,
  PRIMARY KEY (tenant, id),
  UNIQUE (tenant, idempotency_key),
  UNIQUE (tenant, quote_id)
) WITHOUT ROWID;
CREATE INDEX trades_customer ON trades (tenant, customer_id, id);
CREATE INDEX trades_status ON trades (tenant, status, id);
CREATE INDEX trades_open ON trades (status, expires_at_ms);
CREATE TABLE trade_quotes (
  tenant TEXT NOT NULL,
  id TEXT NOT NULL,
  customer_id TEXT NOT NULL,
  from_asset TEXT NOT NULL,
  to_asset TEXT NOT NULL,
  network TEXT NOT NULL,
  side INTEGER NOT NULL,
  amount_in TEXT NOT NULL,
  amount_out TEXT NOT NULL,
  rate TEXT NOT NULL,
  rate_pair TEXT NOT NULL,
  rate_source TEXT NOT NULL,
  spread_bps INTEGER NOT NULL,
  fees TEXT NOT NULL,
  usdt_equivalent TEXT NOT NULL,
  created_at_ms INTEGER NOT NULL,
  expires_at_ms INTEGER NOT NULL,
  trade_id TEXT NOT NULL,
  PRIMARY KEY (tenant, id)
) WITHOUT ROWID;
CREATE INDEX trade_quotes_created ON trade_quotes (created_at_ms);
CREATE TABLE trade_history (
  tenant TEXT NOT NULL,
  trade_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  from_status INTEGER,
  to_status INTEGER NOT NULL,
  actor TEXT NOT NULL,
  reason TEXT NOT NULL,
  at_ms INTEGER NOT NULL,
  PRIMARY KEY (tenant, trade_id, seq)
) WITHOUT ROWID;
)sql";

constexpr std::string_view kTradesPostgres = R"sql(
CREATE TABLE trades (
  tenant text NOT NULL,
  id text NOT NULL,
  quote_id text NOT NULL,
  customer_id text NOT NULL,
  from_asset text NOT NULL,
  to_asset text NOT NULL,
  amount_in numeric(39,0) NOT NULL,
  amount_out numeric(39,0) NOT NULL,
  fee_amount numeric(39,0) NOT NULL,
  rate text NOT NULL,
  usdt_equivalent numeric(39,0) NOT NULL,
  kind integer NOT NULL,
  network integer NOT NULL,
  address text NOT NULL,
  pix_key_kind integer NOT NULL,
  pix_key text NOT NULL,
  bank text NOT NULL,
  account text NOT NULL,
  document text NOT NULL,
  document_kind integer NOT NULL,
  refund_kind integer NOT NULL,
  refund_network integer NOT NULL,
  refund_address text NOT NULL,
  refund_pix_key_kind integer NOT NULL,
  refund_pix_key text NOT NULL,
  refund_bank text NOT NULL,
  refund_account text NOT NULL,
  refund_document text NOT NULL,
  refund_document_kind integer NOT NULL,
  status integer NOT NULL,
  charge_id text NOT NULL,
  payout_id text NOT NULL,
  refund_payout_id text NOT NULL,
  reason text NOT NULL,
  idempotency_key text NOT NULL,
  created_by text NOT NULL,
  expires_at_ms bigint NOT NULL,
  created_at_ms bigint NOT NULL,
  updated_at_ms bigint NOT NULL,
  PRIMARY KEY (tenant, id),
  UNIQUE (tenant, idempotency_key),
  UNIQUE (tenant, quote_id)
);
CREATE INDEX trades_customer ON trades (tenant, customer_id, id);
CREATE INDEX trades_status ON trades (tenant, status, id);
CREATE INDEX trades_open ON trades (status, expires_at_ms);
CREATE TABLE trade_quotes (
  tenant text NOT NULL,
  id text NOT NULL,
  customer_id text NOT NULL,
  from_asset text NOT NULL,
  to_asset text NOT NULL,
  network text NOT NULL,
  side integer NOT NULL,
  amount_in numeric(39,0) NOT NULL,
  amount_out numeric(39,0) NOT NULL,
  rate text NOT NULL,
  rate_pair text NOT NULL,
  rate_source text NOT NULL,
  spread_bps bigint NOT NULL,
  fees text NOT NULL,
  usdt_equivalent numeric(39,0) NOT NULL,
  created_at_ms bigint NOT NULL,
  expires_at_ms bigint NOT NULL,
  trade_id text NOT NULL,
  PRIMARY KEY (tenant, id)
);
CREATE INDEX trade_quotes_created ON trade_quotes (created_at_ms);
CREATE TABLE trade_history (
  tenant text NOT NULL,
  trade_id text NOT NULL,
  seq bigint NOT NULL,
  from_status integer,
  to_status integer NOT NULL,
  actor text NOT NULL,
  reason text NOT NULL,
  at_ms bigint NOT NULL,
  PRIMARY KEY (tenant, trade_id, seq)
);
)sql";

constexpr std::array kMigrations = {
    store::Migration{18, "trades", kTradesSqlite, kTradesPostgres},
};

}  // namespace

std::span<const store::Migration> Migrations() {
  return kMigrations;
}

}  // namespace cambista::trading
