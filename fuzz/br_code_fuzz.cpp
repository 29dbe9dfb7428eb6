// libFuzzer target for the pix module's parsers of outside input.
//
// Properties, each a crash when broken (ASan and UBSan add their own):
// - ParseBrCode never throws or crashes, and every error names a field and says something.
// - A code it accepts re-encodes (EncodeBrCode), the result parses back to the same fields (name
//   and city upper-cased, the only normalisation), and encoding that again changes nothing.
// - FoldToAscii gives ASCII only and is idempotent; ClassifyPixKey gives a kind whose shape is
//   right.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>
#include <string_view>

#include "pix/br_code.hpp"
#include "pix/pix_key.hpp"

namespace {

using cambista::pix::BrCode;

[[noreturn]] void Violated(const char* property, std::string_view input,
                           const std::string& detail) {
  std::fprintf(stderr, "\n*** property violated: %s\ninput: %.*s\n%s\n", property,
               static_cast<int>(input.size()), input.data(), detail.c_str());
  std::abort();
}

template <class T>
std::string Describe(const T& value) {
  std::ostringstream out;
  out << value;
  return out.str();
}

std::string UpperAscii(std::string text) {
  for (char& c : text) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return text;
}

std::string HexUpper(uint16_t value) {
  static constexpr std::string_view kHex = "0123456789ABCDEF";
  return {kHex[value >> 12], kHex[(value >> 8) & 0xf], kHex[(value >> 4) & 0xf], kHex[value & 0xf]};
}

void CheckBrCode(std::string_view text) {
  auto parsed = cambista::pix::ParseBrCode(text);
  if (!parsed.ok()) {
    if (parsed.error().field.empty() || parsed.error().message.empty()) {
      Violated("every error names a field and explains", text, Describe(parsed.error()));
    }
    return;
  }
  auto encoded = cambista::pix::EncodeBrCode(parsed.value());
  if (!encoded.ok()) {
    Violated("an accepted code re-encodes", text,
             Describe(parsed.value()) + "\n" + Describe(encoded.error()));
  }
  auto reparsed = cambista::pix::ParseBrCode(encoded.value());
  if (!reparsed.ok()) {
    Violated("a re-encoded code parses", text, encoded.value() + "\n" + Describe(reparsed.error()));
  }
  BrCode expected = parsed.value();
  expected.merchant_name = UpperAscii(expected.merchant_name);
  expected.merchant_city = UpperAscii(expected.merchant_city);
  if (!(reparsed.value() == expected)) {
    Violated("parse(encode(code)) keeps every field", text,
             Describe(expected) + "\n" + Describe(reparsed.value()));
  }
  auto again = cambista::pix::EncodeBrCode(reparsed.value());
  if (!again.ok() || again.value() != encoded.value()) {
    Violated("encoding is a fixed point", text, encoded.value());
  }
}

void CheckFoldToAscii(std::string_view input) {
  const std::string folded = cambista::pix::FoldToAscii(input);
  for (char c : folded) {
    if (static_cast<unsigned char>(c) >= 0x80) Violated("FoldToAscii gives ASCII", input, folded);
  }
  if (cambista::pix::FoldToAscii(folded) != folded) {
    Violated("FoldToAscii is idempotent", input, folded);
  }
}

void CheckPixKey(std::string_view input) {
  using cambista::pix::PixKeyKind;
  auto kind = cambista::pix::ClassifyPixKey(input);
  if (!kind.ok()) return;
  const bool shape_ok = [&] {
    switch (kind.value()) {
      case PixKeyKind::kCpf:
        return input.size() == 11;
      case PixKeyKind::kCnpj:
        return input.size() == 14;
      case PixKeyKind::kPhone:
        return input.starts_with("+55") && (input.size() == 13 || input.size() == 14);
      case PixKeyKind::kEmail:
        return input.find('@') != std::string_view::npos && input.size() <= 77;
      case PixKeyKind::kEvp:
        return input.size() == 36;
    }
    return false;
  }();
  if (!shape_ok) {
    Violated("a classified key has its kind's shape", input,
             std::string(cambista::pix::PixKeyKindName(kind.value())));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  CheckBrCode(input);
  // Random bytes almost never end in their own CRC, so the field rules behind the CRC check would
  // stay unexplored. Trying the input again with its last four bytes replaced by the right CRC
  // reaches them without a fuzzing-only switch in the parser.
  if (size >= 4) {
    std::string with_crc(input.substr(0, size - 4));
    with_crc += HexUpper(cambista::pix::Crc16(with_crc));
    CheckBrCode(with_crc);
  }
  CheckFoldToAscii(input);
  CheckPixKey(input);
  return 0;
}
