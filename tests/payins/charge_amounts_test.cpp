// Amounts a charge may have, over real HTTP as an integrator sends them: what a BR Code can carry,
// each gateway's minimum, the tenant's own bounds per gateway, and the fallback that skips a
// gateway whose bounds exclude the amount. An amount no gateway takes is 422 `amount_out_of_range`
// naming the bounds, and no gateway is called (the simulators hold no new charge). Names of
// gateways and currencies are taken in any case.
#include "charges_api.hpp"
#include "pix/br_code.hpp"

namespace cambista::payins {
namespace {

using test_support::JsonAt;

class ChargeAmountsTest : public test_support::ChargesApiTest {
 protected:
  void SetUp() override {
    ChargesApiTest::SetUp();
    if (IsSkipped()) return;
    writer_ = Key("default", {Scope::kChargesWrite, Scope::kChargesRead});
  }

  static std::string ChargeBody(std::string_view amount, std::string_view gateway = "",
                                std::string_view currency = "BRL") {
    std::string body = R"({"amount":")" + std::string(amount) + R"(","currency":")" +
                       std::string(currency) + R"(")";
    if (!gateway.empty()) body += R"(,"gateway":")" + std::string(gateway) + R"(")";
    return body + R"(,"customer":{"name":"Joao da Silva","document":"12345678909",)" +
           R"("email":"joao@example.com","phone":"+5511999999999"}})";
  }
  static std::string CredentialsJson(const sandbox::SandboxCredentialMap& credentials) {
    std::string out = "{";
    for (const auto& [name, value] : credentials) {
      out += (out.size() > 1 ? "," : "") + http::JsonString(name) + ":" + http::JsonString(value);
    }
    return out + "}";
  }
  // PUT /v1/gateways/<gateway> with the sandbox's credentials and `extra` members.
  net::ClientResponse PutGateway(const std::string& key, std::string_view gateway,
                                 std::string_view extra = "") {
    std::string lower(gateway);
    for (char& c : lower) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
    const std::string body = R"({"credentials":)" + CredentialsJson(sandbox_->Credentials(lower)) +
                             (extra.empty() ? "" : ",") + std::string(extra) + "}";
    return Send("PUT", "/v1/gateways/" + std::string(gateway), body,
                {{"Authorization", "Bearer " + key}});
  }
  // Expects 422 amount_out_of_range with these bounds (nullopt: "null", unbounded).
  static void ExpectOutOfRange(const net::ClientResponse& answer, std::string_view minimum,
                               std::optional<std::string_view> maximum) {
    EXPECT_EQ(answer.status, 422) << answer.body;
    EXPECT_EQ(answer.Header("Content-Type"), "application/problem+json");
    EXPECT_EQ(JsonAt(answer.body, "code"), "amount_out_of_range") << answer.body;
    EXPECT_EQ(JsonAt(answer.body, "field"), "amount");
    EXPECT_EQ(JsonAt(answer.body, "minimum"), std::string(minimum)) << answer.body;
    EXPECT_EQ(JsonAt(answer.body, "maximum"), std::string(maximum.value_or("null"))) << answer.body;
    // The detail says the same in words.
    const std::string detail = JsonAt(answer.body, "detail").value_or("");
    EXPECT_NE(detail.find("at least " + std::string(minimum) + " BRL"), std::string::npos)
        << detail;
    if (maximum) {
      EXPECT_NE(detail.find("at most " + std::string(*maximum) + " BRL"), std::string::npos)
          << detail;
    }
  }
  static void ExpectProblem(const net::ClientResponse& answer, int status, std::string_view code,
                            std::string_view field) {
    EXPECT_EQ(answer.status, status) << answer.body;
    EXPECT_EQ(JsonAt(answer.body, "code"), std::string(code)) << answer.body;
    // The detail names the field (the reader of the JSON body gives no `field` member).
    EXPECT_NE(JsonAt(answer.body, "detail").value_or("").find("\"" + std::string(field) + "\""),
              std::string::npos)
        << answer.body;
  }

  std::string writer_;
};

