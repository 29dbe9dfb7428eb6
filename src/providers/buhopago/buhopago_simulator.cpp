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
//   POST /api/v1/credits/execute {bank_account_id, amount, concept, sandbox_callback_url?}
//        (Idempotency-Key header: the same key and body answer the first result again) ->
//        {success, status: "APROBADA", transaction_id, amount, bank_account_id, concept,
//        created_at}; 422 insufficient_capacity (nothing recorded) above volume_available
//   Our assumption of what BuhoPago does not document (see buhopago_credits.hpp):
//   GET  /api/v1/credits/{transaction_id} -> {success, credit}: the credit with its status now
//   GET  /api/v1/credits?reference=&since=&cursor= -> {success, data [credit], next_cursor}:
//        credits whose concept contains `reference`, created at or after `since` (epoch ms),
//        oldest first, 20 a page; `sandbox_callback_url` (a sandbox extension) receives the signed
//        webhook {id, event: "credit.completed" | "credit.failed", timestamp, data: credit}
//        when the credit settles (at once: APROBADA; a `settle_failed` fault: RECHAZADA)
//   Control: GET /sandbox/buhopago/credits (every credit held, with its key and requests);
//   POST /sandbox/buhopago/faults {idempotency_key, execute_status (400, 409, 422, 429, 500, 502
//        or 503: answer it, record nothing), answer_delay_ms (record, then answer this late),
//        settle_failed (answer "EN PROCESO", then the credit is RECHAZADA: its volume comes
//        back)}: for the next execute under that key, once.
//   webhook {id, event: "payment.completed" | "payment.failed" | "payment.expired" |
//        "payment.refunded" | "payment.pending", timestamp, data{payment_link_id, transaction_id,
//        amount, currency, status, reference_id, bank_reference, payer_email, completed_at}}
// Errors: {success: false, error, message}. Transaction statuses: pending, completed, failed,
// expired, refunded.
#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "core/int128.hpp"
#include "http/json_input.hpp"
#include "http/json_schema.hpp"
#include "http/problem.hpp"
#include "http/query.hpp"
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

constexpr std::string_view kApproved = "APROBADA";
constexpr std::string_view kInProcess = "EN PROCESO";
constexpr std::string_view kRejected = "RECHAZADA";
constexpr size_t kCreditPageSize = 20;
constexpr int64_t kAnswerDelayMsMax = 60'000;
// What an execute fault may answer (each documented on the route).
constexpr int64_t kFaultStatuses[] = {400, 409, 422, 429, 500, 502, 503};

struct Credit {
  std::string transaction_id;
  std::string bank_account_id;
  Amount amount;
  std::string concept_text;  // "concept" in the API
  std::string idempotency_key;
  std::string request_body;  // to tell a replay from a different request under the same key
  std::string response = {};
  std::string status = std::string(kApproved);
  std::string callback_url = {};
  int64_t created_at_ms = 0;
  int64_t requests = 1;
};

// A fault for the next execute under one Idempotency-Key.
struct CreditFault {
  int64_t execute_status = 0;
  int64_t answer_delay_ms = 0;
  bool settle_failed = false;
};

// Answers deferred responses late, one thread each (a sandbox sees few); the destructor wakes them
// and drops what is unanswered.
class LateAnswers {
 public:
  ~LateAnswers() { Stop(); }
  // Wakes every waiting thread, which drops its answer unsent, and joins them. Idempotent.
  void Stop() {
    std::vector<std::thread> threads;
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
      threads.swap(threads_);
    }
    wake_.notify_all();
    for (std::thread& thread : threads) thread.join();
  }
  void After(int64_t delay_ms, http::Respond respond, http::HttpResponse response) {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    threads_.emplace_back(
        [this, delay_ms, respond = std::move(respond), response = std::move(response)]() mutable {
          std::unique_lock waiting(mutex_);
          if (wake_.wait_for(waiting, std::chrono::milliseconds(delay_ms),
                             [this] { return stopping_; })) {
            return;
          }
          waiting.unlock();
          respond(std::move(response));
        });
  }

 private:
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

class BuhoPagoSimulator final : public GatewaySimulator {
 public:
  explicit BuhoPagoSimulator(SimulatorContext& context)
      : context_(context), api_key_(Credentials().at("api_key")) {}

