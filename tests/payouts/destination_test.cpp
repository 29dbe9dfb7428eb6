// Payout destinations: valid and invalid vectors for every kind and every error path.
//
// Sources: EIP-55's own examples (mixed, all-caps, all-lower); PROVIDERS.md's key-derived ETH and
// TRON addresses and TRON's USDT contract; BIP-173/BIP-350 addresses; Bitcoin's genesis P2PKH and a
// well-known P2SH; Solana's token program, wrapped-SOL and USDC mint addresses; RIFs from
// python-stdnum's test_ve_rif.doctest (found online and checked at SENIAT) and the RIFs of banks
// (Banco de Venezuela, Mercantil, Provincial, Bancaribe, Exterior) as listed with their codes.
// Random addresses and their corruptions are compared with ethers, tronweb, bech32 and bs58 in
// destination_cross_check_test.cpp.
#include "payouts/destination.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "security/base58.hpp"

namespace cambista::payouts {
namespace {

using Kind = DestinationErrorKind;

DestinationInput Crypto(std::string network, std::string address) {
  DestinationInput input;
  input.kind = "crypto_address";
  input.network = std::move(network);
  input.address = std::move(address);
  return input;
}
DestinationInput Pix(std::string key) {
  DestinationInput input;
  input.kind = "pix_key";
  input.key = std::move(key);
  return input;
}
DestinationInput Ves(std::string bank, std::string account, std::string document) {
  DestinationInput input;
  input.kind = "ves_bank";
  input.bank = std::move(bank);
  input.account = std::move(account);
  input.document = std::move(document);
  return input;
}

// The address as stored, or a failure naming what went wrong.
std::string Accepted(const DestinationInput& input) {
  auto result = ValidateDestination(input);
  if (!result.ok()) {
    ADD_FAILURE() << "refused " << input.address.value_or(input.key.value_or("")) << ": "
                  << result.error().field << ": " << result.error().reason;
    return "";
  }
  return result->address;
}

void ExpectRefused(const DestinationInput& input, Kind kind, std::string_view field) {
  auto result = ValidateDestination(input);
  ASSERT_FALSE(result.ok()) << "accepted " << input.address.value_or("") << input.key.value_or("")
                            << input.document.value_or("");
  EXPECT_EQ(DestinationErrorCode(result.error().kind), DestinationErrorCode(kind))
      << result.error().reason;
  EXPECT_EQ(result.error().field, field);
  EXPECT_FALSE(result.error().reason.empty());
}

TEST(EvmAddress, AcceptsEip55ExamplesAsTheyAre) {
  for (const std::string address :
       {"0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
        "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
        "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb"}) {
    for (const std::string network : {"ETH", "POLYGON", "BSC"}) {
      EXPECT_EQ(Accepted(Crypto(network, address)), address);
    }
  }
}

TEST(EvmAddress, StoresSingleCaseAddressesInChecksumCasing) {
  EXPECT_EQ(Accepted(Crypto("ETH", "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed")),
            "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed");
  EXPECT_EQ(Accepted(Crypto("eth", "0x5AAEB6053F3E94C9B9A09F33669435E7EF1BEAED")),
            "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed");
  // EIP-55's all-caps and all-lower examples: their checksum casing happens to be single-case.
  EXPECT_EQ(Accepted(Crypto("ETH", "0x52908400098527886E0F7030069857D2E4169EE7")),
            "0x52908400098527886E0F7030069857D2E4169EE7");
  EXPECT_EQ(Accepted(Crypto("BSC", "0xde709f2102306220921060314715629080e2fb77")),
            "0xde709f2102306220921060314715629080e2fb77");
  // PROVIDERS.md: the addresses of private keys 0xac09...ff80 and 1.
  EXPECT_EQ(Accepted(Crypto("ETH", "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266")),
            "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
  EXPECT_EQ(Accepted(Crypto("POLYGON", "0x7e5f4552091a69125d5dfcb7b8c2659029395bdf")),
            "0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf");
}

TEST(EvmAddress, RefusesEveryMalformedShape) {
  // One letter's case flipped: a checksum that no longer matches.
  ExpectRefused(Crypto("ETH", "0x5AAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"),
                Kind::kChecksumMismatch, "address");
  ExpectRefused(Crypto("ETH", "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD"),
                Kind::kChecksumMismatch, "address");
  ExpectRefused(Crypto("ETH", "5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"), Kind::kInvalidPrefix,
                "address");
  ExpectRefused(Crypto("ETH", "0X5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"), Kind::kInvalidPrefix,
                "address");
  ExpectRefused(Crypto("ETH", "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAe"), Kind::kInvalidLength,
                "address");
  ExpectRefused(Crypto("ETH", "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed00"), Kind::kInvalidLength,
                "address");
  ExpectRefused(Crypto("ETH", "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeg"),
                Kind::kInvalidCharacter, "address");
  ExpectRefused(Crypto("ETH", " 0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"), Kind::kInvalidPrefix,
                "address");
  ExpectRefused(Crypto("ETH", "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed "),
                Kind::kInvalidCharacter, "address");
  ExpectRefused(Crypto("ETH", "0x" + std::string(40, '0')), Kind::kBurnAddress, "address");
  ExpectRefused(Crypto("BSC", "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"), Kind::kInvalidPrefix,
                "address");
}

TEST(TronAddress, AcceptsBase58CheckAccountAddresses) {
  EXPECT_EQ(Accepted(Crypto("TRON", "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t")),
            "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t");
  EXPECT_EQ(Accepted(Crypto("tron", "TYBNgWfhGuNzdLtjKtxXTfskAhTbMcqbaG")),
            "TYBNgWfhGuNzdLtjKtxXTfskAhTbMcqbaG");
}

TEST(TronAddress, RefusesEveryMalformedShape) {
  ExpectRefused(Crypto("TRON", "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6u"), Kind::kChecksumMismatch,
                "address");
  ExpectRefused(Crypto("TRON", "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6"), Kind::kChecksumMismatch,
                "address");
  ExpectRefused(Crypto("TRON", "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj0t"), Kind::kInvalidCharacter,
                "address");
  ExpectRefused(Crypto("TRON", "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266"), Kind::kInvalidPrefix,
                "address");
  // A valid Base58Check text with Bitcoin's version byte, and one with too many bytes.
  ExpectRefused(Crypto("TRON", "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"), Kind::kInvalidPrefix,
                "address");
  ExpectRefused(Crypto("TRON", Base58CheckEncode(std::string("\x41", 1) + std::string(21, 'x'))),
                Kind::kInvalidLength, "address");
  ExpectRefused(Crypto("TRON", "2g"), Kind::kInvalidLength, "address");
  ExpectRefused(Crypto("TRON", Base58CheckEncode(std::string("\x41", 1) + std::string(20, '\0'))),
                Kind::kBurnAddress, "address");
}

TEST(BitcoinAddress, AcceptsSegwitAndBase58MainnetAddresses) {
  EXPECT_EQ(Accepted(Crypto("BTC", "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4")),
            "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4");
  EXPECT_EQ(Accepted(Crypto("BTC", "BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4")),
            "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4");
  EXPECT_EQ(
      Accepted(Crypto("BTC", "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0")),
      "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0");
  EXPECT_EQ(Accepted(Crypto("BTC", "BC1SW50QGDZ25J")), "bc1sw50qgdz25j");
  EXPECT_EQ(Accepted(Crypto("BTC", "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa")),
            "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa");
  EXPECT_EQ(Accepted(Crypto("BTC", "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy")),
            "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy");
}

TEST(BitcoinAddress, RefusesEveryMalformedShape) {
  ExpectRefused(Crypto("BTC", "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5"),
                Kind::kChecksumMismatch, "address");
  // BIP-350: a v1 program with a bech32 checksum, a v0 one with bech32m.
  ExpectRefused(Crypto("BTC", "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqh2y7hd"),
                Kind::kChecksumMismatch, "address");
  ExpectRefused(Crypto("BTC", "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kemeawh"),
                Kind::kChecksumMismatch, "address");
  ExpectRefused(Crypto("BTC", "bc1qW508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"),
                Kind::kInvalidCharacter, "address");
  ExpectRefused(Crypto("BTC", "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3tb"),
                Kind::kInvalidCharacter, "address");
  ExpectRefused(Crypto("BTC", "BC130XLXVLHEMJA6C4DQV22UAPCTQUPFHLXM9H8Z3K2E72Q4K9HCZ7VQ7ZWS8R"),
                Kind::kInvalidPrefix, "address");
  ExpectRefused(Crypto("BTC", "BC1QR508D6QEJXTDG4Y5R3ZARVARYV98GJ9P"), Kind::kInvalidLength,
                "address");
  ExpectRefused(Crypto("BTC", "bc1gmk9yu"), Kind::kInvalidLength, "address");
  // Testnet, and other networks' addresses.
  ExpectRefused(Crypto("BTC", "tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sl5k7"),
                Kind::kInvalidPrefix, "address");
  ExpectRefused(Crypto("BTC", "mipcBbFg9gMiCh81Kj8tqqdgoZub1ZJRfn"), Kind::kInvalidPrefix,
                "address");
  ExpectRefused(Crypto("BTC", "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"), Kind::kInvalidPrefix,
                "address");
  // Base58Check: a mistyped character, a P2PKH-looking text with TRON's version, wrong sizes.
  ExpectRefused(Crypto("BTC", "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb"), Kind::kChecksumMismatch,
                "address");
  ExpectRefused(Crypto("BTC", "1A1zP1eP5QGefi2DMPTfTL5SLmv7Divf0a"), Kind::kInvalidCharacter,
                "address");
  ExpectRefused(Crypto("BTC", Base58CheckEncode(std::string(21, '\0').replace(0, 1, "\x06"))),
                Kind::kInvalidPrefix, "address");
  ExpectRefused(Crypto("BTC", Base58CheckEncode(std::string(22, '\0'))), Kind::kInvalidLength,
                "address");
  ExpectRefused(Crypto("BTC", "1"), Kind::kInvalidLength, "address");
}

TEST(SolanaAddress, AcceptsBase58Of32Bytes) {
  for (const std::string address : {"TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA",
                                    "So11111111111111111111111111111111111111112",
                                    "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v"}) {
    EXPECT_EQ(Accepted(Crypto("SOL", address)), address);
  }
}

TEST(SolanaAddress, RefusesEveryMalformedShape) {
  ExpectRefused(Crypto("SOL", "11111111111111111111111111111111"), Kind::kBurnAddress, "address");
  ExpectRefused(Crypto("SOL", "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTD"), Kind::kInvalidLength,
                "address");
  ExpectRefused(Crypto("SOL", "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1vv"),
                Kind::kInvalidLength, "address");
  ExpectRefused(Crypto("SOL", "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1I"),
                Kind::kInvalidCharacter, "address");
  ExpectRefused(Crypto("SOL", "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266"), Kind::kInvalidPrefix,
                "address");
}

TEST(CryptoDestination, RefusesMissingUnknownAndHugeFields) {
  ExpectRefused(Crypto("DOGE", "DH5yaieqoZN36fDVciNyRueRGvGLR3mr7L"), Kind::kUnknownNetwork,
                "network");
  ExpectRefused(Crypto("", "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"), Kind::kMissing, "network");
  ExpectRefused(Crypto("TRON", ""), Kind::kMissing, "address");
  ExpectRefused(Crypto("TRON", std::string(1'000'000, '1')), Kind::kTooLong, "address");
  ExpectRefused(Crypto("TRON", std::string(kDestinationFieldCharsMax + 1, 'z')), Kind::kTooLong,
                "address");
  DestinationInput no_address;
  no_address.kind = "crypto_address";
  no_address.network = "ETH";
  ExpectRefused(no_address, Kind::kMissing, "address");
  DestinationInput extra = Crypto("TRON", "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t");
  extra.key = "52998224725";
  ExpectRefused(extra, Kind::kUnexpectedField, "key");
  EXPECT_EQ(NormalizeCryptoAddress(Network::kTron, std::string(200, 'T')).error().kind,
            Kind::kTooLong);
}

TEST(PixDestination, AcceptsEveryKindOfKey) {
  struct Case {
    std::string key;
    pix::PixKeyKind kind;
  };
  for (const Case& c : std::vector<Case>{
           {"52998224725", pix::PixKeyKind::kCpf},
           {"11222333000181", pix::PixKeyKind::kCnpj},
           {"+5511987654321", pix::PixKeyKind::kPhone},
           {"pix@example.com", pix::PixKeyKind::kEmail},
           {"123e4567-e89b-12d3-a456-426614174000", pix::PixKeyKind::kEvp},
       }) {
    auto result = ValidateDestination(Pix(c.key));
    ASSERT_TRUE(result.ok()) << c.key << ": " << result.error().reason;
    EXPECT_EQ(result->kind, DestinationKind::kPixKey);
    EXPECT_EQ(result->pix_key_kind, c.kind);
    EXPECT_EQ(result->key, c.key);
  }
}

TEST(PixDestination, MapsEveryKeyError) {
  struct Case {
    std::string key;
    Kind kind;
    pix::PixKeyError pix_error;
  };
  for (const Case& c : std::vector<Case>{
           {"52998224724", Kind::kChecksumMismatch, pix::PixKeyError::kCpfCheckDigits},
           {"11222333000182", Kind::kChecksumMismatch, pix::PixKeyError::kCnpjCheckDigits},
           {"11111111111", Kind::kInvalidPixKey, pix::PixKeyError::kRepeatedDigits},
           {"+1555123456", Kind::kInvalidPixKey, pix::PixKeyError::kInvalidPhone},
           {"pix@@example.com", Kind::kInvalidPixKey, pix::PixKeyError::kInvalidEmail},
           {"123e4567-e89b-12d3-a456-42661417400g", Kind::kInvalidPixKey,
            pix::PixKeyError::kInvalidEvp},
           {"529.982.247-25", Kind::kInvalidPixKey, pix::PixKeyError::kUnrecognized},
           {std::string(78, 'a') + "@example.com", Kind::kTooLong, pix::PixKeyError::kTooLong},
       }) {
    auto result = ValidateDestination(Pix(c.key));
    ASSERT_FALSE(result.ok()) << c.key;
    EXPECT_EQ(result.error().kind, c.kind) << c.key;
    EXPECT_EQ(result.error().field, "key");
    ASSERT_TRUE(result.error().pix_error.has_value());
    EXPECT_EQ(*result.error().pix_error, c.pix_error) << c.key;
    EXPECT_EQ(result.error().reason, pix::PixKeyErrorMessage(c.pix_error));
  }
  ExpectRefused(Pix(""), Kind::kMissing, "key");
  ExpectRefused(Pix(std::string(10'000, '1')), Kind::kTooLong, "key");
  DestinationInput extra = Pix("52998224725");
  extra.network = "TRON";
  ExpectRefused(extra, Kind::kUnexpectedField, "network");
}

TEST(VesDestination, AcceptsAccountsWithCedulaOrRif) {
  auto result = ValidateDestination(Ves("0134", "0134-0123-45-6789012345", "v-12.345.678"));
  ASSERT_TRUE(result.ok()) << result.error().reason;
  EXPECT_EQ(result->kind, DestinationKind::kVesBank);
  EXPECT_EQ(result->bank, "0134");
  EXPECT_EQ(result->account, "01340123456789012345");
  EXPECT_EQ(result->document, "V12345678");
  EXPECT_EQ(result->document_kind, VesDocumentKind::kCedula);

  auto company = ValidateDestination(Ves("0105", "01050000000000000001", "J-00002961-0"));
  ASSERT_TRUE(company.ok()) << company.error().reason;
  EXPECT_EQ(company->document, "J000029610");
  EXPECT_EQ(company->document_kind, VesDocumentKind::kRif);
  EXPECT_EQ(VesBankName("0134"), "Banesco");
  EXPECT_EQ(VesBankName("0999"), "");
}

TEST(VesDestination, ReadsCedulas) {
  EXPECT_EQ(ValidateVesDocument("E81234567")->text, "E81234567");
  EXPECT_EQ(ValidateVesDocument("V1")->text, "V1");
  EXPECT_EQ(ValidateVesDocument("V-0001234")->text, "V1234");
  EXPECT_EQ(ValidateVesDocument("V 12 345 678")->text, "V12345678");
}

TEST(VesDestination, ChecksRifsFoundOnline) {
  // python-stdnum's vectors (checked against SENIAT's register) and banks' own RIFs.
  for (const std::string rif :
       {"V-11470283-4", "E810812535", "G-20000085-6", "G200000023", "J-00004793-6", "J-40994900-1",
        "J000004676", "P-00033812-0", "V-03707781-6", "V725655084", "G200099976", "J000029610",
        "J000029679", "J000029490", "J000029504"}) {
    auto document = ValidateVesDocument(rif);
    ASSERT_TRUE(document.ok()) << rif << ": " << document.error().reason;
    EXPECT_EQ(document->kind, VesDocumentKind::kRif) << rif;
    EXPECT_EQ(document->text.size(), 10u);
  }
  EXPECT_EQ(RifCheckDigit("J00002961"), '0');
  EXPECT_EQ(RifCheckDigit("V11470283"), '4');
  EXPECT_EQ(RifCheckDigit("X11470283"), std::nullopt);
  EXPECT_EQ(RifCheckDigit("V1147028"), std::nullopt);
}

TEST(VesDestination, RefusesEveryMalformedField) {
  const std::string account = "01340123456789012345";
  ExpectRefused(Ves("0999", "09990123456789012345", "V12345678"), Kind::kUnknownBank, "bank");
  ExpectRefused(Ves("134", account, "V12345678"), Kind::kInvalidLength, "bank");
  ExpectRefused(Ves("01345", account, "V12345678"), Kind::kInvalidLength, "bank");
  ExpectRefused(Ves("01a4", account, "V12345678"), Kind::kInvalidCharacter, "bank");
  ExpectRefused(Ves("0134", "01020123456789012345", "V12345678"), Kind::kAccountBankMismatch,
                "account");
  ExpectRefused(Ves("0134", "0134012345678901234", "V12345678"), Kind::kInvalidLength, "account");
  ExpectRefused(Ves("0134", "013401234567890123456", "V12345678"), Kind::kInvalidLength, "account");
  ExpectRefused(Ves("0134", "0134012345678901234x", "V12345678"), Kind::kInvalidCharacter,
                "account");
  ExpectRefused(Ves("0134", account, "V-11470283-3"), Kind::kChecksumMismatch, "document");
  ExpectRefused(Ves("0134", account, "J12345678"), Kind::kInvalidDocument, "document");
  ExpectRefused(Ves("0134", account, "V1234567890"), Kind::kInvalidDocument, "document");
  ExpectRefused(Ves("0134", account, "Z-11470283-4"), Kind::kInvalidDocument, "document");
  ExpectRefused(Ves("0134", account, "V-11A70283-4"), Kind::kInvalidDocument, "document");
  ExpectRefused(Ves("0134", account, "V"), Kind::kInvalidDocument, "document");
  ExpectRefused(Ves("0134", account, "V000"), Kind::kInvalidDocument, "document");
  ExpectRefused(Ves("0134", account, "--"), Kind::kMissing, "document");
  ExpectRefused(Ves("0134", account, ""), Kind::kMissing, "document");
  ExpectRefused(Ves("", account, "V12345678"), Kind::kMissing, "bank");
  ExpectRefused(Ves("0134", std::string(129, '0'), "V12345678"), Kind::kTooLong, "account");
  DestinationInput extra = Ves("0134", account, "V12345678");
  extra.address = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t";
  ExpectRefused(extra, Kind::kUnexpectedField, "address");
}

TEST(Destination, RefusesAMissingOrUnknownKind) {
  ExpectRefused(DestinationInput{}, Kind::kMissing, "kind");
  DestinationInput wire;
  wire.kind = "wire";
  ExpectRefused(wire, Kind::kUnknownKind, "kind");
  wire.kind = "PIX_KEY";
  ExpectRefused(wire, Kind::kUnknownKind, "kind");
}

TEST(Destination, NamesRoundTrip) {
  for (const auto kind :
       {DestinationKind::kCryptoAddress, DestinationKind::kPixKey, DestinationKind::kVesBank}) {
    EXPECT_EQ(ParseDestinationKind(DestinationKindName(kind)), kind);
  }
  for (const auto network : {Network::kTron, Network::kEth, Network::kPolygon, Network::kBsc,
                             Network::kBtc, Network::kSol}) {
    EXPECT_EQ(ParseNetwork(NetworkName(network)), network);
  }
  EXPECT_EQ(ParseNetwork("Polygon"), Network::kPolygon);
  EXPECT_EQ(ParseNetwork("TRC20"), std::nullopt);
  EXPECT_EQ(NetworkName(Network::kBsc), "BSC");
  EXPECT_EQ(DestinationErrorCode(Kind::kAccountBankMismatch), "account_bank_mismatch");
}

}  // namespace
}  // namespace cambista::payouts
