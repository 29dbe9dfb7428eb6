// The payout adapters talk HTTP through the pay-in gateways' helpers (payins/gateway_http.hpp);
// this turns the error those helpers give into the payout port's, kind for kind.
#pragma once

#include "payins/gateway.hpp"
#include "payouts/provider.hpp"

namespace cambista::payouts {

inline ProviderError FromGatewayError(const payins::GatewayError& error) {
  using G = payins::GatewayError::Kind;
  using K = ProviderError::Kind;
  K kind = K::kBadResponse;
  switch (error.kind) {
    case G::kInvalidRequest:
      kind = K::kInvalidRequest;
      break;
    case G::kAuth:
      kind = K::kAuth;
      break;
    case G::kRejected:
      kind = K::kRejected;
      break;
    case G::kRateLimited:
      kind = K::kRateLimited;
      break;
    case G::kUnavailable:
      kind = K::kUnavailable;
      break;
    case G::kBadResponse:
      kind = K::kBadResponse;
      break;
  }
  return ProviderError{kind, error.message, error.http_status};
}

}  // namespace cambista::payouts