TEST_P(ChargeAmountsTest, MoreThanABrCodeCarriesIs422WithTheBoundsAndNoGatewayIsCalled) {
  const std::vector<int> before = ChargesAtEveryGateway();
  for (std::string_view amount : {"10000000000.00", "123456789012345678901234567890.00"}) {
    SCOPED_TRACE(std::string(amount));
    const auto any = Call("POST", "/v1/charges", writer_, ChargeBody(amount));
    // The tenant's gateways: the lowest minimum of any, and what a BR Code carries.
    ExpectOutOfRange(any, "0.01", "9999999999.99");
    EXPECT_NE(JsonAt(any.body, "detail")->find("at the tenant's gateways"), std::string::npos);
    const auto one = Call("POST", "/v1/charges", writer_, ChargeBody(amount, "syncpay"));
    ExpectOutOfRange(one, "0.01", "9999999999.99");
    EXPECT_NE(JsonAt(one.body, "detail")->find("at syncpay"), std::string::npos);
  }
  EXPECT_EQ(ChargesAtEveryGateway(), before);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM charges"), 0);  // not even a FAILED one

  // The most a BR Code carries is a charge like any other, and its BR Code says so.
  const auto most = Call("POST", "/v1/charges", writer_, ChargeBody("9999999999.99", "syncpay"));
  ASSERT_EQ(most.status, 201) << most.body;
  EXPECT_EQ(JsonAt(most.body, "amount"), "9999999999.99");
  auto code = pix::ParseBrCode(JsonAt(most.body, "pix_code").value_or(""));
  ASSERT_TRUE(code.ok()) << most.body;
  ASSERT_TRUE(code.value().amount.has_value());
  EXPECT_EQ(code.value().amount->minor(), kBrCodeAmountMaxMinor);
  EXPECT_EQ(ChargesAt("syncpay"), before[0] + 1);
}

TEST_P(ChargeAmountsTest, AmountsThatAreNotPositiveDecimalsAre400) {
  const std::vector<int> before = ChargesAtEveryGateway();
  for (std::string_view amount : {"10.001", "1.500", "-5.00", "0.00", "0", "-0", "1e3", "10,00",
                                  "1000000000000000000000000000000000000000000.00"}) {
    SCOPED_TRACE(std::string(amount));
    ExpectProblem(Call("POST", "/v1/charges", writer_, ChargeBody(amount)), 400, "invalid_amount",
                  "amount");
  }
  // A JSON number is refused too: money travels as a decimal string.
  ExpectProblem(Call("POST", "/v1/charges", writer_, R"({"amount":10.50,"currency":"BRL"})"), 400,
                "invalid_amount", "amount");
  EXPECT_EQ(ChargesAtEveryGateway(), before);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM charges"), 0);
}

TEST_P(ChargeAmountsTest, BelowAGatewaysMinimumIs422AtThatGateway) {
  const std::vector<int> before = ChargesAtEveryGateway();
  const auto below = Call("POST", "/v1/charges", writer_, ChargeBody("2.99", "wiinpay"));
  ExpectOutOfRange(below, "3.00", "9999999999.99");
  EXPECT_NE(JsonAt(below.body, "detail")->find("at wiinpay"), std::string::npos);
  EXPECT_EQ(ChargesAtEveryGateway(), before);
  // The minimum itself is taken.
  const auto least = Call("POST", "/v1/charges", writer_, ChargeBody("3.00", "wiinpay"));
  ASSERT_EQ(least.status, 201) << least.body;
  EXPECT_EQ(JsonAt(least.body, "gateway"), "wiinpay");
  EXPECT_EQ(ChargesAt("wiinpay"), before[3] + 1);
}

