#include "pix/br_code.hpp"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "br_code_generator.hpp"

namespace cambista::pix {
namespace {

// PROVIDERS.md "PIX BR Code" test vector.
constexpr std::string_view kSpecVector =
    "00020126510014br.gov.bcb.pix0115thalesog@me.com0210Pedido 123520400005303986540510.005802BR"
    "5914THALES OGLIARI6015SAO MIGUEL DO O62070503***63040DC6";

const Asset& Brl() {
  static const Asset kBrl = Asset::Make("BRL", 2).value();
  return kBrl;
}

Amount Brl(std::string_view text) {
  return Amount::Parse(text, Brl()).value();
}

BrCode SpecCode() {
  BrCode code;
  code.key = "thalesog@me.com";
  code.description = "Pedido 123";
  code.amount = Brl("10.00");
  code.merchant_name = "Thales Ogliari";
  code.merchant_city = "S\xc3\xa3o Miguel do \xc3\x93";  // São Miguel do Ó
  return code;
}

std::string TwoDigits(size_t value) {
  return std::string{char('0' + value / 10), char('0' + value % 10)};
}

std::string Tlv(std::string_view id, std::string_view value) {
  return std::string(id) + TwoDigits(value.size()) + std::string(value);
}

std::string HexCrc(std::string_view text) {
  static constexpr std::string_view kHex = "0123456789ABCDEF";
  const uint16_t crc = Crc16(text);
  return {kHex[crc >> 12], kHex[(crc >> 8) & 0xf], kHex[(crc >> 4) & 0xf], kHex[crc & 0xf]};
}

// Appends a correct CRC field, so a test reaches the check it means to exercise.
std::string WithCrc(std::string body) {
  body += "6304";
  return body + HexCrc(body);
}

// The spec vector as an editable list of top-level fields (the CRC is added by Code()).
class Fields {
 public:
  Fields() {
    list_ = {{"00", "01"},
             {"26",
              Tlv("00", "br.gov.bcb.pix") + Tlv("01", "thalesog@me.com") + Tlv("02", "Pedido 123")},
             {"52", "0000"},
             {"53", "986"},
             {"54", "10.00"},
             {"58", "BR"},
             {"59", "THALES OGLIARI"},
             {"60", "SAO MIGUEL DO O"},
             {"62", Tlv("05", "***")}};
  }
  // Replaces the field's value, or appends the field when it is not there yet.
  Fields& Set(std::string_view id, std::string value) {
    for (auto& [field_id, field_value] : list_) {
      if (field_id == id) {
        field_value = std::move(value);
        return *this;
      }
    }
    list_.emplace_back(std::string(id), std::move(value));
    return *this;
  }
  Fields& Remove(std::string_view id) {
    std::erase_if(list_, [&](const auto& field) { return field.first == id; });
    return *this;
  }
  Fields& Append(std::string_view id, std::string value) {
    list_.emplace_back(std::string(id), std::move(value));
    return *this;
  }
  Fields& Account(std::string value) { return Set("26", std::move(value)); }
  std::string Body() const {
    std::string body;
    for (const auto& [id, value] : list_) body += Tlv(id, value);
    return body;
  }
  std::string Code() const { return WithCrc(Body()); }

