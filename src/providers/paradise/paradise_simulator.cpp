// Paradise: `X-API-Key`; centavos as JSON integers, at least 1; the product must be the account's
// (productHash, the product_hash credential).
//   POST /api/v1/transaction.php {amount, description, reference, productHash, offerHash,
//        customer{name, email, document, phone}, split{store_id, amount}, postback_url}
//        -> {status: "success", transaction{id, qr_code, qr_code_base64, amount, status, reference,
//            expires_at}}
//   GET  /api/v1/check_status.php?hash={id} -> {id, payment_status, amount, reference}
//   webhook {id, payment_status, amount, reference}
// Errors: {status: "error", message}. Statuses: pending, paid, failed, expired, refunded.
#include "providers/paradise/paradise_simulator.hpp"
#include "http/json_schema.hpp"
#include "http/problem.hpp"
#include "http/query.hpp"
#include "providers/simulator_kit/gateway_simulator.hpp"

namespace cambista::sandbox {
namespace {

// What this simulator accepts: obviously fake values.
SandboxCredentialMap Credentials() {
  return {{"api_key", "sandbox-paradise-api-key"},
          {"product_hash", "sandbox-paradise-product-hash"}};
}

constexpr std::string_view kName = "paradise";
constexpr std::string_view kPrefix = "/sandbox/paradise";
constexpr int64_t kAmountMinimumCentavos = 1;
constexpr size_t kTextCharsMax = 255;
constexpr size_t kUrlCharsMax = 2048;
constexpr size_t kIdDigits = 9;

http::HttpResponse ErrorResponse(int status, std::string_view message) {
  return JsonResponse(status,
                      "{\"status\":\"error\",\"message\":" + http::JsonString(message) + "}");
}

class ParadiseSimulator final : public GatewaySimulator {
 public:
  explicit ParadiseSimulator(SimulatorContext& context)
      : context_(context), credentials_(Credentials()) {}

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
    return OutgoingWebhook{charge.webhook_url, {}, StatusJson(charge, state)};
  }

  void AddRoutes(http::Router& router) override {
    using namespace http::schema;
    const std::vector<http::HeaderDoc> key = {{"X-API-Key", "The account's API key."}};
    const std::string status = Enum({"pending", "paid", "failed", "expired", "refunded"});
    const std::string error = Object({{"status", Const("error")}, {"message", String()}});
    const auto errors = [&error](std::initializer_list<int> statuses) {
      std::vector<http::ResponseDoc> responses;
      for (int code : statuses) {
        responses.push_back(GatewayError(code, "The gateway's error: {status, message}.", error));
      }
      return responses;
    };
    router.Add("POST", std::string(kPrefix) + "/api/v1/transaction.php",
               http::RouteDoc{
                   .summary = "Sandbox Paradise: create a PIX charge (amount in centavos).",
                   .access = "public",
                   .response_schema =
                       Object({{"status", Const("success")},
                               {"transaction", Object({{"id", String()},
                                                       {"qr_code", String()},
                                                       {"qr_code_base64", String()},
                                                       {"amount", Described(Integer(), "centavos")},
                                                       {"status", status},
                                                       {"reference", Nullable(String())},
                                                       {"expires_at", DateTime()}})}}),
                   .request_schema = OpenObject({{"amount", Described(Integer(), "centavos")},
                                                 {"productHash", String()},
                                                 Optional("description", Text(kTextCharsMax)),
                                                 Optional("reference", Text(kTextCharsMax)),
                                                 Optional("offerHash", String()),
                                                 Optional("postback_url", Text(kUrlCharsMax)),
                                                 Optional("webhook_url", Text(kUrlCharsMax)),
                                                 Optional("customer", R"({"type":"object"})"),
                                                 Optional("split", R"({"type":"object"})")}),
                   .headers = key,
                   .responses = errors({400, 401, 404, 422, 500})},
               [this](const http::HttpRequest& request, const http::PathParams&) {
                 return CreateTransaction(request);
               });
    router.Add("GET", std::string(kPrefix) + "/api/v1/check_status.php",
               http::RouteDoc{.summary = "Sandbox Paradise: a transaction's status.",
                              .access = "public",
                              .response_schema = Object({{"id", String()},
                                                         {"payment_status", status},
                                                         {"amount", Integer()},
                                                         {"reference", Nullable(String())}}),
                              .headers = key,
                              .query = {{"hash", "The transaction id."}},
                              .responses = errors({400, 401, 404})},
               [this](const http::HttpRequest& request, const http::PathParams&) {
                 return CheckStatus(request);
               });
  }

 private:
  std::string StatusJson(const SimulatedCharge& charge, ChargeState state) const {
    return "{\"id\":" + http::JsonString(charge.id) +
           ",\"payment_status\":" + http::JsonString(StatusWord(state)) +
           ",\"amount\":" + MoneyJson(ReportedAmount(charge, state), MoneyUnits::kMinor) +
           ",\"reference\":" + JsonStringOrNull(charge.reference) + "}";
  }

