// ÁtomoPay: `api_token` query parameter; centavos as JSON integers, at least 50; a transaction has
// a numeric id and a hash; every payload names the account by producer.hash (how a multi-tenant
// receiver tells tenants apart).
//   POST /api/public/v1/transactions?api_token= {amount, payment_method: "pix", offer_hash,
//        customer{name, email, phone_number, document}, cart[{product_hash, title, price,
//        quantity, operation_type, tangible}], postback_url, reference}
//        -> 201 {id, hash, payment_status: "waiting_payment", payment_method, amount, reference,
//            producer{hash}, pix{pix_qr_code, qr_code_base64, expiration_date}}
//   GET  /api/public/v1/transactions/{hash}?api_token= -> the same shape, current status
//   GET  /api/public/v1/products?api_token= -> a page of the account's products (one sandbox
//        product)
//   webhook {id, hash, payment_status, amount, producer{hash}, reference}
// Statuses: waiting_payment, paid, refused (failed), expired, refunded. The producer hash of the
// sandbox account is kSandboxAtomoPayProducerHash.
#include "providers/atomopay/atomopay_simulator.hpp"
#include "http/json_schema.hpp"
#include "http/problem.hpp"
#include "http/query.hpp"
#include "providers/simulator_kit/gateway_simulator.hpp"
#include "security/hmac.hpp"

namespace cambista::sandbox {
namespace {

// What this simulator accepts: obviously fake values.
SandboxCredentialMap Credentials() {
  return {{"api_token", "sandbox-atomopay-api-token"}};
}

constexpr std::string_view kName = "atomopay";
constexpr std::string_view kPrefix = "/sandbox/atomopay";
constexpr int64_t kAmountMinimumCentavos = 50;
constexpr size_t kTextCharsMax = 255;
constexpr size_t kUrlCharsMax = 2048;
constexpr size_t kIdDigits = 8;
constexpr size_t kHashChars = 10;

std::string RandomFrom(std::string_view alphabet, size_t count) {
  std::string text;
  for (unsigned char byte : RandomBytes(count)) text += alphabet[byte % alphabet.size()];
  return text;
}

class AtomoPaySimulator final : public GatewaySimulator {
 public:
  explicit AtomoPaySimulator(SimulatorContext& context)
      : context_(context), api_token_(Credentials().at("api_token")) {}

  std::string_view name() const override { return kName; }

  std::string_view StatusWord(ChargeState state) const override {
    switch (state) {
      case ChargeState::kPending:
        return "waiting_payment";
      case ChargeState::kPaid:
        return "paid";
      case ChargeState::kExpired:
        return "expired";
      case ChargeState::kFailed:
        return "refused";
      case ChargeState::kRefunded:
        return "refunded";
    }
    return "waiting_payment";
  }

  OutgoingWebhook Webhook(const SimulatedCharge& charge, ChargeState state) const override {
    return OutgoingWebhook{
        charge.webhook_url,
        {},
        "{\"id\":" + http::JsonString(charge.id) + ",\"hash\":" + http::JsonString(charge.hash) +
            ",\"payment_status\":" + http::JsonString(StatusWord(state)) +
            ",\"amount\":" + MoneyJson(ReportedAmount(charge, state), MoneyUnits::kMinor) +
            ",\"producer\":{\"hash\":" + http::JsonString(charge.tenant_hint) +
            "},\"reference\":" + JsonStringOrNull(charge.reference) + "}"};
  }

