// Rotation of the master key (app/master_key_rotate.hpp) on both backends. Secrets are written by
// the code that writes them in `serve` (API keys with TOTP, a webhook endpoint through its route,
// which also stores a sealed idempotent response, gateway credentials through the charge service);
// after the rotation every sealed value opens with the new key and none with the old, and the
// same services built with the new key read them all. A rotation that meets a value it cannot open
// changes nothing. And every binary column of the schema is either in the table of sealed columns
// or known to hold no secret, so a new sealed column cannot be left out of the rotation unnoticed.
#include "app/master_key_rotate.hpp"

#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "api/api_key_store.hpp"
#include "api/auth.hpp"
#include "api/idempotency.hpp"
#include "app/sealed_columns.hpp"
#include "events/webhook_delivery.hpp"
#include "events/webhook_endpoints.hpp"
#include "http/router.hpp"
#include "ledger/ledger.hpp"
#include "master_key_fixture.hpp"
#include "net/http_client.hpp"
#include "payins/charge_service.hpp"
#include "payins/registry.hpp"
#include "providers/providers.hpp"
#include "security/hmac.hpp"
#include "security/token_bucket.hpp"
#include "security/totp.hpp"

namespace cambista::app {
namespace {

// Binary columns that hold no sealed value, and why.
const std::set<std::string> kNotSealed = {
    // Ledger ids and user data (SQLite BLOB(16); uuid on PostgreSQL), and posting lists.
    "ledger_accounts.id", "ledger_accounts.user_data_128", "ledger_transfers.id",
    "ledger_transfers.debit_account_id", "ledger_transfers.credit_account_id",
    "ledger_transfers.pending_id", "ledger_transfers.user_data_128",
    "ledger_account_history.account_id", "ledger_account_history.timestamps",
    "ledger_transfer_failures.id", "ledger_pending.id", "ledger_chart.account_id",
    // A keyed hash under the API-key pepper, which the seal keeps across rotations.
    "api_keys.secret_hash",
    // SHA-256 of a request, to tell a replay from another request.
    "idempotency_keys.request_hash",
    // Gateways' webhook deliveries as received (kept for the audit; they carry no secret of ours).
    "gateway_deliveries.body"};

// The services that seal secrets, built from the database's keys as `serve` builds them.
struct SealingServices {
  SealingServices(store::Database& database, const Clock& clock, const DatabaseKeys& keys)
      : box(api::MakeSecretBox(keys.master_key)),
        api_keys(database, clock, keys.master_key, keys.api_key_pepper),
        per_key(clock, {1000, 1000}),
        per_ip(clock, {1000, 1000}),
        gate{api_keys, per_key, per_ip},
        idempotency(database, clock, box),
        ledger(database, clock),
        chart(database, ledger),
        lanes(clock),
        charges(database, ledger, chart, assets, box, clock,
                [this, &clock](std::string_view name, const payins::Credentials& credentials)
                    -> Result<std::unique_ptr<payins::PayinGateway>, payins::ChargeError> {
                  payins::GatewayContext context{&http, &clock, "http://127.0.0.1:9", 1'000};
                  auto built = registry.Build(name, credentials, context);
                  if (!built.ok()) {
                    return Failure(payins::AsChargeError(built.error()));
                  }
                  return std::move(built).value();
                },
                lanes, {}) {
    payins::RegisterPayinGateways(registry);
    // Registration resolves the host, and this machine resolves no public name: allow any.
    events::AddWebhookEndpointRoutes(router, gate, idempotency, box, database, clock, 12, true);
  }

  // POST /v1/webhook-endpoints, always with the same Idempotency-Key and body.
  http::HttpResponse PostEndpoint(const std::string& api_key) {
    http::HttpRequest request;
    request.method = "POST";
    request.path = request.target = "/v1/webhook-endpoints";
    request.headers = {{"Authorization", "Bearer " + api_key},
                       {"Idempotency-Key", "rotation-seed"},
                       {"Content-Type", "application/json"}};
    request.body = R"({"url":"https://hooks.example.com/cambista","event_types":["charge.paid"]})";
    request.remote_address = "127.0.0.1";
    return router.Handle(request);
  }

  const SecretBox box;
  api::ApiKeyStore api_keys;
  TokenBucketLimiter per_key;
  TokenBucketLimiter per_ip;
  api::AuthGate gate;
  api::Idempotency idempotency;
  const AssetRegistry assets = AssetRegistry::WithBuiltins();
  const net::HttpClient http;
  payins::GatewayRegistry registry;
  ledger::Ledger ledger;
  accounting::Chart chart;
  payins::GatewayLanes lanes;
  payins::ChargeService charges;
  http::Router router;
};

// The string value of "name" in a flat JSON object, or "".
std::string JsonField(const std::string& json, const std::string& name) {
  const std::string marker = "\"" + name + "\":\"";
  const size_t start = json.find(marker);
  if (start == std::string::npos) return "";
  const size_t from = start + marker.size();
  return json.substr(from, json.find('"', from) - from);
}

class RotateTest : public MasterKeyTest {
 protected:
  struct Seeded {
    std::string api_key;
    std::string prefix;
    std::optional<TotpSecret> totp;
    std::string endpoint_response;
  };

