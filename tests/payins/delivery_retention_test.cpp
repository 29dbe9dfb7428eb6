// The retention of raw webhook bodies (payins::DeliveryBodiesRetentionRule, run by
// jobs::Retention): once a delivery is older than retention.days its body is blanked, while its
// row (gateway, charge, outcome, verified) stays for the audit; recent deliveries keep their body.
#include "charges_api.hpp"
#include "jobs/retention.hpp"
#include "payins/store.hpp"

namespace cambista::payins {
namespace {

constexpr int64_t kDayMs = 24 * 3'600'000;

class DeliveryRetentionTest : public test_support::ChargesApiTest {
 protected:
  struct Row {
    std::string outcome;
    int64_t verified = 0;
    std::string charge_id;
    int64_t body_bytes = 0;
  };
  std::vector<Row> Rows() {
    std::vector<Row> rows;
    auto connection = db().Connect();
    connection->Query(
        "SELECT outcome, verified, charge_id, length(body) FROM gateway_deliveries ORDER BY id", {},
        [&rows](const store::Row& row) {
          rows.push_back(Row{std::string(row.Text(0)), row.Int64(1),
                             row.IsNull(2) ? "" : std::string(row.Text(2)),
                             row.IsNull(3) ? 0 : row.Int64(3)});
        });
    return rows;
  }
  // Purges in batches as the retention job does, until nothing is left to purge.
  int64_t Purge(jobs::Retention& retention) {
    auto connection = db().Connect();
    int64_t purged = 0;
    for (;;) {
      const int64_t batch = retention.PurgeBatch(*connection, 0, retention.CutoffMs());
      if (batch == 0) return purged;
      purged += batch;
    }
  }
};

TEST_P(DeliveryRetentionTest, OldBodiesAreBlankedAndTheirRowsStay) {
  jobs::Retention retention(clock_, jobs::RetentionOptions{.days = 30, .batch_rows = 1});
  retention.AddRule(DeliveryBodiesRetentionRule());
  ASSERT_EQ(retention.rules().size(), 1u);
  EXPECT_EQ(retention.rules()[0].table, "gateway_deliveries");

  // Day 0: a payment's webhook (applied) and a forged one (refused).
  const Charge old_charge = CreateAt("wiinpay", "10.00");
  ASSERT_EQ(Control(old_charge, "pay"), 200);
  ASSERT_TRUE(WaitForStatus(old_charge, ChargeStatus::kPaid));
  EXPECT_EQ(Post("/webhooks/wiinpay/default/forged", R"({"id":"x","status":"paid"})").status, 401);
  // Day 31: the same again.
  clock_.AdvanceMs(31 * kDayMs);
  const Charge new_charge = CreateAt("wiinpay", "11.00");
  ASSERT_EQ(Control(new_charge, "pay"), 200);
  ASSERT_TRUE(WaitForStatus(new_charge, ChargeStatus::kPaid));
  EXPECT_EQ(Post("/webhooks/wiinpay/default/forged", R"({"id":"y","status":"paid"})").status, 401);
  const std::vector<Row> before = Rows();
  ASSERT_EQ(before.size(), 4u);
  for (const Row& row : before) EXPECT_GT(row.body_bytes, 0);

  EXPECT_EQ(Purge(retention), 2);  // one row a statement, as batch_rows says
  const std::vector<Row> after = Rows();
  ASSERT_EQ(after.size(), 4u);  // every row stays
  for (size_t i = 0; i < after.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(after[i].outcome, before[i].outcome);
    EXPECT_EQ(after[i].verified, before[i].verified);
    EXPECT_EQ(after[i].charge_id, before[i].charge_id);
    // The first two are 31 days old: their bodies went; the last two keep theirs.
    EXPECT_EQ(after[i].body_bytes, i < 2 ? 0 : before[i].body_bytes);
  }
  EXPECT_EQ(after[0].outcome, "applied");
  EXPECT_EQ(after[0].charge_id, old_charge.id);
  EXPECT_EQ(after[1].outcome, "invalid_token");
  // Blanked once is not purgeable again; the charges are untouched.
  EXPECT_EQ(Purge(retention), 0);
  EXPECT_EQ(StatusOf(old_charge), ChargeStatus::kPaid);
  // The dedupe key of the applied delivery still holds: a replay of the old webhook is a duplicate.
  const auto replay = Post(CallbackPath(old_charge), PaidWebhook(old_charge, 1000));
  EXPECT_NE(replay.body.find("\"duplicate\""), std::string::npos) << replay.body;
  EXPECT_EQ(MerchantBalance("default", "BRL"), 2100);
}

INSTANTIATE_BACKENDS(DeliveryRetentionTest);

}  // namespace
}  // namespace cambista::payins
