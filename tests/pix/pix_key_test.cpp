#include "pix/pix_key.hpp"

#include <gtest/gtest.h>

#include <string>

#include "br_code_generator.hpp"

namespace cambista::pix {
namespace {

void ExpectKind(std::string_view key, PixKeyKind kind) {
  auto result = ClassifyPixKey(key);
  ASSERT_TRUE(result.ok()) << key << ": " << PixKeyErrorCode(result.error());
  EXPECT_EQ(result.value(), kind) << key;
}

void ExpectError(std::string_view key, PixKeyError error) {
  auto result = ClassifyPixKey(key);
  ASSERT_FALSE(result.ok()) << key << " classified as " << PixKeyKindName(result.value());
  EXPECT_EQ(result.error(), error) << key << ": " << PixKeyErrorCode(result.error());
}

TEST(ClassifyPixKey, Cpf) {
  ExpectKind("52998224725", PixKeyKind::kCpf);  // the textbook example 529.982.247-25
  ExpectKind("11144477735", PixKeyKind::kCpf);  // 111.444.777-35
  ExpectKind("00000000191", PixKeyKind::kCpf);  // check digits 9 and 1 with leading zeros
  ExpectError("52998224724", PixKeyError::kCpfCheckDigits);
  ExpectError("52998224715", PixKeyError::kCpfCheckDigits);
  ExpectError("11111111111", PixKeyError::kRepeatedDigits);  // passes the checksum
  ExpectError("00000000000", PixKeyError::kRepeatedDigits);
  ExpectError("529.982.247-25", PixKeyError::kUnrecognized);
  ExpectError("5299822472", PixKeyError::kUnrecognized);  // 10 digits
}

TEST(ClassifyPixKey, Cnpj) {
  ExpectKind("11222333000181", PixKeyKind::kCnpj);  // 11.222.333/0001-81
  ExpectKind("00000000000191", PixKeyKind::kCnpj);  // Banco do Brasil
  ExpectError("11222333000182", PixKeyError::kCnpjCheckDigits);
  ExpectError("11222333000191", PixKeyError::kCnpjCheckDigits);
  ExpectError("99999999999999", PixKeyError::kRepeatedDigits);
  ExpectError("11.222.333/0001-81", PixKeyError::kUnrecognized);
}

TEST(ClassifyPixKey, Phone) {
  ExpectKind("+5511987654321", PixKeyKind::kPhone);            // mobile, 9 digits
  ExpectKind("+552133334444", PixKeyKind::kPhone);             // landline, 8 digits
  ExpectError("+55119876543210", PixKeyError::kInvalidPhone);  // 12 national digits
  ExpectError("+551198765432", PixKeyError::kInvalidPhone);    // old 8-digit mobile, no 9
  ExpectError("+5511887654321", PixKeyError::kInvalidPhone);   // 9 digits not starting with 9
  ExpectError("+5501987654321", PixKeyError::kInvalidPhone);   // area code 01
  ExpectError("+5510987654321", PixKeyError::kInvalidPhone);   // area code 10
  ExpectError("+14155552671", PixKeyError::kInvalidPhone);     // not Brazil
  ExpectError("+55 11 98765-4321", PixKeyError::kInvalidPhone);
  ExpectError("5511987654321", PixKeyError::kUnrecognized);  // no '+', 13 digits
}

TEST(ClassifyPixKey, Email) {
  ExpectKind("thalesog@me.com", PixKeyKind::kEmail);
  ExpectKind("first.last+pix@sub-domain.example.com.br", PixKeyKind::kEmail);
  ExpectKind("Mixed.Case@Example.COM", PixKeyKind::kEmail);
  ExpectKind(std::string(64, 'a') + "@b.co", PixKeyKind::kEmail);
  ExpectError(std::string(65, 'a') + "@b.co", PixKeyError::kInvalidEmail);  // local part > 64
  ExpectKind(std::string(60, 'a') + "@" + std::string(12, 'b') + ".com", PixKeyKind::kEmail);  // 77
  ExpectError(std::string(71, 'a') + "@bb.com", PixKeyError::kTooLong);                        // 78
  ExpectKind("+promo@example.com", PixKeyKind::kEmail);
  for (const char* bad :
       {"@example.com", "user@", "user@@example.com", "a@b@example.com", "user@example",
        "user@example.c", "user@example.c0m", ".user@example.com", "user.@example.com",
        "us..er@example.com", "user@-example.com", "user@example-.com", "user@exa mple.com",
        "us er@example.com", "user@example..com", "user@.example.com", "user@example.com.",
        "us\"er@example.com", "user@ex_ample.com"}) {
    ExpectError(bad, PixKeyError::kInvalidEmail);
  }
}

TEST(ClassifyPixKey, RandomKey) {
  ExpectKind("123e4567-e89b-12d3-a456-426614174000", PixKeyKind::kEvp);
  ExpectKind("123E4567-E89B-12D3-A456-426614174000", PixKeyKind::kEvp);
  ExpectError("123e4567-e89b-12d3-a456-42661417400g", PixKeyError::kInvalidEvp);
  ExpectError("123e4567e89b12d3a456426614174000", PixKeyError::kUnrecognized);       // no dashes
  ExpectError("123e4567-e89b-12d3-a456-4266141740000", PixKeyError::kUnrecognized);  // 37
}

TEST(ClassifyPixKey, EmptyAndOversize) {
  ExpectError("", PixKeyError::kEmpty);
  ExpectError(std::string(78, '1'), PixKeyError::kTooLong);
  ExpectError("chave", PixKeyError::kUnrecognized);
}

TEST(ClassifyPixKey, GeneratedKeysOfEveryKind) {
  // The generator computes check digits its own way (the textbook formulas), so this checks
  // pix_key.cpp against an independent implementation on many keys.
  pix::testing::BrCodeGenerator generator(7);
  for (int i = 0; i < 500; ++i) {
    ExpectKind(generator.RandomCpf(), PixKeyKind::kCpf);
    ExpectKind(generator.RandomCnpj(), PixKeyKind::kCnpj);
    ExpectKind(generator.RandomPhone(), PixKeyKind::kPhone);
    ExpectKind(generator.RandomEmail(), PixKeyKind::kEmail);
    ExpectKind(generator.RandomEvp(), PixKeyKind::kEvp);
    // A changed check digit is always caught.
    std::string cpf = generator.RandomCpf();
    cpf[10 - static_cast<size_t>(i % 2)] =
        static_cast<char>('0' + (cpf[10 - i % 2] - '0' + 1 + i % 9) % 10);
    EXPECT_EQ(ClassifyPixKey(cpf).error(), PixKeyError::kCpfCheckDigits) << cpf;
  }
}

TEST(PixKeyNames, AreStable) {
  EXPECT_EQ(PixKeyKindName(PixKeyKind::kCpf), "cpf");
  EXPECT_EQ(PixKeyKindName(PixKeyKind::kEvp), "evp");
  EXPECT_EQ(PixKeyErrorCode(PixKeyError::kCnpjCheckDigits), "cnpj_check_digits");
  EXPECT_EQ(static_cast<int>(PixKeyError::kUnrecognized), 9);
  EXPECT_FALSE(PixKeyErrorMessage(PixKeyError::kInvalidPhone).empty());
}

}  // namespace
}  // namespace cambista::pix
