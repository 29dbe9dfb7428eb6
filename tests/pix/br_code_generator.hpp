// Random but valid BR Codes for round-trip and cross-check tests: keys of every kind (with check
// digits computed here, independently of pix_key.cpp), amounts from cents to the 13-character
// maximum, names and cities with accents and characters that must be dropped, txids of every
// allowed shape, static and dynamic codes. Seeded, so a failure is reproducible.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "core/amount.hpp"
#include "pix/br_code.hpp"

namespace cambista::pix::testing {

// What the encoder is given, and what ParseBrCode must return for the encoded text.
struct GeneratedCode {
  BrCode input;
  BrCode expected;
};

class BrCodeGenerator {
 public:
  explicit BrCodeGenerator(uint64_t seed) : random_(seed) {}

  GeneratedCode Next() {
    GeneratedCode code;
    const bool dynamic = Chance(30);
    if (dynamic) {
      code.input.location_url = RandomLocation();
      code.input.single_use = Chance(90);
    } else {
      code.input.key = RandomKey();
      code.input.single_use = Chance(20);
    }
    if (Chance(75)) code.input.amount = RandomAmount();
    auto [name, name_expected] = RandomText(kMerchantNameLengthMax, true);
    auto [city, city_expected] = RandomText(kMerchantCityLengthMax, true);
    code.input.merchant_name = name;
    code.input.merchant_city = city;
    code.input.txid = RandomTxid(dynamic ? kDynamicTxidLengthMax : kStaticTxidLengthMax);
    code.expected = code.input;
    code.expected.merchant_name = name_expected;
    code.expected.merchant_city = city_expected;
    // Room left in the 99-character 26 template: GUI (18), key (4 + n), description (4 + n).
    if (!dynamic && Chance(50)) {
      const size_t room = kMerchantAccountLengthMax - 18 - 4 - code.input.key.size() - 4;
      if (room > 0) {
        auto [description, description_expected] = RandomText(room, false);
        code.input.description = description;
        code.expected.description = description_expected;
      }
    }
    return code;
  }

  std::string RandomCpf() {
    while (true) {
      std::string digits = RandomDigits(9);
      digits += CheckDigit(digits, 10);
      digits += CheckDigit(digits, 11);
      if (digits.find_first_not_of(digits[0]) != std::string::npos) return digits;
    }
  }

  std::string RandomCnpj() {
    std::string digits = RandomDigits(8) + "0001";
    // Weights run 2..9 from the right, cycling: the textbook description of the CNPJ digits.
    for (int round = 0; round < 2; ++round) {
      int sum = 0;
      int weight = 2;
      for (size_t i = digits.size(); i-- > 0;) {
        sum += (digits[i] - '0') * weight;
        weight = weight == 9 ? 2 : weight + 1;
      }
      const int remainder = sum % 11;
      digits += static_cast<char>('0' + (remainder < 2 ? 0 : 11 - remainder));
    }
    return digits;
  }

  std::string RandomPhone() {
    std::string phone = "+55" + std::string(1, Digit(1, 9)) + std::string(1, Digit(1, 9));
    if (Chance(80)) return phone + "9" + RandomDigits(8);
    return phone + std::string(1, Digit(2, 5)) + RandomDigits(7);
  }

  std::string RandomEmail() {
    static constexpr std::string_view kLocalCharacters = "abcdefghijklmnopqrstuvwxyz0123456789_+-";
    static const std::vector<std::string> kDomains = {"gmail.com", "empresa.com.br", "me.com",
                                                      "sub-dominio.exemplo.org"};
    std::string local;
    const size_t length = Uniform(1, 30);
    for (size_t i = 0; i < length; ++i) {
      // A dot only between two other characters.
      if (i > 0 && i + 1 < length && local.back() != '.' && Chance(10)) {
        local += '.';
      } else {
        local += Pick(kLocalCharacters);
      }
    }
    return local + "@" + kDomains[Uniform(0, kDomains.size() - 1)];
  }

  std::string RandomEvp() {
    static constexpr std::string_view kLower = "0123456789abcdef";
    static constexpr std::string_view kUpper = "0123456789ABCDEF";
    const std::string_view hex = Chance(80) ? kLower : kUpper;
    std::string uuid;
    for (size_t i = 0; i < 36; ++i) {
      uuid += (i == 8 || i == 13 || i == 18 || i == 23) ? '-' : Pick(hex);
    }
    return uuid;
  }

  std::string RandomKey() {
    switch (Uniform(0, 4)) {
      case 0:
        return RandomCpf();
      case 1:
        return RandomCnpj();
      case 2:
        return RandomPhone();
      case 3:
        return RandomEmail();
      default:
        return RandomEvp();
    }
  }

