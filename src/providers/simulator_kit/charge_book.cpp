#include "providers/simulator_kit/charge_book.hpp"

namespace cambista::sandbox {
namespace {

std::string Key(std::string_view gateway, std::string_view id) {
  std::string key(gateway);
  key.append("/").append(id);
  return key;
}

}  // namespace

std::string_view ChargeStateName(ChargeState state) {
  switch (state) {
    case ChargeState::kPending:
      return "pending";
    case ChargeState::kPaid:
      return "paid";
    case ChargeState::kExpired:
      return "expired";
    case ChargeState::kFailed:
      return "failed";
    case ChargeState::kRefunded:
      return "refunded";
  }
  return "unknown";
}

bool TransitionAllowed(ChargeState from, ChargeState to) {
  switch (from) {
    case ChargeState::kPending:
      return to == ChargeState::kPaid || to == ChargeState::kExpired || to == ChargeState::kFailed;
    case ChargeState::kPaid:
      return to == ChargeState::kRefunded;
    case ChargeState::kExpired:
    case ChargeState::kFailed:
    case ChargeState::kRefunded:
      return false;
  }
  return false;
}

bool ChargeBook::Add(SimulatedCharge charge) {
  std::lock_guard lock(mutex_);
  if (index_.contains(Key(charge.gateway, charge.id)) ||
      (!charge.hash.empty() && index_.contains(Key(charge.gateway, charge.hash)))) {
    return false;
  }
  const uint64_t sequence = next_sequence_++;
  index_.emplace(Key(charge.gateway, charge.id), sequence);
  if (!charge.hash.empty()) index_.emplace(Key(charge.gateway, charge.hash), sequence);
  charges_.emplace(sequence, std::move(charge));
  while (charges_.size() > kChargesMax) {
    const SimulatedCharge& oldest = charges_.begin()->second;
    index_.erase(Key(oldest.gateway, oldest.id));
    if (!oldest.hash.empty()) index_.erase(Key(oldest.gateway, oldest.hash));
    charges_.erase(charges_.begin());
  }
  return true;
}

const SimulatedCharge* ChargeBook::FindLocked(std::string_view gateway,
                                              std::string_view id_or_hash) const {
  const auto found = index_.find(Key(gateway, id_or_hash));
  if (found == index_.end()) return nullptr;
  const auto charge = charges_.find(found->second);
  return charge == charges_.end() ? nullptr : &charge->second;
}

SimulatedCharge* ChargeBook::FindLocked(std::string_view gateway, std::string_view id_or_hash) {
  return const_cast<SimulatedCharge*>(std::as_const(*this).FindLocked(gateway, id_or_hash));
}

std::optional<SimulatedCharge> ChargeBook::Find(std::string_view gateway,
                                                std::string_view id_or_hash) const {
  std::lock_guard lock(mutex_);
  const SimulatedCharge* charge = FindLocked(gateway, id_or_hash);
  if (charge == nullptr) return std::nullopt;
  return *charge;
}

std::vector<SimulatedCharge> ChargeBook::List(std::string_view gateway) const {
  std::lock_guard lock(mutex_);
  std::vector<SimulatedCharge> list;
  for (const auto& [sequence, charge] : charges_) {
    if (charge.gateway == gateway) list.push_back(charge);
  }
  return list;
}

Result<SimulatedCharge, TransitionError> ChargeBook::Transition(
    std::string_view gateway, std::string_view id_or_hash, ChargeState to,
    const std::function<void(SimulatedCharge&)>& before) {
  std::lock_guard lock(mutex_);
  SimulatedCharge* charge = FindLocked(gateway, id_or_hash);
  if (charge == nullptr) {
    return Failure{
        TransitionError{TransitionError::Kind::kNotFound,
                        "No " + std::string(gateway) + " charge " + std::string(id_or_hash) + "."}};
  }
  if (!TransitionAllowed(charge->state, to)) {
    return Failure{TransitionError{
        TransitionError::Kind::kNotAllowed,
        "Charge " + charge->id + " is " + std::string(ChargeStateName(charge->state)) +
            "; it cannot become " + std::string(ChargeStateName(to)) +
            " (a status only moves forwards: pending -> paid | expired | failed, paid -> "
            "refunded)."}};
  }
  if (before) before(*charge);
  charge->state = to;
  charge->updated_at_ms = clock_.NowMs();
  return *charge;
}

bool ChargeBook::Update(std::string_view gateway, std::string_view id_or_hash,
                        const std::function<void(SimulatedCharge&)>& change) {
  std::lock_guard lock(mutex_);
  SimulatedCharge* charge = FindLocked(gateway, id_or_hash);
  if (charge == nullptr) return false;
  change(*charge);
  return true;
}

uint64_t ChargeBook::AddDelivery(std::string_view gateway, std::string_view id,
                                 std::string status) {
  std::lock_guard lock(mutex_);
  const uint64_t record_id = next_delivery_id_++;
  if (SimulatedCharge* charge = FindLocked(gateway, id)) {
    DeliveryRecord record;
    record.id = record_id;
    record.status = std::move(status);
    charge->deliveries.push_back(std::move(record));
  }
  return record_id;
}

void ChargeBook::UpdateDelivery(std::string_view gateway, std::string_view id, uint64_t record_id,
                                const std::function<void(DeliveryRecord&)>& change) {
  std::lock_guard lock(mutex_);
  SimulatedCharge* charge = FindLocked(gateway, id);
  if (charge == nullptr) return;  // forgotten since (kChargesMax)
  for (DeliveryRecord& record : charge->deliveries) {
    if (record.id == record_id) change(record);
  }
}

}  // namespace cambista::sandbox
