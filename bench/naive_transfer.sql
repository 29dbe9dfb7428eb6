-- The baseline: a naive double-entry transfer, one transaction per transfer (two UPDATEs and one
-- INSERT), rows locked in id order so concurrent clients do not deadlock. Run by bench/ledger.sh as
--   pgbench -n -c 64 -j 2 -T 30 --max-tries=10 -f bench/naive_transfer.sql
\set debit random(1, 10000)
\set credit random(1, 10000)
\set amount random(1, 1000000)
\set low least(:debit, :credit)
\set high greatest(:debit, :credit)
BEGIN;
UPDATE naive_accounts SET debits = debits + CASE WHEN id = :debit THEN :amount ELSE 0 END,
  credits = credits + CASE WHEN id = :credit THEN :amount ELSE 0 END WHERE id = :low;
UPDATE naive_accounts SET debits = debits + CASE WHEN id = :debit THEN :amount ELSE 0 END,
  credits = credits + CASE WHEN id = :credit THEN :amount ELSE 0 END WHERE id = :high AND :high <> :low;
INSERT INTO naive_transfers (debit_account_id, credit_account_id, amount) VALUES (:debit, :credit, :amount);
END;
