// The simulators' charges, in memory, behind one mutex. A charge belongs to one gateway and is
// found by the gateway's id (or its second id, the hash some gateways use). Its state only moves
// forwards, as at a real gateway: PENDING -> PAID | EXPIRED | FAILED, then PAID -> REFUNDED.
// Each webhook sent about a charge is recorded with its outcome, so GET
// /sandbox/<gateway>/charges/{id} shows what the simulator did.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/amount.hpp"
#include "core/clock.hpp"
#include "core/result.hpp"

namespace cambista::sandbox {

enum class ChargeState : uint8_t { kPending, kPaid, kExpired, kFailed, kRefunded };
// "pending", "paid", "expired", "failed", "refunded": the simulator's own words, not a gateway's.
std::string_view ChargeStateName(ChargeState state);
// True when a charge in `from` may move to `to`.
bool TransitionAllowed(ChargeState from, ChargeState to);

// One webhook about a charge: which status it carried and how its delivery went.
struct DeliveryRecord {
  uint64_t id = 0;
  std::string status;              // the gateway's status word in the payload
  std::string outcome = "queued";  // queued | delivered | failed
  int attempts = 0;
  std::optional<int> response_status;
  std::string error;  // the last transport error or "HTTP 500"; empty on success
};

struct SimulatedCharge {
  SimulatedCharge(std::string_view gateway_name, std::string charge_id, std::string charge_hash,
                  const Amount& charge_amount)
      : gateway(gateway_name),
        id(std::move(charge_id)),
        hash(std::move(charge_hash)),
        amount(charge_amount) {}

  std::string gateway;
  std::string id;    // the gateway's charge id, as its API and webhooks name it
  std::string hash;  // a second id (ÁtomoPay's transaction hash); may be empty
  Amount amount;     // as requested, in the gateway's currency
  std::optional<Amount> paid_amount;
  ChargeState state = ChargeState::kPending;
  std::string reference;  // the caller's reference, echoed where the gateway echoes one
  std::string description;
  std::string webhook_url;  // empty: the caller gave none, no webhook is sent
  std::string pix_code;     // BR Code; empty for VES
  std::string payment_url;  // VES payment link; empty for PIX
  std::string tenant_hint;  // ÁtomoPay producer hash
  std::string payer_name;
  std::string payer_document;
  std::string end_to_end_id;
  int64_t created_at_ms = 0;
  int64_t updated_at_ms = 0;
  int64_t expires_at_ms = 0;
  std::optional<int64_t> status_fetched_at_ms;  // PushinPay's once-a-minute rule
  std::vector<DeliveryRecord> deliveries;
};

struct TransitionError {
  enum class Kind { kNotFound, kNotAllowed };
  Kind kind;
  std::string message;
};

class ChargeBook {
 public:
  static constexpr size_t kChargesMax = 10'000;

  explicit ChargeBook(const Clock& clock) : clock_(clock) {}

  // Stores a new charge; false (nothing stored) when its id or hash is already taken. Past
  // kChargesMax charges the oldest is forgotten, so a long-running sandbox stays bounded.
  bool Add(SimulatedCharge charge);
  // A copy of the charge whose id or hash is `id_or_hash`.
  std::optional<SimulatedCharge> Find(std::string_view gateway, std::string_view id_or_hash) const;
  // Every charge of a gateway, oldest first.
  std::vector<SimulatedCharge> List(std::string_view gateway) const;

  // Moves the charge to `to` (kNotAllowed when the state machine forbids it), first letting
  // `before` set the fields that come with the new state (paid amount, payer). Returns the charge
  // as it is afterwards.
  Result<SimulatedCharge, TransitionError> Transition(
      std::string_view gateway, std::string_view id_or_hash, ChargeState to,
      const std::function<void(SimulatedCharge&)>& before = nullptr);
  // Runs `change` on the charge under the lock; false when there is no such charge.
  bool Update(std::string_view gateway, std::string_view id_or_hash,
              const std::function<void(SimulatedCharge&)>& change);

  // Records a webhook about to be queued; returns its record id for UpdateDelivery.
  uint64_t AddDelivery(std::string_view gateway, std::string_view id, std::string status);
  void UpdateDelivery(std::string_view gateway, std::string_view id, uint64_t record_id,
                      const std::function<void(DeliveryRecord&)>& change);

 private:
  SimulatedCharge* FindLocked(std::string_view gateway, std::string_view id_or_hash);
  const SimulatedCharge* FindLocked(std::string_view gateway, std::string_view id_or_hash) const;

  const Clock& clock_;
  mutable std::mutex mutex_;
  std::map<uint64_t, SimulatedCharge> charges_;         // by creation sequence
  std::map<std::string, uint64_t, std::less<>> index_;  // "<gateway>/<id or hash>" -> sequence
  uint64_t next_sequence_ = 1;
  uint64_t next_delivery_id_ = 1;
};

}  // namespace cambista::sandbox