TEST_P(ChargeAmountsTest, TheTenantsOwnBoundsAreSetPerGatewayAndApplied) {
  const std::string admin = Key("default", {Scope::kAdmin});
  const auto set = PutGateway(admin, "wiinpay", R"("priority":5,"minimum":"5.00","maximum":"100")");
  ASSERT_EQ(set.status, 200) << set.body;
  EXPECT_EQ(JsonAt(set.body, "minimum"), "5.00");
  EXPECT_EQ(JsonAt(set.body, "maximum"), "100.00");
  const auto listed = Send("GET", "/v1/gateways", "", {{"Authorization", "Bearer " + admin}});
  bool found = false;
  for (int i = 0; i < 6; ++i) {
    const std::string item = "data." + std::to_string(i);
    if (JsonAt(listed.body, item + ".gateway") != "wiinpay") continue;
    found = true;
    EXPECT_EQ(JsonAt(listed.body, item + ".minimum"), "5.00");
    EXPECT_EQ(JsonAt(listed.body, item + ".maximum"), "100.00");
  }
  EXPECT_TRUE(found) << listed.body;

  const std::vector<int> before = ChargesAtEveryGateway();
  ExpectOutOfRange(Call("POST", "/v1/charges", writer_, ChargeBody("4.99", "wiinpay")), "5.00",
                   "100.00");
  ExpectOutOfRange(Call("POST", "/v1/charges", writer_, ChargeBody("100.01", "wiinpay")), "5.00",
                   "100.00");
  EXPECT_EQ(ChargesAtEveryGateway(), before);
  EXPECT_EQ(Call("POST", "/v1/charges", writer_, ChargeBody("100.00", "wiinpay")).status, 201);
  EXPECT_EQ(Call("POST", "/v1/charges", writer_, ChargeBody("5.00", "wiinpay")).status, 201);
  EXPECT_EQ(ChargesAt("wiinpay"), before[3] + 2);

  // Bounds below the gateway's own minimum do not lower it: WiinPay still takes 3.00 at least.
  ASSERT_EQ(PutGateway(admin, "wiinpay", R"("minimum":"1.00")").status, 200);
  ExpectOutOfRange(Call("POST", "/v1/charges", writer_, ChargeBody("2.00", "wiinpay")), "3.00",
                   "9999999999.99");
  // Setting the gateway again without bounds lifts them.
  ASSERT_EQ(PutGateway(admin, "wiinpay").status, 200);
  EXPECT_EQ(Call("POST", "/v1/charges", writer_, ChargeBody("500.00", "wiinpay")).status, 201);
}

TEST_P(ChargeAmountsTest, InvalidBoundsAreRefusedAndChangeNothing) {
  const std::string admin = Key("default", {Scope::kAdmin});
  ASSERT_EQ(PutGateway(admin, "wiinpay", R"("minimum":"5.00","maximum":"50.00")").status, 200);
  struct Refused {
    std::string_view members;
    std::string_view field;
    std::string_view code;
  };
  const Refused refused[] = {
      {R"("minimum":"abc")", "minimum", "invalid_amount"},
      {R"("minimum":"0.00")", "minimum", "invalid_amount"},
      {R"("minimum":"-1.00")", "minimum", "invalid_amount"},
      {R"("minimum":"1.001")", "minimum", "invalid_amount"},
      {R"("maximum":"0")", "maximum", "invalid_amount"},
      {R"("maximum":"1e3")", "maximum", "invalid_amount"},
      {R"("maximum":" 10.00")", "maximum", "invalid_amount"},
      {R"("minimum":"10.00","maximum":"5.00")", "minimum", "invalid_request"},
      // Bounds that leave no amount at this gateway: below WiinPay's own minimum, or above what a
      // BR Code carries.
      {R"("maximum":"2.99")", "maximum", "invalid_request"},
      {R"("minimum":"10000000000.00")", "minimum", "invalid_request"},
  };
  for (const Refused& bad : refused) {
    SCOPED_TRACE(std::string(bad.members));
    const auto answer = PutGateway(admin, "wiinpay", bad.members);
    ExpectProblem(answer, 400, bad.code, bad.field);
    EXPECT_EQ(JsonAt(answer.body, "field"), std::string(bad.field)) << answer.body;
  }
  // A number where a decimal string belongs, and an unknown member.
  EXPECT_EQ(PutGateway(admin, "wiinpay", R"("minimum":5)").status, 400);
  EXPECT_EQ(PutGateway(admin, "wiinpay", R"("minimum_amount":"5.00")").status, 400);
  // The bounds set before still hold.
  ExpectOutOfRange(Call("POST", "/v1/charges", writer_, ChargeBody("4.99", "wiinpay")), "5.00",
                   "50.00");
}

