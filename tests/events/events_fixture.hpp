// Fixture of the events tests: a fresh migrated database per backend, one connection for the test
// body, a ManualClock, a SecretBox, and helpers that write webhook endpoints the way the API does
// (events/webhook_endpoints.cpp) and read back the delivery jobs and attempts.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/api_key_store.hpp"
#include "core/clock.hpp"
#include "events/event_outbox.hpp"
#include "events/webhook_delivery.hpp"
#include "jobs/job_table.hpp"
#include "security/hmac.hpp"
#include "security/secret_box.hpp"
#include "store/database.hpp"
#include "test_database.hpp"

namespace cambista::events {

struct TestEndpoint {
  std::string id;
  std::string secret;  // "whsec_..."
};

class EventsTest : public testing::DatabaseTest {
 protected:
  void SetUp() override {
    DatabaseTest::SetUp();
    if (IsSkipped()) return;
    connection_ = db().Connect();
  }
  void TearDown() override {
    connection_.reset();
    DatabaseTest::TearDown();
  }

  store::Connection& connection() { return *connection_; }

  // A webhook_endpoints row with a fresh sealed whsec_ secret; `event_types` comma-separated.
  TestEndpoint AddEndpoint(std::string_view tenant, std::string_view url,
                           std::string_view event_types) {
    TestEndpoint endpoint{"we_" + HexEncode(RandomBytes(12)),
                          "whsec_" + Base64Encode(RandomBytes(24))};
    const std::string sealed = box_.Seal(endpoint.secret, EndpointSecretContext(endpoint.id));
    connection().Execute(
        "INSERT INTO webhook_endpoints (id, tenant, url, event_types, secret_sealed, "
        "created_at_ms) VALUES ($1, $2, $3, $4, $5, $6)",
        {std::string_view(endpoint.id), tenant, url, event_types, store::Blob{sealed},
         clock_.NowMs()});
    return endpoint;
  }

  void SetEndpointTime(std::string_view endpoint_id, std::string_view column, int64_t at_ms) {
    connection().Execute(
        "UPDATE webhook_endpoints SET " + std::string(column) + " = $2 WHERE id = $1",
        {endpoint_id, at_ms});
  }

  std::optional<int64_t> EndpointDisabledAtMs(std::string_view endpoint_id) {
    std::optional<int64_t> disabled_at_ms;
    connection().Query("SELECT disabled_at_ms FROM webhook_endpoints WHERE id = $1", {endpoint_id},
                       [&](const store::Row& row) {
                         if (!row.IsNull(0)) disabled_at_ms = row.Int64(0);
                       });
    return disabled_at_ms;
  }

  EmittedEvent EmitCommitted(const NewEvent& event, int attempts_max = 5) {
    store::Transaction tx(connection(), store::TransactionMode::kWrite);
    const EmittedEvent emitted = EmitEvent(connection(), clock_, event, attempts_max);
    tx.Commit();
    return emitted;
  }

  // Every webhook.deliver job, in id order.
  std::vector<jobs::JobRecord> DeliveryJobs() {
    std::vector<int64_t> ids;
    connection().Query("SELECT id FROM jobs WHERE kind = $1 ORDER BY id",
                       {std::string_view(kDeliverJobKind)},
                       [&](const store::Row& row) { ids.push_back(row.Int64(0)); });
    std::vector<jobs::JobRecord> records;
    for (const int64_t id : ids) records.push_back(jobs::LoadJob(connection(), id).value());
    return records;
  }

  int64_t CountRows(std::string_view table) {
    int64_t count = -1;
    connection().Query("SELECT COUNT(*) FROM " + std::string(table), {},
                       [&](const store::Row& row) { count = row.Int64(0); });
    return count;
  }

  ManualClock clock_;
  const SecretBox box_ = api::MakeSecretBox("events-test-master-key");

 private:
  std::unique_ptr<store::Connection> connection_;
};

}  // namespace cambista::events