  // One value in every sealed column, written by the services under `keys`.
  Seeded Seed(const DatabaseKeys& keys) {
    SealingServices services(db(), clock_, keys);
    Seeded seeded{services.api_keys.Create("acme", ScopeSet{Scope::kAdmin}), "", std::nullopt, ""};
    seeded.prefix = seeded.api_key.substr(4, 8);
    const auto uri = services.api_keys.EnrollTotp(seeded.prefix);
    EXPECT_TRUE(uri.has_value());
    const size_t at = uri ? uri->find("secret=") + 7 : 0;
    auto totp = TotpSecret::FromBase32(uri ? uri->substr(at, uri->find('&', at) - at) : "");
    EXPECT_TRUE(totp.ok());
    if (totp.ok()) seeded.totp = totp.value();
    const http::HttpResponse created = services.PostEndpoint(seeded.api_key);
    EXPECT_EQ(created.status, 201) << created.body;
    seeded.endpoint_response = created.body;
    auto gateway = services.charges.SetGateway("acme", "pushinpay",
                                               sandbox::SandboxCredentials("pushinpay"), 10);
    EXPECT_TRUE(gateway.ok()) << (gateway.ok() ? "" : gateway.error().detail);
    return seeded;
  }

  // Every sealed value, by "table.column:row key".
  std::map<std::string, std::string> SealedSnapshot() {
    auto connection = db().Connect();
    std::map<std::string, std::string> snapshot;
    for (const SealedColumn& column : SealedColumns()) {
      for (const SealedValue& value : ReadSealedValues(*connection, column, 0, false)) {
        snapshot[DescribeSealedValue(column, value.key)] = value.sealed;
      }
    }
    return snapshot;
  }

