// Inside the charge service: a change of a charge decided from a proven status or an operator's
// resolution, with the ledger booking that goes with it, and the amounts a gateway takes (for
// creation and for the tenant's bounds). Not for use outside payins/.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "core/int128.hpp"
#include "payins/model.hpp"

namespace cambista::payins {

// What a change posts to the ledger (the accounts are the charge's tenant's).
enum class Booking : uint8_t {
  kNone,
  kPaymentToMerchant,   // clearing -> merchant (gross), then the fee merchant -> clearing
  kPaymentToSuspense,   // clearing -> suspense: money received, under review
  kRefundFromMerchant,  // merchant -> clearing, the net the payment left it: refunded at the
                        // gateway (the gateway returns its fee with the payment)
  kRefundFromSuspense,  // suspense -> clearing: refunded from review
  kAcceptFromSuspense,  // suspense -> merchant, then the fee merchant -> clearing
  // merchant -> clearing: a refund at the gateway the merchant could not cover, booked when an
  // operator accepts it (its own transfer ids: the refused attempt's ids keep their failure)
  kRefundAccepted,
};

struct ChargeChange {
  ChargeStatus to = ChargeStatus::kPending;
  std::string reason{};
  Booking booking = Booking::kNone;
  i128 amount = 0;                    // what the booking moves
  std::optional<i128> paid_amount{};  // to record on the charge
  i128 fee = 0;                // the gateway's, kept: kPaymentToMerchant, kAcceptFromSuspense
  Proof proof = Proof::kNone;  // kNone: the charge's stays
  ReviewKind review = ReviewKind::kNone;
};

// The amounts a gateway takes for a tenant, in minor units: its documented bounds, the tenant's
// own, and what a BR Code can carry (every BRL gateway is PIX). No upper bound: nullopt.
std::pair<i128, std::optional<i128>> GatewayBounds(const GatewayDescription& description,
                                                   const AmountBounds& tenant_bounds);

}  // namespace cambista::payins
