// SyncPay: client credentials exchanged for a bearer token valid one hour; reais as JSON numbers;
// webhooks wrap the transaction in `data`.
//   POST /api/partner/v1/auth-token {client_id, client_secret}
//        -> {access_token, token_type: "Bearer", expires_in: 3600, expires_at}
//   POST /api/partner/v1/cash-in {amount, description, webhook_url, external_reference,
//        client{name,cpf,email,phone}, split[{percentage,user_id}]} -> {message, pix_code,
//        identifier}
//   GET  /api/partner/v1/transaction/{identifier} -> {data{id, status, amount, external_reference,
//        reference_id, currency, transaction_date, pix_code, description, created_at, updated_at}}
//   webhook {data{id, status, amount, external_reference}}
// Statuses: pending, completed, failed, refunded (an expired charge reports failed).
#include <map>
#include <mutex>

#include "core/int128.hpp"
#include "http/json_schema.hpp"
#include "http/problem.hpp"
#include "providers/simulator_kit/gateway_simulator.hpp"
#include "providers/syncpay/syncpay_simulator.hpp"

namespace cambista::sandbox {
namespace {

// What this simulator accepts: obviously fake values.
SandboxCredentialMap Credentials() {
  return {{"client_id", "sandbox-syncpay-client-id"},
          {"client_secret", "sandbox-syncpay-client-secret"}};
}

constexpr std::string_view kName = "syncpay";
constexpr std::string_view kPrefix = "/sandbox/syncpay";
constexpr size_t kTextCharsMax = 255;
constexpr int64_t kSplitPercentageMax = 100;
constexpr size_t kTokensMax = 1'000;  // live tokens kept; past it an arbitrary one is forgotten

class SyncPaySimulator final : public GatewaySimulator {
 public:
  explicit SyncPaySimulator(SimulatorContext& context)
      : context_(context), credentials_(Credentials()) {}

  std::string_view name() const override { return kName; }

  std::string_view StatusWord(ChargeState state) const override {
    switch (state) {
      case ChargeState::kPending:
        return "pending";
      case ChargeState::kPaid:
        return "completed";
      case ChargeState::kExpired:
      case ChargeState::kFailed:
        return "failed";
      case ChargeState::kRefunded:
        return "refunded";
    }
    return "pending";
  }

  OutgoingWebhook Webhook(const SimulatedCharge& charge, ChargeState state) const override {
    return OutgoingWebhook{
        charge.webhook_url, {}, "{\"data\":" + TransactionJson(charge, state, false) + "}"};
  }

  void AddRoutes(http::Router& router) override {
    using namespace http::schema;
    const std::string bearer = "Authorization: Bearer <access_token from auth-token>.";
    router.Add(
        "POST", std::string(kPrefix) + "/api/partner/v1/auth-token",
        http::RouteDoc{
            .summary = "Sandbox SyncPay: exchange client credentials for a bearer token.",
            .access = "public",
            .description = "The token is valid one hour.",
            .response_schema = Object({{"access_token", String()},
                                       {"token_type", Const("Bearer")},
                                       {"expires_in", Described(Integer(), "seconds")},
                                       {"expires_at", DateTime()}}),
            .request_schema = OpenObject({{"client_id", String()}, {"client_secret", String()}}),
            .responses = LaravelErrors({400, 401})},
        [this](const http::HttpRequest& request, const http::PathParams&) {
          return AuthToken(request);
        });
    router.Add(
        "POST", std::string(kPrefix) + "/api/partner/v1/cash-in",
        http::RouteDoc{
            .summary = "Sandbox SyncPay: create a PIX charge (amount in reais).",
            .access = "public",
            .description = bearer,
            .response_schema =
                Object({{"message", String()}, {"pix_code", String()}, {"identifier", String()}}),
            .request_schema = OpenObject(
                {{"amount", Described(Number(), "reais, e.g. 10.5")},
                 Optional("description", Text(kTextCharsMax)),
                 Optional("webhook_url", Text(kTextCharsMax)),
                 Optional("external_reference", Text(kTextCharsMax)),
                 Optional("client",
                          OpenObject({Optional("name", String()), Optional("cpf", String()),
                                      Optional("email", String()), Optional("phone", String())})),
                 Optional("split", ArrayOf(OpenObject({{"percentage", Integer(1, 100)},
                                                       {"user_id", String()}})))}),
            .responses = LaravelErrors({400, 401, 500})},
        [this](const http::HttpRequest& request, const http::PathParams&) {
          return CashIn(request);
        });
    router.Add(
        "GET", std::string(kPrefix) + "/api/partner/v1/transaction/{identifier}",
        http::RouteDoc{
            .summary = "Sandbox SyncPay: a transaction's status.",
            .access = "public",
            .description = bearer,
            .response_schema = Object(
                {{"data", Object({{"id", String()},
                                  {"status", Enum({"pending", "completed", "failed", "refunded"})},
                                  {"amount", Number()},
                                  {"external_reference", Nullable(String())},
                                  {"reference_id", String()},
                                  {"currency", Const("BRL")},
                                  {"transaction_date", DateTime()},
                                  {"pix_code", String()},
                                  {"description", Nullable(String())},
                                  {"created_at", DateTime()},
                                  {"updated_at", DateTime()}})}}),
            .responses = LaravelErrors({401, 404}, false)},
        [this](const http::HttpRequest& request, const http::PathParams& params) {
          return GetTransaction(request, params.at("identifier"));
        });
  }

