#include "payouts/provider.hpp"

#include "core/ascii.hpp"

namespace cambista::payouts {

std::string_view ProviderPayoutStatusName(ProviderPayoutStatus status) {
  switch (status) {
    case ProviderPayoutStatus::kProcessing:
      return "PROCESSING";
    case ProviderPayoutStatus::kPaid:
      return "PAID";
    case ProviderPayoutStatus::kFailed:
      return "FAILED";
    case ProviderPayoutStatus::kCancelled:
      return "CANCELLED";
  }
  return "PROCESSING";
}

std::string_view ProviderErrorKindName(ProviderError::Kind kind) {
  using K = ProviderError::Kind;
  switch (kind) {
    case K::kInvalidRequest:
      return "invalid_request";
    case K::kAuth:
      return "auth";
    case K::kRejected:
      return "rejected";
    case K::kNotFound:
      return "not_found";
    case K::kRateLimited:
      return "rate_limited";
    case K::kUnavailable:
      return "unavailable";
    case K::kBadResponse:
      return "bad_response";
  }
  return "bad_response";
}

std::string_view CallbackRequest::Header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (EqualsIgnoringAsciiCase(key, name)) return value;
  }
  return {};
}

}  // namespace cambista::payouts
