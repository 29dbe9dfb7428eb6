// PayoutService without HTTP, against a provider whose every answer the test decides, on each
// backend: what the service makes of answers the simulators cannot give on command.
#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "accounting/chart.hpp"
#include "core/clock.hpp"
#include "ledger/ledger.hpp"
#include "payouts/service.hpp"
#include "test_database.hpp"

namespace cambista::payouts {
namespace {

constexpr std::string_view kTenant = "t1";

// A provider of USDT on TRON whose Create and Fetch answer what the test set, counting the calls.
class ScriptedProvider final : public PayoutProvider, public ProviderDirectory {
 public:
  ScriptedProvider() {
    const Asset usdt = AssetRegistry::WithBuiltins().Find("USDT").value();
    description_.name = "scripted";
    description_.display_name = "Scripted";
    description_.routes = {PayoutRoute{"USDT",
                                       DestinationKind::kCryptoAddress,
                                       {Network::kTron},
                                       Amount::Parse("1", usdt).value(),
                                       std::nullopt}};
  }
  const ProviderDescription& Describe() const override { return description_; }
  Result<ProviderPayout, ProviderError> Create(const PayoutRequest&) override {
    ++creates;
    return create_answer;
  }
  Result<ProviderPayout, ProviderError> Fetch(std::string_view) override {
    ++fetches;
    return fetch_answer;
  }
  Result<ProviderPayout, ProviderError> Cancel(std::string_view) override {
    return Failure{ProviderError{ProviderError::Kind::kInvalidRequest, "no cancel"}};
  }
  Result<ProviderPayout, CallbackRejection> ParseCallback(const CallbackRequest&) const override {
    return Failure{CallbackRejection{CallbackRejection::Kind::kIgnored, "", "not used"}};
  }
  Result<std::vector<ProviderCapacity>, ProviderError> ReadCapacity() override {
    return std::vector<ProviderCapacity>{};
  }
  Result<PayoutPage, ProviderError> List(int64_t, std::string_view) override {
    return PayoutPage{};
  }
  PayoutProvider* Find(std::string_view name) const override {
    return name == description_.name ? const_cast<ScriptedProvider*>(this) : nullptr;
  }
  std::vector<std::string> Names() const override { return {description_.name}; }

  Result<ProviderPayout, ProviderError> create_answer =
      Failure{ProviderError{ProviderError::Kind::kUnavailable, "timed out"}};
  Result<ProviderPayout, ProviderError> fetch_answer =
      Failure{ProviderError{ProviderError::Kind::kUnavailable, "timed out"}};
  int creates = 0;
  int fetches = 0;

 private:
  ProviderDescription description_;
};

class PayoutServiceTest : public cambista::testing::DatabaseTest {
 protected:
  void SetUp() override {
    DatabaseTest::SetUp();
    if (IsSkipped()) return;
    ledger_ = std::make_unique<ledger::Ledger>(db(), clock_);
    chart_ = std::make_unique<accounting::Chart>(db(), *ledger_);
    PayoutOptions options;
    options.providers = &provider_;
    options.assets = &assets_;
    options.public_base_url = [] { return std::string("http://127.0.0.1:1"); };
    service_ = std::make_unique<PayoutService>(db(), *ledger_, *chart_, clock_, options);
    ASSERT_TRUE(service_->PutCustomer(kTenant, "c1", CustomerInput{"Ana", "", 0}).ok());
    for (const auto& [account, amount] :
         {std::pair{"customer:c1", "100"}, std::pair{"provider:scripted", "1000"}}) {
      ASSERT_TRUE(
          service_
              ->RecordDeposit(kTenant, "test",
                              DepositRequest{account, Usdt(amount), std::string("fund-") + account})
              .ok());
    }
  }
  void TearDown() override {
    service_.reset();
    chart_.reset();
    ledger_.reset();  // its threads hold the database
    DatabaseTest::TearDown();
  }
  Amount Usdt(std::string_view text) const {
    return Amount::Parse(text, assets_.Find("USDT").value()).value();
  }
  Payout Create(std::string_view amount) {
    const NewPayout request{
        "c1",
        std::nullopt,
        Usdt(amount),
        DestinationInput{
            "crypto_address", "TRON", "TNPeeaaFB7K9cmo4uQpcU32zGK8G1NYqeL", {}, {}, {}, {}},
        std::nullopt,
        PayoutOrigin::kManual,
        ""};
    auto made = service_->CreatePayout(kTenant, "key1", "idem-" + std::string(amount), request);
    EXPECT_TRUE(made.ok()) << (made.ok() ? "" : made.error().detail);
    return made.ok() ? made.value().value : Payout{};
  }
  PayoutStatus StatusOf(const Payout& payout) {
    auto found = service_->GetPayout(kTenant, payout.id);
    EXPECT_TRUE(found.ok());
    return found.ok() ? found.value().status : PayoutStatus::kRequested;
  }