  std::string_view name() const override { return kName; }
  void Stop() override { late_.Stop(); }

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
                              .responses = Errors({400, 401, 409, 422, 429, 500, 502, 503})},
               [this](const http::HttpRequest& request, const http::PathParams&) {
                 return Execute(request);
               });
    AddCreditRoutes(router);
  }

  void AddCreditRoutes(http::Router& router) {
    using http::schema::Ref;
    const std::string assumed =
        "Authorization: Bearer <api_key>. Not documented by BuhoPago: the sandbox's assumption.";
    router.Add("GET", std::string(kPrefix) + "/api/v1/credits",
               http::RouteDoc{.summary = "Sandbox BuhoPago: credits, oldest first, 20 a page.",
                              .access = "public",
                              .description = assumed,
                              .response_schema = Ref("BuhoPagoCreditList"),
                              .query = {{"reference", "Text the concept contains."},
                                        {"since", "Created at or after (epoch ms)."},
                                        {"cursor", "The previous page's next_cursor."}},
                              .responses = Errors({400, 401})},
               [this](const http::HttpRequest& request, const http::PathParams&) {
                 return ListCredits(request);
               });
    router.Add("GET", std::string(kPrefix) + "/api/v1/credits/{transaction_id}",
               http::RouteDoc{.summary = "Sandbox BuhoPago: one credit and its status now.",
                              .access = "public",
                              .description = assumed,
                              .response_schema = Ref("BuhoPagoCreditStatus"),
                              .responses = Errors({401, 404})},
               [this](const http::HttpRequest& request, const http::PathParams& params) {
                 return GetCredit(request, params.at("transaction_id"));
               });
    // /payouts as at every payout simulator (what a sandbox user looks for), /credits by its name.
    for (std::string_view path : {"/credits", "/payouts"}) {
      router.Add(
          "GET", std::string(kPrefix) + std::string(path),
          http::RouteDoc{.summary = "Sandbox control: every BuhoPago credit held, oldest first.",
                         .access = "public",
                         .response_schema = http::schema::List(Ref("SandboxBuhoPagoCredit"))},
          [this](const http::HttpRequest&, const http::PathParams&) { return SandboxCredits(); });
    }
    router.Add("POST", std::string(kPrefix) + "/faults",
               http::RouteDoc{.summary = "Sandbox control: a fault for the next BuhoPago credit "
                                         "under an Idempotency-Key, once.",
                              .access = "public",
                              .response_schema = Ref("SandboxBuhoPagoFault"),
                              .request_schema = FaultSchema(),
                              .errors = {{400, {"invalid_request"}}}},
               [this](const http::HttpRequest& request, const http::PathParams&) {
                 return SetFault(request);
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
                                               {"status", CreditStatus()},
                                               {"transaction_id", String()},
                                               {"amount", Number()},
                                               {"bank_account_id", String()},
                                               {"concept", String()},
                                               {"created_at", DateTime()}}));
    const std::string credit = CreditObject({});
    router.AddSchema("BuhoPagoCreditStatus",
                     Object({{"success", R"({"const":true})"}, {"credit", credit}}));
    router.AddSchema("BuhoPagoCreditList", Object({{"success", R"({"const":true})"},
                                                   {"data", ArrayOf(credit)},
                                                   {"next_cursor", Nullable(String())}}));
    router.AddSchema("SandboxBuhoPagoCredit", CreditObject({{"idempotency_key", Nullable(String())},
                                                            {"callback_url", Nullable(String())},
                                                            {"requests", Integer()}}));
    router.AddSchema("SandboxBuhoPagoFault", Object({{"idempotency_key", String()},
                                                     {"execute_status", Integer()},
                                                     {"answer_delay_ms", Integer()},
                                                     {"settle_failed", Boolean()}}));
  }

  static std::string CreditStatus() {
    return http::schema::Enum({"APROBADA", "EN PROCESO", "RECHAZADA"});
  }

  // A credit as the status and list routes give it, with `extra` members.
  static std::string CreditObject(std::vector<http::schema::Field> extra) {
    using namespace http::schema;
    std::vector<Field> members = {{"status", CreditStatus()}, {"transaction_id", String()},
                                  {"amount", Number()},       {"bank_account_id", String()},
                                  {"concept", String()},      {"created_at", DateTime()}};
    for (Field& member : extra) members.push_back(std::move(member));
    return Object(std::move(members));
  }

  static std::string FaultSchema() {
    using namespace http::schema;
    return OpenObject({{"idempotency_key", Text(kIdempotencyKeyCharsMax)},
                       Optional("execute_status", Described(Integer(400, 599),
                                                            "400, 409, 422, 429, 500, 502 or 503")),
                       Optional("answer_delay_ms", Integer(0, kAnswerDelayMsMax)),
                       Optional("settle_failed", Boolean())});
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
                       Optional("concept", Text(kTextCharsMax)),
                       Optional("sandbox_callback_url", Text(kUrlCharsMax))});
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
      if (credit.status == kRejected) continue;  // its volume came back
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

  // The execute request's fields, read and checked; an error answer otherwise.
  struct CreditRequest {
    std::string bank_account_id;
    Amount amount = Amount::Zero(Ves());
    std::string concept_text;
    std::string callback_url;
  };
  static Result<CreditRequest, http::HttpResponse> ReadCreditRequest(std::string_view text) {
    auto parsed = ParseObjectBody(text);
    if (!parsed.ok()) return Failure{ErrorResponse(400, "invalid_body", parsed.error())};
    const JsonNode& body = parsed.value().root();
    CreditRequest credit;
    credit.bank_account_id = StringMember(body, "bank_account_id").value_or("");
    if (credit.bank_account_id.empty() || CharCount(credit.bank_account_id) > kTextCharsMax) {
      return Failure{
          ErrorResponse(422, "invalid_bank_account_id", "The bank_account_id is required.")};
    }
    auto amount = ReadMoney(body.Find("amount"), "amount", MoneyUnits::kMajor, Ves());
    if (!amount.ok()) {
      return Failure{ErrorResponse(422, "invalid_amount", "The " + amount.error() + ".")};
    }
    if (!amount.value().IsPositive()) {
      return Failure{ErrorResponse(422, "invalid_amount", "The amount must be greater than 0.")};
    }
    credit.amount = amount.value();
    for (std::string_view field : {"concept", "sandbox_callback_url"}) {
      if (auto wrong = CheckKind(body, field, JsonNode::Kind::kString)) {
        return Failure{ErrorResponse(422, "invalid_" + std::string(field), "The " + *wrong + ".")};
      }
    }
    credit.concept_text = StringMember(body, "concept").value_or("");
    if (CharCount(credit.concept_text) > kTextCharsMax) {
      return Failure{ErrorResponse(422, "invalid_concept", "The concept is too long.")};
    }
    credit.callback_url = StringMember(body, "sandbox_callback_url").value_or("");
    if (credit.callback_url.size() > kUrlCharsMax ||
        (!credit.callback_url.empty() && !credit.callback_url.starts_with("http://") &&
         !credit.callback_url.starts_with("https://"))) {
      return Failure{ErrorResponse(422, "invalid_sandbox_callback_url",
                                   "The sandbox_callback_url must be a valid URL.")};
    }
    return credit;
  }

  http::HttpResponse Execute(const http::HttpRequest& request) {
    if (!Authorized(request)) return Unauthorized();
    const std::string key(request.Header("Idempotency-Key"));
    if (key.size() > kIdempotencyKeyCharsMax) {
      return ErrorResponse(400, "invalid_idempotency_key", "The Idempotency-Key is too long.");
    }
    auto fields = ReadCreditRequest(request.body);
    if (!fields.ok()) return fields.error();
    std::lock_guard lock(mutex_);
    if (!key.empty()) {
      for (Credit& credit : credits_) {
        if (credit.idempotency_key != key) continue;
        if (credit.request_body != request.body) {
          return ErrorResponse(409, "idempotency_key_reused",
                               "This Idempotency-Key was used with another request.");
        }
        ++credit.requests;
        return JsonResponse(200, credit.response);
      }
    }
    CreditFault fault;
    if (const auto found = faults_.find(key); !key.empty() && found != faults_.end()) {
      fault = found->second;
      faults_.erase(found);
    }
    if (fault.execute_status != 0) {
      return ErrorResponse(static_cast<int>(fault.execute_status), "server_error",
                           "The sandbox was told to fail this credit.");
    }
    auto volumes = VolumesLocked();
    if (!volumes.ok()) return ErrorResponse(500, "internal_error", volumes.error());
    if (fields.value().amount > volumes.value().Available()) {
      return ErrorResponse(422, "insufficient_capacity",
                           "The amount exceeds the volume available (" +
                               volumes.value().Available().ToDecimalString() + " VES).");
    }
    if (credits_.size() >= kCreditsMax) {
      return ErrorResponse(429, "too_many_credits", "The sandbox holds no more credits.");
    }
    const Credit& credit = RecordLocked(std::move(fields).value(), key, request.body, fault);
    if (fault.answer_delay_ms == 0) return JsonResponse(200, credit.response);
    return http::Defer([this, delay_ms = fault.answer_delay_ms,
                        response = JsonResponse(200, credit.response)](http::Respond respond) {
      late_.After(delay_ms, std::move(respond), response);
    });
  }

  // Under mutex_: keeps the credit, settles it and queues its webhook.
  const Credit& RecordLocked(CreditRequest fields, const std::string& key, const std::string& body,
                             const CreditFault& fault) {
    Credit credit{.transaction_id = NewUuid(),
                  .bank_account_id = std::move(fields.bank_account_id),
                  .amount = fields.amount,
                  .concept_text = std::move(fields.concept_text),
                  .idempotency_key = key,
                  .request_body = body};
    credit.callback_url = std::move(fields.callback_url);
    credit.created_at_ms = context_.clock.NowMs();
    // The answer is what BuhoPago says at once; a failing credit is still in process then.
    credit.status = std::string(fault.settle_failed ? kInProcess : kApproved);
    credit.response = "{\"success\":true," + CreditFieldsJson(credit) + "}";
    if (fault.settle_failed) credit.status = std::string(kRejected);
    credits_.push_back(std::move(credit));
    const Credit& kept = credits_.back();
    if (!kept.callback_url.empty() && context_.webhooks != nullptr) {
      const bool approved = kept.status == kApproved;
      const std::string event = approved ? "credit.completed" : "credit.failed";
      const std::string webhook_body =
          "{\"id\":" + http::JsonString(NewHexId("evt_", 24)) +
          ",\"event\":" + http::JsonString(event) +
          ",\"timestamp\":" + http::JsonString(Rfc3339(context_.clock.NowMs())) + ",\"data\":{" +
          CreditFieldsJson(kept) + "}}";
      const std::string signature =
          HexEncode(HmacSha256(context_.options.buhopago_webhook_secret, webhook_body));
      context_.webhooks->Enqueue(
          OutgoingWebhook{
              kept.callback_url, {{"X-Signature", signature}}, webhook_body, kept.transaction_id},
          0);
    }
    return kept;
  }

  // The credit's fields, without braces: status, transaction_id, amount, bank_account_id, concept,
  // created_at.
  std::string CreditFieldsJson(const Credit& credit) const {
    return "\"status\":" + http::JsonString(credit.status) +
           ",\"transaction_id\":" + http::JsonString(credit.transaction_id) +
           ",\"amount\":" + MoneyJson(credit.amount, MoneyUnits::kMajor) +
           ",\"bank_account_id\":" + http::JsonString(credit.bank_account_id) +
           ",\"concept\":" + http::JsonString(credit.concept_text) +
           ",\"created_at\":" + http::JsonString(Rfc3339(credit.created_at_ms));
  }

  http::HttpResponse GetCredit(const http::HttpRequest& request, const std::string& id) {
    if (!Authorized(request)) return Unauthorized();
    std::lock_guard lock(mutex_);
    for (const Credit& credit : credits_) {
      if (credit.transaction_id == id) {
        return JsonResponse(200,
                            "{\"success\":true,\"credit\":{" + CreditFieldsJson(credit) + "}}");
      }
    }
    return ErrorResponse(404, "not_found", "Credit not found.");
  }

  http::HttpResponse ListCredits(const http::HttpRequest& request) {
    if (!Authorized(request)) return Unauthorized();
    const std::string_view reference = http::QueryValue(request.query, "reference").value_or("");
    std::optional<i128> since = 0;
    std::optional<i128> cursor = 0;
    if (const auto given = http::QueryValue(request.query, "since"))
      since = ParseI128Decimal(*given);
    if (const auto given = http::QueryValue(request.query, "cursor")) {
      cursor = ParseI128Decimal(*given);
    }
    if (!since || !cursor || *since < 0 || *cursor < 0) {
      return ErrorResponse(400, "invalid_query", "since and cursor must be whole numbers.");
    }
    std::lock_guard lock(mutex_);
    std::string data;
    size_t index = static_cast<size_t>(std::min<i128>(*cursor, static_cast<i128>(credits_.size())));
    size_t listed = 0;
    for (; index < credits_.size() && listed < kCreditPageSize; ++index) {
      const Credit& credit = credits_[index];
      if (credit.created_at_ms < *since) continue;
      if (credit.concept_text.find(reference) == std::string::npos) continue;
      data += (data.empty() ? "{" : ",{") + CreditFieldsJson(credit) + "}";
      ++listed;
    }
    const std::string next = index < credits_.size() ? std::to_string(index) : "";
    return JsonResponse(200, "{\"success\":true,\"data\":[" + data +
                                 "],\"next_cursor\":" + JsonStringOrNull(next) + "}");
  }

  // Control: every credit held, oldest first.
  http::HttpResponse SandboxCredits() {
    std::lock_guard lock(mutex_);
    std::string data;
    for (const Credit& credit : credits_) {
      data += (data.empty() ? "{" : ",{") + CreditFieldsJson(credit) +
              ",\"idempotency_key\":" + JsonStringOrNull(credit.idempotency_key) +
              ",\"callback_url\":" + JsonStringOrNull(credit.callback_url) +
              ",\"requests\":" + std::to_string(credit.requests) + "}";
    }
    return JsonResponse(200, "{\"data\":[" + data + "]}");
  }

  http::HttpResponse SetFault(const http::HttpRequest& request) {
    auto parsed = http::JsonObjectReader::Parse(request.body);
    if (!parsed.ok()) return http::ToProblem(parsed.error());
    http::JsonObjectReader& read = parsed.value();
    auto key = read.RequiredString("idempotency_key", kIdempotencyKeyCharsMax);
    if (!key.ok()) return http::ToProblem(key.error());
    auto status = read.OptionalInteger("execute_status", 400, 599);
    if (!status.ok()) return http::ToProblem(status.error());
    if (status.value() && std::find(std::begin(kFaultStatuses), std::end(kFaultStatuses),
                                    *status.value()) == std::end(kFaultStatuses)) {
      return http::ToProblem({"invalid_request", "execute_status",
                              "execute_status must be 400, 409, 422, 429, 500, "
                              "502 or 503."});
    }
    auto delay = read.OptionalInteger("answer_delay_ms", 0, kAnswerDelayMsMax);
    if (!delay.ok()) return http::ToProblem(delay.error());
    auto failed = read.OptionalBool("settle_failed");
    if (!failed.ok()) return http::ToProblem(failed.error());
    const CreditFault fault{status.value().value_or(0), delay.value().value_or(0),
                            failed.value().value_or(false)};
    std::lock_guard lock(mutex_);
    faults_[key.value()] = fault;
    return JsonResponse(200, "{\"idempotency_key\":" + http::JsonString(key.value()) +
                                 ",\"execute_status\":" + std::to_string(fault.execute_status) +
                                 ",\"answer_delay_ms\":" + std::to_string(fault.answer_delay_ms) +
                                 ",\"settle_failed\":" + (fault.settle_failed ? "true" : "false") +
                                 "}");
  }

  SimulatorContext& context_;
  const std::string api_key_;
  mutable std::mutex mutex_;  // credits_, and a capacity check with the credit it allows
  std::vector<Credit> credits_;
  std::map<std::string, CreditFault, std::less<>> faults_;  // by Idempotency-Key, used once
  LateAnswers late_;  // last: its threads stop before what they use goes
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
