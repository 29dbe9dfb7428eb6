// The master key: 32 random bytes in a file of its own (mode 0600) or in the environment
// (CAMBISTA_SECURITY_MASTER_KEY), never in the database. Keys for
// each purpose are derived from it where they are used (HMAC-SHA256 with a purpose label): the
// pepper of API key hashes, the key that seals secrets at rest (api/api_key_store.cpp).
#pragma once

#include <string>

#include "core/result.hpp"

namespace cambista::app {

// Reads the key file (64 hex characters), creating it with a new random key if it does not exist.
Result<std::string, std::string> LoadOrCreateMasterKey(const std::string& path);

struct Config;
// The master key of this configuration: security.master_key (e.g. from the environment) when set,
// else its file (loaded, or created with a new key).
Result<std::string, std::string> MasterKey(const Config& config);

}  // namespace cambista::app
