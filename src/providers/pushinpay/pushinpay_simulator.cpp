// PushinPay: `Authorization: Bearer <api_key>`; centavos as JSON integers, at least 50.
//   POST /api/pix/cashIn {value, webhook_url, split_rules[{value, account_id}]}
//        -> {id, qr_code, status: "created", value, webhook_url, qr_code_base64, webhook,
//            split_rules, end_to_end_id, payer_name, payer_national_registration}
//   GET  /api/transactions/{id} -> the same shape, current status; a second query of the same
//        transaction within SandboxOptions::pushinpay_status_interval_ms answers 429
//   webhook {id, status, value, payer_name, payer_national_registration, end_to_end_id}
// Statuses: created, paid, canceled (failed or expired), refunded.
#include <algorithm>

#include "http/json_schema.hpp"
#include "http/problem.hpp"
#include "providers/pushinpay/pushinpay_simulator.hpp"
#include "providers/simulator_kit/gateway_simulator.hpp"

namespace cambista::sandbox {
namespace {

// What this simulator accepts: obviously fake values.
SandboxCredentialMap Credentials() {
  return {{"api_key", "sandbox-pushinpay-api-key"}};
}

constexpr std::string_view kName = "pushinpay";
constexpr std::string_view kPrefix = "/sandbox/pushinpay";
constexpr int64_t kValueMinimumCentavos = 50;
constexpr size_t kUrlCharsMax = 2048;

class PushinPaySimulator final : public GatewaySimulator {
 public:
  explicit PushinPaySimulator(SimulatorContext& context)
      : context_(context), api_key_(Credentials().at("api_key")) {}

  std::string_view name() const override { return kName; }

  std::string_view StatusWord(ChargeState state) const override {
    switch (state) {
      case ChargeState::kPending:
        return "created";
      case ChargeState::kPaid:
        return "paid";
      case ChargeState::kExpired:
      case ChargeState::kFailed:
        return "canceled";
      case ChargeState::kRefunded:
        return "refunded";
    }
    return "created";
  }

  OutgoingWebhook Webhook(const SimulatedCharge& charge, ChargeState state) const override {
    const bool paid = state == ChargeState::kPaid || state == ChargeState::kRefunded;
    return OutgoingWebhook{
        charge.webhook_url,
        {},
        "{\"id\":" + http::JsonString(charge.id) +
            ",\"status\":" + http::JsonString(StatusWord(state)) +
            ",\"value\":" + MoneyJson(ReportedAmount(charge, state), MoneyUnits::kMinor) +
            ",\"payer_name\":" + JsonStringOrNull(paid ? charge.payer_name : "") +
            ",\"payer_national_registration\":" +
            JsonStringOrNull(paid ? charge.payer_document : "") +
            ",\"end_to_end_id\":" + JsonStringOrNull(paid ? charge.end_to_end_id : "") + "}"};
  }

  void AddRoutes(http::Router& router) override {
    using namespace http::schema;
    const std::string bearer = "Authorization: Bearer <api_key>.";
    const std::string nullable_text = Nullable(String());
    router.AddSchema("PushinPayTransaction",
                     Object({{"id", String()},
                             {"qr_code", String()},
                             {"status", Enum({"created", "paid", "canceled", "refunded"})},
                             {"value", Described(Integer(), "centavos")},
                             {"webhook_url", nullable_text},
                             {"qr_code_base64", Described(nullable_text, "At creation only.")},
                             {"webhook", Null()},
                             {"split_rules", R"({"type":"array","maxItems":0})"},
                             {"end_to_end_id", nullable_text},
                             {"payer_name", nullable_text},
                             {"payer_national_registration", nullable_text}}));
    router.Add(
        "POST", std::string(kPrefix) + "/api/pix/cashIn",
        http::RouteDoc{
            .summary = "Sandbox PushinPay: create a PIX charge (value in centavos, at least 50).",
            .access = "public",
            .description = bearer,
            .response_schema = Ref("PushinPayTransaction"),
            .request_schema = OpenObject(
                {{"value", Described(Integer(), "centavos, at least 50")},
                 Optional("webhook_url", Text(kUrlCharsMax)),
                 Optional("split_rules",
                          ArrayOf(OpenObject({{"value", Integer()}, {"account_id", String()}})))}),
            .responses = LaravelErrors({400, 401, 500})},
        [this](const http::HttpRequest& request, const http::PathParams&) {
          return CashIn(request);
        });
    router.Add(
        "GET", std::string(kPrefix) + "/api/transactions/{id}",
        http::RouteDoc{
            .summary = "Sandbox PushinPay: a transaction's status (once a minute per transaction).",
            .access = "public",
            .description = bearer + " Asked again too soon: 429 with Retry-After.",
            .response_schema = Ref("PushinPayTransaction"),
            .responses = LaravelErrors({401, 404, 429}, false)},
        [this](const http::HttpRequest& request, const http::PathParams& params) {
          return GetTransaction(request, params.at("id"));
        });
  }

