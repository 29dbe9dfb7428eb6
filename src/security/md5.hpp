// MD5, only where a provider's protocol requires it (Heleket signs requests and callbacks with
// md5(base64(body) + key)). MD5 is broken for collisions: never use it for anything of our own.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace cambista {

inline constexpr size_t kMd5Bytes = 16;

// Raw 16-byte MD5 digest (RFC 1321); throws std::runtime_error if OpenSSL cannot compute it.
std::string Md5(std::string_view data);

}  // namespace cambista
