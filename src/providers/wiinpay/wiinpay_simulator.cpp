// WiinPay: the api_key travels in the JSON body; reais as JSON numbers, at least 3.00.
//   POST /payment/create {api_key, value, name, email, description, webhook_url,
//        metadata{reference}, split{percentage, user_id}}
//        -> 201 {id, qr_code, qr_code_base64, status: "pending", value}
//   webhook {id, status, value, payer_name, payer_document, metadata}
// Errors: {error, message}. Statuses: pending, paid, failed, expired, refunded.
#include "providers/wiinpay/wiinpay_simulator.hpp"
#include "http/json_schema.hpp"
#include "http/problem.hpp"
#include "providers/simulator_kit/gateway_simulator.hpp"

namespace cambista::sandbox {
namespace {

// What this simulator accepts: obviously fake values.
SandboxCredentialMap Credentials() {
  return {{"api_key", "sandbox-wiinpay-api-key"}};
}

constexpr std::string_view kName = "wiinpay";
constexpr std::string_view kPrefix = "/sandbox/wiinpay";
constexpr i128 kValueMinimumCentavos = 300;
constexpr size_t kTextCharsMax = 255;
constexpr size_t kUrlCharsMax = 2048;

http::HttpResponse ErrorResponse(int status, std::string_view error, std::string_view message) {
  return JsonResponse(status, "{\"error\":" + http::JsonString(error) +
                                  ",\"message\":" + http::JsonString(message) + "}");
}

class WiinPaySimulator final : public GatewaySimulator {
 public:
  explicit WiinPaySimulator(SimulatorContext& context)
      : context_(context), api_key_(Credentials().at("api_key")) {}

  std::string_view name() const override { return kName; }

  std::string_view StatusWord(ChargeState state) const override {
    switch (state) {
      case ChargeState::kPending:
        return "pending";
      case ChargeState::kPaid:
        return "paid";
      case ChargeState::kExpired:
        return "expired";
      case ChargeState::kFailed:
        return "failed";
      case ChargeState::kRefunded:
        return "refunded";
    }
    return "pending";
  }

  OutgoingWebhook Webhook(const SimulatedCharge& charge, ChargeState state) const override {
    const bool paid = state == ChargeState::kPaid || state == ChargeState::kRefunded;
    return OutgoingWebhook{
        charge.webhook_url,
        {},
        "{\"id\":" + http::JsonString(charge.id) +
            ",\"status\":" + http::JsonString(StatusWord(state)) +
            ",\"value\":" + MoneyJson(ReportedAmount(charge, state), MoneyUnits::kMajor) +
            ",\"payer_name\":" + JsonStringOrNull(paid ? charge.payer_name : "") +
            ",\"payer_document\":" + JsonStringOrNull(paid ? charge.payer_document : "") +
            ",\"metadata\":" +
            (charge.reference.empty()
                 ? std::string("{}")
                 : "{\"reference\":" + http::JsonString(charge.reference) + "}") +
            "}"};
  }

  void AddRoutes(http::Router& router) override {
    using namespace http::schema;
    const std::string error = Object({{"error", String()}, {"message", String()}});
    std::vector<http::ResponseDoc> errors;
    for (int status : {400, 401, 422, 500}) {
      errors.push_back(GatewayError(status, "The gateway's error: {error, message}.", error));
    }
    router.Add(
        "POST", std::string(kPrefix) + "/payment/create",
        http::RouteDoc{
            .summary = "Sandbox WiinPay: create a PIX charge (value in reais, at least 3.00).",
            .access = "public",
            .description = "The api_key travels in the body.",
            .status = 201,
            .response_schema = Object({{"id", String()},
                                       {"qr_code", String()},
                                       {"qr_code_base64", String()},
                                       {"status", Const("pending")},
                                       {"value", Described(Number(), "reais")}}),
            .request_schema = OpenObject({{"api_key", String()},
                                          {"value", Described(Number(), "reais, at least 3")},
                                          Optional("name", Text(kTextCharsMax)),
                                          Optional("email", Text(kTextCharsMax)),
                                          Optional("description", Text(kTextCharsMax)),
                                          Optional("webhook_url", Text(kUrlCharsMax)),
                                          Optional("metadata", R"({"type":"object"})"),
                                          Optional("split", R"({"type":"object"})")}),
            .responses = errors},
        [this](const http::HttpRequest& request, const http::PathParams&) {
          return Create(request);
        });
  }

