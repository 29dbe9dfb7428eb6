// The master key: 32 random bytes in a file of its own (mode 0600), never in the database. Keys for
// each purpose are derived from it (HMAC-SHA256 with a purpose label), starting with the pepper of
// API key hashes; later the encryption key of provider credentials.
#pragma once

#include <string>

#include "core/result.hpp"

namespace cambista::app {

// Reads the key file (64 hex characters), creating it with a new random key if it does not exist.
Result<std::string, std::string> LoadOrCreateMasterKey(const std::string& path);
// HMAC-SHA256(master, purpose): 32 bytes.
std::string DeriveKey(const std::string& master_key, std::string_view purpose);

inline constexpr std::string_view kApiKeyPepperPurpose = "cambista api key pepper v1";

struct Config;
// The API key pepper for this configuration (loads or creates the master key file).
Result<std::string, std::string> ApiKeyPepper(const Config& config);

}  // namespace cambista::app
