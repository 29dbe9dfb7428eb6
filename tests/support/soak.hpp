// What the randomized soaks share (tests/payouts/payouts_soak_test.cpp,
// tests/trading/trades_soak_test.cpp): a generator that makes the same choices for the same seed
// with any standard library, and the environment's knobs: CAMBISTA_SOAK_SEED replays a run's
// choices, CAMBISTA_SOAK_N sizes it.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <random>
#include <vector>

namespace cambista::testing {

// splitmix64.
class Prng {
 public:
  explicit Prng(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  int64_t Between(int64_t low, int64_t high) {  // inclusive
    return low + static_cast<int64_t>(Next() % static_cast<uint64_t>(high - low + 1));
  }
  bool Chance(int percent) { return Between(0, 99) < percent; }
  template <class T>
  const T& Pick(const std::vector<T>& items) {
    return items[Next() % items.size()];
  }

 private:
  uint64_t state_;
};

// CAMBISTA_SOAK_SEED, else a fresh random seed.
inline uint64_t SoakSeed() {
  if (const char* text = std::getenv("CAMBISTA_SOAK_SEED"); text != nullptr && *text != '\0') {
    return std::strtoull(text, nullptr, 10);
  }
  std::random_device device;
  return (static_cast<uint64_t>(device()) << 32) ^ device();
}

// CAMBISTA_SOAK_N when positive, else `fallback`.
inline int SoakCount(int fallback) {
  const char* text = std::getenv("CAMBISTA_SOAK_N");
  const int count = text != nullptr ? std::atoi(text) : 0;
  return count > 0 ? count : fallback;
}

}  // namespace cambista::testing
