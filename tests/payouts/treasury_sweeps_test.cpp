// Treasury sweeps over real HTTP against the BuhoPago simulator (the whole server in process, on
// each backend, with a manual clock so that windows change only when a test says): VES charges
// paid at the simulator grow its capacity and the books' clearing account alike; a sweep below
// the minimum credits nothing; above it exactly one credit per window reaches the simulator,
// however often the sweep runs in the window, and the books post it (clearing -> treasury:bank)
// once the provider confirms it; the next window credits again. The capacity metrics and the
// treasury.capacity_alert event (once per window above its level) follow the readings. A credit
// whose answer is lost is resolved by asking the provider, never by a second credit; a credit that
// never arrived stays held on the books, so the next window credits nothing more, and goes to
// manual review. `ledger verify` passes after each.
#include <chrono>
#include <functional>
#include <map>
#include <thread>

#include "app/config.hpp"
#include "ledger/auditor.hpp"
#include "payouts/treasury_sweeps.hpp"
#include "payouts_server_fixture.hpp"

namespace cambista::app {
namespace {

using payins::JsonDocument;
using payins::JsonNode;

constexpr int64_t kIntervalMs = 30 * 60'000;
// A minute into a window: the schedule's first run (at start) and the next, an interval on, fall
// in consecutive windows.
constexpr int64_t kWindowZeroMs = 1'699'999'200'000;  // a multiple of kIntervalMs
constexpr int64_t kStartMs = kWindowZeroMs + 60'000;

bool Eventually(const std::function<bool()>& condition) {
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!condition()) {
    if (std::chrono::steady_clock::now() > give_up) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

// A member's text at a path of object keys ("runs.0.result": array indexes as numbers), or "".
std::string At(const std::string& json, std::initializer_list<std::string_view> path) {
  auto document = JsonDocument::Parse(json);
  if (!document.ok()) return "";
  const JsonNode* node = &document.value().root();
  for (std::string_view step : path) {
    if (node->IsArray()) {
      const size_t index = static_cast<size_t>(std::stoul(std::string(step)));
      if (index >= node->size()) return "";
      node = &node->child(index);
    } else {
      node = node->Find(step);
    }
    if (node == nullptr) return "";
  }
  return std::string(node->text());
}

class TreasurySweepsTest : public PayoutsServerTest {
 protected:
  void Configure(Config& config) override {
    config.rate_key_burst = 1'000'000;  // the clock stands still: no bucket refills
    config.module_values["treasury.sweep_interval_minutes"] = "30";
    config.module_values["treasury.bank"] = "0102";
    config.module_values["treasury.bank_account"] = "0102-0000-00-0000000042";
    config.module_values["treasury.bank_document"] = "J000029610";
    config.module_values["treasury.capacity_alert.VES"] = "250.00";
  }
  const Clock* ServerClock() override { return &manual_; }

  // The start-up run of the schedule has recorded its reading (nothing there yet): from here on
  // only the tests' runs, and the schedule's next one an interval on, read the capacity.
  void WaitForTheFirstRun() {
    ASSERT_TRUE(Eventually([&] {
      return At(Send("GET", "/v1/treasury/sweeps", admin_).body, {"data", "0", "checks"}) == "1";
    }));
  }
  // A VES charge of the tenant's, paid at the simulator and PAID on the books: the simulator's
  // capacity and the clearing account both grow by the amount less BuhoPago's 5% + 16% IVA on it.
  void PayCharge(std::string_view amount) {
    const Reply charge =
        Send("POST", "/v1/charges", admin_,
             R"({"amount":")" + std::string(amount) +
                 R"(","currency":"VES","gateway":"buhopago","description":"Pedido 123",)"
                 R"("customer":{"name":"Ana","email":"ana@example.com"}})",
             "charge-" + std::to_string(++idempotency_keys_));
    ASSERT_EQ(charge.status, 201) << charge.body;
    const std::string pay =
        "/sandbox/buhopago/charges/" + charge.Field("gateway_charge_id") + "/pay";
    ASSERT_EQ(Send("POST", pay, "").status, 200);
    ASSERT_TRUE(Eventually([&] {
      return Send("GET", "/v1/charges/" + charge.Field("id"), admin_).Field("status") == "PAID";
    }));
  }
  // A payment the books never hear of: a link made and paid at the simulator directly.
  void PayOutsideTheBooks(std::string_view amount) {
    net::ClientRequest request;
    request.method = "POST";
    request.url = server_->url() + "/sandbox/buhopago/api/v1/payment-links";
    request.headers = {{"Authorization", "Bearer bp_test_sandbox_buhopago_api_key"},
                       {"Content-Type", "application/json"}};
    request.body = R"({"amount":)" + std::string(amount) + R"(,"description":"Outside"})";
    auto link = http_.Send(request);
    ASSERT_TRUE(link.ok() && link.value().status == 201);
    const std::string id = At(link.value().body, {"id"});
    ASSERT_EQ(Send("POST", "/sandbox/buhopago/charges/" + id + "/pay", "").status, 200);
  }
  // One sweep now (POST /v1/treasury/sweeps/run): the answer, whose runs[0] is BuhoPago's VES.
  Reply Run() {
    const Reply run = Send("POST", "/v1/treasury/sweeps/run", admin_);
    EXPECT_EQ(run.status, 200) << run.body;
    return run;
  }
  static std::string Result(const Reply& run) { return At(run.body, {"runs", "0", "result"}); }
  static std::string Swept(const Reply& run, std::string_view field) {
    return At(run.body, {"runs", "0", "sweep", field});
  }
  // The credits the simulator holds.
  int Credits() {
    auto document = JsonDocument::Parse(Send("GET", "/sandbox/buhopago/credits", "").body);
    return document.ok() ? static_cast<int>(document.value().root().Find("data")->size()) : -1;
  }
  std::string Credit(std::string_view field) {
    return At(Send("GET", "/sandbox/buhopago/credits", "").body, {"data", "0", field});
  }
  std::string PayoutStatus(const std::string& id) {
    return Send("GET", "/v1/payouts/" + id, admin_).Field("status");
  }
  // An account's posted balance in VES, from GET /v1/balances.
  std::string Balance(std::string_view kind, std::string_view qualifier) {
    const std::string body = Send("GET", "/v1/balances", admin_).body;
    const std::string key = R"("kind":")" + std::string(kind) + R"(","qualifier":")" +
                            std::string(qualifier) + R"(","currency":"VES")";
    const size_t at = body.find(key);
    if (at == std::string::npos) return "";
    const size_t posted = body.find("\"posted\":\"", at) + 10;
    return body.substr(posted, body.find('"', posted) - posted);
  }
  int64_t Alerts() {
    auto connection = db().Connect();
    int64_t count = 0;
    connection->Query("SELECT count(*) FROM events WHERE type = 'treasury.capacity_alert'", {},
                      [&](const store::Row& row) { count = row.Int64(0); });
    return count;
  }
  void ExpectLedgerConsistent() {
    auto connection = db().Connect();
    const ledger::AuditReport report = ledger::AuditLedger(*connection);
    EXPECT_TRUE(report.consistent()) << report.ToJson();
  }
  // Moves the clock on by `step_ms` until the payout is in `status` (its jobs wait on the clock).
  bool AdvanceUntil(const std::string& payout_id, std::string_view status, int64_t step_ms) {
    return Eventually([&] {
      if (PayoutStatus(payout_id) == status) return true;
      manual_.AdvanceMs(step_ms);
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      return false;
    });
  }

  ManualClock manual_{kStartMs * 1'000'000};
};

