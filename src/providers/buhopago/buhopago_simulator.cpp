// BuhoPago (Venezuela, VES): `Authorization: Bearer bp_test_...`; bolívares as JSON numbers; signed
// webhooks (X-Signature: hex HMAC-SHA256 of the raw body under the webhook secret).
//   POST /payment-links {amount, currency: "VES", description (3 to 200 characters), webhook_url,
//        reference_id, expires_in_hours (1 to 8760)}
//        -> 201 {id, slug, url, amount, currency, status: "active", qr_url, reference_id,
//            description, created_at, expires_at}
//   GET  /payment-links/{id} -> the same, with status active | used | expired, payment_count and
//        total_collected (a failed payment leaves the link active: the payer may try again)
//   (both also under /api/v1/, where the rest of the API lives)
//   GET  /api/v1/credits/capacity -> {success, capacity{volume_available, volume_processed_total,
//        volume_credited_total}}: what paid links brought in, less BuhoPago's fee (5% + 16% IVA on
//        it) and what was already credited
//   POST /api/v1/credits/execute {bank_account_id, amount, concept} (Idempotency-Key header: the
//        same key and body answer the first result again) -> {success, status: "APROBADA",
//        transaction_id, amount, bank_account_id, concept, created_at}
//   webhook {id, event: "payment.completed" | "payment.failed" | "payment.expired" |
//        "payment.refunded" | "payment.pending", timestamp, data{payment_link_id, transaction_id,
//        amount, currency, status, reference_id, bank_reference, payer_email, completed_at}}
// Errors: {success: false, error, message}. Transaction statuses: pending, completed, failed,
// expired, refunded.
#include <mutex>
#include <vector>

#include "core/int128.hpp"
#include "http/json_schema.hpp"
#include "http/problem.hpp"
#include "providers/buhopago/buhopago_simulator.hpp"
#include "providers/simulator_kit/gateway_simulator.hpp"
#include "security/hmac.hpp"

namespace cambista::sandbox {
namespace {

// What this simulator accepts: obviously fake values.
SandboxCredentialMap Credentials() {
  return {{"api_key", "bp_test_sandbox_buhopago_api_key"},
          {"webhook_secret", std::string(kSandboxBuhoPagoWebhookSecret)}};
}

constexpr std::string_view kName = "buhopago";
constexpr std::string_view kPrefix = "/sandbox/buhopago";
constexpr std::string_view kPaymentUrl = "https://sandbox.cambista.dev/buhopago/pay/{id}";
constexpr std::string_view kQrUrl = "https://sandbox.cambista.dev/buhopago/qr/";
constexpr std::string_view kPayerEmail = "sandbox.payer@example.com";
constexpr size_t kDescriptionCharsMin = 3;
constexpr size_t kDescriptionCharsMax = 200;
constexpr int64_t kExpiresInHoursMax = 8760;
constexpr int64_t kHourMs = 3'600'000;
// BuhoPago keeps 5% of what it receives, plus 16% IVA on that fee: 5.8%, rounded up per payment.
constexpr i128 kFeeBps = 580;
constexpr size_t kTextCharsMax = 255;
constexpr size_t kUrlCharsMax = 2048;
constexpr size_t kIdempotencyKeyCharsMax = 255;
constexpr size_t kCreditsMax = 10'000;

http::HttpResponse ErrorResponse(int status, std::string_view error, std::string_view message) {
  return JsonResponse(status, "{\"success\":false,\"error\":" + http::JsonString(error) +
                                  ",\"message\":" + http::JsonString(message) + "}");
}

struct Credit {
  std::string transaction_id;
  std::string bank_account_id;
  Amount amount;
  std::string concept_text;  // "concept" in the API
  std::string idempotency_key;
  std::string request_body;  // to tell a replay from a different request under the same key
  std::string response;
};

class BuhoPagoSimulator final : public GatewaySimulator {
 public:
  explicit BuhoPagoSimulator(SimulatorContext& context)
      : context_(context), api_key_(Credentials().at("api_key")) {}

  std::string_view name() const override { return kName; }

