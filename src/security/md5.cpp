#include "security/md5.hpp"

#include <openssl/evp.h>

#include <array>
#include <stdexcept>

namespace cambista {

std::string Md5(std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int digest_size = 0;
  if (EVP_Digest(data.data(), data.size(), digest.data(), &digest_size, EVP_md5(), nullptr) != 1 ||
      digest_size != kMd5Bytes) {
    throw std::runtime_error("EVP_Digest(MD5) failed");
  }
  return std::string(reinterpret_cast<const char*>(digest.data()), digest_size);
}

}  // namespace cambista