  void AddRoutes(http::Router& router) override {
    using namespace http::schema;
    const std::vector<std::pair<std::string, std::string>> token = {
        {"api_token", "The account's API token."}};
    AddTransactionSchema(router);
    router.Add("POST", std::string(kPrefix) + "/api/public/v1/transactions",
               http::RouteDoc{
                   .summary = "Sandbox ÁtomoPay: create a PIX transaction (amount in centavos, at "
                              "least 50).",
                   .access = "public",
                   .status = 201,
                   .response_schema = Ref("AtomoPayTransaction"),
                   .request_schema = OpenObject(
                       {{"amount", Described(Integer(), "centavos, at least 50")},
                        {"payment_method", Const("pix")},
                        Optional("offer_hash", Text(kTextCharsMax)),
                        Optional("postback_url", Text(kUrlCharsMax)),
                        Optional("reference", Text(kTextCharsMax)),
                        Optional("customer", R"({"type":"object"})"),
                        Optional("cart", ArrayOf(OpenObject({Optional("product_hash", String()),
                                                             Optional("price", Integer())})))}),
                   .query = token,
                   .responses = LaravelErrors({400, 401, 500})},
               [this](const http::HttpRequest& request, const http::PathParams&) {
                 return Create(request);
               });
    router.Add("GET", std::string(kPrefix) + "/api/public/v1/transactions/{hash}",
               http::RouteDoc{.summary = "Sandbox ÁtomoPay: a transaction by its hash (or id).",
                              .access = "public",
                              .response_schema = Ref("AtomoPayTransaction"),
                              .query = token,
                              .responses = LaravelErrors({401, 404}, false)},
               [this](const http::HttpRequest& request, const http::PathParams& params) {
                 return Get(request, params.at("hash"));
               });
    router.Add("GET", std::string(kPrefix) + "/api/public/v1/products",
               http::RouteDoc{
                   .summary = "Sandbox ÁtomoPay: the account's products (one sandbox product).",
                   .access = "public",
                   .response_schema = Object({{"data", ArrayOf(Object({{"hash", String()},
                                                                       {"title", String()},
                                                                       {"price", Integer()},
                                                                       {"tangible", Boolean()}}))},
                                              {"current_page", Integer()},
                                              {"per_page", Integer()},
                                              {"total", Integer()},
                                              {"last_page", Integer()}}),
                   .query = token,
                   .responses = LaravelErrors({401}, false)},
               [this](const http::HttpRequest& request, const http::PathParams&) {
                 if (!Authorized(request)) return MessageResponse(401, "Unauthenticated.");
                 return JsonResponse(
                     200, R"({"data":[{"hash":"sandbox-product","title":"Sandbox product",)"
                          R"("price":1000,"tangible":false}],"current_page":1,"per_page":1,)"
                          R"("total":1,"last_page":1})");
               });
  }

 private:
  static void AddTransactionSchema(http::Router& router) {
    using namespace http::schema;
    router.AddSchema(
        "AtomoPayTransaction",
        Object(
            {{"id", String()},
             {"hash", String()},
             {"payment_status",
              Enum({"waiting_payment", "paid", "refused", "expired", "refunded"})},
             {"payment_method", Const("pix")},
             {"amount", Described(Integer(), "centavos")},
             {"reference", Nullable(String())},
             {"producer", Object({{"hash", String()}})},
             {"pix", Object({{"pix_qr_code", String()},
                             {"qr_code_base64", Described(Nullable(String()), "At creation only.")},
                             {"expiration_date", DateTime()}})}}));
  }

  std::string TransactionJson(const SimulatedCharge& charge, std::string_view qr_base64) const {
    return "{\"id\":" + http::JsonString(charge.id) + ",\"hash\":" + http::JsonString(charge.hash) +
           ",\"payment_status\":" + http::JsonString(StatusWord(charge.state)) +
           ",\"payment_method\":\"pix\",\"amount\":" +
           MoneyJson(ReportedAmount(charge, charge.state), MoneyUnits::kMinor) +
           ",\"reference\":" + JsonStringOrNull(charge.reference) +
           ",\"producer\":{\"hash\":" + http::JsonString(charge.tenant_hint) +
           "},\"pix\":{\"pix_qr_code\":" + http::JsonString(charge.pix_code) +
           ",\"qr_code_base64\":" + JsonStringOrNull(qr_base64) +
           ",\"expiration_date\":" + http::JsonString(Rfc3339(charge.expires_at_ms)) + "}}";
  }

  bool Authorized(const http::HttpRequest& request) const {
    return SecretMatches(http::QueryValue(request.query, "api_token").value_or(""), api_token_);
  }

