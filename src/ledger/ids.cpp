#include "ledger/ids.hpp"

#include <mutex>
#include <random>

namespace cambista::ledger {

u128 TimeOrderedId(const Clock& clock) {
  static std::mutex mutex;
  static std::mt19937_64 random{std::random_device{}()};
  static u128 last = 0;
  constexpr u128 kRandomMask = (u128{1} << 80) - 1;
  std::lock_guard lock(mutex);
  const auto ms =
      static_cast<u128>(static_cast<uint64_t>(clock.NowMs()) & ((uint64_t{1} << 48) - 1));
  u128 id = (ms << 80) | ((static_cast<u128>(random()) << 64 | random()) & kRandomMask);
  // Within one millisecond (or if the clock steps back), keep increasing: last + a small random
  // step.
  if (id <= last) id = last + 1 + (random() & 0xFFFF);
  if (id == 0 || id == kU128Max) id = last + 1;
  last = id;
  return id;
}

}  // namespace cambista::ledger
