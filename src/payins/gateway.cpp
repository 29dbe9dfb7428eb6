#include "payins/gateway.hpp"

#include <algorithm>
#include <cctype>

namespace cambista::payins {

std::string_view GatewayStatusName(GatewayStatus status) {
  switch (status) {
    case GatewayStatus::kPending:
      return "PENDING";
    case GatewayStatus::kPaid:
      return "PAID";
    case GatewayStatus::kExpired:
      return "EXPIRED";
    case GatewayStatus::kFailed:
      return "FAILED";
    case GatewayStatus::kRefunded:
      return "REFUNDED";
  }
  return "PENDING";
}

std::string_view GatewayErrorKindName(GatewayError::Kind kind) {
  switch (kind) {
    case GatewayError::Kind::kInvalidRequest:
      return "invalid_request";
    case GatewayError::Kind::kAuth:
      return "auth";
    case GatewayError::Kind::kRejected:
      return "rejected";
    case GatewayError::Kind::kRateLimited:
      return "rate_limited";
    case GatewayError::Kind::kUnavailable:
      return "unavailable";
    case GatewayError::Kind::kBadResponse:
      return "bad_response";
  }
  return "unavailable";
}

std::string_view WebhookRequest::Header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (std::ranges::equal(key, name, [](char a, char b) {
          return std::tolower(static_cast<unsigned char>(a)) ==
                 std::tolower(static_cast<unsigned char>(b));
        })) {
      return value;
    }
  }
  return {};
}

}  // namespace cambista::payins
