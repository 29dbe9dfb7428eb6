#include "security/secret_box.hpp"

#include <openssl/evp.h>

#include <memory>

#include "core/assert.hpp"
#include "security/hmac.hpp"

namespace cambista {
namespace {

constexpr std::string_view kVersion = "v1";
constexpr size_t kNonceBytes = 12;
constexpr size_t kTagBytes = 16;

using CipherContext = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

const unsigned char* Bytes(std::string_view text) {
  return reinterpret_cast<const unsigned char*>(text.data());
}

}  // namespace

std::string_view SecretBoxErrorCode(SecretBoxError error) {
  switch (error) {
    case SecretBoxError::kMalformed:
      return "malformed";
    case SecretBoxError::kNotAuthentic:
      return "not_authentic";
  }
  return "unknown";
}

SecretBox::SecretBox(std::string key) : key_(std::move(key)) {
  CAMBISTA_CHECK(key_.size() == kKeyBytes);
}

std::string SecretBox::Seal(std::string_view plaintext, std::string_view associated_data) const {
  const std::string nonce = RandomBytes(kNonceBytes);
  std::string sealed(kVersion);
  sealed += nonce;
  const size_t ciphertext_at = sealed.size();
  sealed.resize(ciphertext_at + plaintext.size() + kTagBytes);
  auto* out = reinterpret_cast<unsigned char*>(sealed.data());
  CipherContext context(EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free);
  int length = 0;
  bool ok = context != nullptr &&
            EVP_EncryptInit_ex(context.get(), EVP_aes_256_gcm(), nullptr, Bytes(key_),
                               Bytes(nonce)) == 1 &&
            EVP_EncryptUpdate(context.get(), nullptr, &length, Bytes(associated_data),
                              static_cast<int>(associated_data.size())) == 1 &&
            EVP_EncryptUpdate(context.get(), out + ciphertext_at, &length, Bytes(plaintext),
                              static_cast<int>(plaintext.size())) == 1 &&
            EVP_EncryptFinal_ex(context.get(), out + ciphertext_at + length, &length) == 1 &&
            EVP_CIPHER_CTX_ctrl(context.get(), EVP_CTRL_GCM_GET_TAG, kTagBytes,
                                out + ciphertext_at + plaintext.size()) == 1;
  CAMBISTA_CHECK(ok);  // encryption with a valid key cannot fail short of a broken library
  return sealed;
}

Result<std::string, SecretBoxError> SecretBox::Open(std::string_view sealed,
                                                    std::string_view associated_data) const {
  if (sealed.size() < kVersion.size() + kNonceBytes + kTagBytes || !sealed.starts_with(kVersion)) {
    return Failure{SecretBoxError::kMalformed};
  }
  const std::string_view nonce = sealed.substr(kVersion.size(), kNonceBytes);
  const std::string_view body = sealed.substr(kVersion.size() + kNonceBytes);
  const std::string_view ciphertext = body.substr(0, body.size() - kTagBytes);
  std::string tag(body.substr(body.size() - kTagBytes));
  std::string plaintext(ciphertext.size(), '\0');
  auto* out = reinterpret_cast<unsigned char*>(plaintext.data());
  CipherContext context(EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free);
  int length = 0;
  const bool ok =
      context != nullptr &&
      EVP_DecryptInit_ex(context.get(), EVP_aes_256_gcm(), nullptr, Bytes(key_), Bytes(nonce)) ==
          1 &&
      EVP_DecryptUpdate(context.get(), nullptr, &length, Bytes(associated_data),
                        static_cast<int>(associated_data.size())) == 1 &&
      EVP_DecryptUpdate(context.get(), out, &length, Bytes(ciphertext),
                        static_cast<int>(ciphertext.size())) == 1 &&
      EVP_CIPHER_CTX_ctrl(context.get(), EVP_CTRL_GCM_SET_TAG, kTagBytes, tag.data()) == 1 &&
      EVP_DecryptFinal_ex(context.get(), out + length, &length) == 1;
  if (!ok) return Failure{SecretBoxError::kNotAuthentic};
  return plaintext;
}

}  // namespace cambista