  bool Authorized(const http::HttpRequest& request) const {
    return SecretMatches(request.Header("X-API-Key"), credentials_.at("api_key"));
  }

  http::HttpResponse CreateTransaction(const http::HttpRequest& request) {
    if (!Authorized(request)) return ErrorResponse(401, "Invalid API key.");
    auto parsed = ParseObjectBody(request.body);
    if (!parsed.ok()) return ErrorResponse(400, parsed.error());
    const JsonNode& body = parsed.value().root();
    auto amount = ReadMoney(body.Find("amount"), "amount", MoneyUnits::kMinor, Brl());
    if (!amount.ok()) return ErrorResponse(422, "The " + amount.error() + ".");
    if (amount.value().minor() < kAmountMinimumCentavos) {
      return ErrorResponse(422, "The amount must be at least 1 centavo.");
    }
    for (std::string_view field :
         {"description", "reference", "productHash", "offerHash", "postback_url", "webhook_url"}) {
      if (auto wrong = CheckKind(body, field, JsonNode::Kind::kString)) {
        return ErrorResponse(422, "The " + *wrong + ".");
      }
      const auto text = StringMember(body, field);
      if (text && CharCount(*text) > kUrlCharsMax) {
        return ErrorResponse(422, "The " + std::string(field) + " is too long.");
      }
    }
    const auto product = StringMember(body, "productHash");
    if (!product) return ErrorResponse(422, "The productHash is required.");
    if (!SecretMatches(*product, credentials_.at("product_hash"))) {
      return ErrorResponse(404, "Product not found for this account.");
    }
    for (std::string_view field : {"description", "reference"}) {
      if (CharCount(StringMember(body, field).value_or("")) > kTextCharsMax) {
        return ErrorResponse(422, "The " + std::string(field) + " is too long.");
      }
    }
    for (std::string_view field : {"customer", "split"}) {
      if (auto wrong = CheckKind(body, field, JsonNode::Kind::kObject)) {
        return ErrorResponse(422, "The " + *wrong + ".");
      }
    }
    // The URL to notify: postback_url, or webhook_url as some integrations call it.
    const std::string webhook_url =
        StringMember(body, "postback_url").value_or(StringMember(body, "webhook_url").value_or(""));
    if (!webhook_url.empty() && !webhook_url.starts_with("http://") &&
        !webhook_url.starts_with("https://")) {
      return ErrorResponse(422, "The postback_url must be a valid URL.");
    }

    NewCharge fields(amount.value());
    fields.description = StringMember(body, "description").value_or("");
    fields.reference = StringMember(body, "reference").value_or("");
    fields.webhook_url = webhook_url;
    // Paradise numbers its transactions; the id travels as a string.
    auto charge = CreateCharge(context_, kName, std::move(fields), [] {
      return ChargeIds{NewDigits(kIdDigits), ""};
    });
    if (!charge.ok()) return ErrorResponse(500, charge.error());
    auto qr = QrPngBase64(charge.value().pix_code);
    if (!qr.ok()) return ErrorResponse(500, qr.error());
    const SimulatedCharge& created = charge.value();
    return JsonResponse(
        200, "{\"status\":\"success\",\"transaction\":{\"id\":" + http::JsonString(created.id) +
                 ",\"qr_code\":" + http::JsonString(created.pix_code) +
                 ",\"qr_code_base64\":" + http::JsonString(qr.value()) +
                 ",\"amount\":" + MoneyJson(created.amount, MoneyUnits::kMinor) +
                 ",\"status\":" + http::JsonString(StatusWord(created.state)) +
                 ",\"reference\":" + JsonStringOrNull(created.reference) +
                 ",\"expires_at\":" + http::JsonString(Rfc3339(created.expires_at_ms)) + "}}");
  }

  http::HttpResponse CheckStatus(const http::HttpRequest& request) {
    if (!Authorized(request)) return ErrorResponse(401, "Invalid API key.");
    const auto hash = http::QueryValue(request.query, "hash");
    if (!hash || hash->empty()) return ErrorResponse(400, "The hash parameter is required.");
    const auto charge = context_.charges.Find(kName, *hash);
    if (!charge) return ErrorResponse(404, "Transaction not found.");
    return JsonResponse(200, StatusJson(*charge, charge->state));
  }

  SimulatorContext& context_;
  const SandboxCredentialMap credentials_;
};

}  // namespace

SimulatorDescription ParadiseSimulatorDescription() {
  return {kName,
          [](SimulatorContext& context) -> std::unique_ptr<GatewaySimulator> {
            return std::make_unique<ParadiseSimulator>(context);
          },
          &Credentials};
}

}  // namespace cambista::sandbox
