// Webhooks of every gateway: the golden payloads (src/providers/<name>/fixtures/) parse to exact
// amounts and normalized statuses; malformed and wrong-type fields are refused naming the field;
// duplicate deliveries share an event id; BuhoPago's signature is checked before anything is read.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "core/clock.hpp"
#include "net/http_client.hpp"
#include "payins/registry.hpp"
#include "providers/providers.hpp"
#include "security/hmac.hpp"

namespace cambista::payins {
namespace {

using RejectionKind = WebhookRejection::Kind;

constexpr std::string_view kBuhoPagoGoldenSecret = "whsec_buhopago_golden_test_secret";

// A provider's golden fixture: src/providers/<provider>/fixtures/<name>.
std::string ReadGolden(std::string_view provider, const std::string& name) {
  const std::string path =
      std::string(CAMBISTA_PROVIDERS_DIR) + "/" + std::string(provider) + "/fixtures/" + name;
  std::ifstream file(path, std::ios::binary);
  EXPECT_TRUE(file.good()) << path;
  std::ostringstream content;
  content << file.rdbuf();
  return content.str();
}

Amount Brl(i128 minor) {
  return Amount(minor, Asset::Make("BRL", 2).value());
}
Amount Ves(i128 minor) {
  return Amount(minor, Asset::Make("VES", 2).value());
}

class GatewayWebhooksTest : public ::testing::Test {
 protected:
  GatewayWebhooksTest() {
    RegisterPayinGateways(registry_);
    context_.http = &client_;
    context_.clock = &clock_;
    context_.base_url = "http://127.0.0.1:9/unused";
  }

  std::unique_ptr<PayinGateway> Gateway(std::string_view name) {
    const std::map<std::string_view, Credentials> credentials = {
        {"syncpay", {{"client_id", "id"}, {"client_secret", "secret"}}},
        {"pushinpay", {{"api_key", "key"}}},
        {"paradise", {{"api_key", "key"}, {"product_hash", "prod"}}},
        {"wiinpay", {{"api_key", "key"}}},
        {"atomopay", {{"api_token", "token"}}},
        {"buhopago",
         {{"api_key", "bp_test_key"}, {"webhook_secret", std::string(kBuhoPagoGoldenSecret)}}},
    };
    auto gateway = registry_.Build(name, credentials.at(name), context_);
    EXPECT_TRUE(gateway.ok());
    return std::move(gateway).value();
  }

  Result<WebhookEvent, WebhookRejection> Parse(
      std::string_view name, std::string_view body,
      std::vector<std::pair<std::string, std::string>> headers = {}) {
    const WebhookRequest request{body, std::move(headers)};
    return Gateway(name)->ParseWebhook(request);
  }

  WebhookEvent Golden(std::string_view name, const std::string& file) {
    const std::string body = ReadGolden(name, file);
    std::vector<std::pair<std::string, std::string>> headers;
    if (name == "buhopago") {
      const std::string stem = file.substr(0, file.size() - std::string(".json").size());
      headers.emplace_back("X-Signature", ReadGolden("buhopago", stem + ".signature"));
    }
    auto event = Parse(name, body, headers);
    EXPECT_TRUE(event.ok()) << file << ": "
                            << (event.ok() ? ""
                                           : event.error().field + ": " + event.error().message);
    return event.ok() ? std::move(event).value() : WebhookEvent{};
  }

  WebhookRejection Refused(std::string_view name, std::string_view body) {
    auto event = Parse(name, body);
    EXPECT_FALSE(event.ok()) << body;
    return event.ok() ? WebhookRejection{} : event.error();
  }