  DatabaseKeys Unseal(const std::string& key_file) {
    auto unsealed = MigrateAndUnseal(ConfigWithKeyFile(key_file), db(), clock_);
    EXPECT_TRUE(unsealed.ok()) << unsealed.error();
    return unsealed.ok() ? unsealed.value().keys : DatabaseKeys{};
  }
};

TEST_P(RotateTest, EverySealedValueMovesToTheNewKey) {
  const DatabaseKeys old_keys = Unseal("old.key");
  const Seeded seeded = Seed(old_keys);
  auto connection = db().Connect();
  for (const SealedColumn& column : SealedColumns()) {  // a listed column must be seeded above
    EXPECT_FALSE(ReadSealedValues(*connection, column, 0, false).empty())
        << column.table << "." << column.column << " has no value to rotate: seed one";
  }

  ASSERT_TRUE(CreateMasterKeyFileIfMissing(KeyFile("new.key")).ok());
  const std::string new_key = ReadMasterKeyFile(KeyFile("new.key")).value();
  auto report = RotateMasterKey(*connection, old_keys, new_key, clock_);
  ASSERT_TRUE(report.ok()) << report.error();
  EXPECT_EQ(report.value().ToJson(),
            "{\"resealed\":{\"gateway_credentials\":1,\"api_keys\":1,\"idempotency_keys\":1,"
            "\"webhook_endpoints\":1,\"database_seal\":1},\"fingerprint\":\"" +
                MasterKeyFingerprint(new_key).substr(0, 16) + "\"}");

  // The old key is refused; the new one opens the database, with the same API-key pepper.
  EXPECT_FALSE(MigrateAndUnseal(ConfigWithKeyFile("old.key"), db(), clock_).ok());
  const DatabaseKeys new_keys = Unseal("new.key");
  EXPECT_EQ(new_keys.master_key, new_key);
  EXPECT_EQ(new_keys.api_key_pepper, old_keys.api_key_pepper);
  const SecretBox old_box = api::MakeSecretBox(old_keys.master_key);
  const SecretBox new_box = api::MakeSecretBox(new_key);
  for (const SealedColumn& column : SealedColumns()) {
    for (const SealedValue& value : ReadSealedValues(*connection, column, 0, false)) {
      const std::string where = DescribeSealedValue(column, value.key);
      EXPECT_TRUE(new_box.Open(value.sealed, column.context(value.key)).ok()) << where;
      EXPECT_FALSE(old_box.Open(value.sealed, column.context(value.key)).ok()) << where;
    }
  }

  // The services, built with the new key, read every secret.
  SealingServices services(db(), clock_, new_keys);
  EXPECT_TRUE(services.api_keys.Authenticate(seeded.api_key).ok());
  ASSERT_TRUE(seeded.totp.has_value());
  EXPECT_EQ(
      services.api_keys.CheckTotp(seeded.prefix, TotpCode(*seeded.totp, clock_.NowMs() / 1000)),
      api::ApiKeyStore::TotpCheck::kOk);
  const http::HttpResponse replayed = services.PostEndpoint(seeded.api_key);
  EXPECT_EQ(replayed.status, 201);
  EXPECT_EQ(replayed.body, seeded.endpoint_response);
  const std::string endpoint_id = JsonField(seeded.endpoint_response, "id");
  std::string endpoint_secret;
  connection->Query("SELECT secret_sealed FROM webhook_endpoints WHERE id = $1",
                    {std::string_view(endpoint_id)}, [&](const store::Row& row) {
                      auto opened =
                          new_box.Open(row.Bytes(0), events::EndpointSecretContext(endpoint_id));
                      if (opened.ok()) endpoint_secret = opened.value();
                    });
  EXPECT_EQ(endpoint_secret, JsonField(seeded.endpoint_response, "secret"));
  EXPECT_EQ(endpoint_secret.rfind("whsec_", 0), 0u);
  const auto gateways = services.charges.Gateways("acme");
  ASSERT_EQ(gateways.size(), 1u);
  std::vector<std::string> names;
  for (const auto& [name, value] : sandbox::SandboxCredentials("pushinpay")) names.push_back(name);
  EXPECT_EQ(gateways[0].credential_names, names);
}

TEST_P(RotateTest, AValueThatDoesNotOpenChangesNothing) {
  const DatabaseKeys old_keys = Unseal("old.key");
  const Seeded seeded = Seed(old_keys);
  const std::string endpoint_id = JsonField(seeded.endpoint_response, "id");
  auto connection = db().Connect();
  const SealedColumn* endpoints = nullptr;
  for (const SealedColumn& column : SealedColumns()) {
    if (column.table == "webhook_endpoints") endpoints = &column;
  }
  ASSERT_NE(endpoints, nullptr);
  // One altered byte: the last column but one, so the columns before it are re-sealed first.
  std::string sealed = ReadSealedValues(*connection, *endpoints, 0, false).at(0).sealed;
  sealed.back() = static_cast<char>(sealed.back() ^ 1);
  ASSERT_EQ(WriteSealedValue(*connection, *endpoints, std::vector{endpoint_id}, sealed), 1);
  const auto before = SealedSnapshot();
  const auto fingerprint = SealedFingerprint();

  ASSERT_TRUE(CreateMasterKeyFileIfMissing(KeyFile("new.key")).ok());
  auto report =
      RotateMasterKey(*connection, old_keys, ReadMasterKeyFile(KeyFile("new.key")).value(), clock_);
  ASSERT_FALSE(report.ok());
  EXPECT_NE(report.error().find("webhook_endpoints.secret_sealed of the row id=" + endpoint_id),
            std::string::npos)
      << report.error();
  EXPECT_NE(report.error().find("nothing was changed"), std::string::npos);
  EXPECT_EQ(SealedSnapshot(), before);
  EXPECT_EQ(SealedFingerprint(), fingerprint);
  EXPECT_EQ(Unseal("old.key").api_key_pepper, old_keys.api_key_pepper);

  // The current key again as the new one: refused too.
  auto same = RotateMasterKey(*connection, old_keys, old_keys.master_key, clock_);
  ASSERT_FALSE(same.ok());
  EXPECT_NE(same.error().find("is the current one"), std::string::npos);
}

TEST_P(RotateTest, EveryBinaryColumnIsSealedOrKnownToHoldNoSecret) {
  std::set<std::string> sealed;
  for (const SealedColumn& column : SealedColumns()) {
    sealed.insert(std::string(column.table) + "." + std::string(column.column));
  }
  auto connection = db().Connect();
  const std::string_view sql =
      backend() == store::Backend::kSqlite
          ? "SELECT m.name, p.name FROM sqlite_master m, pragma_table_info(m.name) p WHERE "
            "m.type = 'table' AND upper(p.type) LIKE 'BLOB%'"
          : "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema "
            "= current_schema() AND data_type = 'bytea'";
  std::set<std::string> binary;
  connection->Query(sql, {}, [&](const store::Row& row) {
    binary.insert(std::string(row.Text(0)) + "." + std::string(row.Text(1)));
  });
  for (const std::string& column : binary) {
    EXPECT_TRUE(sealed.count(column) + kNotSealed.count(column) == 1)
        << column << " is binary: add it to SealedColumns() (app/sealed_columns.cpp) if it "
        << "holds sealed values, else to kNotSealed here";
  }
  for (const std::string& column : sealed) EXPECT_TRUE(binary.count(column)) << column;
}

INSTANTIATE_BACKENDS(RotateTest);

}  // namespace
}  // namespace cambista::app