 private:
  http::HttpResponse Create(const http::HttpRequest& request) {
    auto parsed = ParseObjectBody(request.body);
    if (!parsed.ok()) return ErrorResponse(400, "invalid_body", parsed.error());
    const JsonNode& body = parsed.value().root();
    if (!SecretMatches(StringMember(body, "api_key").value_or(""), api_key_)) {
      return ErrorResponse(401, "unauthorized", "Invalid api_key.");
    }
    auto value = ReadMoney(body.Find("value"), "value", MoneyUnits::kMajor, Brl());
    if (!value.ok()) return ErrorResponse(422, "invalid_value", "The " + value.error() + ".");
    if (value.value().minor() < kValueMinimumCentavos) {
      return ErrorResponse(422, "invalid_value", "The minimum value is R$ 3,00.");
    }
    for (std::string_view field : {"name", "email", "description", "webhook_url"}) {
      if (auto wrong = CheckKind(body, field, JsonNode::Kind::kString)) {
        return ErrorResponse(422, "invalid_" + std::string(field), "The " + *wrong + ".");
      }
      const size_t limit = field == "webhook_url" ? kUrlCharsMax : kTextCharsMax;
      if (CharCount(StringMember(body, field).value_or("")) > limit) {
        return ErrorResponse(422, "invalid_" + std::string(field),
                             "The " + std::string(field) + " is too long.");
      }
    }
    const std::string webhook_url = StringMember(body, "webhook_url").value_or("");
    if (!webhook_url.empty() && !webhook_url.starts_with("http://") &&
        !webhook_url.starts_with("https://")) {
      return ErrorResponse(422, "invalid_webhook_url", "The webhook_url must be a valid URL.");
    }
    for (std::string_view field : {"metadata", "split"}) {
      if (auto wrong = CheckKind(body, field, JsonNode::Kind::kObject)) {
        return ErrorResponse(422, "invalid_" + std::string(field), "The " + *wrong + ".");
      }
    }
    // The caller's reference, when it keeps one in metadata, comes back in the webhook.
    std::string reference;
    if (const JsonNode* metadata = body.Find("metadata"); metadata && metadata->IsObject()) {
      for (std::string_view key : {"reference", "external_reference", "order_id"}) {
        if (auto text = StringMember(*metadata, key)) {
          reference = *text;
          break;
        }
      }
    }

    NewCharge fields(value.value());
    fields.description = StringMember(body, "description").value_or("");
    fields.reference = reference.substr(0, kTextCharsMax);
    fields.webhook_url = webhook_url;
    auto charge = CreateCharge(context_, kName, std::move(fields), [] {
      return ChargeIds{NewUuid(), ""};
    });
    if (!charge.ok()) return ErrorResponse(500, "internal_error", charge.error());
    auto qr = QrPngBase64(charge.value().pix_code);
    if (!qr.ok()) return ErrorResponse(500, "internal_error", qr.error());
    const SimulatedCharge& created = charge.value();
    return JsonResponse(201, "{\"id\":" + http::JsonString(created.id) +
                                 ",\"qr_code\":" + http::JsonString(created.pix_code) +
                                 ",\"qr_code_base64\":" + http::JsonString(qr.value()) +
                                 ",\"status\":" + http::JsonString(StatusWord(created.state)) +
                                 ",\"value\":" + MoneyJson(created.amount, MoneyUnits::kMajor) +
                                 "}");
  }

  SimulatorContext& context_;
  const std::string api_key_;
};

}  // namespace

SimulatorDescription WiinPaySimulatorDescription() {
  return {kName,
          [](SimulatorContext& context) -> std::unique_ptr<GatewaySimulator> {
            return std::make_unique<WiinPaySimulator>(context);
          },
          &Credentials};
}

}  // namespace cambista::sandbox
