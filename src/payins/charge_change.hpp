// Inside the charge service: a change of a charge decided from a proven status or an operator's
// resolution, with the ledger booking that goes with it. Not for use outside payins/.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/int128.hpp"
#include "payins/model.hpp"

namespace cambista::payins {

// What a change posts to the ledger (the accounts are the charge's tenant's).
enum class Booking : uint8_t {
  kNone,
  kPaymentToMerchant,   // clearing -> merchant (gross), then the fee merchant -> clearing
  kPaymentToSuspense,   // clearing -> suspense: money received, under review
  kRefundFromMerchant,  // the fee clearing -> merchant, then merchant -> clearing (gross):
                        // refunded at the gateway, its fee with it
  kRefundFromSuspense,  // suspense -> clearing: refunded from review
  kAcceptFromSuspense,  // suspense -> merchant, then the fee merchant -> clearing
};

struct ChargeChange {
  ChargeStatus to = ChargeStatus::kPending;
  std::string reason{};
  Booking booking = Booking::kNone;
  i128 amount = 0;                    // what the booking moves
  std::optional<i128> paid_amount{};  // to record on the charge
  i128 fee = 0;                       // the gateway's: kept (payment, accept), returned (refund)
  Proof proof = Proof::kNone;         // kNone: the charge's stays
  ReviewKind review = ReviewKind::kNone;
};

}  // namespace cambista::payins
