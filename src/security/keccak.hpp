// Keccak-256, the hash of Ethereum and TRON (EIP-55 checksums, addresses, transaction ids).
//
// It is the original Keccak submission (padding byte 0x01), not NIST's SHA3-256 (padding 0x06):
// the two differ on every input, and OpenSSL 3.0 as shipped by Debian has only the latter. This is
// a small portable implementation of the Keccak-f[1600] permutation with rate 136 bytes; it is not
// constant-time-sensitive because it only ever hashes public data (addresses, transactions).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace cambista {

inline constexpr size_t kKeccak256Bytes = 32;

// Raw 32-byte Keccak-256 digest of `data` (raw bytes).
std::string Keccak256(std::string_view data);

}  // namespace cambista
