#include "pricing/rate_source.hpp"

#include <array>

namespace cambista::pricing {

std::span<const SandboxPrice> SandboxStartingPrices() {
  // Plausible books of 2025, nothing more: the sandbox's simulators start here, and
  // PUT /sandbox/rates/{pair} moves them.
  static constexpr std::array<SandboxPrice, 4> kPrices = {{
      {"USDT/BRL", "5.40", "5.46"},
      {"USDT/VES", "118.50", "120.10"},
      {"USDT/COP", "4080", "4120"},
      {"POL/BRL", "1.28", "1.31"},
  }};
  return kPrices;
}

}  // namespace cambista::pricing