 private:
  std::string TransactionJson(const SimulatedCharge& charge, std::string_view qr_base64) const {
    const bool paid = charge.state == ChargeState::kPaid || charge.state == ChargeState::kRefunded;
    return "{\"id\":" + http::JsonString(charge.id) +
           ",\"qr_code\":" + http::JsonString(charge.pix_code) +
           ",\"status\":" + http::JsonString(StatusWord(charge.state)) +
           ",\"value\":" + MoneyJson(ReportedAmount(charge, charge.state), MoneyUnits::kMinor) +
           ",\"webhook_url\":" + JsonStringOrNull(charge.webhook_url) +
           ",\"qr_code_base64\":" + JsonStringOrNull(qr_base64) +
           ",\"webhook\":null,\"split_rules\":[]" +
           ",\"end_to_end_id\":" + JsonStringOrNull(paid ? charge.end_to_end_id : "") +
           ",\"payer_name\":" + JsonStringOrNull(paid ? charge.payer_name : "") +
           ",\"payer_national_registration\":" +
           JsonStringOrNull(paid ? charge.payer_document : "") + "}";
  }

  bool Authorized(const http::HttpRequest& request) const {
    return SecretMatches(BearerToken(request), api_key_);
  }

  http::HttpResponse CashIn(const http::HttpRequest& request) {
    if (!Authorized(request)) return MessageResponse(401, "Unauthenticated.");
    auto parsed = ParseObjectBody(request.body);
    if (!parsed.ok()) return MessageResponse(400, parsed.error());
    const JsonNode& body = parsed.value().root();
    auto value = ReadMoney(body.Find("value"), "value", MoneyUnits::kMinor, Brl());
    if (!value.ok()) return ValidationResponse("value", "The " + value.error() + ".");
    if (value.value().minor() < kValueMinimumCentavos) {
      return ValidationResponse("value", "The value field must be at least " +
                                             std::to_string(kValueMinimumCentavos) + ".");
    }
    if (auto wrong = CheckKind(body, "webhook_url", JsonNode::Kind::kString)) {
      return ValidationResponse("webhook_url", "The " + *wrong + ".");
    }
    const std::string webhook_url = StringMember(body, "webhook_url").value_or("");
    if (CharCount(webhook_url) > kUrlCharsMax ||
        (!webhook_url.empty() && !webhook_url.starts_with("http://") &&
         !webhook_url.starts_with("https://"))) {
      return ValidationResponse("webhook_url", "The webhook_url field must be a valid URL.");
    }
    if (auto refused = CheckSplitRules(body, value.value())) return *refused;

    NewCharge fields(value.value());
    fields.webhook_url = webhook_url;
    auto charge = CreateCharge(context_, kName, std::move(fields), [] {
      return ChargeIds{NewUuid(), ""};
    });
    if (!charge.ok()) return MessageResponse(500, charge.error());
    auto qr = QrPngBase64(charge.value().pix_code);
    if (!qr.ok()) return MessageResponse(500, qr.error());
    return JsonResponse(200, TransactionJson(charge.value(), qr.value()));
  }

  // split_rules: [{value (centavos, positive), account_id}], adding up to at most the charge.
  static std::optional<http::HttpResponse> CheckSplitRules(const JsonNode& body,
                                                           const Amount& charge_value) {
    if (auto wrong = CheckKind(body, "split_rules", JsonNode::Kind::kArray)) {
      return ValidationResponse("split_rules", "The " + *wrong + ".");
    }
    const JsonNode* rules = body.Find("split_rules");
    if (rules == nullptr || !rules->IsArray()) return std::nullopt;
    i128 total = 0;
    for (size_t i = 0; i < rules->size(); ++i) {
      const JsonNode& rule = rules->child(i);
      const std::string field = "split_rules." + std::to_string(i);
      if (!rule.IsObject() || !StringMember(rule, "account_id")) {
        return ValidationResponse(field + ".account_id", "Each split rule needs an account_id.");
      }
      auto value = ReadMoney(rule.Find("value"), field + ".value", MoneyUnits::kMinor, Brl());
      if (!value.ok() || !value.value().IsPositive()) {
        return ValidationResponse(field + ".value",
                                  "Each split rule value must be a positive integer (centavos).");
      }
      total += value.value().minor();
      if (total > charge_value.minor()) {
        return ValidationResponse("split_rules", "The split rules exceed the charge value.");
      }
    }
    return std::nullopt;
  }

  http::HttpResponse GetTransaction(const http::HttpRequest& request, const std::string& id) {
    if (!Authorized(request)) return MessageResponse(401, "Unauthenticated.");
    const int64_t now_ms = context_.clock.NowMs();
    const int64_t interval_ms = context_.options.pushinpay_status_interval_ms;
    int64_t wait_ms = 0;  // > 0: queried again too soon
    const bool found = context_.charges.Update(kName, id, [&](SimulatedCharge& charge) {
      if (interval_ms > 0 && charge.status_fetched_at_ms) {
        wait_ms = std::max<int64_t>(0, *charge.status_fetched_at_ms + interval_ms - now_ms);
      }
      if (wait_ms == 0) charge.status_fetched_at_ms = now_ms;
    });
    if (!found) return MessageResponse(404, "Transação não encontrada.");
    if (wait_ms > 0) {
      http::HttpResponse response = MessageResponse(429, "Too Many Attempts.");
      response.headers.emplace_back("Retry-After", std::to_string((wait_ms + 999) / 1000));
      return response;
    }
    const auto charge = context_.charges.Find(kName, id);
    if (!charge) return MessageResponse(404, "Transação não encontrada.");
    return JsonResponse(200, TransactionJson(*charge, ""));
  }

  SimulatorContext& context_;
  const std::string api_key_;
};

}  // namespace

SimulatorDescription PushinPaySimulatorDescription() {
  return {kName,
          [](SimulatorContext& context) -> std::unique_ptr<GatewaySimulator> {
            return std::make_unique<PushinPaySimulator>(context);
          },
          &Credentials};
}

}  // namespace cambista::sandbox
