// ValidateDestination: the kind decides which fields are read; each is checked by its own rules
// (crypto_address.cpp, ves_bank.cpp, pix::ClassifyPixKey).
#include "payouts/destination.hpp"

#include <algorithm>
#include <array>
#include <initializer_list>
#include <optional>
#include <string>
#include <utility>

#include "core/ascii.hpp"

namespace cambista::payouts {
namespace {

using Error = DestinationError;
using Kind = DestinationErrorKind;

constexpr std::array<std::pair<Network, std::string_view>, 6> kNetworkNames = {{
    {Network::kTron, "TRON"},
    {Network::kEth, "ETH"},
    {Network::kPolygon, "POLYGON"},
    {Network::kBsc, "BSC"},
    {Network::kBtc, "BTC"},
    {Network::kSol, "SOL"},
}};

// The named fields, in the order a reader meets them in the API.
struct Field {
  std::string_view name;
  const std::optional<std::string>* value;
};
std::array<Field, 6> Fields(const DestinationInput& input) {
  return {{{"network", &input.network},
           {"address", &input.address},
           {"key", &input.key},
           {"bank", &input.bank},
           {"account", &input.account},
           {"document", &input.document}}};
}

// Every field the kind needs is present, not empty and bounded; no field of another kind is.
std::optional<Error> CheckFieldSet(const DestinationInput& input,
                                   std::initializer_list<std::string_view> needed,
                                   std::string_view kind_name) {
  for (const Field& field : Fields(input)) {
    const bool is_needed = std::find(needed.begin(), needed.end(), field.name) != needed.end();
    if (!is_needed && field.value->has_value()) {
      return Error(
          Kind::kUnexpectedField, std::string(field.name),
          "a " + std::string(kind_name) + " destination has no " + std::string(field.name));
    }
    if (!is_needed) continue;
    if (!field.value->has_value() || (*field.value)->empty()) {
      return Error(
          Kind::kMissing, std::string(field.name),
          "a " + std::string(kind_name) + " destination needs a " + std::string(field.name));
    }
    if ((*field.value)->size() > kDestinationFieldCharsMax) {
      return Error(Kind::kTooLong, std::string(field.name),
                   "at most " + std::to_string(kDestinationFieldCharsMax) + " characters");
    }
  }
  return std::nullopt;
}

Result<Destination, Error> ValidateCrypto(const DestinationInput& input) {
  const auto network = ParseNetwork(*input.network);
  if (!network) {
    return Failure(Error(Kind::kUnknownNetwork, "network",
                         "not a network we pay out on (TRON, ETH, POLYGON, BSC, BTC, SOL)"));
  }
  auto address = NormalizeCryptoAddress(*network, *input.address);
  if (!address.ok()) return Failure(address.error());
  Destination destination;
  destination.kind = DestinationKind::kCryptoAddress;
  destination.network = *network;
  destination.address = std::move(address.value());
  return destination;
}

Kind FromPixKeyError(pix::PixKeyError error) {
  switch (error) {
    case pix::PixKeyError::kEmpty:
      return Kind::kMissing;
    case pix::PixKeyError::kTooLong:
      return Kind::kTooLong;
    case pix::PixKeyError::kCpfCheckDigits:
    case pix::PixKeyError::kCnpjCheckDigits:
      return Kind::kChecksumMismatch;
    default:
      return Kind::kInvalidPixKey;
  }
}

Result<Destination, Error> ValidatePix(const DestinationInput& input) {
  const auto kind = pix::ClassifyPixKey(*input.key);
  if (!kind.ok()) {
    Error error(FromPixKeyError(kind.error()), "key",
                std::string(pix::PixKeyErrorMessage(kind.error())));
    error.pix_error = kind.error();
    return Failure(std::move(error));
  }
  Destination destination;
  destination.kind = DestinationKind::kPixKey;
  destination.pix_key_kind = kind.value();
  destination.key = *input.key;
  return destination;
}

}  // namespace

std::string_view DestinationKindName(DestinationKind kind) {
  switch (kind) {
    case DestinationKind::kCryptoAddress:
      return "crypto_address";
    case DestinationKind::kPixKey:
      return "pix_key";
    case DestinationKind::kVesBank:
      return "ves_bank";
  }
  return "unknown";
}

std::optional<DestinationKind> ParseDestinationKind(std::string_view name) {
  for (const auto kind :
       {DestinationKind::kCryptoAddress, DestinationKind::kPixKey, DestinationKind::kVesBank}) {
    if (DestinationKindName(kind) == name) return kind;
  }
  return std::nullopt;
}

std::string_view NetworkName(Network network) {
  for (const auto& [value, name] : kNetworkNames) {
    if (value == network) return name;
  }
  return "UNKNOWN";
}

std::optional<Network> ParseNetwork(std::string_view name) {
  for (const auto& [value, known] : kNetworkNames) {
    if (EqualsIgnoringAsciiCase(known, name)) return value;
  }
  return std::nullopt;
}

std::string_view DestinationErrorCode(DestinationErrorKind kind) {
  switch (kind) {
    case Kind::kMissing:
      return "missing";
    case Kind::kUnexpectedField:
      return "unexpected_field";
    case Kind::kUnknownKind:
      return "unknown_kind";
    case Kind::kUnknownNetwork:
      return "unknown_network";
    case Kind::kTooLong:
      return "too_long";
    case Kind::kInvalidCharacter:
      return "invalid_character";
    case Kind::kInvalidLength:
      return "invalid_length";
    case Kind::kInvalidPrefix:
      return "invalid_prefix";
    case Kind::kChecksumMismatch:
      return "checksum_mismatch";
    case Kind::kBurnAddress:
      return "burn_address";
    case Kind::kInvalidPixKey:
      return "invalid_pix_key";
    case Kind::kUnknownBank:
      return "unknown_bank";
    case Kind::kAccountBankMismatch:
      return "account_bank_mismatch";
    case Kind::kInvalidDocument:
      return "invalid_document";
  }
  return "unknown";
}

Result<Destination, DestinationError> ValidateDestination(const DestinationInput& input) {
  if (!input.kind || input.kind->empty()) {
    return Failure(Error(Kind::kMissing, "kind", "crypto_address, pix_key or ves_bank"));
  }
  const auto kind = ParseDestinationKind(*input.kind);
  if (!kind) {
    return Failure(Error(Kind::kUnknownKind, "kind", "crypto_address, pix_key or ves_bank"));
  }
  switch (*kind) {
    case DestinationKind::kCryptoAddress:
      if (auto error = CheckFieldSet(input, {"network", "address"}, *input.kind)) {
        return Failure(std::move(*error));
      }
      return ValidateCrypto(input);
    case DestinationKind::kPixKey:
      if (auto error = CheckFieldSet(input, {"key"}, *input.kind)) return Failure(*error);
      return ValidatePix(input);
    case DestinationKind::kVesBank:
      if (auto error = CheckFieldSet(input, {"bank", "account", "document"}, *input.kind)) {
        return Failure(std::move(*error));
      }
      return ValidateVesBankAccount(*input.bank, *input.account, *input.document);
  }
  CAMBISTA_CHECK(false && "unknown DestinationKind");
}

}  // namespace cambista::payouts