  Amount RandomAmount() {
    static const Asset kBrl = Asset::Make("BRL", 2).value();
    // Mostly everyday amounts, sometimes up to the largest that field 54 can hold.
    const uint64_t maximum = Chance(20)   ? 999'999'999'999ULL
                             : Chance(50) ? 100'000ULL
                                          : 10'000'000ULL;
    return Amount(static_cast<i128>(UniformU64(1, maximum)), kBrl);
  }

  std::string RandomTxid(size_t length_max) {
    static constexpr std::string_view kAlphanumeric =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    if (Chance(40)) return "***";
    std::string txid;
    const size_t length = Chance(30) ? length_max : Uniform(1, length_max);
    for (size_t i = 0; i < length; ++i) txid += Pick(kAlphanumeric);
    return txid;
  }

  std::string RandomLocation() {
    static const std::vector<std::string> kHosts = {"pix.example.com/qr/v2/", "qr.psp.com.br/cobv/",
                                                    "api.banco.io/pix/"};
    static constexpr std::string_view kPathCharacters = "abcdef0123456789-";
    std::string url = kHosts[Uniform(0, kHosts.size() - 1)];
    const size_t length = Uniform(1, 77 - url.size());
    for (size_t i = 0; i < length; ++i) url += Pick(kPathCharacters);
    return url;
  }

  // UTF-8 text of at most `length_max` characters once folded, and its folded (and, for names,
  // upper-cased) form. Starts with a letter so it is never blank.
  std::pair<std::string, std::string> RandomText(size_t length_max, bool upper) {
    struct Piece {
      std::string_view utf8;
      std::string_view folded;
      std::string_view folded_upper;
    };
    static const std::vector<Piece> kPieces = {
        {"a", "a", "A"},
        {"B", "B", "B"},
        {"z", "z", "Z"},
        {"M", "M", "M"},
        {" ", " ", " "},
        {"7", "7", "7"},
        {"\xc3\xa3", "a", "A"},        // ã
        {"\xc3\x81", "A", "A"},        // Á
        {"\xc3\xa7", "c", "C"},        // ç
        {"\xc3\x87", "C", "C"},        // Ç
        {"\xc3\xa9", "e", "E"},        // é
        {"\xc3\xaa", "e", "E"},        // ê
        {"\xc3\xad", "i", "I"},        // í
        {"\xc3\xb3", "o", "O"},        // ó
        {"\xc3\xb5", "o", "O"},        // õ
        {"\xc3\x94", "O", "O"},        // Ô
        {"\xc3\xba", "u", "U"},        // ú
        {"\xc3\xbc", "u", "U"},        // ü
        {"\xc3\xb1", "n", "N"},        // ñ
        {"\xc3\x91", "N", "N"},        // Ñ
        {"\xc3\x9f", "ss", "SS"},      // ß
        {"\xe2\x82\xac", "", ""},      // € (dropped)
        {"\xf0\x9f\x98\x80", "", ""},  // an emoji (dropped)
        {"&", "&", "&"},
        {"-", "-", "-"},
        {".", ".", "."},
        {"'", "'", "'"},
    };
    const size_t target = Uniform(1, length_max);
    std::string utf8 = "P";
    std::string folded = "P";
    for (int attempt = 0; attempt < 200 && folded.size() < target; ++attempt) {
      const Piece& piece = kPieces[Uniform(0, kPieces.size() - 1)];
      const std::string_view piece_folded = upper ? piece.folded_upper : piece.folded;
      if (folded.size() + piece_folded.size() > target) continue;
      utf8 += piece.utf8;
      folded += piece_folded;
    }
    return {utf8, folded};
  }

 private:
  bool Chance(int percent) { return Uniform(0, 99) < static_cast<size_t>(percent); }
  size_t Uniform(size_t low, size_t high) {
    return std::uniform_int_distribution<size_t>(low, high)(random_);
  }
  uint64_t UniformU64(uint64_t low, uint64_t high) {
    return std::uniform_int_distribution<uint64_t>(low, high)(random_);
  }
  char Pick(std::string_view alphabet) { return alphabet[Uniform(0, alphabet.size() - 1)]; }
  char Digit(int low, int high) {
    return static_cast<char>('0' + Uniform(static_cast<size_t>(low), static_cast<size_t>(high)));
  }
  std::string RandomDigits(size_t count) {
    std::string digits;
    for (size_t i = 0; i < count; ++i) digits += Digit(0, 9);
    return digits;
  }
  // CPF check digit: sum of digit × (first_weight, first_weight - 1, ...), × 10 mod 11 mod 10.
  static char CheckDigit(std::string_view digits, int first_weight) {
    int sum = 0;
    for (size_t i = 0; i < digits.size(); ++i) {
      sum += (digits[i] - '0') * (first_weight - static_cast<int>(i));
    }
    return static_cast<char>('0' + sum * 10 % 11 % 10);
  }

  std::mt19937_64 random_;
};

}  // namespace cambista::pix::testing
