// Where a payout goes, validated before anything is stored: a wallet address on a network, a PIX
// key, or a Venezuelan bank account. A destination that cannot receive money must fail here, with
// the field and the reason, rather than hours later at a provider (or never, when a typo in an
// address lands on someone else's key and the funds are gone).
//
// A request names one of three kinds (names as in the API):
//
//   crypto_address {network, address}   network: TRON, ETH, POLYGON, BSC, BTC, SOL (any case)
//     ETH, POLYGON, BSC  "0x" + 40 hex digits. All lower or all upper case is accepted and stored
//                        in its EIP-55 checksum casing; mixed case is a checksum and must match
//                        it (a mixed-case typo is caught, an unchecksummed address cannot be).
//     TRON               Base58Check of 0x41 + 20 bytes (34 characters, "T...").
//     BTC                mainnet only: bech32 segwit v0 (BIP-173, "bc1q...", 20 or 32 bytes) or
//                        bech32m v1+ (BIP-350, "bc1p..." taproot and later versions), stored in
//                        lower case; or Base58Check P2PKH ("1...", version 0x00) or P2SH ("3...",
//                        0x05), stored as given (Base58 has one spelling per value).
//     SOL                Base58 of exactly 32 bytes (an ed25519 key or a program-derived address).
//     The all-zero address of EVM, TRON and SOL is refused: whatever is sent there is burnt.
//   pix_key {key}      pix::ClassifyPixKey's rules (CPF/CNPJ check digits, +55 phone, e-mail,
//                      EVP), the key stored as given with its kind.
//   ves_bank {bank, account, document}
//     bank      4 digits, the SUDEBAN code of a bank in VesBankName's table
//     account   20 digits (separators '-' and ' ' removed) whose first four are `bank`
//     document  upper-cased, separators '-', '.', ' ' removed:
//               cédula  V or E + 1 to 8 digits, stored without leading zeros ("V12345678");
//               RIF     V, E, J, G or P + 8 digits + the SENIAT check digit ("J000029610").
//               V or E with 9 digits is a RIF: no cédula has 9 digits, and reading it as one
//               would leave the check digit unchecked.
//
// Addresses and PIX keys are taken exactly as written: a leading or trailing space is a bad
// character, not something to guess about. Only in an account and a document are the separators
// people write removed, wherever they are. Every field is bounded (kDestinationFieldCharsMax)
// before any decoding. Names of kinds and networks are parsed and printed only at the edges (JSON,
// SQL).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "core/result.hpp"
#include "pix/pix_key.hpp"

