// libFuzzer target for payout destinations, text that arrives from API clients.
//
// The first byte picks what the rest is read as (an address on one of the networks, a VES
// document, a whole ves_bank destination split on '|'). Properties, each a crash when broken:
// - nothing throws or crashes, and every refusal names its field and gives a reason;
// - an accepted address or document is a fixed point: validating the stored form again accepts it
//   and stores it unchanged;
// - Base58 is a bijection: a text that decodes re-encodes to itself.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "payouts/destination.hpp"
#include "security/base58.hpp"

namespace {

namespace payouts = cambista::payouts;

[[noreturn]] void Violated(const char* property, std::string_view input, std::string_view detail) {
  std::fprintf(stderr, "\n*** property violated: %s\ninput: %.*s\n%.*s\n", property,
               static_cast<int>(input.size()), input.data(), static_cast<int>(detail.size()),
               detail.data());
  std::abort();
}

void CheckError(const payouts::DestinationError& error, std::string_view input) {
  if (error.field.empty() || error.reason.empty()) {
    Violated("every refusal names a field and a reason", input, error.reason);
  }
}

void CheckAddress(payouts::Network network, std::string_view text) {
  auto normalized = payouts::NormalizeCryptoAddress(network, text);
  if (!normalized.ok()) return CheckError(normalized.error(), text);
  auto again = payouts::NormalizeCryptoAddress(network, normalized.value());
  if (!again.ok() || again.value() != normalized.value()) {
    Violated("a stored address is a fixed point", text, normalized.value());
  }
}

void CheckDocument(std::string_view text) {
  auto document = payouts::ValidateVesDocument(text);
  if (!document.ok()) return CheckError(document.error(), text);
  auto again = payouts::ValidateVesDocument(document->text);
  if (!again.ok() || again->text != document->text || again->kind != document->kind) {
    Violated("a stored document is a fixed point", text, document->text);
  }
}

void CheckVesBank(std::string_view text) {
  const size_t first = text.find('|');
  const size_t second = first == std::string_view::npos ? first : text.find('|', first + 1);
  if (second == std::string_view::npos) return;
  payouts::DestinationInput input;
  input.kind = "ves_bank";
  input.bank = std::string(text.substr(0, first));
  input.account = std::string(text.substr(first + 1, second - first - 1));
  input.document = std::string(text.substr(second + 1));
  auto destination = payouts::ValidateDestination(input);
  if (!destination.ok()) return CheckError(destination.error(), text);
  if (destination->account.substr(0, 4) != destination->bank) {
    Violated("an accepted account starts with its bank's code", text, destination->account);
  }
}

void CheckBase58(std::string_view text) {
  if (text.size() > payouts::kDestinationFieldCharsMax) return;
  auto decoded = cambista::Base58Decode(text);
  if (decoded.ok() && cambista::Base58Encode(decoded.value()) != text) {
    Violated("Base58 re-encodes what it decodes to the same text", text, "");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 9) {
    case 0:
      CheckAddress(payouts::Network::kEth, text);
      break;
    case 1:
      CheckAddress(payouts::Network::kBsc, text);
      break;
    case 2:
      CheckAddress(payouts::Network::kTron, text);
      break;
    case 3:
      CheckAddress(payouts::Network::kBtc, text);
      break;
    case 4:
      CheckAddress(payouts::Network::kSol, text);
      break;
    case 5:
      CheckDocument(text);
      break;
    case 6:
      CheckVesBank(text);
      break;
    default:
      CheckBase58(text);
      break;
  }
  return 0;
}