  ManualClock clock_;
  const AssetRegistry assets_ = AssetRegistry::WithBuiltins();
  ScriptedProvider provider_;
  std::unique_ptr<ledger::Ledger> ledger_;
  std::unique_ptr<accounting::Chart> chart_;
  std::unique_ptr<PayoutService> service_;
};

// Only a create refused for certain proves that nothing exists at the provider. Asking about a
// payout whose create answer was lost, and being refused (credentials rotated, a 4xx of the status
// API), proves nothing: the payout may well be there, and failing it would give the customer the
// money back while the provider pays it out.
TEST_P(PayoutServiceTest, AStatusQueryRefusedNeverFailsAPayoutWhoseCreateAnswerWasLost) {
  const Payout payout = Create("10");
  const std::string payload = std::string(kTenant) + "\n" + payout.id;
  service_->Submit(payload);  // the answer is lost: UNKNOWN
  ASSERT_EQ(StatusOf(payout), PayoutStatus::kUnknown);
  for (const ProviderError::Kind refused :
       {ProviderError::Kind::kAuth, ProviderError::Kind::kRejected,
        ProviderError::Kind::kInvalidRequest}) {
    provider_.fetch_answer = Failure{ProviderError{refused, "refused", 403}};
    clock_.AdvanceMs(60'000);
    service_->Track(payload);
    EXPECT_EQ(StatusOf(payout), PayoutStatus::kUnknown) << ProviderErrorKindName(refused);
  }
  EXPECT_EQ(provider_.creates, 1);
  EXPECT_EQ(provider_.fetches, 3);
  // Still unresolved an hour on: an operator looks; the money stays held meanwhile.
  clock_.AdvanceMs(3'600'000);
  service_->Track(payload);
  EXPECT_EQ(StatusOf(payout), PayoutStatus::kManualReview);
  EXPECT_EQ(provider_.creates, 1);
}

TEST_P(PayoutServiceTest, ACreateRefusedForCertainFailsThePayoutAndReleasesTheMoney) {
  provider_.create_answer =
      Failure{ProviderError{ProviderError::Kind::kRejected, "amount too small", 422}};
  const Payout payout = Create("10");
  service_->Submit(std::string(kTenant) + "\n" + payout.id);
  EXPECT_EQ(StatusOf(payout), PayoutStatus::kFailed);
  EXPECT_EQ(provider_.creates, 1);
  // All of the customer's 100 is free again: a second payout of 100 is held.
  EXPECT_EQ(StatusOf(Create("100")), PayoutStatus::kRequested);
}

// A provider's "final" word that is no final status (Heleket's `check` with is_final): the
// provider holds the payout, so a lost create answer is resolved as SUBMITTED, and it is asked on.
TEST_P(PayoutServiceTest, AFinalReportOfAStillProcessingPayoutMakesItSubmittedNotFinal) {
  const Payout payout = Create("10");
  const std::string payload = std::string(kTenant) + "\n" + payout.id;
  service_->Submit(payload);
  ASSERT_EQ(StatusOf(payout), PayoutStatus::kUnknown);
  ProviderPayout report;
  report.provider_id = "p-1";
  report.reference = payout.provider_reference;
  report.status = ProviderPayoutStatus::kProcessing;
  report.is_final = true;
  report.raw_status = "check";
  provider_.fetch_answer = report;
  clock_.AdvanceMs(60'000);
  const JobStep step = service_->Track(payload);
  EXPECT_EQ(StatusOf(payout), PayoutStatus::kSubmitted);
  EXPECT_FALSE(step.done);  // still asked about
  EXPECT_EQ(provider_.creates, 1);
}

// Paid, but another amount than ours: nothing is posted on the provider's word alone; the payout
// waits for an operator with its money held.
TEST_P(PayoutServiceTest, APaymentOfAnotherAmountGoesToReviewNotConfirmed) {
  ProviderPayout accepted;
  accepted.provider_id = "p-1";
  provider_.create_answer = accepted;
  const Payout payout = Create("10");
  const std::string payload = std::string(kTenant) + "\n" + payout.id;
  service_->Submit(payload);
  ASSERT_EQ(StatusOf(payout), PayoutStatus::kSubmitted);
  ProviderPayout paid = accepted;
  paid.status = ProviderPayoutStatus::kPaid;
  paid.is_final = true;
  paid.raw_status = "paid";
  paid.amount = Usdt("10.5");
  provider_.fetch_answer = paid;
  clock_.AdvanceMs(120'000);
  const JobStep step = service_->Track(payload);
  EXPECT_TRUE(step.done);
  EXPECT_EQ(StatusOf(payout), PayoutStatus::kManualReview);
  // The 10 stays held: only 90 of the customer's 100 can be held again.
  EXPECT_EQ(StatusOf(Create("90")), PayoutStatus::kRequested);
  const NewPayout more{
      "c1",
      std::nullopt,
      Usdt("1"),
      DestinationInput{
          "crypto_address", "TRON", "TNPeeaaFB7K9cmo4uQpcU32zGK8G1NYqeL", {}, {}, {}, {}},
      std::nullopt,
      PayoutOrigin::kManual,
      ""};
  const auto refused = service_->CreatePayout(kTenant, "key1", "idem-more", more);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().kind, PayoutErrorKind::kInsufficientFunds);
  // An operator looks at the provider and resolves it; not with the key that made the payout.
  const auto own = service_->Resolve(kTenant, payout.id, "key1", true, "seen paid");
  ASSERT_FALSE(own.ok());
  EXPECT_EQ(own.error().kind, PayoutErrorKind::kApprovalRefused);
  const auto failed = service_->Resolve(kTenant, payout.id, "key2", false, "never arrived");
  ASSERT_TRUE(failed.ok()) << failed.error().detail;
  EXPECT_EQ(StatusOf(payout), PayoutStatus::kFailed);
  EXPECT_EQ(service_->Resolve(kTenant, payout.id, "key2", true, "again").error().kind,
            PayoutErrorKind::kInvalidTransition);
  EXPECT_EQ(
      service_->Resolve(kTenant, "po_" + std::string(32, '0'), "key2", true, "x").error().kind,
      PayoutErrorKind::kNotFound);
  // Failed, the 10 is free again (90 of the 100 are held): 10 can be held once more.
  EXPECT_EQ(StatusOf(Create("10.0")), PayoutStatus::kRequested);
}

TEST_P(PayoutServiceTest, AReviewResolvedAsPaidPostsTheHold) {
  ProviderPayout accepted;
  accepted.provider_id = "p-1";
  provider_.create_answer = accepted;
  const Payout payout = Create("10");
  const std::string payload = std::string(kTenant) + "\n" + payout.id;
  service_->Submit(payload);
  ProviderPayout paid = accepted;
  paid.status = ProviderPayoutStatus::kPaid;
  paid.is_final = true;
  paid.raw_status = "paid";
  paid.amount = Usdt("10.5");
  provider_.fetch_answer = paid;
  clock_.AdvanceMs(120'000);
  service_->Track(payload);
  ASSERT_EQ(StatusOf(payout), PayoutStatus::kManualReview);
  const auto confirmed = service_->Resolve(kTenant, payout.id, "key2", true, "paid 10, fee 0.5");
  ASSERT_TRUE(confirmed.ok()) << confirmed.error().detail;
  EXPECT_EQ(StatusOf(payout), PayoutStatus::kConfirmed);
  // Posted: the customer's 100 less the 10 paid; 91 is more than is left.
  EXPECT_EQ(StatusOf(Create("90")), PayoutStatus::kRequested);
  const auto history = service_->PayoutHistory(kTenant, payout.id);
  ASSERT_FALSE(history.empty());
  EXPECT_EQ(history.back().actor, "operator:key2");
  EXPECT_EQ(history.back().reason, "paid 10, fee 0.5");
}

// The send lanes and their fallback: a payout sent at once marks its submit job done in the same
// transaction as UNKNOWN; one the lanes could not take is sent by that job, once.
class PayoutSendSoonTest : public PayoutServiceTest {
 protected:
  void SetUp() override {
    PayoutServiceTest::SetUp();
    if (IsSkipped()) return;
    PayoutOptions options;
    options.providers = &provider_;
    options.assets = &assets_;
    options.public_base_url = [] { return std::string("http://127.0.0.1:1"); };
    options.send_soon = [this](std::function<void()> task) {
      if (!lanes_take) return false;
      taken.push_back(std::move(task));
      return true;
    };
    service_ = std::make_unique<PayoutService>(db(), *ledger_, *chart_, clock_, options);
  }
  // The payouts.submit job's state (0 ready, 2 done) and when it is due, from now.
  std::pair<int64_t, int64_t> SubmitJob() {
    auto connection = db().Connect();
    std::pair<int64_t, int64_t> job{-1, 0};
    connection->Query("SELECT state, run_at_ms FROM jobs WHERE kind = 'payouts.submit'", {},
                      [&](const store::Row& row) {
                        job = {row.Int64(0), row.Int64(1) - clock_.NowMs()};
                      });
    return job;
  }

  bool lanes_take = true;
  std::vector<std::function<void()>> taken;
};

TEST_P(PayoutSendSoonTest, ASendFromTheLanesMarksTheFallbackSubmitJobDone) {
  ProviderPayout accepted;
  accepted.provider_id = "p-1";
  accepted.raw_status = "process";
  provider_.create_answer = accepted;
  const Payout payout = Create("10");
  EXPECT_EQ(SubmitJob(), (std::pair<int64_t, int64_t>{0, kSubmitFallbackMs}));
  ASSERT_EQ(taken.size(), 1u);
  taken[0]();
  EXPECT_EQ(StatusOf(payout), PayoutStatus::kSubmitted);
  EXPECT_EQ(SubmitJob().first, 2);
  // Were the job to run anyway (claimed before the send committed), it finds the payout sent.
  service_->Submit(std::string(kTenant) + "\n" + payout.id);
  EXPECT_EQ(provider_.creates, 1);
}

TEST_P(PayoutSendSoonTest, APayoutTheLanesCannotTakeIsSentByItsSubmitJob) {
  lanes_take = false;
  const Payout payout = Create("10");
  EXPECT_TRUE(taken.empty());
  EXPECT_EQ(SubmitJob(), (std::pair<int64_t, int64_t>{0, kSubmitFallbackMs}));
  service_->Submit(std::string(kTenant) + "\n" + payout.id);  // the job, when due
  EXPECT_EQ(StatusOf(payout), PayoutStatus::kUnknown);        // the answer was lost
  EXPECT_EQ(provider_.creates, 1);
}

INSTANTIATE_BACKENDS(PayoutServiceTest);
INSTANTIATE_BACKENDS(PayoutSendSoonTest);

}  // namespace
}  // namespace cambista::payouts