  GatewayRegistry registry_;
  net::HttpClient client_;
  ManualClock clock_;
  GatewayContext context_;
};

// --- golden payloads --------------------------------------------------------------------------

TEST_F(GatewayWebhooksTest, SyncPayDataWrapperInReais) {
  const WebhookEvent completed = Golden("syncpay", "cashin_completed.json");
  EXPECT_EQ(completed.gateway_charge_id, "3df0319d-ecf7-455a-84c4-070aee2779c1");
  EXPECT_EQ(completed.status, GatewayStatus::kPaid);
  EXPECT_EQ(completed.amount, Brl(1050));
  EXPECT_EQ(completed.reference, "chg_01HZX4N8Q2");
  EXPECT_EQ(completed.raw_status, "completed");
  EXPECT_EQ(completed.event_id, "3df0319d-ecf7-455a-84c4-070aee2779c1:paid");

  const WebhookEvent pending = Golden("syncpay", "cashin_pending_ten_centavos.json");
  EXPECT_EQ(pending.status, GatewayStatus::kPending);
  EXPECT_EQ(pending.amount, Brl(10));  // 0.1 is ten centavos, exactly

  const WebhookEvent med = Golden("syncpay", "cashin_med.json");
  EXPECT_EQ(med.status, GatewayStatus::kRefunded);
  EXPECT_EQ(med.raw_status, "MED");
  EXPECT_EQ(med.amount, Brl(199'999));
  EXPECT_EQ(med.reference, "");
}

TEST_F(GatewayWebhooksTest, PushinPayCentavos) {
  const WebhookEvent paid = Golden("pushinpay", "paid.json");
  EXPECT_EQ(paid.gateway_charge_id, "9c29870c-9f69-4bb6-90d3-2dce9453bb45");
  EXPECT_EQ(paid.status, GatewayStatus::kPaid);
  EXPECT_EQ(paid.amount, Brl(1050));
  EXPECT_EQ(paid.payer_name, "JOAO DA SILVA");
  EXPECT_EQ(paid.payer_document, "12345678909");
  EXPECT_EQ(paid.end_to_end_id, "E18236120202401151230s0123456789");
  EXPECT_EQ(paid.event_id, "9c29870c-9f69-4bb6-90d3-2dce9453bb45:paid");

  const WebhookEvent created = Golden("pushinpay", "created.json");
  EXPECT_EQ(created.status, GatewayStatus::kPending);
  EXPECT_EQ(created.amount, Brl(35));
  EXPECT_EQ(created.payer_name, "");  // null is absent

  EXPECT_EQ(Golden("pushinpay", "canceled.json").status, GatewayStatus::kExpired);
}

TEST_F(GatewayWebhooksTest, ParadiseCentavos) {
  const WebhookEvent approved = Golden("paradise", "approved.json");
  EXPECT_EQ(approved.gateway_charge_id, "BOT-BOT5_1761860711_cf29c4f3");
  EXPECT_EQ(approved.status, GatewayStatus::kPaid);
  EXPECT_EQ(approved.amount, Brl(1990));
  EXPECT_EQ(approved.raw_status, "approved");

  const WebhookEvent refunded = Golden("paradise", "refunded_with_hash.json");
  EXPECT_EQ(refunded.status, GatewayStatus::kRefunded);
  EXPECT_EQ(refunded.amount, Brl(1990));  // 1990.0: a float holding whole centavos
  EXPECT_EQ(refunded.provider_hash, "TX9F2C1A7B");
  EXPECT_EQ(refunded.reference, "chg_01HZX4N8Q4");
}

TEST_F(GatewayWebhooksTest, WiinPayReais) {
  const WebhookEvent paid = Golden("wiinpay", "paid.json");
  EXPECT_EQ(paid.status, GatewayStatus::kPaid);  // "PAID": statuses ignore case
  EXPECT_EQ(paid.raw_status, "PAID");
  EXPECT_EQ(paid.event_id, "68ffcc91e23263e0a01fffa9:paid");
  EXPECT_EQ(paid.amount, Brl(1050));
  EXPECT_EQ(paid.payer_name, "Maria Souza");
  EXPECT_EQ(paid.payer_document, "98765432100");
  EXPECT_EQ(paid.reference, "chg_01HZX4N8Q5");

  const WebhookEvent pending = Golden("wiinpay", "pending_three_reais.json");
  EXPECT_EQ(pending.status, GatewayStatus::kPending);
  EXPECT_EQ(pending.amount, Brl(300));
}

TEST_F(GatewayWebhooksTest, AtomoPayProducerHashInEitherPlace) {
  const WebhookEvent direct = Golden("atomopay", "paid_producer_hash.json");
  EXPECT_EQ(direct.tenant_hint, "prod_abc123");
  EXPECT_EQ(direct.gateway_charge_id, "tx_8d3kq0a1");
  EXPECT_EQ(direct.provider_hash, "123456");
  EXPECT_EQ(direct.status, GatewayStatus::kPaid);
  EXPECT_EQ(direct.amount, Brl(1990));
  EXPECT_EQ(direct.reference, "chg_01HZX4N8Q6");
  EXPECT_EQ(direct.event_id, "tx_8d3kq0a1:paid");

  const WebhookEvent offer = Golden("atomopay", "paid_offer_producer_hash.json");
  EXPECT_EQ(offer.tenant_hint, "prod_xyz789");
  EXPECT_EQ(offer.amount, Brl(50));

  const WebhookEvent chargedback = Golden("atomopay", "chargedback.json");
  EXPECT_EQ(chargedback.status, GatewayStatus::kRefunded);

  const WebhookEvent id_only = Golden("atomopay", "waiting_payment_id_only.json");
  EXPECT_EQ(id_only.status, GatewayStatus::kPending);
  EXPECT_EQ(id_only.gateway_charge_id, "");
  EXPECT_EQ(id_only.provider_hash, "123458");
  EXPECT_EQ(id_only.event_id, "123458:pending");
  EXPECT_EQ(id_only.amount, Brl(5000));
}

TEST_F(GatewayWebhooksTest, AtomoPayStatusesMapAsDocumented) {
  const std::pair<std::string_view, GatewayStatus> table[] = {
      {"waiting_payment", GatewayStatus::kPending},
      {"processing", GatewayStatus::kPending},
      {"authorized", GatewayStatus::kPending},
      {"paid", GatewayStatus::kPaid},
      {"refused", GatewayStatus::kFailed},
      {"antifraud", GatewayStatus::kFailed},
      {"refunded", GatewayStatus::kRefunded},
      {"chargedback", GatewayStatus::kRefunded},
      {"PAID", GatewayStatus::kPaid},
  };
  for (const auto& [word, status] : table) {
    const std::string body =
        R"({"hash":"h1","payment_status":")" + std::string(word) + R"(","amount":100})";
    auto event = Parse("atomopay", body);
    ASSERT_TRUE(event.ok()) << word;
    EXPECT_EQ(event.value().status, status) << word;
  }
}

TEST_F(GatewayWebhooksTest, BuhoPagoSignedPayloads) {
  const WebhookEvent completed = Golden("buhopago", "payment_completed.json");
  EXPECT_EQ(completed.status, GatewayStatus::kPaid);
  EXPECT_EQ(completed.amount, Ves(125'075));
  EXPECT_EQ(completed.gateway_charge_id, "550e8400-e29b-41d4-a716-446655440000");
  EXPECT_EQ(completed.provider_hash, "txn_abc123");
  EXPECT_EQ(completed.reference, "chg_01HZX4N8Q8");
  EXPECT_EQ(completed.end_to_end_id, "REF123456");
  EXPECT_EQ(completed.event_id, "txn_abc123:paid");

  // Seed 000's shape: the payload under `transaction`, no status of its own.
  const WebhookEvent transaction = Golden("buhopago", "transaction_completed.json");
  EXPECT_EQ(transaction.status, GatewayStatus::kPaid);
  EXPECT_EQ(transaction.amount, Ves(10));
  EXPECT_EQ(transaction.raw_status, "transaction.completed");
  EXPECT_EQ(transaction.event_id, "txn_def456:paid");

  // Another event kind, correctly signed: acknowledged and ignored.
  auto ignored = Parse("buhopago", ReadGolden("buhopago", "link_created.json"),
                       {{"x-signature", ReadGolden("buhopago", "link_created.signature")}});
  ASSERT_FALSE(ignored.ok());
  EXPECT_EQ(ignored.error().kind, RejectionKind::kIgnored);
  EXPECT_EQ(ignored.error().field, "event");
}

TEST_F(GatewayWebhooksTest, BuhoPagoRefusesMissingOrWrongSignatures) {
  const std::string body = ReadGolden("buhopago", "payment_completed.json");
  const std::string signature = ReadGolden("buhopago", "payment_completed.signature");

  auto missing = Parse("buhopago", body);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().kind, RejectionKind::kBadSignature);
  EXPECT_EQ(missing.error().field, "X-Signature");

  // Upper-case hex of the right MAC is the same signature.
  std::string upper = signature;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_TRUE(Parse("buhopago", body, {{"X-Signature", upper}}).ok());

  std::string flipped = signature;
  flipped[0] = flipped[0] == '0' ? '1' : '0';
  const std::vector<std::string> wrong = {
      flipped,
      signature.substr(0, 62),
      signature + "00",
      "not hex at all",
      HexEncode(HmacSha256("another secret", body)),
      HexEncode(Sha256(body)),
      "",
  };
  for (const auto& presented : wrong) {
    auto event = Parse("buhopago", body, {{"X-Signature", presented}});
    ASSERT_FALSE(event.ok()) << presented;
    EXPECT_EQ(event.error().kind, RejectionKind::kBadSignature) << presented;
  }
  // One byte changed in the body breaks the signature: the amount cannot be edited in flight.
  std::string edited = body;
  edited.replace(edited.find("1250.75"), 7, "9250.75");
  auto tampered = Parse("buhopago", edited, {{"X-Signature", signature}});
  ASSERT_FALSE(tampered.ok());
  EXPECT_EQ(tampered.error().kind, RejectionKind::kBadSignature);
}

TEST_F(GatewayWebhooksTest, BuhoPagoSignedButMalformedIsMalformed) {
  const auto signed_parse = [&](const std::string& body) {
    return Parse("buhopago", body,
                 {{"X-Signature", HexEncode(HmacSha256(kBuhoPagoGoldenSecret, body))}});
  };
  auto usd = signed_parse(
      R"({"event":"payment.completed","data":{"transaction_id":"t","amount":50.00,"currency":"USD"}})");
  ASSERT_FALSE(usd.ok());
  EXPECT_EQ(usd.error().kind, RejectionKind::kMalformed);
  EXPECT_EQ(usd.error().field, "data.currency");
  auto no_payload = signed_parse(R"({"event":"payment.completed"})");
  ASSERT_FALSE(no_payload.ok());
  EXPECT_EQ(no_payload.error().field, "data");
  auto bad_amount = signed_parse(
      R"({"event":"payment.completed","data":{"transaction_id":"t","amount":10.555}})");
  ASSERT_FALSE(bad_amount.ok());
  EXPECT_EQ(bad_amount.error().field, "data.amount");
  auto not_json = signed_parse("event=payment.completed");
  ASSERT_FALSE(not_json.ok());
  EXPECT_EQ(not_json.error().kind, RejectionKind::kMalformed);
}

// --- duplicates --------------------------------------------------------------------------------

TEST_F(GatewayWebhooksTest, DuplicateDeliveriesShareTheirEventId) {
  const std::string body = ReadGolden("pushinpay", "paid.json");
  const auto first = Parse("pushinpay", body);
  const auto second = Parse("pushinpay", body);
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_EQ(first.value().event_id, second.value().event_id);
  // The same fact re-sent in other letters, or reformatted, keeps its key; another status does not.
  const auto upper = Parse("pushinpay", R"({"id":"9c29870c-9f69-4bb6-90d3-2dce9453bb45",
      "status":"PAID","value":1050})");
  ASSERT_TRUE(upper.ok());
  EXPECT_EQ(upper.value().event_id, first.value().event_id);
  const auto created = Parse("pushinpay", ReadGolden("pushinpay", "created.json"));
  ASSERT_TRUE(created.ok());
  EXPECT_NE(created.value().event_id, first.value().event_id);
}

// --- malformed payloads, refused naming the field ----------------------------------------------

TEST_F(GatewayWebhooksTest, MalformedPayloadsAreRefusedNamingTheField) {
  struct Case {
    std::string_view gateway;
    std::string_view body;
    std::string_view field;
  };
  const Case cases[] = {
      // SyncPay: the wrapper, its fields, exact reais.
      {"syncpay", R"({"id":"x","status":"completed","amount":10.5})", "data"},
      {"syncpay", R"({"data":[]})", "data"},
      {"syncpay", R"({"data":{"status":"completed","amount":10.5}})", "data.id"},
      {"syncpay", R"({"data":{"id":"x","amount":10.5}})", "data.status"},
      {"syncpay", R"({"data":{"id":"x","status":1,"amount":10.5}})", "data.status"},
      {"syncpay", R"({"data":{"id":"x","status":"completed"}})", "data.amount"},
      {"syncpay", R"({"data":{"id":"x","status":"completed","amount":10.555}})", "data.amount"},
      {"syncpay", R"({"data":{"id":"x","status":"completed","amount":"ten"}})", "data.amount"},
      {"syncpay", R"({"data":{"id":"x","status":"completed","amount":-10.5}})", "data.amount"},
      {"syncpay", R"({"data":{"id":"x","status":"completed","amount":1.05e1}})", "data.amount"},
      {"syncpay", R"({"data":{"id":"x","status":"completed","amount":true}})", "data.amount"},
      {"syncpay", R"({"data":{"id":"x","status":"teleported","amount":1}})", "data.status"},
      {"syncpay", R"({"data":{"id":"x","status":"completed","amount":1,"amount":9}})",
       "data.amount"},
      {"syncpay", R"({"data":{"id":{},"status":"completed","amount":1}})", "data.id"},
      // PushinPay: whole centavos.
      {"pushinpay", R"({"id":"x","status":"paid","value":1050.5})", "value"},
      {"pushinpay", R"({"id":"x","status":"paid","value":"1050"})", ""},  // accepted: see below
      {"pushinpay", R"({"id":"x","status":"paid"})", "value"},
      {"pushinpay", R"({"status":"paid","value":1})", "id"},
      {"pushinpay", R"({"id":"x","status":"paid","value":1,"payer_name":5})", "payer_name"},
      {"pushinpay", R"({"id":"x","status":"approved","value":1})", "status"},
      // Paradise.
      {"paradise", R"({"id":"x","status":"paid","amount":1})", "payment_status"},
      {"paradise", R"({"id":"x","payment_status":"paid","amount":1.5})", "amount"},
      // WiinPay.
      {"wiinpay", R"({"id":"x","status":"paid","value":10.505})", "value"},
      {"wiinpay", R"({"id":"x","status":"paid","value":10.5,"metadata":"chg"})", "metadata"},
      // ÁtomoPay.
      {"atomopay", R"({"payment_status":"paid","amount":1})", "hash"},
      {"atomopay", R"({"hash":"h","payment_status":"paid","amount":1,"producer":"p"})", "producer"},
      {"atomopay", R"({"hash":"h","payment_status":"paid","amount":1,"offer":{"producer":[]}})",
       "offer.producer"},
      {"atomopay", R"({"hash":"h","payment_status":"paid","amount":1,"producer":{"hash":7.5}})",
       "producer.hash"},
      {"atomopay", R"({"hash":"h","status":"paid","amount":1})", "payment_status"},
      // Not JSON, or not an object.
      {"pushinpay", "id=1&status=paid", ""},
      {"wiinpay", "[]", ""},
      {"paradise", "", ""},
  };
  for (const auto& item : cases) {
    auto event = Parse(item.gateway, item.body);
    if (item.body == R"({"id":"x","status":"paid","value":"1050"})") {
      // Centavos as a string of digits are still exact: accepted.
      ASSERT_TRUE(event.ok());
      EXPECT_EQ(event.value().amount, Brl(1050));
      continue;
    }
    ASSERT_FALSE(event.ok()) << item.gateway << " " << item.body;
    EXPECT_EQ(event.error().kind, RejectionKind::kMalformed) << item.body;
    EXPECT_EQ(event.error().field, item.field) << item.body << ": " << event.error().message;
    EXPECT_FALSE(event.error().message.empty());
  }
}

TEST_F(GatewayWebhooksTest, RefusalsNeverQuoteTheValue) {
  const WebhookRejection status =
      Refused("syncpay", R"({"data":{"id":"x","status":"tok_SECRET_1","amount":1}})");
  EXPECT_EQ(status.field, "data.status");
  EXPECT_EQ(status.message.find("SECRET"), std::string::npos);
  const WebhookRejection amount =
      Refused("wiinpay", R"({"id":"x","status":"paid","value":"123.456.789-09"})");
  EXPECT_EQ(amount.field, "value");
  EXPECT_EQ(amount.message.find("789"), std::string::npos);
}

}  // namespace
}  // namespace cambista::payins
