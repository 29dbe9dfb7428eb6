// NormalizeCryptoAddress: the address rules of each network (see destination.hpp).
#include <algorithm>
#include <string>

#include "core/ascii.hpp"
#include "payouts/destination.hpp"
#include "security/base58.hpp"
#include "security/bech32.hpp"
#include "security/hmac.hpp"
#include "security/keccak.hpp"

namespace cambista::payouts {
namespace {

constexpr std::string_view kField = "address";
constexpr size_t kEvmHexDigits = 40;
constexpr size_t kTronPayloadBytes = 21;  // version byte 0x41 + 20-byte account id
constexpr char kTronVersion = 0x41;
constexpr size_t kBitcoinBase58PayloadBytes = 21;  // version byte + HASH160
constexpr char kBitcoinP2pkhVersion = 0x00;
constexpr char kBitcoinP2shVersion = 0x05;
constexpr size_t kSolanaKeyBytes = 32;

using AddressResult = Result<std::string, DestinationError>;

Failure<DestinationError> Refuse(DestinationErrorKind kind, std::string reason) {
  return Failure(DestinationError(kind, std::string(kField), std::move(reason)));
}

bool IsHexDigit(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
bool AllZero(std::string_view bytes) {
  return std::all_of(bytes.begin(), bytes.end(), [](char c) { return c == '\0'; });
}

// EIP-55: a hex letter is upper case when the matching nibble of keccak(lower-case hex) is >= 8.
std::string Eip55(std::string_view lower_hex) {
  const std::string hash = HexEncode(Keccak256(lower_hex));
  std::string cased(lower_hex);
  for (size_t i = 0; i < cased.size(); ++i) {
    if (hash[i] >= '8') cased[i] = AsciiUpper(cased[i]);
  }
  return cased;
}

AddressResult NormalizeEvm(std::string_view address) {
  if (address.substr(0, 2) != "0x") {
    return Refuse(DestinationErrorKind::kInvalidPrefix, "an EVM address starts with 0x");
  }
  const std::string_view hex = address.substr(2);
  if (!std::all_of(hex.begin(), hex.end(), IsHexDigit)) {
    return Refuse(DestinationErrorKind::kInvalidCharacter,
                  "an EVM address is 0x and hexadecimal digits only");
  }
  if (hex.size() != kEvmHexDigits) {
    return Refuse(DestinationErrorKind::kInvalidLength,
                  "an EVM address has 40 hexadecimal digits after 0x");
  }
  std::string lower(hex);
  std::transform(lower.begin(), lower.end(), lower.begin(), AsciiLower);
  if (std::all_of(lower.begin(), lower.end(), [](char c) { return c == '0'; })) {
    return Refuse(DestinationErrorKind::kBurnAddress,
                  "the zero address belongs to no one: funds sent there are lost");
  }
  const std::string checksummed = Eip55(lower);
  const bool mixed_case = std::any_of(hex.begin(), hex.end(), IsAsciiLower) &&
                          std::any_of(hex.begin(), hex.end(), IsAsciiUpper);
  if (mixed_case && hex != checksummed) {
    return Refuse(DestinationErrorKind::kChecksumMismatch,
                  "the address's upper and lower case letters do not match its EIP-55 "
                  "checksum: a character is probably mistyped");
  }
  return "0x" + checksummed;
}

AddressResult NormalizeTron(std::string_view address) {
  if (address.substr(0, 2) == "0x") {
    return Refuse(DestinationErrorKind::kInvalidPrefix,
                  "that is an EVM address; a TRON address is Base58 and starts with T");
  }
  auto payload = Base58CheckDecode(address);
  if (!payload.ok()) {
    if (payload.error() == EncodingError::kChecksumMismatch) {
      return Refuse(DestinationErrorKind::kChecksumMismatch,
                    "the TRON address's checksum does not match: a character is probably "
                    "mistyped");
    }
    if (payload.error() == EncodingError::kInvalidCharacter) {
      return Refuse(DestinationErrorKind::kInvalidCharacter,
                    "a TRON address is Base58 (no 0, O, I, l, spaces or punctuation)");
    }
    return Refuse(DestinationErrorKind::kInvalidLength, "a TRON address has 34 characters");
  }
  if (payload->size() != kTronPayloadBytes) {
    return Refuse(DestinationErrorKind::kInvalidLength, "a TRON address has 34 characters");
  }
  if (payload->front() != kTronVersion) {
    return Refuse(DestinationErrorKind::kInvalidPrefix,
                  "not a TRON account address (version byte 0x41, starting with T)");
  }
  if (AllZero(payload->substr(1))) {
    return Refuse(DestinationErrorKind::kBurnAddress,
                  "the zero address belongs to no one: funds sent there are lost");
  }
  return std::string(address);
}

AddressResult RefuseSegwit(SegwitError error) {
  switch (error) {
    case SegwitError::kInvalidCharacter:
      return Refuse(DestinationErrorKind::kInvalidCharacter,
                    "a bc1 address uses the bech32 alphabet, all in one case");
    case SegwitError::kChecksumMismatch:
    case SegwitError::kWrongVariant:
      return Refuse(DestinationErrorKind::kChecksumMismatch,
                    "the bc1 address's checksum does not match (bech32 for v0, bech32m for "
                    "v1+): a character is probably mistyped");
    case SegwitError::kWrongHrp:
      return Refuse(DestinationErrorKind::kInvalidPrefix, "a mainnet bc1 address was expected");
    case SegwitError::kInvalidVersion:
      return Refuse(DestinationErrorKind::kInvalidPrefix,
                    "the segwit version of a bc1 address is 0 to 16");
    default:
      return Refuse(DestinationErrorKind::kInvalidLength,
                    "the bc1 address does not decode to a witness program of a valid length");
  }
}

AddressResult NormalizeBitcoinBase58(std::string_view address) {
  auto payload = Base58CheckDecode(address);
  if (!payload.ok()) {
    if (payload.error() == EncodingError::kChecksumMismatch) {
      return Refuse(DestinationErrorKind::kChecksumMismatch,
                    "the Bitcoin address's checksum does not match: a character is probably "
                    "mistyped");
    }
    if (payload.error() == EncodingError::kInvalidCharacter) {
      return Refuse(DestinationErrorKind::kInvalidCharacter,
                    "a Bitcoin address starting with 1 or 3 is Base58 (no 0, O, I, l, spaces)");
    }
    return Refuse(DestinationErrorKind::kInvalidLength,
                  "a Bitcoin address starting with 1 or 3 has 26 to 35 characters");
  }
  if (payload->size() != kBitcoinBase58PayloadBytes) {
    return Refuse(DestinationErrorKind::kInvalidLength,
                  "a Bitcoin address starting with 1 or 3 has 26 to 35 characters");
  }
  if (payload->front() != kBitcoinP2pkhVersion && payload->front() != kBitcoinP2shVersion) {
    return Refuse(DestinationErrorKind::kInvalidPrefix,
                  "not a mainnet P2PKH (1...) or P2SH (3...) address");
  }
  return std::string(address);
}

AddressResult NormalizeBitcoin(std::string_view address) {
  std::string prefix(address.substr(0, 3));
  std::transform(prefix.begin(), prefix.end(), prefix.begin(), AsciiLower);
  if (prefix == "bc1") {
    auto program = SegwitDecode("bc", address);
    if (!program.ok()) return RefuseSegwit(program.error());
    std::string lower(address);
    std::transform(lower.begin(), lower.end(), lower.begin(), AsciiLower);
    return lower;
  }
  if (address.front() == '1' || address.front() == '3') return NormalizeBitcoinBase58(address);
  return Refuse(DestinationErrorKind::kInvalidPrefix,
                "a mainnet Bitcoin address starts with bc1, 1 or 3 (testnet is not accepted)");
}

AddressResult NormalizeSolana(std::string_view address) {
  if (address.substr(0, 2) == "0x") {
    return Refuse(DestinationErrorKind::kInvalidPrefix,
                  "that is an EVM address; a Solana address is Base58");
  }
  auto key = Base58Decode(address);
  if (!key.ok()) {
    return Refuse(DestinationErrorKind::kInvalidCharacter,
                  "a Solana address is Base58 (no 0, O, I, l, spaces or punctuation)");
  }
  if (key->size() != kSolanaKeyBytes) {
    return Refuse(DestinationErrorKind::kInvalidLength,
                  "a Solana address decodes to 32 bytes (32 to 44 characters)");
  }
  if (AllZero(key.value())) {
    return Refuse(DestinationErrorKind::kBurnAddress,
                  "the all-zero key is the system program: funds sent there are lost");
  }
  return std::string(address);
}

}  // namespace

AddressResult NormalizeCryptoAddress(Network network, std::string_view address) {
  if (address.empty()) return Refuse(DestinationErrorKind::kMissing, "the address is empty");
  if (address.size() > kDestinationFieldCharsMax) {
    return Refuse(DestinationErrorKind::kTooLong, "no address is that long");
  }
  switch (network) {
    case Network::kEth:
    case Network::kPolygon:
    case Network::kBsc:
      return NormalizeEvm(address);
    case Network::kTron:
      return NormalizeTron(address);
    case Network::kBtc:
      return NormalizeBitcoin(address);
    case Network::kSol:
      return NormalizeSolana(address);
  }
  CAMBISTA_CHECK(false && "unknown Network");
}

}  // namespace cambista::payouts
