#include "payouts/store.hpp"

#include <string>

namespace cambista::payouts {
namespace {

constexpr std::string_view kCustomerColumns =
    "tenant, id, name, document, kyc_level, created_at_ms, updated_at_ms";
constexpr std::string_view kDestinationColumns =
    "tenant, id, customer_id, kind, network, address, pix_key_kind, pix_key, bank, account, "
    "document, document_kind, created_at_ms";
constexpr std::string_view kDepositColumns =
    "tenant, id, account, asset, amount, reference, actor, created_at_ms";

Customer ReadCustomer(const store::Row& row) {
  Customer c;
  c.tenant = row.Text(0);
  c.id = row.Text(1);
  c.name = row.Text(2);
  c.document = row.Text(3);
  c.kyc_level = static_cast<int>(row.Int64(4));
  c.created_at_ms = row.Int64(5);
  c.updated_at_ms = row.Int64(6);
  return c;
}

SavedDestination ReadDestination(const store::Row& row) {
  SavedDestination s;
  s.tenant = row.Text(0);
  s.id = row.Text(1);
  s.customer_id = row.Text(2);
  Destination& d = s.destination;
  d.kind = static_cast<DestinationKind>(row.Int64(3));
  d.network = static_cast<Network>(row.Int64(4));
  d.address = row.Text(5);
  d.pix_key_kind = static_cast<pix::PixKeyKind>(row.Int64(6));
  d.key = row.Text(7);
  d.bank = row.Text(8);
  d.account = row.Text(9);
  d.document = row.Text(10);
  d.document_kind = static_cast<VesDocumentKind>(row.Int64(11));
  s.created_at_ms = row.Int64(12);
  return s;
}

Deposit ReadDeposit(const store::Row& row) {
  Deposit d;
  d.tenant = row.Text(0);
  d.id = row.Text(1);
  d.account = row.Text(2);
  d.asset = row.Text(3);
  d.amount = row.Int128(4);
  d.reference = row.Text(5);
  d.actor = row.Text(6);
  d.created_at_ms = row.Int64(7);
  return d;
}

std::string Select(std::string_view columns, std::string_view table) {
  return "SELECT " + std::string(columns) + " FROM " + std::string(table);
}

}  // namespace

std::optional<Customer> PayoutStore::FindCustomer(store::Connection& connection,
                                                  std::string_view tenant, std::string_view id) {
  std::optional<Customer> found;
  connection.Query(Select(kCustomerColumns, "payout_customers") + " WHERE tenant = $1 AND id = $2",
                   {tenant, id}, [&](const store::Row& row) { found = ReadCustomer(row); });
  return found;
}

void PayoutStore::UpsertCustomer(store::Connection& connection, const Customer& c) {
  connection.Execute(
      "INSERT INTO payout_customers (" + std::string(kCustomerColumns) +
          ") VALUES ($1, $2, $3, $4, $5, $6, $6) ON CONFLICT (tenant, id) DO UPDATE SET name = "
          "excluded.name, document = excluded.document, kyc_level = excluded.kyc_level, "
          "updated_at_ms = excluded.updated_at_ms",
      {std::string_view(c.tenant), std::string_view(c.id), std::string_view(c.name),
       std::string_view(c.document), static_cast<int64_t>(c.kyc_level), c.updated_at_ms});
}

std::optional<SavedDestination> PayoutStore::FindDestination(store::Connection& connection,
                                                             std::string_view tenant,
                                                             std::string_view id) {
  std::optional<SavedDestination> found;
  connection.Query(
      Select(kDestinationColumns, "payout_destinations") + " WHERE tenant = $1 AND id = $2",
      {tenant, id}, [&](const store::Row& row) { found = ReadDestination(row); });
  return found;
}

std::optional<SavedDestination> PayoutStore::FindDestinationByFingerprint(
    store::Connection& connection, std::string_view tenant, std::string_view customer_id,
    std::string_view fingerprint) {
  std::optional<SavedDestination> found;
  connection.Query(Select(kDestinationColumns, "payout_destinations") +
                       " WHERE tenant = $1 AND customer_id = $2 AND fingerprint = $3",
                   {tenant, customer_id, fingerprint},
                   [&](const store::Row& row) { found = ReadDestination(row); });
  return found;
}

void PayoutStore::InsertDestination(store::Connection& connection, const SavedDestination& s) {
  const Destination& d = s.destination;
  const std::string fingerprint = DestinationFingerprint(d);
  connection.Execute(
      "INSERT INTO payout_destinations (" + std::string(kDestinationColumns) +
          ", fingerprint) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
      {std::string_view(s.tenant), std::string_view(s.id), std::string_view(s.customer_id),
       static_cast<int64_t>(d.kind), static_cast<int64_t>(d.network), std::string_view(d.address),
       static_cast<int64_t>(d.pix_key_kind), std::string_view(d.key), std::string_view(d.bank),
       std::string_view(d.account), std::string_view(d.document),
       static_cast<int64_t>(d.document_kind), s.created_at_ms, std::string_view(fingerprint)});
}

std::vector<SavedDestination> PayoutStore::ListDestinations(store::Connection& connection,
                                                            std::string_view tenant,
                                                            std::string_view customer_id,
                                                            std::string_view after_id, int limit) {
  std::vector<SavedDestination> list;
  connection.Query(Select(kDestinationColumns, "payout_destinations") +
                       " WHERE tenant = $1 AND customer_id = $2 AND id > $3 ORDER BY id LIMIT $4",
                   {tenant, customer_id, after_id, static_cast<int64_t>(limit)},
                   [&](const store::Row& row) { list.push_back(ReadDestination(row)); });
  return list;
}

std::optional<Deposit> PayoutStore::FindDepositByReference(store::Connection& connection,
                                                           std::string_view tenant,
                                                           std::string_view reference) {
  std::optional<Deposit> found;
  connection.Query(
      Select(kDepositColumns, "treasury_deposits") + " WHERE tenant = $1 AND reference = $2",
      {tenant, reference}, [&](const store::Row& row) { found = ReadDeposit(row); });
  return found;
}

void PayoutStore::InsertDeposit(store::Connection& connection, const Deposit& d) {
  connection.Execute(
      "INSERT INTO treasury_deposits (" + std::string(kDepositColumns) +
          ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
      {std::string_view(d.tenant), std::string_view(d.id), std::string_view(d.account),
       std::string_view(d.asset), store::Int128{d.amount}, std::string_view(d.reference),
       std::string_view(d.actor), d.created_at_ms});
}

}  // namespace cambista::payouts