namespace cambista::payouts {

// Stable numbers: stored with payouts; never change or reuse one.
enum class DestinationKind : uint8_t {
  kCryptoAddress = 1,
  kPixKey = 2,
  kVesBank = 3,
};
std::string_view DestinationKindName(DestinationKind kind);  // "crypto_address"
// Exact names only ("crypto_address", "pix_key", "ves_bank").
std::optional<DestinationKind> ParseDestinationKind(std::string_view name);

// Stable numbers: stored with payouts; never change or reuse one.
enum class Network : uint8_t {
  kTron = 1,
  kEth = 2,
  kPolygon = 3,
  kBsc = 4,
  kBtc = 5,
  kSol = 6,
};
std::string_view NetworkName(Network network);  // "TRON", "ETH", ... (Heleket's spelling)
// Case-insensitive: providers echo networks in either case ("tron" for "TRON").
std::optional<Network> ParseNetwork(std::string_view name);

// Stable numbers: stored with payouts; never change or reuse one.
enum class VesDocumentKind : uint8_t {
  kCedula = 1,  // a person's identity card number
  kRif = 2,     // the tax registry number, of a person or a company
};

// A validated destination, in its normal form. `kind` says which group of fields is set.
struct Destination {
  DestinationKind kind = DestinationKind::kCryptoAddress;
  // crypto_address
  Network network = Network::kTron;
  std::string address;  // normal form (EIP-55 casing, lower-case bech32)
  // pix_key
  pix::PixKeyKind pix_key_kind = pix::PixKeyKind::kCpf;
  std::string key;
  // ves_bank
  std::string bank;      // 4-digit SUDEBAN code
  std::string account;   // 20 digits
  std::string document;  // "V12345678" (cédula) or "J000029610" (RIF)
  VesDocumentKind document_kind = VesDocumentKind::kCedula;
};

// A destination as it arrives (from a JSON object): a field left out is nullopt, so that a field
// that belongs to another kind can be refused rather than ignored.
struct DestinationInput {
  std::optional<std::string> kind;
  std::optional<std::string> network;
  std::optional<std::string> address;
  std::optional<std::string> key;
  std::optional<std::string> bank;
  std::optional<std::string> account;
  std::optional<std::string> document;
};

// Stable numbers and codes (DestinationErrorCode): shown to clients; never change or reuse one.
enum class DestinationErrorKind : uint8_t {
  kMissing = 1,               // a field the kind needs is absent or empty
  kUnexpectedField = 2,       // a field of another kind
  kUnknownKind = 3,           // not crypto_address, pix_key or ves_bank
  kUnknownNetwork = 4,        // not a network we pay out on
  kTooLong = 5,               // over kDestinationFieldCharsMax (or the PIX key limit)
  kInvalidCharacter = 6,      // a character the format does not have
  kInvalidLength = 7,         // the wrong number of characters, digits or decoded bytes
  kInvalidPrefix = 8,         // another network's or format's prefix or version byte
  kChecksumMismatch = 9,      // EIP-55, Base58Check, bech32, CPF/CNPJ or RIF check failed
  kBurnAddress = 10,          // the all-zero address: funds sent there are lost
  kInvalidPixKey = 11,        // not a PIX key of any kind (see pix_error)
  kUnknownBank = 12,          // not a Venezuelan bank code we know
  kAccountBankMismatch = 13,  // the account's first four digits are another bank's code
  kInvalidDocument = 14,      // not a cédula or RIF shape (letter, digit count)
};
// Stable snake_case code, e.g. "checksum_mismatch".
std::string_view DestinationErrorCode(DestinationErrorKind kind);

struct DestinationError {
  DestinationError(DestinationErrorKind kind_in, std::string field_in, std::string reason_in)
      : kind(kind_in), field(std::move(field_in)), reason(std::move(reason_in)) {}

  DestinationErrorKind kind;
  std::string field;   // "kind", "network", "address", "key", "bank", "account" or "document"
  std::string reason;  // one sentence for people
  std::optional<pix::PixKeyError> pix_error;  // for pix_key, ClassifyPixKey's own error
};

// Bound on every field, checked before any decoding (Base58 decoding is quadratic).
inline constexpr size_t kDestinationFieldCharsMax = 128;

Result<Destination, DestinationError> ValidateDestination(const DestinationInput& input);

// One address on one network, in its normal form (see above); errors name the field "address".
Result<std::string, DestinationError> NormalizeCryptoAddress(Network network,
                                                             std::string_view address);

// The ves_bank rules alone (fields "bank", "account", "document"), for callers that have the
// three fields already.
Result<Destination, DestinationError> ValidateVesBankAccount(std::string_view bank,
                                                             std::string_view account,
                                                             std::string_view document);

// A cédula or RIF in its normal form (see above); errors name the field "document".
struct VesDocument {
  std::string text;  // "V12345678", "J000029610"
  VesDocumentKind kind = VesDocumentKind::kCedula;
};
Result<VesDocument, DestinationError> ValidateVesDocument(std::string_view document);

// The name of the bank with this SUDEBAN code ("Banesco" for "0134"); empty when unknown.
std::string_view VesBankName(std::string_view code);

// The RIF check digit ('0'..'9') of a letter and 8 digits ("J00002961" -> '0'); nullopt for
// another shape or a letter that has no RIF value. SENIAT's mod-11 rule: weights 4 (on the letter's
// value V=1, E=2, J=3, P=4, G=5) then 3,2,7,6,5,4,3,2 on the digits; 11 minus the remainder, 10 and
// 11 giving 0.
std::optional<char> RifCheckDigit(std::string_view letter_and_8_digits);

}  // namespace cambista::payouts
