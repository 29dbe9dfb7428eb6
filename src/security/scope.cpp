#include "security/scope.hpp"

#include <array>

namespace cambista {
namespace {

constexpr std::array<std::string_view, kScopeCount> kScopeNames = {
    "admin",         "quotes:write",   "trades:write",  "trades:read",
    "charges:write", "charges:read",   "payouts:write", "payouts:approve",
    "ledger:read",   "webhooks:write", "metrics:read",  "charges:review",
};

}  // namespace

std::string_view ScopeName(Scope scope) {
  return kScopeNames.at(static_cast<size_t>(scope));
}

std::optional<Scope> ScopeFromName(std::string_view name) {
  for (size_t i = 0; i < kScopeNames.size(); ++i) {
    if (kScopeNames[i] == name) return static_cast<Scope>(i);
  }
  return std::nullopt;
}

std::string_view ScopeErrorCodeName(ScopeErrorCode code) {
  switch (code) {
    case ScopeErrorCode::kUnknownScope:
      return "unknown_scope";
    case ScopeErrorCode::kEmptyScope:
      return "empty_scope";
    case ScopeErrorCode::kTooLong:
      return "scopes_too_long";
  }
  return "unknown";
}

Result<ScopeSet, ScopeError> ParseScopes(std::string_view text) {
  if (text.size() > kScopesTextCharsMax) return Failure{ScopeError{ScopeErrorCode::kTooLong, {}}};
  ScopeSet scopes;
  if (text.empty()) return scopes;
  size_t start = 0;
  while (true) {
    const size_t comma = text.find(',', start);
    const std::string_view name = text.substr(
        start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    if (name.empty()) return Failure{ScopeError{ScopeErrorCode::kEmptyScope, {}}};
    const std::optional<Scope> scope = ScopeFromName(name);
    if (!scope) {
      return Failure{ScopeError{ScopeErrorCode::kUnknownScope,
                                std::string(name.substr(0, kScopeNameCharsMax))}};
    }
    scopes.Add(*scope);
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return scopes;
}

std::string FormatScopes(ScopeSet scopes) {
  std::string out;
  for (size_t i = 0; i < kScopeNames.size(); ++i) {
    if (!scopes.Contains(static_cast<Scope>(i))) continue;
    if (!out.empty()) out.push_back(',');
    out.append(kScopeNames[i]);
  }
  return out;
}

bool HasScope(ScopeSet granted, Scope required) {
  return granted.Contains(required) || granted.Contains(Scope::kAdmin);
}

}  // namespace cambista
