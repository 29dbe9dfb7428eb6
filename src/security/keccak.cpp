#include "security/keccak.hpp"

#include <array>
#include <cstdint>

namespace cambista {
namespace {

constexpr size_t kRateBytes = 136;  // 1600 bits of state minus 2 x 256 bits of capacity
constexpr int kRounds = 24;

constexpr std::array<uint64_t, kRounds> kRoundConstants = {
    0x0000000000000001ULL, 0x0000000000008082ULL, 0x800000000000808aULL, 0x8000000080008000ULL,
    0x000000000000808bULL, 0x0000000080000001ULL, 0x8000000080008081ULL, 0x8000000000008009ULL,
    0x000000000000008aULL, 0x0000000000000088ULL, 0x0000000080008009ULL, 0x000000008000000aULL,
    0x000000008000808bULL, 0x800000000000008bULL, 0x8000000000008089ULL, 0x8000000000008003ULL,
    0x8000000000008002ULL, 0x8000000000000080ULL, 0x000000000000800aULL, 0x800000008000000aULL,
    0x8000000080008081ULL, 0x8000000000008080ULL, 0x0000000080000001ULL, 0x8000000080008008ULL,
};
// Rotation offsets and lane order of the combined rho and pi steps, walking the 24 lanes other
// than (0, 0) along pi's cycle (as in the Keccak team's compact reference, "Keccak-readable").
constexpr std::array<int, 24> kRotations = {1,  3,  6,  10, 15, 21, 28, 36, 45, 55, 2,  14,
                                            27, 41, 56, 8,  25, 43, 62, 18, 39, 61, 20, 44};
constexpr std::array<int, 24> kPiLanes = {10, 7,  11, 17, 18, 3, 5,  16, 8,  21, 24, 4,
                                          15, 23, 19, 13, 12, 2, 20, 14, 22, 9,  6,  1};

uint64_t RotateLeft(uint64_t value, int bits) {
  return (value << bits) | (value >> (64 - bits));
}

void KeccakF1600(std::array<uint64_t, 25>& lanes) {
  for (int round = 0; round < kRounds; ++round) {
    std::array<uint64_t, 5> column{};  // theta
    for (int x = 0; x < 5; ++x) {
      column[x] = lanes[x] ^ lanes[x + 5] ^ lanes[x + 10] ^ lanes[x + 15] ^ lanes[x + 20];
    }
    for (int x = 0; x < 5; ++x) {
      const uint64_t d = column[(x + 4) % 5] ^ RotateLeft(column[(x + 1) % 5], 1);
      for (int y = 0; y < 25; y += 5) lanes[y + x] ^= d;
    }
    uint64_t carried = lanes[1];  // rho and pi
    for (int i = 0; i < 24; ++i) {
      const int lane = kPiLanes[i];
      const uint64_t next = lanes[lane];
      lanes[lane] = RotateLeft(carried, kRotations[i]);
      carried = next;
    }
    for (int y = 0; y < 25; y += 5) {  // chi
      std::array<uint64_t, 5> row{};
      for (int x = 0; x < 5; ++x) row[x] = lanes[y + x];
      for (int x = 0; x < 5; ++x) lanes[y + x] = row[x] ^ (~row[(x + 1) % 5] & row[(x + 2) % 5]);
    }
    lanes[0] ^= kRoundConstants[round];  // iota
  }
}

// Lanes are little-endian 64-bit words of the byte-addressed state.
void XorByte(std::array<uint64_t, 25>& lanes, size_t offset, uint8_t byte) {
  lanes[offset / 8] ^= static_cast<uint64_t>(byte) << (8 * (offset % 8));
}

}  // namespace

std::string Keccak256(std::string_view data) {
  std::array<uint64_t, 25> lanes{};
  size_t offset = 0;
  for (const char c : data) {
    XorByte(lanes, offset, static_cast<uint8_t>(c));
    if (++offset == kRateBytes) {
      KeccakF1600(lanes);
      offset = 0;
    }
  }
  // Keccak's multi-rate padding pad10*1 with the original domain byte 0x01 (SHA-3 uses 0x06).
  XorByte(lanes, offset, 0x01);
  XorByte(lanes, kRateBytes - 1, 0x80);
  KeccakF1600(lanes);
  std::string digest(kKeccak256Bytes, '\0');
  for (size_t i = 0; i < kKeccak256Bytes; ++i) {
    digest[i] = static_cast<char>((lanes[i / 8] >> (8 * (i % 8))) & 0xff);
  }
  return digest;
}

}  // namespace cambista
