// Venezuelan bank accounts: bank codes, 20-digit accounts and the holder's cédula or RIF.
#include <algorithm>
#include <array>
#include <string>
#include <utility>

#include "payouts/destination.hpp"

namespace cambista::payouts {
namespace {

constexpr size_t kBankCodeDigits = 4;
constexpr size_t kAccountDigits = 20;
constexpr size_t kCedulaDigitsMax = 8;
constexpr size_t kRifDigits = 9;  // 8 digits and the check digit

// Banks by their SUDEBAN code, the first four digits of every account number they issue. Sources:
// the Banco Central de Venezuela's list of participants as published in
// github.com/pablorsk/bank-account-validator-venezuela (src/banksarray.inc.php, "Fuente: Banco
// Central de Venezuela"), and the Pago Móvil bank lists of SUDEBAN-regulated banks for the later
// names (0175 Banco Bicentenario became Banco Digital de los Trabajadores in 2021; 0177 Banfanb
// opened in 2013). Merged or closed banks (0116 BOD, 0146 Bangente, 0173 BID...) are left out: an
// account there can no longer receive a transfer. Sorted by code.
constexpr std::array<std::pair<std::string_view, std::string_view>, 23> kBanks = {{
    {"0102", "Banco de Venezuela"},
    {"0104", "Venezolano de Crédito"},
    {"0105", "Mercantil"},
    {"0108", "Provincial"},
    {"0114", "Bancaribe"},
    {"0115", "Banco Exterior"},
    {"0128", "Banco Caroní"},
    {"0134", "Banesco"},
    {"0137", "Sofitasa"},
    {"0138", "Banco Plaza"},
    {"0151", "BFC Banco Fondo Común"},
    {"0156", "100% Banco"},
    {"0157", "DelSur"},
    {"0163", "Banco del Tesoro"},
    {"0166", "Banco Agrícola de Venezuela"},
    {"0168", "Bancrecer"},
    {"0169", "Mi Banco"},
    {"0171", "Banco Activo"},
    {"0172", "Bancamiga"},
    {"0174", "Banplus"},
    {"0175", "Banco Digital de los Trabajadores"},
    {"0177", "Banfanb"},
    {"0191", "Banco Nacional de Crédito"},
}};

using Error = DestinationError;
using Kind = DestinationErrorKind;

bool IsDigit(char c) {
  return c >= '0' && c <= '9';
}
bool AllDigits(std::string_view text) {
  return std::all_of(text.begin(), text.end(), IsDigit);
}

// The letter's value in the RIF check digit (V=1, E=2, J=3, P=4, G=5), 0 for any other letter.
int RifLetterValue(char letter) {
  static constexpr std::string_view kLetters = "VEJPG";
  const size_t index = kLetters.find(letter);
  return index == std::string_view::npos ? 0 : static_cast<int>(index) + 1;
}

std::string WithoutSeparators(std::string_view text, std::string_view separators) {
  std::string kept;
  for (const char c : text) {
    if (separators.find(c) == std::string_view::npos) kept += c;
  }
  return kept;
}

Result<std::string, Error> ValidateBank(std::string_view bank) {
  if (!AllDigits(bank)) return Failure(Error(Kind::kInvalidCharacter, "bank", "digits only"));
  if (bank.size() != kBankCodeDigits) {
    return Failure(Error(Kind::kInvalidLength, "bank", "a bank code has 4 digits, e.g. 0134"));
  }
  if (VesBankName(bank).empty()) {
    return Failure(Error(Kind::kUnknownBank, "bank", "not the code of a Venezuelan bank we know"));
  }
  return std::string(bank);
}

Result<std::string, Error> ValidateAccount(std::string_view text, std::string_view bank) {
  const std::string account = WithoutSeparators(text, "- ");
  if (!AllDigits(account)) {
    return Failure(Error(Kind::kInvalidCharacter, "account", "digits only (dashes allowed)"));
  }
  if (account.size() != kAccountDigits) {
    return Failure(Error(Kind::kInvalidLength, "account", "a bank account has 20 digits"));
  }
  if (std::string_view(account).substr(0, kBankCodeDigits) != bank) {
    return Failure(Error(Kind::kAccountBankMismatch, "account",
                         "the account's first four digits are another bank's code"));
  }
  return account;
}

}  // namespace

std::string_view VesBankName(std::string_view code) {
  const auto* found = std::find_if(kBanks.begin(), kBanks.end(),
                                   [&](const auto& bank) { return bank.first == code; });
  return found == kBanks.end() ? std::string_view() : found->second;
}

std::optional<char> RifCheckDigit(std::string_view letter_and_8_digits) {
  const std::string_view text = letter_and_8_digits;
  if (text.size() != kRifDigits || !AllDigits(text.substr(1))) return std::nullopt;
  const int letter_value = RifLetterValue(text[0]);
  if (letter_value == 0) return std::nullopt;
  static constexpr std::array<int, 8> kWeights = {3, 2, 7, 6, 5, 4, 3, 2};
  int sum = 4 * letter_value;
  for (size_t i = 0; i < kWeights.size(); ++i) sum += kWeights[i] * (text[i + 1] - '0');
  const int check = 11 - sum % 11;
  return static_cast<char>('0' + (check >= 10 ? 0 : check));
}

Result<VesDocument, Error> ValidateVesDocument(std::string_view text) {
  std::string document = WithoutSeparators(text, "-. ");
  if (document.empty()) return Failure(Error(Kind::kMissing, "document", "the document is empty"));
  char& letter = document.front();
  if (letter >= 'a' && letter <= 'z') letter = static_cast<char>(letter - 'a' + 'A');
  const std::string_view digits = std::string_view(document).substr(1);
  if (RifLetterValue(letter) == 0 || !AllDigits(digits) || digits.empty()) {
    return Failure(Error(Kind::kInvalidDocument, "document",
                         "a cédula (V or E and its number) or a RIF (V, E, J, G or P, 8 digits "
                         "and the check digit)"));
  }
  const bool person = letter == 'V' || letter == 'E';
  if (person && digits.size() <= kCedulaDigitsMax) {
    const size_t first = digits.find_first_not_of('0');
    if (first == std::string_view::npos) {
      return Failure(Error(Kind::kInvalidDocument, "document", "a cédula number is not zero"));
    }
    return VesDocument{std::string(1, letter) + std::string(digits.substr(first)),
                       VesDocumentKind::kCedula};
  }
  if (digits.size() != kRifDigits) {
    return Failure(Error(Kind::kInvalidDocument, "document",
                         person ? "a cédula has at most 8 digits, a RIF 8 and a check digit"
                                : "a RIF has 8 digits and a check digit"));
  }
  if (RifCheckDigit(std::string_view(document).substr(0, kRifDigits)) != document.back()) {
    return Failure(Error(Kind::kChecksumMismatch, "document",
                         "the RIF's check digit does not match: a digit is probably mistyped"));
  }
  return VesDocument{document, VesDocumentKind::kRif};
}

Result<Destination, Error> ValidateVesBankAccount(std::string_view bank, std::string_view account,
                                                  std::string_view document) {
  auto valid_bank = ValidateBank(bank);
  if (!valid_bank.ok()) return Failure(valid_bank.error());
  auto valid_account = ValidateAccount(account, valid_bank.value());
  if (!valid_account.ok()) return Failure(valid_account.error());
  auto valid_document = ValidateVesDocument(document);
  if (!valid_document.ok()) return Failure(valid_document.error());
  Destination destination;
  destination.kind = DestinationKind::kVesBank;
  destination.bank = std::move(valid_bank.value());
  destination.account = std::move(valid_account.value());
  destination.document = std::move(valid_document->text);
  destination.document_kind = valid_document->kind;
  return destination;
}

}  // namespace cambista::payouts