TEST_P(TreasurySweepsTest, OneCreditPerWindowAboveTheMinimumPostedWhenTheProviderConfirms) {
  WaitForTheFirstRun();
  PayCharge("50.00");  // 47.10 available: below BuhoPago's 100.00
  Reply run = Run();
  EXPECT_EQ(Result(run), "below_minimum") << run.body;
  EXPECT_EQ(Swept(run, "available"), "47.10");
  EXPECT_EQ(Swept(run, "ledger_available"), "47.10");
  EXPECT_EQ(Credits(), 0);

  PayCharge("200.00");  // 47.10 + 188.40
  run = Run();
  ASSERT_EQ(Result(run), "credited") << run.body;
  EXPECT_EQ(Swept(run, "amount"), "235.50");
  const std::string payout_id = Swept(run, "payout_id");
  ASSERT_TRUE(Eventually([&] { return PayoutStatus(payout_id) == "CONFIRMED"; }));
  EXPECT_EQ(Credits(), 1);
  EXPECT_EQ(Credit("amount"), "235.5");
  EXPECT_EQ(Credit("bank_account_id"), "ba_sandbox_desk");
  EXPECT_EQ(Credit("idempotency_key"), payouts::SweepReference("buhopago", "VES", kWindowZeroMs));
  const Reply payout = Send("GET", "/v1/payouts/" + payout_id, admin_);
  EXPECT_EQ(payout.Field("origin"), "sweep");
  EXPECT_EQ(At(payout.body, {"destination", "account"}), "01020000000000000042");
  EXPECT_EQ(Balance("treasury", "bank"), "235.50");
  EXPECT_EQ(Balance("gateway_clearing", "buhopago"), "0.00");
  EXPECT_EQ(Alerts(), 0);  // 235.50 is below the 250.00 level

  // The same window: however often it runs, and with more to credit, no second credit.
  PayCharge("300.00");  // 282.60 available, above the alert level
  run = Run();
  EXPECT_EQ(Result(run), "swept_already") << run.body;
  EXPECT_EQ(Swept(run, "payout_status"), "CONFIRMED");
  EXPECT_EQ(Result(Run()), "swept_already");
  EXPECT_EQ(Credits(), 1);
  EXPECT_EQ(Alerts(), 1);  // once in the window
  EXPECT_EQ(Send("POST", "/v1/treasury/sweeps/run", reader_).status, 403);

  // The next window: the schedule's run and ours race for it; one of them credits, once.
  manual_.AdvanceMs(kIntervalMs);
  const std::string next = Result(Run());
  EXPECT_TRUE(next == "credited" || next == "swept_already") << next;
  ASSERT_TRUE(Eventually([&] {
    return At(Send("GET", "/v1/treasury/sweeps", admin_).body, {"data", "0", "payout_status"}) ==
           "CONFIRMED";
  }));
  EXPECT_EQ(Credits(), 2);
  EXPECT_EQ(Balance("treasury", "bank"), "518.10");
  EXPECT_EQ(Alerts(), 2);
  EXPECT_EQ(Result(Run()), "swept_already");  // read after the credit: the metrics' figures
  const std::string metrics = Send("GET", "/metrics", admin_).body;
  for (const char* line :
       {R"(cambista_provider_capacity_available{provider="buhopago",asset="VES"} 0)",
        R"(cambista_provider_capacity_processed_total{provider="buhopago",asset="VES"} 550)",
        R"(cambista_provider_capacity_credited_total{provider="buhopago",asset="VES"} 518.1)",
        R"(cambista_provider_capacity_utilization_ratio{provider="buhopago",asset="VES"} 0.942)"}) {
    EXPECT_NE(metrics.find(std::string(line) + "\n"), std::string::npos) << line << "\n" << metrics;
  }
  const Reply sweeps = Send("GET", "/v1/treasury/sweeps?limit=1", admin_);
  EXPECT_EQ(At(sweeps.body, {"data", "0", "window_start_ms"}),
            std::to_string(kWindowZeroMs + kIntervalMs));
  EXPECT_EQ(
      At(Send("GET", "/v1/treasury/sweeps?cursor=" + At(sweeps.body, {"next_cursor"}), admin_).body,
         {"data", "0", "checks"}),
      "5");  // the start-up run and four of ours
  ExpectLedgerConsistent();
}

