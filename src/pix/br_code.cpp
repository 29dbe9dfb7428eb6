#include "pix/br_code.hpp"

#include <array>
#include <optional>
#include <ostream>
#include <vector>

#include "pix/pix_key.hpp"

namespace cambista::pix {
namespace {

// Error labels: the EMV id first (what a PSP's support desk recognises), then our name.
constexpr std::string_view kText = "text";
constexpr std::string_view kPayloadFormat = "00 payload_format";
constexpr std::string_view kPointOfInitiation = "01 point_of_initiation";
constexpr std::string_view kMerchantAccount = "26 merchant_account";
constexpr std::string_view kGui = "26-00 gui";
constexpr std::string_view kKey = "26-01 key";
constexpr std::string_view kDescription = "26-02 description";
constexpr std::string_view kLocationUrl = "26-25 location_url";
constexpr std::string_view kMerchantCategory = "52 merchant_category_code";
constexpr std::string_view kCurrency = "53 currency";
constexpr std::string_view kAmount = "54 amount";
constexpr std::string_view kCountry = "58 country_code";
constexpr std::string_view kMerchantName = "59 merchant_name";
constexpr std::string_view kMerchantCity = "60 merchant_city";
constexpr std::string_view kAdditionalData = "62 additional_data";
constexpr std::string_view kTxid = "62-05 txid";
constexpr std::string_view kCrc = "63 crc";

constexpr int kIdPayloadFormat = 0;
constexpr int kIdPointOfInitiation = 1;
constexpr int kIdMerchantAccount = 26;
constexpr int kIdMerchantCategory = 52;
constexpr int kIdCurrency = 53;
constexpr int kIdAmount = 54;
constexpr int kIdTipIndicator = 55;
constexpr int kIdConvenienceFeePercentage = 57;
constexpr int kIdCountry = 58;
constexpr int kIdMerchantName = 59;
constexpr int kIdMerchantCity = 60;
constexpr int kIdAdditionalData = 62;
constexpr int kIdCrc = 63;
constexpr int kSubIdGui = 0;
constexpr int kSubIdKey = 1;
constexpr int kSubIdDescription = 2;
constexpr int kSubIdLocationUrl = 25;
constexpr int kSubIdTxid = 5;
constexpr int kIdCount = 100;

constexpr std::string_view kCrcFieldPrefix = "6304";
constexpr size_t kCrcHexDigits = 4;
constexpr size_t kTlvHeaderLength = 4;
// "0014br.gov.bcb.pix": the GUI sub-field every 26 template starts with.
constexpr size_t kGuiFieldLength = kTlvHeaderLength + kPixGui.size();

Failure<BrCodeError> Fail(std::string_view field, std::string message) {
  return Failure{BrCodeError{std::string(field), std::move(message)}};
}

bool IsDigit(char c) {
  return c >= '0' && c <= '9';
}
bool IsPrintableAscii(char c) {
  return c >= 0x20 && c <= 0x7e;
}
bool IsAlphanumeric(char c) {
  return IsDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
char ToUpperAscii(char c) {
  return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
}
char ToLowerAscii(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool EqualsIgnoringAsciiCase(std::string_view left, std::string_view right) {
  if (left.size() != right.size()) return false;
  for (size_t i = 0; i < left.size(); ++i) {
    if (ToLowerAscii(left[i]) != ToLowerAscii(right[i])) return false;
  }
  return true;
}

// Shows a value in an error message without flooding it or echoing control bytes.
std::string Quote(std::string_view value) {
  constexpr size_t kQuotedCharsMax = 40;
  std::string out = "'";
  for (size_t i = 0; i < value.size() && i < kQuotedCharsMax; ++i) {
    out += IsPrintableAscii(value[i]) ? value[i] : '?';
  }
  if (value.size() > kQuotedCharsMax) out += "...";
  return out + "'";
}

std::string TwoDigits(size_t value) {
  return {static_cast<char>('0' + value / 10), static_cast<char>('0' + value % 10)};
}

std::string HexUpper(uint16_t value) {
  static constexpr std::string_view kHex = "0123456789ABCDEF";
  std::string out(kCrcHexDigits, '0');
  for (size_t i = 0; i < kCrcHexDigits; ++i) {
    out[kCrcHexDigits - 1 - i] = kHex[(value >> (4 * i)) & 0xf];
  }
  return out;
}

// Appends `id length value`; callers have checked value.size() <= 99.
void AppendTlv(std::string& out, int id, std::string_view value) {
  out += TwoDigits(static_cast<size_t>(id));
  out += TwoDigits(value.size());
  out += value;
}

std::string UpperAscii(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = ToUpperAscii(c);
  return out;
}

const Asset& Brl() {
  static const Asset kBrl = Asset::Make("BRL", 2).value();
  return kBrl;
}

// ---- Content rules shared by encoding and parsing -------------------------------------------

// The first character that is not printable ASCII, if any.
std::optional<size_t> FindNonPrintable(std::string_view value) {
  for (size_t i = 0; i < value.size(); ++i) {
    if (!IsPrintableAscii(value[i])) return i;
  }
  return std::nullopt;
}

std::optional<BrCodeError> CheckText(std::string_view field, std::string_view value,
                                     size_t length_max) {
  if (value.find_first_not_of(' ') == std::string_view::npos) {
    return BrCodeError{std::string(field),
                       "is empty or blank (accents are stripped and other non-ASCII characters "
                       "dropped before this check)"};
  }
  if (value.size() > length_max) {
    return BrCodeError{std::string(field), std::to_string(value.size()) + " characters; at most " +
                                               std::to_string(length_max)};
  }
  if (auto bad = FindNonPrintable(value)) {
    return BrCodeError{std::string(field), "character " + std::to_string(*bad + 1) +
                                               " is a control character or not ASCII"};
  }
  return std::nullopt;
}

// RFC 3986 characters (unreserved, reserved and '%'): a location is a URL without its scheme.
bool IsUrlCharacter(char c) {
  static constexpr std::string_view kOthers = "-._~:/?#[]@!$&'()*+,;=%";
  return IsAlphanumeric(c) || kOthers.find(c) != std::string_view::npos;
}

size_t MerchantAccountLength(const BrCode& code) {
  if (code.IsDynamic()) return kGuiFieldLength + kTlvHeaderLength + code.location_url.size();
  size_t length = kGuiFieldLength + kTlvHeaderLength + code.key.size();
  if (!code.description.empty()) length += kTlvHeaderLength + code.description.size();
  return length;
}

std::optional<BrCodeError> CheckMerchantAccount(const BrCode& code) {
  if (code.key.empty() && code.location_url.empty()) {
    return BrCodeError{std::string(kMerchantAccount),
                       "needs a PIX key (static code) or a location URL (dynamic code)"};
  }
  if (!code.key.empty() && !code.location_url.empty()) {
    return BrCodeError{std::string(kMerchantAccount),
                       "has both a PIX key and a location URL; a code is static or dynamic"};
  }
  if (code.IsDynamic()) {
    if (!code.description.empty()) {
      return BrCodeError{std::string(kDescription),
                         "only static codes carry a description; a dynamic code's is in its "
                         "payload"};
    }
    const std::string_view url = code.location_url;
    if (url.find("://") != std::string_view::npos) {
      return BrCodeError{std::string(kLocationUrl), "is written without its scheme ('https://')"};
    }
    for (size_t i = 0; i < url.size(); ++i) {
      if (!IsUrlCharacter(url[i])) {
        return BrCodeError{std::string(kLocationUrl),
                           "character " + std::to_string(i + 1) + " is not allowed in a URL"};
      }
    }
    if (MerchantAccountLength(code) > kMerchantAccountLengthMax) {
      return BrCodeError{
          std::string(kLocationUrl),
          std::to_string(url.size()) + " characters; at most " +
              std::to_string(kMerchantAccountLengthMax - kGuiFieldLength - kTlvHeaderLength) +
              " fit in the 99-character 26 template"};
    }
    return std::nullopt;
  }
  // A key too long for its template is also too long for ClassifyPixKey (77 = 99 - 22).
  auto kind = ClassifyPixKey(code.key);
  if (!kind.ok()) {
    return BrCodeError{std::string(kKey), std::string(PixKeyErrorMessage(kind.error()))};
  }
  if (auto bad = FindNonPrintable(code.description)) {
    return BrCodeError{std::string(kDescription), "character " + std::to_string(*bad + 1) +
                                                      " is a control character or not ASCII"};
  }
  if (MerchantAccountLength(code) > kMerchantAccountLengthMax) {
    const size_t room =
        kMerchantAccountLengthMax - kGuiFieldLength - 2 * kTlvHeaderLength - code.key.size();
    return BrCodeError{std::string(kDescription), std::to_string(code.description.size()) +
                                                      " characters; with this key at most " +
                                                      std::to_string(room) +
                                                      " fit in the 99-character 26 template"};
  }
  return std::nullopt;
}

std::optional<BrCodeError> CheckAmount(const std::optional<Amount>& amount) {
  if (!amount) return std::nullopt;
  if (amount->asset() != Brl()) {
    return BrCodeError{std::string(kAmount),
                       "must be in BRL (scale 2), not " + std::string(amount->asset().code())};
  }
  if (!amount->IsPositive()) {
    return BrCodeError{std::string(kAmount),
                       "must be positive; leave it out to let the payer choose the amount"};
  }
  if (amount->ToString().size() > kAmountLengthMax) {
    return BrCodeError{std::string(kAmount), "at most 9999999999.99"};
  }
  return std::nullopt;
}

std::optional<BrCodeError> CheckTxid(const BrCode& code) {
  if (code.txid == kTxidNone) return std::nullopt;
  const size_t length_max = code.IsDynamic() ? kDynamicTxidLengthMax : kStaticTxidLengthMax;
  if (code.txid.empty() || code.txid.size() > length_max) {
    return BrCodeError{std::string(kTxid),
                       "must be '***' or 1 to " + std::to_string(length_max) +
                           " letters and digits in a " + (code.IsDynamic() ? "dynamic" : "static") +
                           " code, got " + std::to_string(code.txid.size()) + " characters"};
  }
  for (size_t i = 0; i < code.txid.size(); ++i) {
    if (!IsAlphanumeric(code.txid[i])) {
      return BrCodeError{std::string(kTxid),
                         "must be '***' or letters and digits only; character " +
                             std::to_string(i + 1) + " is not"};
    }
  }
  return std::nullopt;
}

// Everything about a code's content, whichever direction it travels.
std::optional<BrCodeError> CheckContent(const BrCode& code) {
  if (auto error = CheckMerchantAccount(code)) return error;
  if (auto error = CheckAmount(code.amount)) return error;
  if (auto error = CheckText(kMerchantName, code.merchant_name, kMerchantNameLengthMax)) {
    return error;
  }
  if (auto error = CheckText(kMerchantCity, code.merchant_city, kMerchantCityLengthMax)) {
    return error;
  }
  return CheckTxid(code);
}

// ---- TLV reading ----------------------------------------------------------------------------

struct Tlv {
  int id = 0;
  std::string_view value;
  size_t offset = 0;  // of the id, in the whole text
};

// A template's fields by id; ids are 00..99 so a fixed array does.
struct TlvSet {
  std::vector<Tlv> in_order;
  std::array<std::optional<Tlv>, kIdCount> by_id;

  const std::optional<Tlv>& operator[](int id) const { return by_id[static_cast<size_t>(id)]; }
};

std::string_view TopLevelLabel(int id) {
  switch (id) {
    case kIdPayloadFormat:
      return kPayloadFormat;
    case kIdPointOfInitiation:
      return kPointOfInitiation;
    case kIdMerchantAccount:
      return kMerchantAccount;
    case kIdMerchantCategory:
      return kMerchantCategory;
    case kIdCurrency:
      return kCurrency;
    case kIdAmount:
      return kAmount;
    case kIdCountry:
      return kCountry;
    case kIdMerchantName:
      return kMerchantName;
    case kIdMerchantCity:
      return kMerchantCity;
    case kIdAdditionalData:
      return kAdditionalData;
    case kIdCrc:
      return kCrc;
    default:
      return {};
  }
}

// "59 merchant_name" for known fields, "61" or "26-03" for the others.
std::string Label(std::string_view template_prefix, int id) {
  if (template_prefix.empty()) {
    const std::string_view known = TopLevelLabel(id);
    if (!known.empty()) return std::string(known);
  } else if (template_prefix == "26-") {
    if (id == kSubIdGui) return std::string(kGui);
    if (id == kSubIdKey) return std::string(kKey);
    if (id == kSubIdDescription) return std::string(kDescription);
    if (id == kSubIdLocationUrl) return std::string(kLocationUrl);
  } else if (template_prefix == "62-" && id == kSubIdTxid) {
    return std::string(kTxid);
  }
  return std::string(template_prefix) + TwoDigits(static_cast<size_t>(id));
}

// Splits `data` (the whole text, or one template's value starting at `base_offset`) into TLVs
// that cover it exactly. `scope` names the container in errors that no field id can name.
Result<TlvSet, BrCodeError> SplitTlvs(std::string_view data, size_t base_offset,
                                      std::string_view scope, std::string_view template_prefix) {
  TlvSet set;
  size_t position = 0;
  while (position < data.size()) {
    const size_t offset = base_offset + position;
    const std::string_view rest = data.substr(position);
    if (rest.size() < 2 || !IsDigit(rest[0]) || !IsDigit(rest[1])) {
      return Fail(scope, "expected a two-digit field id at offset " + std::to_string(offset) +
                             ", found " + Quote(rest.substr(0, 2)));
    }
    const int id = (rest[0] - '0') * 10 + (rest[1] - '0');
    const std::string label = Label(template_prefix, id);
    if (rest.size() < kTlvHeaderLength || !IsDigit(rest[2]) || !IsDigit(rest[3])) {
      return Fail(label, "expected a two-digit length at offset " + std::to_string(offset + 2) +
                             ", found " + Quote(rest.substr(2, 2)));
    }
    const size_t length = static_cast<size_t>((rest[2] - '0') * 10 + (rest[3] - '0'));
    if (length == 0) return Fail(label, "has length 00; an empty field must be left out");
    if (rest.size() - kTlvHeaderLength < length) {
      return Fail(label, "length " + TwoDigits(length) + " runs past the end (" +
                             std::to_string(rest.size() - kTlvHeaderLength) + " characters left)");
    }
    const std::string_view value = rest.substr(kTlvHeaderLength, length);
    // 26 and 62 are split in turn; their own fields name a bad byte more precisely.
    const bool split_later =
        template_prefix.empty() && (id == kIdMerchantAccount || id == kIdAdditionalData);
    if (auto bad = split_later ? std::nullopt : FindNonPrintable(value)) {
      return Fail(label, "byte at offset " + std::to_string(offset + kTlvHeaderLength + *bad) +
                             " is a control character or not ASCII");
    }
    if (set.by_id[static_cast<size_t>(id)]) return Fail(label, "appears twice");
    const Tlv tlv{id, value, offset};
    set.by_id[static_cast<size_t>(id)] = tlv;
    set.in_order.push_back(tlv);
    position += kTlvHeaderLength + length;
  }
  return set;
}

std::optional<BrCodeError> CheckFixed(const TlvSet& fields, int id, std::string_view label,
                                      std::string_view expected) {
  const auto& field = fields[id];
  if (!field) return BrCodeError{std::string(label), "missing"};
  if (field->value != expected) {
    return BrCodeError{std::string(label),
                       "must be " + std::string(expected) + ", found " + Quote(field->value)};
  }
  return std::nullopt;
}

// `\d+\.\d{2}`, then exact minor units through Amount::Parse (no floating point anywhere).
Result<Amount, BrCodeError> ParseAmountField(std::string_view value) {
  const size_t dot = value.find('.');
  const bool shape_ok = dot != std::string_view::npos && dot > 0 && value.size() - dot - 1 == 2 &&
                        value.size() <= kAmountLengthMax;
  bool digits_ok = shape_ok;
  for (size_t i = 0; digits_ok && i < value.size(); ++i) digits_ok = i == dot || IsDigit(value[i]);
  if (!digits_ok) {
    return Fail(kAmount,
                "must be digits, '.', and exactly two decimals (at most 13 characters), "
                "found " +
                    Quote(value));
  }
  auto amount = Amount::Parse(value, Brl());
  if (!amount.ok()) return Fail(kAmount, std::string(AmountErrorMessage(amount.error())));
  return std::move(amount).value();
}

Result<BrCode, BrCodeError> ParseMerchantAccount(const Tlv& field, BrCode code) {
  auto split = SplitTlvs(field.value, field.offset + kTlvHeaderLength, kMerchantAccount, "26-");
  if (!split.ok()) return Failure{split.error()};
  const TlvSet& sub = split.value();
  if (sub.in_order.front().id != kSubIdGui) {
    return Fail(kGui, sub[kSubIdGui] ? "must be the first sub-field of 26" : "missing");
  }
  if (!EqualsIgnoringAsciiCase(sub.in_order.front().value, kPixGui)) {
    return Fail(kGui, "must be br.gov.bcb.pix, found " + Quote(sub.in_order.front().value));
  }
  for (const Tlv& tlv : sub.in_order) {
    if (tlv.id != kSubIdGui && tlv.id != kSubIdKey && tlv.id != kSubIdDescription &&
        tlv.id != kSubIdLocationUrl) {
      return Fail(kMerchantAccount,
                  "unexpected sub-field " + TwoDigits(static_cast<size_t>(tlv.id)) +
                      " (a PIX template holds 00 GUI, 01 key, 02 description or 25 location)");
    }
  }
  if (sub[kSubIdKey]) code.key = std::string(sub[kSubIdKey]->value);
  if (sub[kSubIdDescription]) {
    if (!sub[kSubIdKey]) {
      return Fail(kDescription, "only static codes (with a 01 key) carry a description");
    }
    code.description = std::string(sub[kSubIdDescription]->value);
  }
  if (sub[kSubIdLocationUrl]) code.location_url = std::string(sub[kSubIdLocationUrl]->value);
  return code;
}

Result<std::string, BrCodeError> ParseTxid(const Tlv& field) {
  auto split = SplitTlvs(field.value, field.offset + kTlvHeaderLength, kAdditionalData, "62-");
  if (!split.ok()) return Failure{split.error()};
  const auto& txid = split.value()[kSubIdTxid];
  if (!txid) return Fail(kTxid, "missing ('***' when there is none)");
  return std::string(txid->value);
}

// The top-level structure: 00 first, 63 last with a correct upper-case CRC.
std::optional<BrCodeError> CheckFrame(std::string_view text, const TlvSet& fields) {
  if (fields.in_order.front().id != kIdPayloadFormat) {
    return BrCodeError{std::string(kPayloadFormat),
                       fields[kIdPayloadFormat] ? "must be the first field" : "missing"};
  }
  if (fields.in_order.front().value != "01") {
    return BrCodeError{std::string(kPayloadFormat),
                       "must be 01, found " + Quote(fields.in_order.front().value)};
  }
  const Tlv& last = fields.in_order.back();
  if (last.id != kIdCrc) {
    return BrCodeError{std::string(kCrc), fields[kIdCrc] ? "must be the last field" : "missing"};
  }
  if (last.value.size() != kCrcHexDigits) {
    return BrCodeError{std::string(kCrc),
                       "must have length 04, found " + TwoDigits(last.value.size())};
  }
  for (char c : last.value) {
    if (c >= 'a' && c <= 'f') {
      return BrCodeError{std::string(kCrc),
                         "hex digits must be upper-case, found " + Quote(last.value)};
    }
    if (!IsDigit(c) && !(c >= 'A' && c <= 'F')) {
      return BrCodeError{std::string(kCrc), "must be 4 hex digits, found " + Quote(last.value)};
    }
  }
  const std::string expected = HexUpper(Crc16(text.substr(0, text.size() - kCrcHexDigits)));
  if (last.value != expected) {
    return BrCodeError{std::string(kCrc), "is " + std::string(last.value) +
                                              " but the text's CRC-16 is " + expected +
                                              " (altered or truncated code)"};
  }
  return std::nullopt;
}

// Latin-1 Supplement (U+00C0..U+00FF) without accents; "" drops the character.
constexpr std::array<const char*, 64> kLatin1Folds = {
    "A", "A", "A", "A", "A", "A", "AE", "C", "E", "E", "E", "E", "I", "I", "I", "I",   // C0-CF
    "D", "N", "O", "O", "O", "O", "O",  "",  "O", "U", "U", "U", "U", "Y", "",  "ss",  // D0-DF
    "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i",   // E0-EF
    "d", "n", "o", "o", "o", "o", "o",  "",  "o", "u", "u", "u", "u", "y", "",  "y",   // F0-FF
};

struct Utf8Lead {
  size_t length = 0;     // bytes in the sequence
  uint32_t bits = 0;     // the lead byte's share of the code point
  uint32_t minimum = 0;  // the smallest code point this length may encode
};

// A lead byte of a UTF-8 sequence, or nullopt for a continuation byte or one never valid.
std::optional<Utf8Lead> DecodeLead(uint8_t lead) {
  if (lead >= 0xC2 && lead <= 0xDF) return Utf8Lead{2, lead & 0x1Fu, 0x80};
  if (lead >= 0xE0 && lead <= 0xEF) return Utf8Lead{3, lead & 0x0Fu, 0x800};
  if (lead >= 0xF0 && lead <= 0xF4) return Utf8Lead{4, lead & 0x07u, 0x10000};
  return std::nullopt;
}

std::string_view FoldCodePoint(uint32_t code_point) {
  if (code_point >= 0xC0 && code_point <= 0xFF) return kLatin1Folds[code_point - 0xC0];
  switch (code_point) {
    case 0xA0:  // no-break space
      return " ";
    case 0xAA:  // ordinal indicators, as in "1ª" and "Nº"
      return "a";
    case 0xBA:
      return "o";
    default:
      return {};
  }
}

}  // namespace

uint16_t Crc16(std::string_view data) {
  uint16_t crc = 0xFFFF;
  for (char c : data) {
    crc = static_cast<uint16_t>(crc ^ (static_cast<uint8_t>(c) << 8));
    for (int bit = 0; bit < 8; ++bit) {
      crc = static_cast<uint16_t>((crc & 0x8000) ? (crc << 1) ^ 0x1021 : crc << 1);
    }
  }
  return crc;
}

std::string FoldToAscii(std::string_view utf8) {
  std::string out;
  out.reserve(utf8.size());
  size_t i = 0;
  while (i < utf8.size()) {
    const auto lead = static_cast<uint8_t>(utf8[i]);
    if (lead < 0x80) {
      out += static_cast<char>(lead);
      ++i;
      continue;
    }
    const std::optional<Utf8Lead> sequence = DecodeLead(lead);
    const size_t length = sequence ? sequence->length : 0;
    uint32_t code_point = sequence ? sequence->bits : 0;
    bool valid = sequence && i + length <= utf8.size();
    for (size_t k = 1; valid && k < length; ++k) {
      const auto next = static_cast<uint8_t>(utf8[i + k]);
      valid = (next & 0xC0u) == 0x80u;
      code_point = (code_point << 6) | (next & 0x3Fu);
    }
    if (!valid || code_point < sequence->minimum) {  // truncated, or an overlong encoding
      ++i;  // drop the stray byte and resynchronise on the next one
      continue;
    }
    out += FoldCodePoint(code_point);
    i += length;
  }
  return out;
}

std::ostream& operator<<(std::ostream& out, const BrCode& code) {
  out << "{key=" << Quote(code.key) << " description=" << Quote(code.description)
      << " location_url=" << Quote(code.location_url) << " single_use=" << code.single_use
      << " amount=" << (code.amount ? code.amount->ToString() : "none")
      << " name=" << Quote(code.merchant_name) << " city=" << Quote(code.merchant_city)
      << " txid=" << Quote(code.txid) << "}";
  return out;
}

std::ostream& operator<<(std::ostream& out, const BrCodeError& error) {
  return out << error.field << ": " << error.message;
}

Result<std::string, BrCodeError> EncodeBrCode(const BrCode& code) {
  BrCode normalized = code;
  normalized.merchant_name = UpperAscii(FoldToAscii(code.merchant_name));
  normalized.merchant_city = UpperAscii(FoldToAscii(code.merchant_city));
  normalized.description = FoldToAscii(code.description);
  if (auto error = CheckContent(normalized)) return Failure{std::move(*error)};

  std::string merchant_account;
  AppendTlv(merchant_account, kSubIdGui, kPixGui);
  if (normalized.IsDynamic()) {
    AppendTlv(merchant_account, kSubIdLocationUrl, normalized.location_url);
  } else {
    AppendTlv(merchant_account, kSubIdKey, normalized.key);
    if (!normalized.description.empty()) {
      AppendTlv(merchant_account, kSubIdDescription, normalized.description);
    }
  }
  std::string additional_data;
  AppendTlv(additional_data, kSubIdTxid, normalized.txid);

  std::string text;
  text.reserve(kBrCodeLengthMax);
  AppendTlv(text, kIdPayloadFormat, "01");
  if (normalized.single_use) AppendTlv(text, kIdPointOfInitiation, "12");
  AppendTlv(text, kIdMerchantAccount, merchant_account);
  AppendTlv(text, kIdMerchantCategory, "0000");
  AppendTlv(text, kIdCurrency, "986");
  if (normalized.amount) AppendTlv(text, kIdAmount, normalized.amount->ToString());
  AppendTlv(text, kIdCountry, "BR");
  AppendTlv(text, kIdMerchantName, normalized.merchant_name);
  AppendTlv(text, kIdMerchantCity, normalized.merchant_city);
  AppendTlv(text, kIdAdditionalData, additional_data);
  text += kCrcFieldPrefix;
  text += HexUpper(Crc16(text));
  // The field limits keep a code far below the EMV maximum; this guards the arithmetic.
  CAMBISTA_CHECK(text.size() <= kBrCodeLengthMax);
  return text;
}

Result<BrCode, BrCodeError> ParseBrCode(std::string_view text) {
  if (text.empty()) return Fail(kText, "empty");
  if (text.size() > kBrCodeLengthMax) {
    return Fail(kText, std::to_string(text.size()) + " characters; a BR Code has at most " +
                           std::to_string(kBrCodeLengthMax));
  }
  auto split = SplitTlvs(text, 0, kText, "");
  if (!split.ok()) return Failure{split.error()};
  const TlvSet& fields = split.value();
  if (auto error = CheckFrame(text, fields)) return Failure{std::move(*error)};

  BrCode code;
  if (const auto& field = fields[kIdPointOfInitiation]) {
    if (field->value != "11" && field->value != "12") {
      return Fail(kPointOfInitiation,
                  "must be 11 (reusable) or 12 (single use), found " + Quote(field->value));
    }
    code.single_use = field->value == "12";
  }
  if (!fields[kIdMerchantAccount]) return Fail(kMerchantAccount, "missing");
  auto with_account = ParseMerchantAccount(*fields[kIdMerchantAccount], std::move(code));
  if (!with_account.ok()) return Failure{with_account.error()};
  code = std::move(with_account).value();

  if (auto error = CheckFixed(fields, kIdMerchantCategory, kMerchantCategory, "0000")) {
    return Failure{std::move(*error)};
  }
  if (auto error = CheckFixed(fields, kIdCurrency, kCurrency, "986")) {
    return Failure{std::move(*error)};
  }
  if (const auto& field = fields[kIdAmount]) {
    auto amount = ParseAmountField(field->value);
    if (!amount.ok()) return Failure{amount.error()};
    code.amount = std::move(amount).value();
  }
  for (int id = kIdTipIndicator; id <= kIdConvenienceFeePercentage; ++id) {
    if (fields[id]) {
      return Fail(Label("", id),
                  "tip and convenience fee fields are not part of PIX; they would "
                  "change what the payer pays");
    }
  }
  if (auto error = CheckFixed(fields, kIdCountry, kCountry, "BR")) {
    return Failure{std::move(*error)};
  }
  if (!fields[kIdMerchantName]) return Fail(kMerchantName, "missing");
  code.merchant_name = std::string(fields[kIdMerchantName]->value);
  if (!fields[kIdMerchantCity]) return Fail(kMerchantCity, "missing");
  code.merchant_city = std::string(fields[kIdMerchantCity]->value);
  if (!fields[kIdAdditionalData]) return Fail(kAdditionalData, "missing (62-05 txid is required)");
  auto txid = ParseTxid(*fields[kIdAdditionalData]);
  if (!txid.ok()) return Failure{txid.error()};
  code.txid = std::move(txid).value();

  if (auto error = CheckContent(code)) return Failure{std::move(*error)};
  return code;
}

}  // namespace cambista::pix