 private:
  // {id, status, amount, external_reference} (the webhook's data), plus the details the status
  // query adds.
  std::string TransactionJson(const SimulatedCharge& charge, ChargeState state,
                              bool details) const {
    std::string body = "{\"id\":" + http::JsonString(charge.id) +
                       ",\"status\":" + http::JsonString(StatusWord(state)) + ",\"amount\":" +
                       MoneyJson(ReportedAmount(charge, state), MoneyUnits::kMajor) +
                       ",\"external_reference\":" + JsonStringOrNull(charge.reference);
    if (details) {
      body += ",\"reference_id\":" + http::JsonString(charge.id) +
              ",\"currency\":\"BRL\",\"transaction_date\":" +
              http::JsonString(Rfc3339(charge.created_at_ms)) +
              ",\"pix_code\":" + http::JsonString(charge.pix_code) +
              ",\"description\":" + JsonStringOrNull(charge.description) +
              ",\"created_at\":" + http::JsonString(Rfc3339(charge.created_at_ms)) +
              ",\"updated_at\":" + http::JsonString(Rfc3339(charge.updated_at_ms));
    }
    return body + "}";
  }

  http::HttpResponse AuthToken(const http::HttpRequest& request) {
    auto body = ParseObjectBody(request.body);
    if (!body.ok()) return MessageResponse(400, body.error());
    const auto client_id = StringMember(body.value().root(), "client_id");
    const auto client_secret = StringMember(body.value().root(), "client_secret");
    if (!client_id) return ValidationResponse("client_id", "The client_id field is required.");
    if (!client_secret) {
      return ValidationResponse("client_secret", "The client_secret field is required.");
    }
    if (!SecretMatches(*client_id, credentials_.at("client_id")) ||
        !SecretMatches(*client_secret, credentials_.at("client_secret"))) {
      return MessageResponse(401, "Invalid client credentials.");
    }
    const int64_t now_ms = context_.clock.NowMs();
    const int64_t lifetime_ms = context_.options.syncpay_token_lifetime_ms;
    const std::string token = NewHexId("sandbox_sp_", 48);
    {
      std::lock_guard lock(mutex_);
      std::erase_if(tokens_, [now_ms](const auto& item) { return item.second <= now_ms; });
      if (tokens_.size() >= kTokensMax) tokens_.erase(tokens_.begin());
      tokens_.emplace(token, now_ms + lifetime_ms);
    }
    return JsonResponse(
        200, "{\"access_token\":" + http::JsonString(token) +
                 ",\"token_type\":\"Bearer\",\"expires_in\":" + std::to_string(lifetime_ms / 1000) +
                 ",\"expires_at\":" + http::JsonString(Rfc3339(now_ms + lifetime_ms)) + "}");
  }

  // A token issued by AuthToken and not yet expired.
  bool Authorized(const http::HttpRequest& request) const {
    const std::string_view token = BearerToken(request);
    if (token.empty()) return false;
    std::lock_guard lock(mutex_);
    const auto found = tokens_.find(token);
    return found != tokens_.end() && context_.clock.NowMs() < found->second;
  }

