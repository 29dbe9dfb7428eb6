// Charge ids are time-ordered and never wrap (criterion 11 of the integrity issue): "ch_" and the
// 32 hex digits of a ledger::TimeOrderedId (48 bits of milliseconds, then 80 random bits), so the
// cursor of GET /v1/charges (ids below the last one seen, newest first) walks every charge once,
// in order, however many were made in one millisecond and however the clock moved. The charges
// are made at SyncPay through its sandbox simulator: real HTTP both ways, and no QR image to
// compress per charge (the other PIX simulators draw one at zlib's best compression, ~6 ms each).
#include <random>

#include "charges_fixture.hpp"
#include "ledger/ids.hpp"
#include "security/scope.hpp"

namespace cambista::payins {
namespace {

constexpr int kChargeCount = 1'000;
constexpr int kHttpPageSize = 37;  // not a divisor of the count: the last page is a short one

// 48 bits of milliseconds since 1970 last past the year 10000: the time part never wraps.
static_assert((int64_t{1} << 48) > int64_t{253'402'300'800'000});

std::string ChargeId(u128 id) {
  return "ch_" + ToHex32(id);
}

TEST(ChargeIdsOrder, GrowWithinOneMillisecondAndAcrossAClockStepBack) {
  // Ahead of any clock another test of this process used (the ids' last value is process-wide),
  // so that the time part of the first id is this clock's.
  ManualClock clock(SystemClock().NowNs() + int64_t{1'000} * 24 * 3'600 * 1'000'000'000);
  std::vector<u128> ids;
  for (int i = 0; i < 1'000; ++i) ids.push_back(ledger::TimeOrderedId(clock));  // one millisecond
  EXPECT_EQ(static_cast<int64_t>(ids.front() >> 80), clock.NowMs());
  clock.AdvanceMs(-3'600'000);  // the system clock steps back an hour
  for (int i = 0; i < 100; ++i) ids.push_back(ledger::TimeOrderedId(clock));
  clock.AdvanceMs(2 * 3'600'000);  // and later passes where it was
  for (int i = 0; i < 100; ++i) ids.push_back(ledger::TimeOrderedId(clock));
  EXPECT_EQ(static_cast<int64_t>(ids.back() >> 80), clock.NowMs());
  for (size_t i = 1; i < ids.size(); ++i) {
    ASSERT_LT(ids[i - 1], ids[i]) << i;
    // As charge ids (fixed-width lower-case hex), the text orders as the number does: the
    // database's ORDER BY id and its `id < cursor` agree with time.
    ASSERT_LT(ChargeId(ids[i - 1]), ChargeId(ids[i])) << i;
  }
}

class ChargeIdsTest : public test_support::ChargesTest {
 protected:
  // Makes the charges of `default` (and a few of `acme`'s in between, which its listing must
  // not show) over several hours of the manual clock; returns default's ids, oldest first.
  std::vector<std::string> MakeCharges(std::mt19937& random) {
    std::vector<std::string> ids;
    std::uniform_int_distribution<int> roll(0, 99);
    std::uniform_int_distribution<int64_t> pause_ms(1, 60'000);
    while (static_cast<int>(ids.size()) < kChargeCount) {
      const int dice = roll(random);
      if (dice >= 60) {
        clock_.AdvanceMs(pause_ms(random));  // seconds to a minute apart
      } else if (dice >= 45) {
        clock_.AdvanceMs(1);
      }  // else: in the same millisecond as the one before
      const bool theirs = dice % 10 == 0;
      const Charge charge = CreateAt("syncpay", "3.00", theirs ? "acme" : "default");
      if (::testing::Test::HasFailure()) return ids;
      if (!theirs) ids.push_back(charge.id);
    }
    return ids;
  }

  // GET /v1/charges page by page, following next_cursor.
  std::vector<std::string> ListOverHttp(const std::string& key) {
    std::vector<std::string> ids;
    std::optional<std::string> cursor;
    for (int page = 0; page <= kChargeCount / kHttpPageSize + 1; ++page) {
      std::string path = "/v1/charges?limit=" + std::to_string(kHttpPageSize);
      if (cursor) path += "&cursor=" + *cursor;
      const auto answer = Send("GET", path, "", {{"Authorization", "Bearer " + key}});
      EXPECT_EQ(answer.status, 200) << answer.body;
      auto document = JsonDocument::Parse(answer.body);
      if (!document.ok()) return ids;
      const JsonNode& root = document.value().root();
      const JsonNode* data = root.Find("data");
      const JsonNode* next = root.Find("next_cursor");
      if (data == nullptr || next == nullptr) return ids;
      for (const JsonNode& charge : data->items()) ids.emplace_back(charge.Find("id")->text());
      if (next->IsNull()) return ids;
      EXPECT_EQ(data->size(), static_cast<size_t>(kHttpPageSize));
      cursor = std::string(next->text());
    }
    ADD_FAILURE() << "next_cursor never ends";
    return ids;
  }
};

TEST_P(ChargeIdsTest, AThousandChargesMadeOverHoursAreListedInOrderNoneMissingNoneTwice) {
  ASSERT_TRUE(service_->SetGateway("acme", "syncpay", sandbox_->Credentials("syncpay"), 1).ok());
  const uint32_t seed = std::random_device{}();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937 random(seed);
  const int64_t started_ms = clock_.NowMs();
  const std::vector<std::string> made = MakeCharges(random);
  ASSERT_EQ(made.size(), static_cast<size_t>(kChargeCount));
  EXPECT_GT(clock_.NowMs() - started_ms, 3 * 3'600'000) << "the charges span several hours";
  for (size_t i = 1; i < made.size(); ++i) ASSERT_LT(made[i - 1], made[i]) << i;
  const std::vector<std::string> newest_first(made.rbegin(), made.rend());

  // Through the service, pages of random sizes.
  std::vector<std::string> listed;
  std::vector<Charge> page;
  std::optional<Charge> previous;
  std::uniform_int_distribution<int> limit(1, 200);
  do {
    const std::optional<std::string> cursor = previous ? std::optional(previous->id) : std::nullopt;
    page = service_->List("default", std::nullopt, std::nullopt, cursor, limit(random));
    for (const Charge& charge : page) {
      if (previous) {
        EXPECT_GE(previous->created_at_ms, charge.created_at_ms) << charge.id;
      }
      listed.push_back(charge.id);
      previous = charge;
    }
  } while (!page.empty() && listed.size() <= made.size());
  EXPECT_EQ(listed, newest_first);

  // Over HTTP, 37 at a time.
  const std::string key = keys_->Create("default", ScopeSet{Scope::kChargesRead});
  EXPECT_EQ(ListOverHttp(key), newest_first);
}

INSTANTIATE_BACKENDS(ChargeIdsTest);

}  // namespace
}  // namespace cambista::payins
