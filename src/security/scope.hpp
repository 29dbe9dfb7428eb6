// API key scopes: what a key may do, and the one rule that combines them.
//
// A key carries a set of scopes chosen when it is issued; each endpoint names the one scope it
// requires and asks HasScope. The list is closed on purpose: ParseScopes rejects any name it does
// not know (and says which), so a typo in an admin tool never issues a key with less, or silently
// different, access than intended. `admin` implies every other scope. Scopes are stored as their
// canonical comma-separated text (FormatScopes), never as the enum numbers, so reordering the enum
// cannot change what a stored key may do; the enum numbers are still kept stable.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace cambista {

enum class Scope : uint8_t {
  kAdmin = 0,
  kQuotesWrite = 1,
  kTradesWrite = 2,
  kTradesRead = 3,
  kChargesWrite = 4,
  kChargesRead = 5,
  kPayoutsWrite = 6,
  kPayoutsApprove = 7,
  kLedgerRead = 8,
  kWebhooksWrite = 9,
  kMetricsRead = 10,    // GET /metrics, for a Prometheus scraper's bearer token
  kChargesReview = 11,  // resolve charges under manual review
};
inline constexpr int kScopeCount = 12;

// "admin", "quotes:write", ...
std::string_view ScopeName(Scope scope);
std::optional<Scope> ScopeFromName(std::string_view name);

// A small value set of scopes.
class ScopeSet {
 public:
  ScopeSet() = default;
  ScopeSet(std::initializer_list<Scope> scopes) {
    for (Scope scope : scopes) Add(scope);
  }
  void Add(Scope scope) { bits_ |= Bit(scope); }
  // Exactly this scope was granted (no `admin` implication); use HasScope for access checks.
  bool Contains(Scope scope) const { return (bits_ & Bit(scope)) != 0; }
  bool empty() const { return bits_ == 0; }
  friend bool operator==(ScopeSet, ScopeSet) = default;

 private:
  static uint16_t Bit(Scope scope) { return static_cast<uint16_t>(1U << static_cast<int>(scope)); }
  uint16_t bits_ = 0;
};

// Stable error codes: the numbers are persisted and shown to clients; never change or reuse one.
enum class ScopeErrorCode : uint16_t {
  kUnknownScope = 1,  // a name outside the closed list (also " trades:read", "Admin")
  kEmptyScope = 2,    // "a,,b", a leading or trailing comma
  kTooLong = 3,       // the text is longer than kScopesTextCharsMax
};

struct ScopeError {
  ScopeErrorCode code;
  std::string scope;  // the offending name, cut to kScopeNameCharsMax; empty for kTooLong
};

// Stable snake_case code, e.g. "unknown_scope".
std::string_view ScopeErrorCodeName(ScopeErrorCode code);

inline constexpr size_t kScopesTextCharsMax = 512;
inline constexpr size_t kScopeNameCharsMax = 64;

// Parses "trades:read,ledger:read": names separated by single commas, no spaces, duplicates
// allowed. The empty string is the empty set (a key that may do nothing).
Result<ScopeSet, ScopeError> ParseScopes(std::string_view text);
// Canonical text: names in enum order, comma-separated. ParseScopes(FormatScopes(s)) == s.
std::string FormatScopes(ScopeSet scopes);

// True when `granted` allows `required`: it contains it, or it contains `admin`.
bool HasScope(ScopeSet granted, Scope required);

}  // namespace cambista
