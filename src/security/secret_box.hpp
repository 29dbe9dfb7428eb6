// Secrets at rest (TOTP seeds, webhook signing secrets, provider credentials): AES-256-GCM with a
// key derived from the master key file, a fresh random 96-bit nonce per seal, and associated data
// that binds each ciphertext to where it belongs (e.g. "api_keys.totp:<prefix>"), so a ciphertext
// copied to another row does not open. Sealed form: "v1" || nonce (12) || ciphertext || tag (16).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace cambista {

enum class SecretBoxError : uint16_t {
  kMalformed = 1,     // too short, or an unknown version
  kNotAuthentic = 2,  // wrong key, wrong associated data, or altered bytes
};

std::string_view SecretBoxErrorCode(SecretBoxError error);

class SecretBox {
 public:
  static constexpr size_t kKeyBytes = 32;
  explicit SecretBox(std::string key);  // exactly kKeyBytes (CAMBISTA_CHECK)

  std::string Seal(std::string_view plaintext, std::string_view associated_data) const;
  Result<std::string, SecretBoxError> Open(std::string_view sealed,
                                           std::string_view associated_data) const;

 private:
  std::string key_;
};

}  // namespace cambista