  std::string_view StatusWord(ChargeState state) const override {
    switch (state) {
      case ChargeState::kPending:
        return "pending";
      case ChargeState::kPaid:
        return "completed";
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
    const std::string now = Rfc3339(context_.clock.NowMs());
    const std::string body =
        "{\"id\":" + http::JsonString(NewHexId("evt_", 24)) + ",\"event\":\"payment." +
        std::string(EventWord(state)) + "\",\"timestamp\":" + http::JsonString(now) +
        ",\"data\":{\"payment_link_id\":" + http::JsonString(charge.id) +
        ",\"transaction_id\":" + http::JsonString(charge.hash) +
        ",\"amount\":" + MoneyJson(ReportedAmount(charge, state), MoneyUnits::kMajor) +
        ",\"currency\":\"VES\",\"status\":" + http::JsonString(StatusWord(state)) +
        ",\"reference_id\":" + JsonStringOrNull(charge.reference) +
        ",\"bank_reference\":" + JsonStringOrNull(paid ? charge.end_to_end_id : "") +
        ",\"payer_email\":" + JsonStringOrNull(paid ? kPayerEmail : "") +
        ",\"completed_at\":" + (paid ? http::JsonString(Rfc3339(charge.updated_at_ms)) : "null") +
        "}}";
    const std::string signature =
        HexEncode(HmacSha256(context_.options.buhopago_webhook_secret, body));
    return OutgoingWebhook{charge.webhook_url, {{"X-Signature", signature}}, body};
  }

  void AddRoutes(http::Router& router) override {
    AddSchemas(router);
    using http::schema::Ref;
    const std::string bearer = "Authorization: Bearer <api_key>.";
    for (std::string_view base : {"/payment-links", "/api/v1/payment-links"}) {
      router.Add("POST", std::string(kPrefix) + std::string(base),
                 http::RouteDoc{.summary = "Sandbox BuhoPago: create a payment link (bolívares).",
                                .access = "public",
                                .description = bearer,
                                .status = 201,
                                .response_schema = Ref("BuhoPagoPaymentLink"),
                                .request_schema = NewLinkSchema(),
                                .responses = Errors({400, 401, 422, 500})},
                 [this](const http::HttpRequest& request, const http::PathParams&) {
                   return CreateLink(request);
                 });
      router.Add(
          "GET", std::string(kPrefix) + std::string(base) + "/{id}",
          http::RouteDoc{.summary = "Sandbox BuhoPago: a payment link and what it collected.",
                         .access = "public",
                         .description = bearer,
                         .response_schema = Ref("BuhoPagoPaymentLink"),
                         .responses = Errors({401, 404})},
          [this](const http::HttpRequest& request, const http::PathParams& params) {
            return GetLink(request, params.at("id"));
          });
    }
    router.Add("GET", std::string(kPrefix) + "/api/v1/credits/capacity",
               http::RouteDoc{.summary = "Sandbox BuhoPago: the volume available for a credit.",
                              .access = "public",
                              .description = bearer,
                              .response_schema = Ref("BuhoPagoCapacity"),
                              .responses = Errors({401, 500})},
               [this](const http::HttpRequest& request, const http::PathParams&) {
                 return Capacity(request);
               });
    router.Add("POST", std::string(kPrefix) + "/api/v1/credits/execute",
               http::RouteDoc{.summary = "Sandbox BuhoPago: credit the available volume to a bank "
                                         "account.",
                              .access = "public",
                              .description = bearer + " The same Idempotency-Key and body answer "
                                                      "the first credit again.",
                              .response_schema = Ref("BuhoPagoCredit"),
                              .request_schema = CreditSchema(),
                              .headers = {{"Idempotency-Key", "Up to 255 characters.", false}},
                              .responses = Errors({400, 401, 409, 422, 429, 500})},
               [this](const http::HttpRequest& request, const http::PathParams&) {
                 return Execute(request);
               });
  }

 private:
  static void AddSchemas(http::Router& router) {
    using namespace http::schema;
    router.AddSchema(
        "BuhoPagoError",
        Object({{"success", R"({"const":false})"}, {"error", String()}, {"message", String()}}));
    router.AddSchema("BuhoPagoPaymentLink", Object({{"id", String()},
                                                    {"slug", String()},
                                                    {"url", String()},
                                                    {"qr_url", String()},
                                                    {"amount", Described(Number(), "bolívares")},
                                                    {"currency", Const("VES")},
                                                    {"status", Enum({"active", "used", "expired"})},
                                                    {"payment_count", Integer()},
                                                    {"total_collected", Number()},
                                                    {"reference_id", Nullable(String())},
                                                    {"description", Nullable(String())},
                                                    {"created_at", DateTime()},
                                                    {"expires_at", DateTime()}}));
    router.AddSchema("BuhoPagoCapacity",
                     Object({{"success", R"({"const":true})"},
                             {"capacity", Object({{"volume_available", Number()},
                                                  {"volume_processed_total", Number()},
                                                  {"volume_credited_total", Number()},
                                                  {"currency", Const("VES")}})}}));
    router.AddSchema("BuhoPagoCredit", Object({{"success", R"({"const":true})"},
                                               {"status", Const("APROBADA")},
                                               {"transaction_id", String()},
                                               {"amount", Number()},
                                               {"bank_account_id", String()},
                                               {"concept", String()},
                                               {"created_at", DateTime()}}));
  }

  static std::string NewLinkSchema() {
    using namespace http::schema;
    return OpenObject({{"amount", Described(Number(), "bolívares")},
                       {"description", R"({"type":"string","minLength":3,"maxLength":200})"},
                       Optional("currency", Const("VES")),
                       Optional("webhook_url", Text(kUrlCharsMax)),
                       Optional("reference_id", Text(kTextCharsMax)),
                       Optional("expires_in_hours", Integer(1, kExpiresInHoursMax))});
  }

  static std::string CreditSchema() {
    using namespace http::schema;
    return OpenObject({{"bank_account_id", Text(kTextCharsMax)},
                       {"amount", Described(Number(), "bolívares")},
                       Optional("concept", Text(kTextCharsMax))});
  }

  static std::vector<http::ResponseDoc> Errors(std::initializer_list<int> statuses) {
    std::vector<http::ResponseDoc> responses;
    for (int status : statuses) {
      responses.push_back(GatewayError(status,
                                       "The gateway's error: {success: false, error, "
                                       "message}.",
                                       http::schema::Ref("BuhoPagoError")));
    }
    return responses;
  }

  // The payment link: active until paid (used) or expired; a failed payment leaves it active.
  static std::string_view LinkStatus(ChargeState state) {
    switch (state) {
      case ChargeState::kPending:
      case ChargeState::kFailed:
        return "active";
      case ChargeState::kPaid:
      case ChargeState::kRefunded:
        return "used";
      case ChargeState::kExpired:
        return "expired";
    }
    return "active";
  }

  // The event name of a webhook about a payment in `state` ("payment.<word>").
  static std::string_view EventWord(ChargeState state) {
    return state == ChargeState::kPaid ? "completed" : ChargeStateName(state);
  }

  std::string LinkJson(const SimulatedCharge& charge) const {
    const bool used = charge.state == ChargeState::kPaid || charge.state == ChargeState::kRefunded;
    return "{\"id\":" + http::JsonString(charge.id) + ",\"slug\":" + http::JsonString(charge.id) +
           ",\"url\":" + http::JsonString(charge.payment_url) +
           ",\"qr_url\":" + http::JsonString(std::string(kQrUrl) + charge.id) +
           ",\"amount\":" + MoneyJson(charge.amount, MoneyUnits::kMajor) +
           ",\"currency\":\"VES\",\"status\":" + http::JsonString(LinkStatus(charge.state)) +
           ",\"payment_count\":" + (used ? "1" : "0") + ",\"total_collected\":" +
           MoneyJson(used ? ReportedAmount(charge, charge.state) : Amount::Zero(Ves()),
                     MoneyUnits::kMajor) +
           ",\"reference_id\":" + JsonStringOrNull(charge.reference) +
           ",\"description\":" + JsonStringOrNull(charge.description) +
           ",\"created_at\":" + http::JsonString(Rfc3339(charge.created_at_ms)) +
           ",\"expires_at\":" + http::JsonString(Rfc3339(charge.expires_at_ms)) + "}";
  }

  bool Authorized(const http::HttpRequest& request) const {
    return SecretMatches(BearerToken(request), api_key_);
  }
  static http::HttpResponse Unauthorized() {
    return ErrorResponse(401, "unauthorized", "Invalid or missing API key.");
  }

  http::HttpResponse CreateLink(const http::HttpRequest& request) {
    if (!Authorized(request)) return Unauthorized();
    auto parsed = ParseObjectBody(request.body);
    if (!parsed.ok()) return ErrorResponse(400, "invalid_body", parsed.error());
    const JsonNode& body = parsed.value().root();
    auto amount = ReadMoney(body.Find("amount"), "amount", MoneyUnits::kMajor, Ves());
    if (!amount.ok()) return ErrorResponse(422, "invalid_amount", "The " + amount.error() + ".");
    if (!amount.value().IsPositive()) {
      return ErrorResponse(422, "invalid_amount", "The amount must be greater than 0.");
    }
    for (std::string_view field : {"currency", "description", "webhook_url", "reference_id"}) {
      if (auto wrong = CheckKind(body, field, JsonNode::Kind::kString)) {
        return ErrorResponse(422, "invalid_" + std::string(field), "The " + *wrong + ".");
      }
      const size_t limit = field == "webhook_url" ? kUrlCharsMax : kTextCharsMax;
      if (CharCount(StringMember(body, field).value_or("")) > limit) {
        return ErrorResponse(422, "invalid_" + std::string(field),
                             "The " + std::string(field) + " is too long.");
      }
    }
    if (StringMember(body, "currency").value_or("VES") != "VES") {
      return ErrorResponse(422, "invalid_currency", "Only VES payment links are supported.");
    }
    const std::string description = StringMember(body, "description").value_or("");
    if (CharCount(description) < kDescriptionCharsMin ||
        CharCount(description) > kDescriptionCharsMax) {
      return ErrorResponse(422, "invalid_description",
                           "The description must have 3 to 200 characters.");
    }
    const std::string webhook_url = StringMember(body, "webhook_url").value_or("");
    if (!webhook_url.empty() && !webhook_url.starts_with("http://") &&
        !webhook_url.starts_with("https://")) {
      return ErrorResponse(422, "invalid_webhook_url", "The webhook_url must be a valid URL.");
    }
    int64_t hours = kChargeLifetimeMs / kHourMs;
    if (const JsonNode* given = body.Find("expires_in_hours"); given && !given->IsNull()) {
      const auto whole = given->IsNumber() ? ParseI128Decimal(given->text()) : std::nullopt;
      if (!whole || *whole < 1 || *whole > kExpiresInHoursMax) {
        return ErrorResponse(422, "invalid_expires_in_hours",
                             "The expires_in_hours must be a whole number from 1 to 8760.");
      }
      hours = static_cast<int64_t>(*whole);
    }
    NewCharge fields(amount.value());
    fields.description = description;
    fields.reference = StringMember(body, "reference_id").value_or("");
    fields.webhook_url = webhook_url;
    fields.pix = false;
    fields.payment_url = kPaymentUrl;
    fields.lifetime_ms = hours * kHourMs;
    // The link's id, and the id of the transaction that will pay it (what webhooks carry).
    auto charge = CreateCharge(context_, kName, std::move(fields), [] {
      return ChargeIds{NewHexId("pl_", 24), NewHexId("tx_", 24)};
    });
    if (!charge.ok()) return ErrorResponse(500, "internal_error", charge.error());
    return JsonResponse(201, LinkJson(charge.value()));
  }

  http::HttpResponse GetLink(const http::HttpRequest& request, const std::string& id) {
    if (!Authorized(request)) return Unauthorized();
    const auto charge = context_.charges.Find(kName, id);
    if (!charge) return ErrorResponse(404, "not_found", "Payment link not found.");
    return JsonResponse(200, LinkJson(*charge));
  }

  struct Volumes {
    Amount processed = Amount::Zero(Ves());
    Amount fees = Amount::Zero(Ves());
    Amount credited = Amount::Zero(Ves());
    Amount Available() const {
      const i128 available = processed.minor() - fees.minor() - credited.minor();
      return Amount(available > 0 ? available : 0, Ves());
    }
  };

  // Under mutex_. Every sum is checked: amounts come from outside.
  Result<Volumes, std::string> VolumesLocked() const {
    Volumes volumes;
    for (const SimulatedCharge& charge : context_.charges.List(kName)) {
      if (charge.state != ChargeState::kPaid) continue;
      const Amount& paid = ReportedAmount(charge, charge.state);
      auto fee = MulDiv(paid, kFeeBps, 10'000, Rounding::kUp);
      auto processed = volumes.processed.Add(paid);
      if (!fee.ok() || !processed.ok()) return Failure{std::string("volume overflow")};
      auto fees = volumes.fees.Add(fee.value());
      if (!fees.ok()) return Failure{std::string("volume overflow")};
      volumes.processed = processed.value();
      volumes.fees = fees.value();
    }
    for (const Credit& credit : credits_) {
      auto credited = volumes.credited.Add(credit.amount);
      if (!credited.ok()) return Failure{std::string("volume overflow")};
      volumes.credited = credited.value();
    }
    return volumes;
  }

  http::HttpResponse Capacity(const http::HttpRequest& request) {
    if (!Authorized(request)) return Unauthorized();
    std::lock_guard lock(mutex_);
    auto volumes = VolumesLocked();
    if (!volumes.ok()) return ErrorResponse(500, "internal_error", volumes.error());
    return JsonResponse(200, "{\"success\":true,\"capacity\":{\"volume_available\":" +
                                 MoneyJson(volumes.value().Available(), MoneyUnits::kMajor) +
                                 ",\"volume_processed_total\":" +
                                 MoneyJson(volumes.value().processed, MoneyUnits::kMajor) +
                                 ",\"volume_credited_total\":" +
                                 MoneyJson(volumes.value().credited, MoneyUnits::kMajor) +
                                 ",\"currency\":\"VES\"}}");
  }

  http::HttpResponse Execute(const http::HttpRequest& request) {
    if (!Authorized(request)) return Unauthorized();
    const std::string key(request.Header("Idempotency-Key"));
    if (key.size() > kIdempotencyKeyCharsMax) {
      return ErrorResponse(400, "invalid_idempotency_key", "The Idempotency-Key is too long.");
    }
    auto parsed = ParseObjectBody(request.body);
    if (!parsed.ok()) return ErrorResponse(400, "invalid_body", parsed.error());
    const JsonNode& body = parsed.value().root();
    const auto bank_account = StringMember(body, "bank_account_id");
    if (!bank_account || bank_account->empty() || CharCount(*bank_account) > kTextCharsMax) {
      return ErrorResponse(422, "invalid_bank_account_id", "The bank_account_id is required.");
    }
    auto amount = ReadMoney(body.Find("amount"), "amount", MoneyUnits::kMajor, Ves());
    if (!amount.ok()) return ErrorResponse(422, "invalid_amount", "The " + amount.error() + ".");
    if (!amount.value().IsPositive()) {
      return ErrorResponse(422, "invalid_amount", "The amount must be greater than 0.");
    }
    if (auto wrong = CheckKind(body, "concept", JsonNode::Kind::kString)) {
      return ErrorResponse(422, "invalid_concept", "The " + *wrong + ".");
    }
    const std::string concept_text = StringMember(body, "concept").value_or("");
    if (CharCount(concept_text) > kTextCharsMax) {
      return ErrorResponse(422, "invalid_concept", "The concept is too long.");
    }

    std::lock_guard lock(mutex_);
    if (!key.empty()) {
      for (const Credit& credit : credits_) {
        if (credit.idempotency_key != key) continue;
        if (credit.request_body != request.body) {
          return ErrorResponse(409, "idempotency_key_reused",
                               "This Idempotency-Key was used with another request.");
        }
        return JsonResponse(200, credit.response);
      }
    }
    auto volumes = VolumesLocked();
    if (!volumes.ok()) return ErrorResponse(500, "internal_error", volumes.error());
    if (amount.value() > volumes.value().Available()) {
      return ErrorResponse(422, "insufficient_capacity",
                           "The amount exceeds the volume available (" +
                               volumes.value().Available().ToDecimalString() + " VES).");
    }
    if (credits_.size() >= kCreditsMax) {
      return ErrorResponse(429, "too_many_credits", "The sandbox holds no more credits.");
    }
    Credit credit{NewUuid(), *bank_account, amount.value(), concept_text, key, request.body, ""};
    credit.response = "{\"success\":true,\"status\":\"APROBADA\",\"transaction_id\":" +
                      http::JsonString(credit.transaction_id) +
                      ",\"amount\":" + MoneyJson(credit.amount, MoneyUnits::kMajor) +
                      ",\"bank_account_id\":" + http::JsonString(credit.bank_account_id) +
                      ",\"concept\":" + http::JsonString(credit.concept_text) +
                      ",\"created_at\":" + http::JsonString(Rfc3339(context_.clock.NowMs())) + "}";
    credits_.push_back(credit);
    return JsonResponse(200, credit.response);
  }

  SimulatorContext& context_;
  const std::string api_key_;
  mutable std::mutex mutex_;  // credits_, and a capacity check with the credit it allows
  std::vector<Credit> credits_;
};

}  // namespace

SimulatorDescription BuhoPagoSimulatorDescription() {
  return {kName,
          [](SimulatorContext& context) -> std::unique_ptr<GatewaySimulator> {
            return std::make_unique<BuhoPagoSimulator>(context);
          },
          &Credentials};
}

}  // namespace cambista::sandbox