  http::HttpResponse CashIn(const http::HttpRequest& request) {
    if (!Authorized(request)) return MessageResponse(401, "Unauthenticated.");
    auto parsed = ParseObjectBody(request.body);
    if (!parsed.ok()) return MessageResponse(400, parsed.error());
    const JsonNode& body = parsed.value().root();
    auto amount = ReadMoney(body.Find("amount"), "amount", MoneyUnits::kMajor, Brl());
    if (!amount.ok()) return ValidationResponse("amount", "The " + amount.error() + ".");
    if (!amount.value().IsPositive()) {
      return ValidationResponse("amount", "The amount must be greater than 0.");
    }
    for (std::string_view field : {"description", "webhook_url", "external_reference"}) {
      if (auto wrong = CheckKind(body, field, JsonNode::Kind::kString)) {
        return ValidationResponse(field, "The " + *wrong + ".");
      }
      const auto text = StringMember(body, field);
      if (text && CharCount(*text) > kTextCharsMax) {
        return ValidationResponse(field, "The " + std::string(field) + " is too long.");
      }
    }
    const std::string webhook_url = StringMember(body, "webhook_url").value_or("");
    if (!webhook_url.empty() && !webhook_url.starts_with("http://") &&
        !webhook_url.starts_with("https://")) {
      return ValidationResponse("webhook_url", "The webhook_url must be a valid URL.");
    }
    if (auto wrong = CheckKind(body, "client", JsonNode::Kind::kObject)) {
      return ValidationResponse("client", "The " + *wrong + ".");
    }
    if (const JsonNode* client = body.Find("client"); client && client->IsObject()) {
      for (std::string_view field : {"name", "cpf", "email", "phone"}) {
        if (auto wrong = CheckKind(*client, field, JsonNode::Kind::kString)) {
          return ValidationResponse("client." + std::string(field), "The client." + *wrong + ".");
        }
      }
    }
    if (auto refused = CheckSplit(body)) return *refused;

    NewCharge fields(amount.value());
    fields.description = StringMember(body, "description").value_or("");
    fields.reference = StringMember(body, "external_reference").value_or("");
    fields.webhook_url = webhook_url;
    auto charge = CreateCharge(context_, kName, std::move(fields), [] {
      return ChargeIds{NewUuid(), ""};
    });
    if (!charge.ok()) return MessageResponse(500, charge.error());
    return JsonResponse(200, "{\"message\":\"Cobrança PIX gerada com sucesso.\",\"pix_code\":" +
                                 http::JsonString(charge.value().pix_code) +
                                 ",\"identifier\":" + http::JsonString(charge.value().id) + "}");
  }

  // split: [{percentage: 1..100, user_id}], percentages adding up to at most 100.
  static std::optional<http::HttpResponse> CheckSplit(const JsonNode& body) {
    if (auto wrong = CheckKind(body, "split", JsonNode::Kind::kArray)) {
      return ValidationResponse("split", "The " + *wrong + ".");
    }
    const JsonNode* split = body.Find("split");
    if (split == nullptr || !split->IsArray()) return std::nullopt;
    int64_t total = 0;
    for (size_t i = 0; i < split->size(); ++i) {
      const JsonNode& rule = split->child(i);
      const std::string field = "split." + std::to_string(i);
      if (!rule.IsObject() || !StringMember(rule, "user_id")) {
        return ValidationResponse(field + ".user_id", "Each split needs a user_id string.");
      }
      const JsonNode* percentage = rule.Find("percentage");
      const auto value = percentage && percentage->IsNumber() ? ParseI128Decimal(percentage->text())
                                                              : std::nullopt;
      if (!value || *value < 1 || *value > kSplitPercentageMax) {
        return ValidationResponse(field + ".percentage",
                                  "Each split percentage must be a whole number from 1 to 100.");
      }
      total += static_cast<int64_t>(*value);
    }
    if (total > kSplitPercentageMax) {
      return ValidationResponse("split", "The split percentages add up to more than 100.");
    }
    return std::nullopt;
  }

  http::HttpResponse GetTransaction(const http::HttpRequest& request,
                                    const std::string& identifier) {
    if (!Authorized(request)) return MessageResponse(401, "Unauthenticated.");
    const auto charge = context_.charges.Find(kName, identifier);
    if (!charge) return MessageResponse(404, "Transaction not found.");
    return JsonResponse(200, "{\"data\":" + TransactionJson(*charge, charge->state, true) + "}");
  }

  SimulatorContext& context_;
  const SandboxCredentialMap credentials_;
  mutable std::mutex mutex_;
  std::map<std::string, int64_t, std::less<>> tokens_;  // token -> expires at (ms)
};

}  // namespace

SimulatorDescription SyncPaySimulatorDescription() {
  return {kName,
          [](SimulatorContext& context) -> std::unique_ptr<GatewaySimulator> {
            return std::make_unique<SyncPaySimulator>(context);
          },
          &Credentials};
}

}  // namespace cambista::sandbox