  http::HttpResponse Create(const http::HttpRequest& request) {
    if (!Authorized(request)) return MessageResponse(401, "Unauthenticated.");
    auto parsed = ParseObjectBody(request.body);
    if (!parsed.ok()) return MessageResponse(400, parsed.error());
    const JsonNode& body = parsed.value().root();
    auto amount = ReadMoney(body.Find("amount"), "amount", MoneyUnits::kMinor, Brl());
    if (!amount.ok()) return ValidationResponse("amount", "The " + amount.error() + ".");
    if (amount.value().minor() < kAmountMinimumCentavos) {
      return ValidationResponse(
          "amount", "The amount must be at least " + std::to_string(kAmountMinimumCentavos) + ".");
    }
    const auto method = StringMember(body, "payment_method");
    if (!method) return ValidationResponse("payment_method", "The payment_method is required.");
    if (*method != "pix") {
      return ValidationResponse("payment_method", "The selected payment_method is invalid.");
    }
    for (std::string_view field : {"offer_hash", "postback_url", "reference"}) {
      if (auto wrong = CheckKind(body, field, JsonNode::Kind::kString)) {
        return ValidationResponse(field, "The " + *wrong + ".");
      }
      const size_t limit = field == "postback_url" ? kUrlCharsMax : kTextCharsMax;
      if (CharCount(StringMember(body, field).value_or("")) > limit) {
        return ValidationResponse(field, "The " + std::string(field) + " is too long.");
      }
    }
    if (auto wrong = CheckKind(body, "customer", JsonNode::Kind::kObject)) {
      return ValidationResponse("customer", "The " + *wrong + ".");
    }
    if (auto refused = CheckCart(body)) return *refused;
    const std::string webhook_url = StringMember(body, "postback_url").value_or("");
    if (!webhook_url.empty() && !webhook_url.starts_with("http://") &&
        !webhook_url.starts_with("https://")) {
      return ValidationResponse("postback_url", "The postback_url must be a valid URL.");
    }

    NewCharge fields(amount.value());
    fields.reference = StringMember(body, "reference").value_or("");
    fields.webhook_url = webhook_url;
    fields.tenant_hint = std::string(kSandboxAtomoPayProducerHash);
    auto charge = CreateCharge(context_, kName, std::move(fields), [] {
      return ChargeIds{NewDigits(kIdDigits),
                       RandomFrom("abcdefghijklmnopqrstuvwxyz0123456789", kHashChars)};
    });
    if (!charge.ok()) return MessageResponse(500, charge.error());
    auto qr = QrPngBase64(charge.value().pix_code);
    if (!qr.ok()) return MessageResponse(500, qr.error());
    return JsonResponse(201, TransactionJson(charge.value(), qr.value()));
  }

  // cart: [{product_hash, title, price (centavos), quantity, ...}], when sent.
  static std::optional<http::HttpResponse> CheckCart(const JsonNode& body) {
    if (auto wrong = CheckKind(body, "cart", JsonNode::Kind::kArray)) {
      return ValidationResponse("cart", "The " + *wrong + ".");
    }
    const JsonNode* cart = body.Find("cart");
    if (cart == nullptr || !cart->IsArray()) return std::nullopt;
    for (size_t i = 0; i < cart->size(); ++i) {
      const JsonNode& item = cart->child(i);
      const std::string field = "cart." + std::to_string(i);
      if (!item.IsObject()) return ValidationResponse(field, "Each cart item must be an object.");
      if (auto wrong = CheckKind(item, "product_hash", JsonNode::Kind::kString)) {
        return ValidationResponse(field + ".product_hash", "The " + field + "." + *wrong + ".");
      }
      if (item.Find("price") != nullptr) {
        auto price = ReadMoney(item.Find("price"), field + ".price", MoneyUnits::kMinor, Brl());
        if (!price.ok() || price.value().IsNegative()) {
          return ValidationResponse(field + ".price",
                                    "The " + field + ".price must be an integer (centavos).");
        }
      }
    }
    return std::nullopt;
  }

  http::HttpResponse Get(const http::HttpRequest& request, const std::string& hash) {
    if (!Authorized(request)) return MessageResponse(401, "Unauthenticated.");
    const auto charge = context_.charges.Find(kName, hash);
    if (!charge) return MessageResponse(404, "Transaction not found.");
    return JsonResponse(200, TransactionJson(*charge, ""));
  }

  SimulatorContext& context_;
  const std::string api_token_;
};

}  // namespace

SimulatorDescription AtomoPaySimulatorDescription() {
  return {kName,
          [](SimulatorContext& context) -> std::unique_ptr<GatewaySimulator> {
            return std::make_unique<AtomoPaySimulator>(context);
          },
          &Credentials};
}

}  // namespace cambista::sandbox