TEST_P(ChargeAmountsTest, TheFallbackSkipsAGatewayWhoseBoundsExcludeTheAmount) {
  const std::string admin = Key("acme", {Scope::kAdmin});
  const std::string writer = Key("acme", {Scope::kChargesWrite});
  ASSERT_EQ(PutGateway(admin, "syncpay", R"("priority":1,"maximum":"50.00")").status, 200);
  ASSERT_EQ(PutGateway(admin, "pushinpay", R"("priority":2,"minimum":"20.00","maximum":"1000.00")")
                .status,
            200);
  const int syncpay = ChargesAt("syncpay");
  const int pushinpay = ChargesAt("pushinpay");

  // 60.00: beyond SyncPay's bound, so only PushinPay is asked; SyncPay is not tried and fails
  // nothing.
  const auto large = Call("POST", "/v1/charges", writer, ChargeBody("60.00"));
  ASSERT_EQ(large.status, 201) << large.body;
  EXPECT_EQ(JsonAt(large.body, "gateway"), "pushinpay");
  EXPECT_EQ(JsonAt(large.body, "last_error"), "null");
  EXPECT_EQ(ChargesAt("syncpay"), syncpay);
  EXPECT_EQ(ChargesAt("pushinpay"), pushinpay + 1);
  // 10.00: below PushinPay's, so SyncPay; 30.00: both take it, SyncPay comes first.
  const auto small = Call("POST", "/v1/charges", writer, ChargeBody("10.00"));
  EXPECT_EQ(JsonAt(small.body, "gateway"), "syncpay") << small.body;
  const auto middle = Call("POST", "/v1/charges", writer, ChargeBody("30.00"));
  EXPECT_EQ(JsonAt(middle.body, "gateway"), "syncpay") << middle.body;
  EXPECT_EQ(ChargesAt("syncpay"), syncpay + 2);
  EXPECT_EQ(ChargesAt("pushinpay"), pushinpay + 1);
  for (const auto& row : service_->Stats("acme")) EXPECT_EQ(row.failures, 0) << row.gateway;

  // Beyond every gateway: the bounds named are the widest the tenant's gateways span.
  const std::vector<int> before = ChargesAtEveryGateway();
  const auto beyond = Call("POST", "/v1/charges", writer, ChargeBody("1000.01"));
  ExpectOutOfRange(beyond, "0.01", "1000.00");
  EXPECT_EQ(ChargesAtEveryGateway(), before);
}

TEST_P(ChargeAmountsTest, GatewayNamesAndCurrencyCodesAreTakenInAnyCase) {
  const std::string admin = Key("acme", {Scope::kAdmin});
  const std::string key = Key("acme", {Scope::kChargesWrite, Scope::kChargesRead});
  const auto syncpay = PutGateway(admin, "SyncPay", R"("priority":1)");
  ASSERT_EQ(syncpay.status, 200) << syncpay.body;
  EXPECT_EQ(JsonAt(syncpay.body, "gateway"), "syncpay");
  ASSERT_EQ(PutGateway(admin, "WIINPAY", R"("priority":2)").status, 200);

  const auto at_wiinpay = Call("POST", "/v1/charges", key, ChargeBody("5.00", "WiinPay", "brl"));
  ASSERT_EQ(at_wiinpay.status, 201) << at_wiinpay.body;
  EXPECT_EQ(JsonAt(at_wiinpay.body, "gateway"), "wiinpay");
  EXPECT_EQ(JsonAt(at_wiinpay.body, "currency"), "BRL");
  const auto at_syncpay = Call("POST", "/v1/charges", key, ChargeBody("6.00", "SYNCPAY", "Brl"));
  ASSERT_EQ(at_syncpay.status, 201) << at_syncpay.body;
  EXPECT_EQ(JsonAt(at_syncpay.body, "gateway"), "syncpay");

  const auto list = [&](const std::string& query) {
    const auto answer = Call("GET", "/v1/charges?" + query, key);
    EXPECT_EQ(answer.status, 200) << answer.body;
    return answer.body;
  };
  const std::string by_gateway = list("gateway=SYNCPAY");
  EXPECT_EQ(JsonAt(by_gateway, "data"), "1");
  EXPECT_EQ(JsonAt(by_gateway, "data.0.id"), JsonAt(at_syncpay.body, "id"));
  EXPECT_EQ(JsonAt(list("gateway=WiinPay"), "data.0.id"), JsonAt(at_wiinpay.body, "id"));
  for (std::string_view status : {"pending", "PENDING", "Pending"}) {
    EXPECT_EQ(JsonAt(list("status=" + std::string(status)), "data"), "2") << status;
  }
}

INSTANTIATE_BACKENDS(ChargeAmountsTest);

}  // namespace
}  // namespace cambista::payins