 private:
  std::vector<std::pair<std::string, std::string>> list_;
};

std::string Gui() {
  return Tlv("00", "br.gov.bcb.pix");
}

// Asserts that parsing fails on `field` with a message containing `message_part`.
void ExpectParseError(std::string_view text, std::string_view field,
                      std::string_view message_part) {
  auto parsed = ParseBrCode(text);
  ASSERT_FALSE(parsed.ok()) << "parsed: " << text;
  EXPECT_EQ(parsed.error().field, field) << parsed.error();
  EXPECT_NE(parsed.error().message.find(message_part), std::string::npos)
      << "message: " << parsed.error().message << "\nexpected to contain: " << message_part;
}

void ExpectEncodeError(const BrCode& code, std::string_view field, std::string_view message_part) {
  auto encoded = EncodeBrCode(code);
  ASSERT_FALSE(encoded.ok()) << "encoded: " << encoded.value();
  EXPECT_EQ(encoded.error().field, field) << encoded.error();
  EXPECT_NE(encoded.error().message.find(message_part), std::string::npos)
      << "message: " << encoded.error().message << "\nexpected to contain: " << message_part;
}

// ---- CRC and the spec vector ----------------------------------------------------------------

TEST(Crc16, CheckValue) {
  EXPECT_EQ(Crc16("123456789"), 0x29B1);
  EXPECT_EQ(Crc16(""), 0xFFFF);  // the initial value, untouched
}

TEST(BrCode, SpecVectorEncodesByteForByte) {
  auto encoded = EncodeBrCode(SpecCode());
  ASSERT_TRUE(encoded.ok()) << encoded.error();
  EXPECT_EQ(encoded.value(), kSpecVector);
}

TEST(BrCode, SpecVectorParses) {
  auto parsed = ParseBrCode(kSpecVector);
  ASSERT_TRUE(parsed.ok()) << parsed.error();
  EXPECT_EQ(parsed->key, "thalesog@me.com");
  EXPECT_EQ(parsed->description, "Pedido 123");
  EXPECT_EQ(parsed->location_url, "");
  EXPECT_FALSE(parsed->single_use);
  ASSERT_TRUE(parsed->amount.has_value());
  EXPECT_EQ(*parsed->amount, Brl("10.00"));
  EXPECT_EQ(parsed->merchant_name, "THALES OGLIARI");
  EXPECT_EQ(parsed->merchant_city, "SAO MIGUEL DO O");
  EXPECT_EQ(parsed->txid, "***");
  EXPECT_FALSE(parsed->IsDynamic());
}

TEST(BrCode, CrcCoversEverythingBeforeTheFourHexDigits) {
  const std::string_view body = kSpecVector.substr(0, kSpecVector.size() - 4);
  EXPECT_TRUE(body.ends_with("6304"));
  EXPECT_EQ(Crc16(body), 0x0DC6);
}

// pix-utils' README example: mixed-case merchant name, as many PSPs emit it.
TEST(BrCode, ParsesMixedCaseNamesAsTheyAre) {
  auto parsed = ParseBrCode(
      "00020126650014br.gov.bcb.pix0119nubank@thalesog.com0220Gerado por Pix-Utils5204000053039865"
      "4041.005802BR5914Thales Ogliari6015SAO MIGUEL DO O62070503***6304059A");
  ASSERT_TRUE(parsed.ok()) << parsed.error();
  EXPECT_EQ(parsed->merchant_name, "Thales Ogliari");
  EXPECT_EQ(*parsed->amount, Brl("1.00"));
  // Re-encoding upper-cases it.
  auto encoded = EncodeBrCode(parsed.value());
  ASSERT_TRUE(encoded.ok());
  EXPECT_NE(encoded->find("5914THALES OGLIARI"), std::string::npos);
}

// ---- Encoding -------------------------------------------------------------------------------

TEST(EncodeBrCode, StaticWithoutAmountOrDescription) {
  BrCode code;
  code.key = "+5511987654321";
  code.merchant_name = "Loja";
  code.merchant_city = "Rio";
  auto encoded = EncodeBrCode(code);
  ASSERT_TRUE(encoded.ok()) << encoded.error();
  EXPECT_EQ(encoded.value(),
            WithCrc("000201" + Tlv("26", Gui() + Tlv("01", "+5511987654321")) + "520400005303986" +
                    "5802BR" + "5904LOJA" + "6003RIO" + "62070503***"));
}

TEST(EncodeBrCode, DynamicSingleUseWithTxid) {
  BrCode code;
  code.location_url = "pix.example.com/qr/v2/9d36b84f-c70b-478f-b95c-12729b90ca25";
  code.single_use = true;
  code.amount = Brl("1234.56");
  code.merchant_name = "Cambista Ltda";
  code.merchant_city = "Bras\xc3\xadlia";             // Brasília
  code.txid = "Abc123Def456Ghi789Jkl012Mno345Pqr67";  // 35, the dynamic maximum
  auto encoded = EncodeBrCode(code);
  ASSERT_TRUE(encoded.ok()) << encoded.error();
  EXPECT_EQ(encoded.value(),
            WithCrc("000201010212" + Tlv("26", Gui() + Tlv("25", code.location_url)) +
                    "520400005303986" + "54071234.56" + "5802BR" + "5913CAMBISTA LTDA" +
                    "6008BRASILIA" + Tlv("62", Tlv("05", code.txid))));
  auto parsed = ParseBrCode(encoded.value());
  ASSERT_TRUE(parsed.ok()) << parsed.error();
  EXPECT_TRUE(parsed->IsDynamic());
  EXPECT_TRUE(parsed->single_use);
  EXPECT_EQ(parsed->txid, code.txid);
}

TEST(EncodeBrCode, NameAndCityUpperCasedWithoutAccents) {
  BrCode code = SpecCode();
  code.merchant_name =
      "Jo\xc3\xa3o & Concei\xc3\xa7\xc3\xa3o \xf0\x9f\x98\x80";  // João & Conceição 😀
  code.merchant_city = "S\xc3\xa3o Jos\xc3\xa9";                 // São José
  auto encoded = EncodeBrCode(code);
  ASSERT_TRUE(encoded.ok()) << encoded.error();
  auto parsed = ParseBrCode(encoded.value());
  ASSERT_TRUE(parsed.ok()) << parsed.error();
  EXPECT_EQ(parsed->merchant_name, "JOAO & CONCEICAO ");
  EXPECT_EQ(parsed->merchant_city, "SAO JOSE");
}

TEST(EncodeBrCode, DescriptionLosesAccentsButKeepsCase) {
  BrCode code = SpecCode();
  code.description =
      "Pe\xc3\xa7"
      "a n\xc2\xba 7";  // Peça nº 7
  auto parsed = ParseBrCode(EncodeBrCode(code).value());
  ASSERT_TRUE(parsed.ok()) << parsed.error();
  EXPECT_EQ(parsed->description, "Peca no 7");
}

TEST(EncodeBrCode, LengthLimitsAreInclusive) {
  BrCode code = SpecCode();
  code.merchant_name = std::string(25, 'N');
  code.merchant_city = std::string(15, 'C');
  code.txid = std::string(25, 'T');
  code.amount = Brl("9999999999.99");
  EXPECT_TRUE(EncodeBrCode(code).ok());
  // Limits apply after folding: 25 accented letters are 25 characters.
  code.merchant_name.clear();
  for (int i = 0; i < 25; ++i) code.merchant_name += "\xc3\xa9";
  EXPECT_TRUE(EncodeBrCode(code).ok());
}

TEST(EncodeBrCode, RejectsWhatNoBankCouldRead) {
  BrCode code = SpecCode();
  code.merchant_name = std::string(26, 'N');
  ExpectEncodeError(code, "59 merchant_name", "26 characters; at most 25");
  code.merchant_name =
      "Stra\xc3\x9f"
      "enverkaufsgesellschaft";  // ß folds to two letters: 26
  ExpectEncodeError(code, "59 merchant_name", "at most 25");
  code.merchant_name = "\xf0\x9f\x98\x80\xf0\x9f\x98\x80";  // only emoji: nothing left
  ExpectEncodeError(code, "59 merchant_name", "blank");
  code.merchant_name = "Tab\there";
  ExpectEncodeError(code, "59 merchant_name", "control character");

  code = SpecCode();
  code.merchant_city = std::string(16, 'C');
  ExpectEncodeError(code, "60 merchant_city", "at most 15");
  code.merchant_city = "";
  ExpectEncodeError(code, "60 merchant_city", "blank");

  code = SpecCode();
  code.amount = Amount::Parse("10.000000", Asset::Make("USDT", 6).value()).value();
  ExpectEncodeError(code, "54 amount", "BRL");
  code.amount = Brl("0.00");
  ExpectEncodeError(code, "54 amount", "positive");
  code.amount = Brl("-5.00");
  ExpectEncodeError(code, "54 amount", "positive");
  code.amount = Brl("10000000000.00");  // 14 characters
  ExpectEncodeError(code, "54 amount", "9999999999.99");

  code = SpecCode();
  code.txid = "";
  ExpectEncodeError(code, "62-05 txid", "'***' or 1 to 25");
  code.txid = std::string(26, 'T');
  ExpectEncodeError(code, "62-05 txid", "1 to 25");
  code.txid = "pedido-123";
  ExpectEncodeError(code, "62-05 txid", "letters and digits only");
}

TEST(EncodeBrCode, MerchantAccountRules) {
  BrCode code = SpecCode();
  code.key.clear();
  ExpectEncodeError(code, "26 merchant_account", "needs a PIX key");
  code.key = "thalesog@me.com";
  code.location_url = "pix.example.com/qr/1";
  ExpectEncodeError(code, "26 merchant_account", "both");
  code.key.clear();
  ExpectEncodeError(code, "26-02 description", "only static codes");
  code.description.clear();
  code.location_url = "https://pix.example.com/qr/1";
  ExpectEncodeError(code, "26-25 location_url", "without its scheme");
  code.location_url = "pix.example.com/qr 1";
  ExpectEncodeError(code, "26-25 location_url", "character 19");
  code.location_url = std::string(77, 'u');
  EXPECT_TRUE(EncodeBrCode(code).ok());
  code.location_url = std::string(78, 'u');
  ExpectEncodeError(code, "26-25 location_url", "at most 77");

  code = SpecCode();
  code.key = "123.456.789-09";
  ExpectEncodeError(code, "26-01 key", "without punctuation");
  code.key = "52998224724";  // last check digit wrong
  ExpectEncodeError(code, "26-01 key", "CPF check digits");
  // Key + description share the 99-character template: 18 GUI + 4 + 15 key + 4 + 58 = 99.
  code = SpecCode();
  code.description = std::string(58, 'd');
  EXPECT_TRUE(EncodeBrCode(code).ok());
  code.description = std::string(59, 'd');
  ExpectEncodeError(code, "26-02 description", "at most 58");
}

// ---- Round trips ----------------------------------------------------------------------------

TEST(BrCode, RoundTripsOfGeneratedCodes) {
  constexpr uint64_t kSeed = 20240611;
  testing::BrCodeGenerator generator(kSeed);
  for (int i = 0; i < 2000; ++i) {
    const testing::GeneratedCode code = generator.Next();
    auto encoded = EncodeBrCode(code.input);
    ASSERT_TRUE(encoded.ok()) << "seed " << kSeed << " code " << i << ": " << encoded.error()
                              << " for " << code.input;
    auto parsed = ParseBrCode(encoded.value());
    ASSERT_TRUE(parsed.ok()) << encoded.value() << ": " << parsed.error();
    EXPECT_EQ(parsed.value(), code.expected) << encoded.value();
    // Encoding is a fixed point once normalised.
    EXPECT_EQ(EncodeBrCode(parsed.value()).value(), encoded.value());
  }
}

// ---- Parser error paths ---------------------------------------------------------------------

TEST(ParseBrCode, TheHelperBuildsAValidCode) {
  // Guards every error test below: an unmodified Fields() is exactly the spec vector.
  EXPECT_EQ(Fields().Code(), kSpecVector);
}

TEST(ParseBrCode, EmptyAndOversizeText) {
  ExpectParseError("", "text", "empty");
  ExpectParseError(std::string(513, '0'), "text", "at most 512");
}

TEST(ParseBrCode, CrcErrors) {
  std::string altered(kSpecVector);
  altered[60] = 'X';  // inside the description
  ExpectParseError(altered, "63 crc", "CRC-16 is");
  std::string lower(kSpecVector);
  lower.replace(lower.size() - 4, 4, "0dc6");
  ExpectParseError(lower, "63 crc", "upper-case");
  std::string not_hex(kSpecVector);
  not_hex.back() = 'G';
  ExpectParseError(not_hex, "63 crc", "4 hex digits");
  ExpectParseError(Fields().Body(), "63 crc", "missing");
  ExpectParseError(Fields().Body() + "630500000", "63 crc", "length 04");
  // A CRC followed by another field.
  const std::string body = Fields().Body() + "6304";
  ExpectParseError(body + HexCrc(body) + "6102AB", "63 crc", "last field");
}

TEST(ParseBrCode, TruncatedTextAndBadTlvs) {
  // Cut inside the CRC value, inside the CRC length, and inside the CRC id.
  ExpectParseError(kSpecVector.substr(0, kSpecVector.size() - 1), "63 crc", "runs past the end");
  ExpectParseError(kSpecVector.substr(0, kSpecVector.size() - 5), "63 crc",
                   "expected a two-digit length");
  ExpectParseError(kSpecVector.substr(0, kSpecVector.size() - 7), "text",
                   "expected a two-digit field id at offset 139");
  // Cut inside the merchant name.
  ExpectParseError(kSpecVector.substr(0, 100), "59 merchant_name", "runs past the end");
  // A length beyond the end of its template.
  ExpectParseError(Fields().Account(Gui() + "0120thalesog@me.com").Code(), "26-01 key",
                   "length 20 runs past the end (15 characters left)");
  std::string bad_length = Fields().Body();
  bad_length.replace(bad_length.find("5914THALES") + 2, 2, "1A");
  ExpectParseError(WithCrc(bad_length), "59 merchant_name", "expected a two-digit length");
  ExpectParseError("X0020126", "text", "two-digit field id at offset 0");
  ExpectParseError(WithCrc("0002016000" + Fields().Remove("00").Body()), "60 merchant_city",
                   "length 00");
  ExpectParseError(Fields().Append("59", "OTHER NAME").Code(), "59 merchant_name", "twice");
  ExpectParseError(Fields().Set("62", Tlv("05", "***") + Tlv("05", "ABC")).Code(), "62-05 txid",
                   "twice");
  // A byte outside printable ASCII names its field even where the value is otherwise ignored.
  ExpectParseError(Fields().Set("59", "JO\xc3\x83O").Code(), "59 merchant_name", "not ASCII");
  ExpectParseError(Fields().Append("61", "0100\n000").Code(), "61", "control character");
}

TEST(ParseBrCode, PayloadFormatAndPointOfInitiation) {
  ExpectParseError(WithCrc(Tlv("52", "0000") + Fields().Remove("52").Body()), "00 payload_format",
                   "must be the first field");
  ExpectParseError(WithCrc(Fields().Remove("00").Body()), "00 payload_format", "missing");
  ExpectParseError(Fields().Set("00", "02").Code(), "00 payload_format", "must be 01");
  ExpectParseError(Fields().Append("01", "13").Code(), "01 point_of_initiation", "11");
  auto reusable = ParseBrCode(Fields().Append("01", "11").Code());
  ASSERT_TRUE(reusable.ok()) << reusable.error();
  EXPECT_FALSE(reusable->single_use);
  auto single = ParseBrCode(Fields().Append("01", "12").Code());
  ASSERT_TRUE(single.ok()) << single.error();
  EXPECT_TRUE(single->single_use);
}

TEST(ParseBrCode, MerchantAccountTemplate) {
  ExpectParseError(Fields().Remove("26").Code(), "26 merchant_account", "missing");
  ExpectParseError(
      Fields().Account(Tlv("00", "br.gov.bcb.xyz") + Tlv("01", "thalesog@me.com")).Code(),
      "26-00 gui", "br.gov.bcb.pix");
  ExpectParseError(Fields().Account(Tlv("01", "thalesog@me.com") + Gui()).Code(), "26-00 gui",
                   "first sub-field");
  ExpectParseError(Fields().Account(Tlv("01", "thalesog@me.com")).Code(), "26-00 gui", "missing");
  ExpectParseError(Fields().Account(Gui()).Code(), "26 merchant_account", "needs a PIX key");
  ExpectParseError(Fields().Account(Gui() + Tlv("01", "thalesog@me.com") + Tlv("03", "FSS")).Code(),
                   "26 merchant_account", "unexpected sub-field 03");
  ExpectParseError(
      Fields()
          .Account(Gui() + Tlv("01", "thalesog@me.com") + Tlv("25", "pix.example.com/1"))
          .Code(),
      "26 merchant_account", "both");
  ExpectParseError(Fields().Account(Gui() + Tlv("25", "pix.example.com/1") + Tlv("02", "x")).Code(),
                   "26-02 description", "only static codes");
  ExpectParseError(Fields().Account(Gui() + Tlv("01", "11111111111")).Code(), "26-01 key",
                   "repeated digit");
  // pix-utils' README writes the scheme; BCB says the location has none.
  ExpectParseError(Fields().Account(Gui() + Tlv("25", "https://pix.example.com/1")).Code(),
                   "26-25 location_url", "scheme");
  ExpectParseError(
      Fields().Account(Gui() + Tlv("01", "thalesog@me.com") + Tlv("02", "tab\there")).Code(),
      "26-02 description", "control character");
  // The GUI is compared without regard to case.
  auto upper_gui = ParseBrCode(
      Fields().Account(Tlv("00", "BR.GOV.BCB.PIX") + Tlv("01", "thalesog@me.com")).Code());
  ASSERT_TRUE(upper_gui.ok()) << upper_gui.error();
  EXPECT_EQ(upper_gui->key, "thalesog@me.com");
  EXPECT_EQ(upper_gui->description, "");
}

TEST(ParseBrCode, FixedFields) {
  ExpectParseError(Fields().Remove("52").Code(), "52 merchant_category_code", "missing");
  ExpectParseError(Fields().Set("52", "5411").Code(), "52 merchant_category_code",
                   "must be 0000, found '5411'");
  ExpectParseError(Fields().Remove("53").Code(), "53 currency", "missing");
  ExpectParseError(Fields().Set("53", "840").Code(), "53 currency", "must be 986");
  ExpectParseError(Fields().Remove("58").Code(), "58 country_code", "missing");
  ExpectParseError(Fields().Set("58", "br").Code(), "58 country_code", "must be BR");
  ExpectParseError(Fields().Remove("59").Code(), "59 merchant_name", "missing");
  ExpectParseError(Fields().Remove("60").Code(), "60 merchant_city", "missing");
  ExpectParseError(Fields().Remove("62").Code(), "62 additional_data", "missing");
  ExpectParseError(Fields().Set("62", Tlv("01", "BILL")).Code(), "62-05 txid", "missing");
}

TEST(ParseBrCode, AmountField) {
  for (const char* bad : {"10", "10.0", "10.000", ".50", "1.", "-1.00", "+1.00", "1e3", "1,00",
                          "1 .00", "10000000000.00", "1.0.0"}) {
    ExpectParseError(Fields().Set("54", bad).Code(), "54 amount", "two decimals");
  }
  ExpectParseError(Fields().Set("54", "0.00").Code(), "54 amount", "positive");
  auto leading_zeros = ParseBrCode(Fields().Set("54", "0012.30").Code());
  ASSERT_TRUE(leading_zeros.ok()) << leading_zeros.error();
  EXPECT_EQ(*leading_zeros->amount, Brl("12.30"));
  auto largest = ParseBrCode(Fields().Set("54", "9999999999.99").Code());
  ASSERT_TRUE(largest.ok()) << largest.error();
  EXPECT_EQ(largest->amount->minor(), static_cast<i128>(999'999'999'999));
  auto no_amount = ParseBrCode(Fields().Remove("54").Code());
  ASSERT_TRUE(no_amount.ok()) << no_amount.error();
  EXPECT_FALSE(no_amount->amount.has_value());
  ExpectParseError(Fields().Append("55", "01").Code(), "55", "tip");
  ExpectParseError(Fields().Append("57", "5.00").Code(), "57", "tip");
}

TEST(ParseBrCode, OversizeAndMalformedTextFields) {
  ExpectParseError(Fields().Set("59", std::string(26, 'N')).Code(), "59 merchant_name",
                   "26 characters; at most 25");
  ExpectParseError(Fields().Set("59", "   ").Code(), "59 merchant_name", "blank");
  ExpectParseError(Fields().Set("60", std::string(16, 'C')).Code(), "60 merchant_city",
                   "at most 15");
  ExpectParseError(Fields().Set("62", Tlv("05", std::string(26, 'T'))).Code(), "62-05 txid",
                   "1 to 25 letters and digits in a static code");
  ExpectParseError(Fields().Set("62", Tlv("05", "ab-12")).Code(), "62-05 txid",
                   "letters and digits");
  ExpectParseError(Fields().Set("62", Tlv("05", "**")).Code(), "62-05 txid", "letters and digits");
  // Dynamic codes allow a txid of up to 35.
  Fields dynamic;
  dynamic.Account(Gui() + Tlv("25", "pix.example.com/qr/1"));
  EXPECT_TRUE(ParseBrCode(dynamic.Set("62", Tlv("05", std::string(35, 'T'))).Code()).ok());
  ExpectParseError(dynamic.Set("62", Tlv("05", std::string(36, 'T'))).Code(), "62-05 txid",
                   "1 to 35");
}

TEST(ParseBrCode, IgnoresOtherSchemesAndOptionalFields) {
  auto parsed = ParseBrCode(Fields()
                                .Append("61", "01310100")  // postal code
                                .Append("80", Tlv("00", "br.gov.bcb.pix") + Tlv("25", "x.y/z"))
                                .Set("62", Tlv("01", "BILL7") + Tlv("05", "TX1"))
                                .Append("27", Tlv("00", "com.example.other") + Tlv("01", "K"))
                                .Code());
  ASSERT_TRUE(parsed.ok()) << parsed.error();
  EXPECT_EQ(parsed->txid, "TX1");
  EXPECT_EQ(parsed->key, "thalesog@me.com");
}

TEST(ParseBrCode, SurvivesEveryTruncationAndEveryByteValue) {
  // Not a fuzzer (that is fuzz/br_code_fuzz), but a cheap sweep every unit test run does.
  for (size_t length = 0; length <= kSpecVector.size(); ++length) {
    auto parsed = ParseBrCode(kSpecVector.substr(0, length));
    EXPECT_EQ(parsed.ok(), length == kSpecVector.size()) << length;
    if (!parsed.ok()) {
      EXPECT_FALSE(parsed.error().field.empty());
    }
  }
  std::string text(kSpecVector);
  for (size_t position = 0; position < text.size(); ++position) {
    const char original = text[position];
    for (int byte = 0; byte < 256; ++byte) {
      if (static_cast<char>(byte) == original) continue;
      text[position] = static_cast<char>(byte);
      auto parsed = ParseBrCode(text);
      // One substituted byte is always caught: by the CRC if nothing else.
      ASSERT_FALSE(parsed.ok()) << position << " " << byte;
      EXPECT_FALSE(parsed.error().message.empty());
    }
    text[position] = original;
  }
}

// ---- FoldToAscii ----------------------------------------------------------------------------

TEST(FoldToAscii, PortugueseAndSpanishLetters) {
  EXPECT_EQ(FoldToAscii("S\xc3\xa3o Paulo"), "Sao Paulo");
  EXPECT_EQ(
      FoldToAscii(
          "\xc3\x81\xc3\x80\xc3\x82\xc3\x83\xc3\x84 \xc3\xa1\xc3\xa0\xc3\xa2\xc3\xa3\xc3\xa4"),
      "AAAAA aaaaa");
  EXPECT_EQ(FoldToAscii(
                "\xc3\x89\xc3\x8a\xc3\x8d\xc3\x93\xc3\x94\xc3\x95\xc3\x9a\xc3\x9c\xc3\x87\xc3\x91"),
            "EEIOOOUUCN");
  EXPECT_EQ(FoldToAscii(
                "\xc3\xa9\xc3\xaa\xc3\xad\xc3\xb3\xc3\xb4\xc3\xb5\xc3\xba\xc3\xbc\xc3\xa7\xc3\xb1"),
            "eeiooouucn");
  EXPECT_EQ(FoldToAscii("Stra\xc3\x9f"
                        "e"),
            "Strasse");
  EXPECT_EQ(FoldToAscii("1\xc2\xaa Rua, n\xc2\xba 5"), "1a Rua, no 5");
  EXPECT_EQ(FoldToAscii("a\xc2\xa0"
                        "b"),
            "a b");  // no-break space
}

TEST(FoldToAscii, DropsOtherCharactersAndInvalidUtf8) {
  EXPECT_EQ(FoldToAscii("caf\xc3\xa9 \xe2\x82\xac 5 \xf0\x9f\x98\x80!"), "cafe  5 !");
  EXPECT_EQ(FoldToAscii("\xe4\xb8\xad\xe6\x96\x87"), "");  // CJK
  EXPECT_EQ(FoldToAscii("a\xff"
                        "b\x80"
                        "c"),
            "abc");                                      // stray bytes
  EXPECT_EQ(FoldToAscii("a\xc3"), "a");                  // truncated sequence
  EXPECT_EQ(FoldToAscii("\xc0\xa9\xe0\x83\xa9x"), "x");  // overlong encodings of ©/é
  EXPECT_EQ(FoldToAscii("\xc3(x"), "(x");                // lead byte without continuation
  EXPECT_EQ(FoldToAscii("tab\tnul"), "tab\tnul");        // ASCII kept, controls included
}

}  // namespace
}  // namespace cambista::pix
