#include "app/sealed_columns.hpp"

#include <array>

#include "api/api_key_store.hpp"
#include "api/idempotency.hpp"
#include "events/webhook_delivery.hpp"
#include "payins/charge_service.hpp"

namespace cambista::app {

std::span<const SealedColumn> SealedColumns() {
  // Each context comes from the code that seals the column, so the two cannot drift apart.
  static const std::array<SealedColumn, 5> kColumns = {{
      {"gateway_credentials",
       "credentials_sealed",
       {"tenant", "gateway"},
       [](std::span<const std::string> key) { return payins::CredentialContext(key[0], key[1]); }},
      {"api_keys",
       "totp_secret",
       {"prefix"},
       [](std::span<const std::string> key) { return api::TotpSecretContext(key[0]); }},
      {"idempotency_keys",
       "response_body",
       {"tenant", "idempotency_key"},
       [](std::span<const std::string> key) {
         return api::IdempotencyResponseContext(key[0], key[1]);
       }},
      {"webhook_endpoints",
       "secret_sealed",
       {"id"},
       [](std::span<const std::string> key) { return events::EndpointSecretContext(key[0]); }},
      {"database_seal",
       "api_key_pepper_sealed",
       {},
       [](std::span<const std::string>) { return std::string(kApiKeyPepperContext); }},
  }};
  return kColumns;
}

std::vector<SealedValue> ReadSealedValues(store::Connection& connection, const SealedColumn& column,
                                          int64_t limit, bool lock_rows) {
  std::string keys;
  for (std::string_view key : column.key_columns) keys += std::string(key) + ", ";
  std::string sql = "SELECT " + keys + std::string(column.column) + " FROM " +
                    std::string(column.table) + " WHERE " + std::string(column.column) +
                    " IS NOT NULL";
  if (!keys.empty()) sql += " ORDER BY " + keys.substr(0, keys.size() - 2);
  if (limit > 0) sql += " LIMIT " + std::to_string(limit);
  if (lock_rows && connection.backend() == store::Backend::kPostgres) sql += " FOR UPDATE";
  std::vector<SealedValue> values;
  const int key_count = static_cast<int>(column.key_columns.size());
  connection.Query(sql, {}, [&](const store::Row& row) {
    SealedValue value;
    for (int i = 0; i < key_count; ++i) value.key.emplace_back(row.Text(i));
    value.sealed = row.Bytes(key_count);
    values.push_back(std::move(value));
  });
  return values;
}

int64_t WriteSealedValue(store::Connection& connection, const SealedColumn& column,
                         std::span<const std::string> key, std::string_view sealed) {
  std::string sql =
      "UPDATE " + std::string(column.table) + " SET " + std::string(column.column) + " = $1";
  std::vector<store::Param> params{store::Blob{sealed}};
  for (size_t i = 0; i < column.key_columns.size(); ++i) {
    sql += (i == 0 ? " WHERE " : " AND ") + std::string(column.key_columns[i]) + " = $" +
           std::to_string(i + 2);
    params.emplace_back(std::string_view(key[i]));
  }
  return connection.Execute(sql, params);
}

std::string DescribeSealedValue(const SealedColumn& column, std::span<const std::string> key) {
  std::string text = std::string(column.table) + "." + std::string(column.column);
  if (column.key_columns.empty()) return text;
  text += " of the row ";
  for (size_t i = 0; i < column.key_columns.size(); ++i) {
    text += (i == 0 ? "" : ", ") + std::string(column.key_columns[i]) + "=" + key[i];
  }
  return text;
}

}  // namespace cambista::app
