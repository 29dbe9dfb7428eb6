// PIX BR Code ("Pix Copia e Cola"): the EMV merchant-presented TLV string of Banco Central do
// Brasil, encoded and parsed strictly, with its CRC-16/CCITT-FALSE. See PROVIDERS.md.
//
// A code is static (a PIX key, optionally a description shown to the payer) or dynamic (the
// location URL of a charge held by a PSP). Encoding emits fields in the order of the BCB manual
// (00, 01, 26, 52, 53, 54, 58, 59, 60, 62, 63) so the PROVIDERS.md test vector comes out byte for
// byte. Both directions apply the same content rules (one validator), which is what makes
// ParseBrCode(EncodeBrCode(x)) an identity and lets the fuzzer check it.
//
// Parsing decisions, all strict on purpose (a code we accept must be payable by any bank app):
// - Every field is `id(2 digits) length(2 digits, 01..99) value`, values are printable ASCII, the
//   TLVs cover the text exactly, no top-level id and no id inside 26 or 62 appears twice.
// - `00` = `01` comes first; `63` comes last with length 04 and 4 upper-case hex digits. A
//   lower-case CRC is rejected: the spec says upper-case and npm pix-utils (the reference most
//   wallets were tested against) rejects it too, so such a code may not be payable.
// - `01` is absent, `11` (reusable) or `12` (single use).
// - `26`: `00` GUI first (`br.gov.bcb.pix`, any case); then `01` key (+ optional `02`) or `25`
//   location URL; any other sub-field is an error (we would not know what the payer's bank does
//   with it). `52` = `0000`, `53` = `986`, `58` = `BR`, `59`, `60`, `62` with `05` are mandatory.
// - `54`, when present, is `\d+\.\d{2}`, positive, at most 13 characters. `55`-`57` (tip and
//   convenience fee) are refused: they change what the payer pays.
// - Other ids (other schemes' templates 02-51, 61 postal code, 64, 65-99) and other sub-fields of
//   62 are checked for form and ignored.
// - Merchant name and city are accepted in any case (PSPs emit mixed case); encoding upper-cases.
#pragma once

#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>

#include "core/amount.hpp"
#include "core/result.hpp"

namespace cambista::pix {

constexpr size_t kBrCodeLengthMax = 512;                // EMV QRCPS limit for the whole payload
constexpr size_t kKeyLengthMax = 77;                    // 26-01
constexpr size_t kMerchantAccountLengthMax = 99;        // the whole 26 template
constexpr size_t kMerchantNameLengthMax = 25;           // 59
constexpr size_t kMerchantCityLengthMax = 15;           // 60
constexpr size_t kAmountLengthMax = 13;                 // 54: up to 9999999999.99
constexpr size_t kStaticTxidLengthMax = 25;             // 62-05 of a static code
constexpr size_t kDynamicTxidLengthMax = 35;            // 62-05 of a dynamic code (BCB API txid)
constexpr std::string_view kTxidNone = "***";           // 62-05 when there is no txid
constexpr std::string_view kPixGui = "br.gov.bcb.pix";  // 26-00

struct BrCode {
  // Exactly one of key (static code) and location_url (dynamic code, without "https://").
  std::string key;               // 26-01: a PIX key (<= 77)
  std::string description;       // 26-02: free text shown to the payer (static codes only)
  std::string location_url;      // 26-25: the PSP's payload location (dynamic codes)
  bool single_use = false;       // 01 = "12"
  std::optional<Amount> amount;  // 54, BRL
  std::string merchant_name;     // 59 (<= 25; emitted ASCII upper-case)
  std::string merchant_city;     // 60 (<= 15; emitted ASCII upper-case)
  std::string txid = "***";      // 62-05

  bool IsDynamic() const { return !location_url.empty(); }

  friend bool operator==(const BrCode&, const BrCode&) = default;
};

// For test and fuzzer failure messages.
std::ostream& operator<<(std::ostream& out, const BrCode& code);

struct BrCodeError {
  std::string field;  // "59 merchant_name", "63 crc", ...
  std::string message;
};

std::ostream& operator<<(std::ostream& out, const BrCodeError& error);

// Encodes with accents stripped and name and city upper-cased; fails on lengths over the limits.
// The description is accent-stripped too (not upper-cased). Key, location URL and txid are
// identifiers and are never altered: anything wrong with them is an error.
Result<std::string, BrCodeError> EncodeBrCode(const BrCode& code);
// Strict: every TLV well-formed, mandatory fields present with their fixed values, CRC correct.
// Never throws; every error names the field it is about.
Result<BrCode, BrCodeError> ParseBrCode(std::string_view text);
// CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF): Crc16("123456789") == 0x29B1.
uint16_t Crc16(std::string_view data);

// UTF-8 text to ASCII: common Portuguese and Spanish accented letters lose their accent
// ("São" -> "Sao", "Ñ" -> "N", "ß" -> "ss"), a no-break space becomes a space, and every other
// non-ASCII character (and any byte that is not valid UTF-8) is dropped. ASCII is kept as is,
// control characters included (the caller decides whether they are allowed).
std::string FoldToAscii(std::string_view utf8);

}  // namespace cambista::pix
