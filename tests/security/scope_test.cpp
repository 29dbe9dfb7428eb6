#include "security/scope.hpp"

#include <gtest/gtest.h>

namespace cambista {
namespace {

TEST(Scope, NamesRoundTrip) {
  for (int i = 0; i < kScopeCount; ++i) {
    const auto scope = static_cast<Scope>(i);
    EXPECT_EQ(ScopeFromName(ScopeName(scope)), scope);
  }
  EXPECT_EQ(ScopeName(Scope::kPayoutsApprove), "payouts:approve");
  EXPECT_EQ(ScopeFromName("Admin"), std::nullopt);
}

TEST(ParseScopes, ParsesList) {
  const ScopeSet scopes = ParseScopes("trades:read,ledger:read").value();
  EXPECT_TRUE(scopes.Contains(Scope::kTradesRead));
  EXPECT_TRUE(scopes.Contains(Scope::kLedgerRead));
  EXPECT_FALSE(scopes.Contains(Scope::kTradesWrite));
  EXPECT_EQ(ParseScopes("ledger:read,trades:read,ledger:read").value(), scopes);
}

TEST(ParseScopes, EmptyTextIsEmptySet) {
  EXPECT_TRUE(ParseScopes("").value().empty());
}

TEST(ParseScopes, AllNames) {
  const std::string all =
      "admin,quotes:write,trades:write,trades:read,charges:write,charges:read,payouts:write,"
      "payouts:approve,ledger:read,webhooks:write,metrics:read,charges:review";
  const ScopeSet scopes = ParseScopes(all).value();
  for (int i = 0; i < kScopeCount; ++i) EXPECT_TRUE(scopes.Contains(static_cast<Scope>(i)));
  EXPECT_EQ(FormatScopes(scopes), all);
}

TEST(ParseScopes, UnknownScopeNamesTheOffender) {
  auto result = ParseScopes("trades:read,trades:delete,ledger:read");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, ScopeErrorCode::kUnknownScope);
  EXPECT_EQ(result.error().scope, "trades:delete");

  EXPECT_EQ(ParseScopes("trades:read, ledger:read").error().scope, " ledger:read");
  EXPECT_EQ(ParseScopes("ADMIN").error().scope, "ADMIN");
  EXPECT_EQ(ParseScopes("trades").error().scope, "trades");
}

TEST(ParseScopes, OffendingNameIsTruncated) {
  const std::string long_name(300, 'x');
  auto result = ParseScopes(long_name);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().scope.size(), kScopeNameCharsMax);
}

TEST(ParseScopes, EmptyElements) {
  EXPECT_EQ(ParseScopes(",").error().code, ScopeErrorCode::kEmptyScope);
  EXPECT_EQ(ParseScopes("admin,").error().code, ScopeErrorCode::kEmptyScope);
  EXPECT_EQ(ParseScopes(",admin").error().code, ScopeErrorCode::kEmptyScope);
  EXPECT_EQ(ParseScopes("admin,,ledger:read").error().code, ScopeErrorCode::kEmptyScope);
}

TEST(ParseScopes, TooLong) {
  std::string text = "admin";
  while (text.size() <= kScopesTextCharsMax) text += ",admin";
  EXPECT_EQ(ParseScopes(text).error().code, ScopeErrorCode::kTooLong);
}

TEST(FormatScopes, CanonicalOrder) {
  EXPECT_EQ(FormatScopes(ScopeSet{Scope::kWebhooksWrite, Scope::kQuotesWrite}),
            "quotes:write,webhooks:write");
  EXPECT_EQ(FormatScopes(ScopeSet{}), "");
}

TEST(HasScope, AdminImpliesEverything) {
  const ScopeSet admin{Scope::kAdmin};
  for (int i = 0; i < kScopeCount; ++i) EXPECT_TRUE(HasScope(admin, static_cast<Scope>(i)));
}

TEST(HasScope, OnlyWhatWasGranted) {
  const ScopeSet granted{Scope::kTradesRead};
  EXPECT_TRUE(HasScope(granted, Scope::kTradesRead));
  EXPECT_FALSE(HasScope(granted, Scope::kTradesWrite));  // read does not imply write
  EXPECT_FALSE(HasScope(granted, Scope::kAdmin));
  EXPECT_FALSE(HasScope(ScopeSet{Scope::kPayoutsWrite}, Scope::kPayoutsApprove));
  EXPECT_FALSE(HasScope(ScopeSet{}, Scope::kLedgerRead));
}

// A scraper's key reads metrics and nothing else; no other scope reads metrics, admin does.
TEST(HasScope, MetricsReadStandsAlone) {
  EXPECT_EQ(ScopeFromName("metrics:read"), Scope::kMetricsRead);
  EXPECT_EQ(static_cast<int>(Scope::kMetricsRead), 10);  // persisted order: never renumbered
  const ScopeSet scraper{Scope::kMetricsRead};
  for (int i = 0; i < kScopeCount; ++i) {
    const auto scope = static_cast<Scope>(i);
    EXPECT_EQ(HasScope(scraper, scope), scope == Scope::kMetricsRead) << ScopeName(scope);
    if (scope != Scope::kAdmin && scope != Scope::kMetricsRead) {
      EXPECT_FALSE(HasScope(ScopeSet{scope}, Scope::kMetricsRead)) << ScopeName(scope);
    }
  }
  EXPECT_TRUE(HasScope(ScopeSet{Scope::kAdmin}, Scope::kMetricsRead));
  // Keys stored before metrics:read existed read back with what they had.
  EXPECT_EQ(ParseScopes("admin").value(), ScopeSet{Scope::kAdmin});
  EXPECT_EQ(FormatScopes(ParseScopes("ledger:read,webhooks:write").value()),
            "ledger:read,webhooks:write");
}

}  // namespace
}  // namespace cambista