// The providers' deadline cut to 4 s, so that a 9 s late answer outlasts it.
class TreasurySweepsTimeoutTest : public TreasurySweepsTest {
 protected:
  void Configure(Config& config) override {
    TreasurySweepsTest::Configure(config);
    config.webhook_timeout_ms = 4'000;
  }
};

TEST_P(TreasurySweepsTimeoutTest, ACreditWhoseAnswerIsLostIsResolvedByAskingNeverSentTwice) {
  WaitForTheFirstRun();
  PayCharge("200.00");
  const std::string reference = payouts::SweepReference("buhopago", "VES", kWindowZeroMs);
  // The simulator records the credit, then answers after the deadline.
  ASSERT_EQ(Send("POST", "/sandbox/buhopago/faults", "",
                 R"({"idempotency_key":")" + reference + R"(","answer_delay_ms":9000})")
                .status,
            200);
  const Reply run = Run();
  ASSERT_EQ(Result(run), "credited") << run.body;
  const std::string payout_id = Swept(run, "payout_id");
  ASSERT_TRUE(AdvanceUntil(payout_id, "CONFIRMED", 1'000));
  const Reply payout = Send("GET", "/v1/payouts/" + payout_id, admin_);
  EXPECT_NE(payout.body.find(R"("from":"UNKNOWN","to":"CONFIRMED","actor":"provider:buhopago")"),
            std::string::npos)
      << payout.body;
  EXPECT_EQ(Result(Run()), "swept_already");
  EXPECT_EQ(Credits(), 1);
  EXPECT_EQ(Credit("requests"), "1");  // asked about, never sent again
  EXPECT_EQ(Balance("treasury", "bank"), "188.40");
  ExpectLedgerConsistent();
}

TEST_P(TreasurySweepsTest, ACreditThatNeverArrivedStaysHeldAndIsNotMadeAgain) {
  WaitForTheFirstRun();
  // What the provider holds beyond the books is not swept: the smaller figure counts.
  PayOutsideTheBooks("200.00");
  Reply run = Run();
  EXPECT_EQ(Result(run), "ledger_short") << run.body;
  EXPECT_EQ(Swept(run, "available"), "188.40");
  EXPECT_EQ(Swept(run, "ledger_available"), "0.00");
  EXPECT_EQ(Credits(), 0);
  PayCharge("200.00");
  // BuhoPago fails the credit without recording it: its outcome is unknown to us.
  const std::string reference = payouts::SweepReference("buhopago", "VES", kWindowZeroMs);
  ASSERT_EQ(Send("POST", "/sandbox/buhopago/faults", "",
                 R"({"idempotency_key":")" + reference + R"(","execute_status":503})")
                .status,
            200);
  run = Run();
  ASSERT_EQ(Result(run), "credited") << run.body;
  EXPECT_EQ(Swept(run, "amount"), "188.40");  // the books' figure, below the provider's 376.80
  const std::string payout_id = Swept(run, "payout_id");
  ASSERT_TRUE(Eventually([&] { return PayoutStatus(payout_id) == "UNKNOWN"; }));

  // The next window: the provider still shows the volume, but the books hold it for the credit.
  manual_.AdvanceMs(kIntervalMs);
  run = Run();
  EXPECT_EQ(Result(run), "ledger_short") << run.body;
  EXPECT_EQ(Swept(run, "available"), "376.80");
  EXPECT_EQ(Swept(run, "ledger_available"), "0.00");
  // Unresolved for an hour: an operator looks; nothing was ever sent twice.
  ASSERT_TRUE(AdvanceUntil(payout_id, "MANUAL_REVIEW", 60'000));
  EXPECT_EQ(Credits(), 0);
  const Reply payout = Send("GET", "/v1/payouts/" + payout_id, admin_);
  EXPECT_EQ(payout.body.find(R"("to":"SUBMITTED")"), std::string::npos) << payout.body;
  EXPECT_EQ(Balance("treasury", "bank"), "0.00");
  ExpectLedgerConsistent();
}

// Sweeps turned off in the sandbox: nothing runs, the routes say so, and no client can make a
// payout of the treasury's own origin.
class TreasurySweepsOffTest : public PayoutsServerTest {
 protected:
  void Configure(Config& config) override {
    config.module_values["treasury.sweep_enabled"] = "false";
  }
};

TEST_P(TreasurySweepsOffTest, NothingRunsAndNoClientMakesASweep) {
  const Reply run = Send("POST", "/v1/treasury/sweeps/run", admin_);
  EXPECT_EQ(run.status, 409);
  EXPECT_EQ(run.Field("code"), "sweeps_not_configured");
  const Reply sweeps = Send("GET", "/v1/treasury/sweeps", admin_);
  EXPECT_EQ(sweeps.status, 200);
  EXPECT_EQ(At(sweeps.body, {"data", "0", "id"}), "");
  EXPECT_EQ(Send("GET", "/v1/treasury/sweeps?cursor=po_1", admin_).status, 400);
  ASSERT_EQ(Send("PUT", "/v1/customers/c1", writer_, R"({"name":"Ana"})").status / 100, 2);
  const Reply payout = Send("POST", "/v1/payouts", writer_,
                            R"({"customer":"c1","asset":"VES","amount":"150.00","origin":"sweep",)"
                            R"("destination":{"kind":"ves_bank","bank":"0102",)"
                            R"("account":"01020000000000000042","document":"V12345678"}})",
                            "off-1");
  EXPECT_EQ(payout.status, 400) << payout.body;
  EXPECT_EQ(payout.Field("field"), "origin");
}

// A bank account that cannot be the sweeps' stops the server before it starts.
class TreasuryStartTest : public MasterKeyTest {
 protected:
  std::string StartFailure(const std::map<std::string, std::string>& values) {
    Config config = ConfigWithKeyFile("treasury.key");
    config.sandbox = true;
    config.listen_port = 0;
    for (const auto& [path, value] : values) config.module_values[path] = value;
    auto unsealed = MigrateAndUnseal(config, db(), clock_);
    EXPECT_TRUE(unsealed.ok());
    if (!unsealed.ok()) return "";
    try {
      Server server(config, unsealed.value().keys);
    } catch (const std::exception& error) {
      return error.what();
    }
    return "";
  }
};

TEST_P(TreasuryStartTest, APartOrAnotherBanksAccountIsRefused) {
  EXPECT_NE(StartFailure({{"treasury.bank", "0102"}}).find("go together"), std::string::npos);
  const std::string other_bank = StartFailure({{"treasury.bank", "0102"},
                                               {"treasury.bank_account", "01340000000000000001"},
                                               {"treasury.bank_document", "V12345678"}});
  EXPECT_NE(other_bank.find("treasury.bank_account: the account's first four digits are another "
                            "bank's code"),
            std::string::npos)
      << other_bank;
}

TEST(TreasuryConfigTest, EveryKeyIsCheckedAndTheEnvironmentWins) {
  auto config = LoadConfigText(
      "[treasury]\nsweep_interval_minutes = 15\ntenant = \"desk\"\nbank = \"0134\"\n"
      "bank_account = \"0134-0000-00-0000000001\"\nbank_document = \"J-00002961-0\"\n"
      "[treasury.min_withdrawal]\nVES = \"500.00\"\n[treasury.capacity_alert]\nVES = "
      "\"10000.00\"\n",
      "c.toml", {{"CAMBISTA_TREASURY_SWEEP_INTERVAL_MINUTES", "45"}});
  ASSERT_TRUE(config.ok()) << config.error().ToString();
  EXPECT_EQ(config->module_values.at("treasury.sweep_interval_minutes"), "45");
  EXPECT_EQ(config->module_values.at("treasury.min_withdrawal.VES"), "500.00");
  EXPECT_EQ(config->module_values.at("treasury.capacity_alert.VES"), "10000.00");
  auto nested = LoadConfigText("[payouts.approval_thresholds]\nUSDT = \"1000.00\"\n", "c.toml", {});
  ASSERT_TRUE(nested.ok()) << nested.error().ToString();
  EXPECT_EQ(nested->module_values.at("payouts.approval_thresholds.USDT"), "1000.00");
  auto unknown = LoadConfigText("[treasury.minimum]\nVES = \"1.00\"\n", "c.toml", {});
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().ToString(), "c.toml:2: unknown key \"treasury.minimum.VES\"");
  const std::pair<std::string, std::string> refused[] = {
      {"CAMBISTA_TREASURY_SWEEP_INTERVAL_MINUTES", "0"},
      {"CAMBISTA_TREASURY_SWEEP_INTERVAL_MINUTES", "30m"},
      {"CAMBISTA_TREASURY_SWEEP_ENABLED", "yes"},
      {"CAMBISTA_TREASURY_TENANT", "a:b"},
      {"CAMBISTA_TREASURY_BANK", "9999"},
      {"CAMBISTA_TREASURY_BANK_ACCOUNT", "0134-0000"},
      {"CAMBISTA_TREASURY_BANK_ACCOUNT", "99990000000000000001"},
      {"CAMBISTA_TREASURY_BANK_DOCUMENT", "J000029611"},
      {"CAMBISTA_TREASURY_MIN_WITHDRAWAL_VES", "-1.00"},
      {"CAMBISTA_TREASURY_CAPACITY_ALERT_VES", "1.005"},
  };
  for (const auto& [name, value] : refused) {
    auto loaded = LoadConfigText("", "c.toml", {{name, value}});
    ASSERT_FALSE(loaded.ok()) << name << "=" << value;
    EXPECT_EQ(loaded.error().key, name);
    EXPECT_NE(loaded.error().message.find("expected"), std::string::npos)
        << loaded.error().ToString();
  }
}

INSTANTIATE_BACKENDS(TreasurySweepsTest);
INSTANTIATE_BACKENDS(TreasurySweepsTimeoutTest);
INSTANTIATE_BACKENDS(TreasurySweepsOffTest);
INSTANTIATE_BACKENDS(TreasuryStartTest);

}  // namespace
}  // namespace cambista::app
