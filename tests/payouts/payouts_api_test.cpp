// The payouts' routes over real HTTP: the whole server (app::Server, sandbox mode) in process, on
// each backend. Customers are created and updated by the desk's own id; destinations are
// validated before anything is stored (422 naming the field and the reason) and saved once per
// place; deposits need an admin key, book the ledger once per reference and refuse a reference
// reused for something else. Responses are recorded and held to /openapi.json.
#include "ledger/auditor.hpp"
#include "payouts_server_fixture.hpp"

namespace cambista::app {
namespace {

using PayoutsApiTest = PayoutsServerTest;

TEST_P(PayoutsApiTest, CustomersAreCreatedUpdatedAndChecked) {
  const Reply created =
      Send("PUT", "/v1/customers/-100123", writer_, R"({"name":"Ana","document":"V12345678"})");
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(created.Field("kyc_level"), "0");
  const Reply updated = Send("PUT", "/v1/customers/-100123", writer_,
                             R"({"name":"Ana María","document":"V12345678","kyc_level":2})");
  ASSERT_EQ(updated.status, 200) << updated.body;
  EXPECT_EQ(updated.Field("name"), "Ana María");
  EXPECT_EQ(updated.Field("created_at_ms"), created.Field("created_at_ms"));
  EXPECT_EQ(Send("GET", "/v1/customers/-100123", writer_).Field("kyc_level"), "2");

  const Reply bad_id = Send("PUT", "/v1/customers/a:b", writer_, R"({"name":"x"})");
  EXPECT_EQ(bad_id.status, 400);
  EXPECT_EQ(bad_id.Field("field"), "id");
  EXPECT_EQ(Send("PUT", "/v1/customers/" + std::string(65, 'a'), writer_, R"({"name":"x"})").status,
            400);
  const Reply bad_kyc = Send("PUT", "/v1/customers/c2", writer_, R"({"name":"x","kyc_level":10})");
  EXPECT_EQ(bad_kyc.status, 400);
  EXPECT_EQ(bad_kyc.Field("field"), "kyc_level");
  EXPECT_EQ(Send("PUT", "/v1/customers/c2", writer_, R"({"name":"x","nmae":"y"})").status, 400);
  EXPECT_EQ(Send("GET", "/v1/customers/c2", writer_).Field("code"), "not_found");
  EXPECT_EQ(Send("GET", "/v1/customers/-100123", "").status, 401);
  EXPECT_EQ(Send("GET", "/v1/customers/-100123", reader_).status, 403);
}

TEST_P(PayoutsApiTest, DestinationsAreValidatedBeforeAnythingIsStored) {
  ASSERT_EQ(Send("PUT", "/v1/customers/c1", writer_, R"({"name":"Ana"})").status, 201);
  const std::string path = "/v1/customers/c1/destinations";
  // Lower-case EVM addresses are stored in their EIP-55 casing.
  const Reply evm = Send("POST", path, writer_,
                         R"({"kind":"crypto_address","network":"eth",)"
                         R"("address":"0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed"})");
  ASSERT_EQ(evm.status, 201) << evm.body;
  EXPECT_EQ(evm.Field("address"), "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed");
  EXPECT_EQ(evm.Field("network"), "ETH");
  const Reply again = Send("POST", path, writer_,
                           R"({"kind":"crypto_address","network":"ETH",)"
                           R"("address":"0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"})");
  EXPECT_EQ(again.status, 200);
  EXPECT_EQ(again.Field("id"), evm.Field("id"));
  const Reply pix = Send("POST", path, writer_, R"({"kind":"pix_key","key":"52998224725"})");
  ASSERT_EQ(pix.status, 201) << pix.body;
  EXPECT_EQ(pix.Field("key_type"), "cpf");
  const Reply ves = Send("POST", path, writer_,
                         R"({"kind":"ves_bank","bank":"0102","account":"0102-0123-45-0123456789",)"
                         R"("document":"v-12.345.678"})");
  ASSERT_EQ(ves.status, 201) << ves.body;
  EXPECT_EQ(ves.Field("account"), "01020123450123456789");
  EXPECT_EQ(ves.Field("document"), "V12345678");

  struct Bad {
    std::string body, field, reason;
  };
  const Bad bad[] = {
      {R"({"kind":"crypto_address","network":"ETH","address":"0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD"})",
       "address", "checksum_mismatch"},
      {R"({"kind":"crypto_address","network":"DOGE","address":"D5"})", "network",
       "unknown_network"},
      {R"({"kind":"crypto_address","network":"TRON","address":"TNPeeaaFB7K9cmo4uQpcU32zGK8G1NYqeM"})",
       "address", "checksum_mismatch"},
      {R"({"kind":"pix_key","key":"52998224726"})", "key", "checksum_mismatch"},
      {R"({"kind":"pix_key","key":"529.982.247-25"})", "key", "invalid_pix_key"},
      {R"({"kind":"ves_bank","bank":"0102","account":"01050123450123456789","document":"V1"})",
       "account", "account_bank_mismatch"},
      {R"({"kind":"pix_key","key":"a@b.co","network":"ETH"})", "network", "unexpected_field"},
      {R"({"kind":"iban","key":"x"})", "kind", "unknown_kind"},
  };
  for (const Bad& b : bad) {
    SCOPED_TRACE(b.body);
    const Reply refused = Send("POST", path, writer_, b.body);
    EXPECT_EQ(refused.status, 422) << refused.body;
    EXPECT_EQ(refused.Field("code"), "invalid_destination");
    EXPECT_EQ(refused.Field("field"), b.field);
    EXPECT_EQ(refused.Field("reason"), b.reason);
  }
  const Reply first_page = Send("GET", path + "?limit=2", writer_);
  ASSERT_EQ(first_page.status, 200) << first_page.body;
  const std::string cursor = first_page.Field("next_cursor");
  ASSERT_EQ(cursor, evm.Field("id") < pix.Field("id") ? pix.Field("id") : evm.Field("id"));
  const Reply second_page = Send("GET", path + "?limit=2&cursor=" + cursor, writer_);
  EXPECT_NE(second_page.body.find(ves.Field("id")), std::string::npos) << second_page.body;
  EXPECT_NE(second_page.body.find(R"("next_cursor":null)"), std::string::npos);
  EXPECT_EQ(Send("POST", "/v1/customers/nobody/destinations", writer_,
                 R"({"kind":"pix_key","key":"a@b.co"})")
                .status,
            404);
}

TEST_P(PayoutsApiTest, DepositsNeedAnAdminAndBookTheLedgerOncePerReference) {
  const std::string float_deposit =
      R"({"account":"provider:heleket","asset":"USDT","amount":"1000.50","reference":"tx-1"})";
  EXPECT_EQ(Send("POST", "/v1/treasury/deposits", writer_, float_deposit, "w-1").status, 403);
  const Reply first = Deposit(float_deposit);
  ASSERT_EQ(first.status, 201) << first.body;
  EXPECT_EQ(first.Field("account"), "float:default:heleket:USDT");
  EXPECT_EQ(first.Field("amount"), "1000.500000");
  const Reply repeated = Deposit(float_deposit);  // another Idempotency-Key, the same reference
  EXPECT_EQ(repeated.status, 200) << repeated.body;
  EXPECT_EQ(repeated.Field("id"), first.Field("id"));
  const Reply conflict = Deposit(
      R"({"account":"provider:heleket","asset":"USDT","amount":"1000.51","reference":"tx-1"})");
  EXPECT_EQ(conflict.status, 409);
  EXPECT_EQ(conflict.Field("code"), "reference_conflict");

  ASSERT_EQ(Send("PUT", "/v1/customers/c1", writer_, R"({"name":"Ana"})").status, 201);
  ASSERT_EQ(Deposit(R"({"account":"customer:c1","asset":"USDT","amount":"20","reference":"tx-2"})")
                .status,
            201);
  const Reply balances = Send("GET", "/v1/balances", admin_);
  EXPECT_NE(
      balances.body.find(
          R"("kind":"provider_float","qualifier":"heleket","currency":"USDT","code":130,"posted":"1000.500000")"),
      std::string::npos)
      << balances.body;
  EXPECT_NE(
      balances.body.find(
          R"("kind":"customer","qualifier":"c1","currency":"USDT","code":220,"posted":"20.000000")"),
      std::string::npos)
      << balances.body;

  struct Bad {
    std::string body;
    int status;
    std::string code, field;
  };
  const Bad bad[] = {
      {R"({"account":"customer:c1","asset":"USDT","amount":"-1","reference":"b1"})", 400,
       "invalid_amount", "amount"},
      {R"({"account":"customer:c1","asset":"USDT","amount":"0","reference":"b2"})", 400,
       "invalid_amount", "amount"},
      {R"({"account":"customer:c1","asset":"USDT","amount":"1000000000000.000001","reference":"b3"})",
       400, "invalid_amount", "amount"},
      {R"({"account":"customer:c1","asset":"USDT","amount":1,"reference":"b4"})", 400,
       "invalid_amount", "amount"},
      {R"({"account":"customer:nobody","asset":"USDT","amount":"1","reference":"b5"})", 404,
       "not_found", "account"},
      {R"({"account":"fx","asset":"USDT","amount":"1","reference":"b6"})", 400, "invalid_request",
       "account"},
      {R"({"account":"customer","asset":"USDT","amount":"1","reference":"b7"})", 400,
       "invalid_request", "account"},
      {R"({"account":"merchant:x","asset":"USDT","amount":"1","reference":"b8"})", 400,
       "invalid_request", "account"},
      {R"({"account":"merchant","asset":"XYZ","amount":"1","reference":"b9"})", 400,
       "invalid_request", "asset"},
  };
  for (const Bad& b : bad) {
    SCOPED_TRACE(b.body);
    const Reply refused = Deposit(b.body);
    EXPECT_EQ(refused.status, b.status) << refused.body;
    EXPECT_EQ(refused.Field("code"), b.code);
    EXPECT_EQ(refused.Field("field"), b.field);
  }
  auto connection = db().Connect();
  const ledger::AuditReport report = ledger::AuditLedger(*connection);
  EXPECT_TRUE(report.consistent()) << report.ToJson();
  EXPECT_EQ(report.transfers, 2u);
}

INSTANTIATE_BACKENDS(PayoutsApiTest);

}  // namespace
}  // namespace cambista::app
