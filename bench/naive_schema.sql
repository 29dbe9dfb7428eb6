-- Tables for the naive pgbench baseline (bench/naive_transfer.sql).
DROP TABLE IF EXISTS naive_transfers;
DROP TABLE IF EXISTS naive_accounts;
CREATE TABLE naive_accounts (id bigint PRIMARY KEY, debits numeric(39,0) NOT NULL DEFAULT 0,
  credits numeric(39,0) NOT NULL DEFAULT 0);
INSERT INTO naive_accounts (id) SELECT generate_series(1, 10000);
CREATE TABLE naive_transfers (id bigserial PRIMARY KEY, debit_account_id bigint NOT NULL,
  credit_account_id bigint NOT NULL, amount numeric(39,0) NOT NULL);
