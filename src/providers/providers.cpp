#include "providers/providers.hpp"

#include <array>
#include <optional>

#include "core/assert.hpp"
#include "http/json_input.hpp"
#include "http/json_schema.hpp"
#include "http/problem.hpp"
#include "payins/registry.hpp"
#include "providers/atomopay/atomopay_gateway.hpp"
#include "providers/atomopay/atomopay_simulator.hpp"
#include "providers/buhopago/buhopago_gateway.hpp"
#include "providers/buhopago/buhopago_simulator.hpp"
#include "providers/heleket/heleket_simulator.hpp"
#include "providers/paradise/paradise_gateway.hpp"
#include "providers/paradise/paradise_simulator.hpp"
#include "providers/pixout/pixout_simulator.hpp"
#include "providers/pushinpay/pushinpay_gateway.hpp"
#include "providers/pushinpay/pushinpay_simulator.hpp"
#include "providers/simulator_kit/charge_book.hpp"
#include "providers/simulator_kit/gateway_simulator.hpp"
#include "providers/simulator_kit/webhook_sender.hpp"
#include "providers/syncpay/syncpay_gateway.hpp"
#include "providers/syncpay/syncpay_simulator.hpp"
#include "providers/wiinpay/wiinpay_gateway.hpp"
#include "providers/wiinpay/wiinpay_simulator.hpp"

namespace cambista::sandbox {
namespace {

constexpr size_t kSimulatorCount = 6;

// Every provider's simulator, in a fixed order.
const std::array<SimulatorDescription, kSimulatorCount>& Simulators() {
  static const std::array<SimulatorDescription, kSimulatorCount> simulators = {
      SyncPaySimulatorDescription(),  PushinPaySimulatorDescription(),
      ParadiseSimulatorDescription(), WiinPaySimulatorDescription(),
      AtomoPaySimulatorDescription(), BuhoPagoSimulatorDescription()};
  return simulators;
}

constexpr int64_t kDeliveriesMax = 2;
constexpr int64_t kDelayMsMax = 600'000;
constexpr size_t kAmountCharsMax = 40;
constexpr size_t kPayerNameCharsMax = 100;
constexpr size_t kPayerDocumentCharsMax = 32;
constexpr std::string_view kDefaultPayerName = "SANDBOX PAYER";
constexpr std::string_view kDefaultPayerDocument = "12345678909";  // a well-formed test CPF
constexpr size_t kBankReferenceDigits = 12;

// What a control action asks for, read from its (optional) body.
struct ControlRequest {
  int64_t deliveries = 1;
  int64_t delay_ms = 0;
  bool out_of_order = false;
  std::optional<std::string> amount;
  std::optional<std::string> payer_name;
  std::optional<std::string> payer_document;
};

Result<ControlRequest, http::HttpResponse> ReadControlRequest(std::string_view body, bool pay) {
  ControlRequest control;
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) return control;
  auto reader = http::JsonObjectReader::Parse(body);
  if (!reader.ok()) return Failure{http::ToProblem(reader.error())};
  auto deliveries = reader.value().OptionalInteger("deliveries", 0, kDeliveriesMax);
  if (!deliveries.ok()) return Failure{http::ToProblem(deliveries.error())};
  control.deliveries = deliveries.value().value_or(1);
  auto delay = reader.value().OptionalInteger("delay_ms", 0, kDelayMsMax);
  if (!delay.ok()) return Failure{http::ToProblem(delay.error())};
  control.delay_ms = delay.value().value_or(0);
  if (pay) {  // for the other actions these fields are unknown, and refused as such
    auto out_of_order = reader.value().OptionalBool("out_of_order");
    if (!out_of_order.ok()) return Failure{http::ToProblem(out_of_order.error())};
    control.out_of_order = out_of_order.value().value_or(false);
    auto amount = reader.value().OptionalString("amount", kAmountCharsMax);
    if (!amount.ok()) return Failure{http::ToProblem(amount.error())};
    control.amount = amount.value();
    auto payer_name = reader.value().OptionalString("payer_name", kPayerNameCharsMax);
    if (!payer_name.ok()) return Failure{http::ToProblem(payer_name.error())};
    control.payer_name = payer_name.value();
    auto payer_document = reader.value().OptionalString("payer_document", kPayerDocumentCharsMax);
    if (!payer_document.ok()) return Failure{http::ToProblem(payer_document.error())};
    control.payer_document = payer_document.value();
  }
  if (auto unknown = reader.value().RejectUnknownFields()) {
    return Failure{http::ToProblem(*unknown)};
  }
  return control;
}

// The simulator's view of a charge (GET /sandbox/<gateway>/charges/{id}); money as decimal
// strings in major units, as everywhere in Cambista's own API.
std::string ChargeJson(const SimulatedCharge& charge, const GatewaySimulator& simulator) {
  std::string body =
      "{\"gateway\":" + http::JsonString(charge.gateway) +
      ",\"id\":" + http::JsonString(charge.id) + ",\"hash\":" + JsonStringOrNull(charge.hash) +
      ",\"status\":" + http::JsonString(ChargeStateName(charge.state)) +
      ",\"gateway_status\":" + http::JsonString(simulator.StatusWord(charge.state)) +
      ",\"currency\":" + http::JsonString(charge.amount.asset().code()) +
      ",\"amount\":" + http::JsonString(charge.amount.ToString()) + ",\"paid_amount\":" +
      (charge.paid_amount ? http::JsonString(charge.paid_amount->ToString())
                          : std::string("null")) +
      ",\"reference\":" + JsonStringOrNull(charge.reference) +
      ",\"description\":" + JsonStringOrNull(charge.description) +
      ",\"webhook_url\":" + JsonStringOrNull(charge.webhook_url) +
      ",\"pix_code\":" + JsonStringOrNull(charge.pix_code) +
      ",\"payment_url\":" + JsonStringOrNull(charge.payment_url) +
      ",\"tenant_hint\":" + JsonStringOrNull(charge.tenant_hint) +
      ",\"payer_name\":" + JsonStringOrNull(charge.payer_name) +
      ",\"payer_document\":" + JsonStringOrNull(charge.payer_document) +
      ",\"end_to_end_id\":" + JsonStringOrNull(charge.end_to_end_id) +
      ",\"created_at_ms\":" + std::to_string(charge.created_at_ms) +
      ",\"updated_at_ms\":" + std::to_string(charge.updated_at_ms) +
      ",\"expires_at_ms\":" + std::to_string(charge.expires_at_ms) + ",\"webhooks\":[";
  bool first = true;
  for (const DeliveryRecord& record : charge.deliveries) {
    body += (first ? "" : ",");
    first = false;
    body += "{\"status\":" + http::JsonString(record.status) +
            ",\"outcome\":" + http::JsonString(record.outcome) +
            ",\"attempts\":" + std::to_string(record.attempts) + ",\"response_status\":" +
            (record.response_status ? std::to_string(*record.response_status) : "null") +
            ",\"error\":" + JsonStringOrNull(record.error) + "}";
  }
  return body + "]}";
}

// The JSON of ChargeJson, as /openapi.json names it.
std::string SandboxChargeSchema() {
  using namespace http::schema;
  const std::string text = Nullable(String());
  return Object({{"gateway", String()},
                 {"id", String()},
                 {"hash", Described(text, "ÁtomoPay's hash, BuhoPago's transaction id.")},
                 {"status", Enum({"pending", "paid", "expired", "failed", "refunded"})},
                 {"gateway_status", Described(String(), "The gateway's own word for the status.")},
                 {"currency", Enum({"BRL", "VES"})},
                 {"amount", Decimal()},
                 {"paid_amount", Nullable(Decimal())},
                 {"reference", text},
                 {"description", text},
                 {"webhook_url", text},
                 {"pix_code", text},
                 {"payment_url", text},
                 {"tenant_hint", text},
                 {"payer_name", text},
                 {"payer_document", text},
                 {"end_to_end_id", text},
                 {"created_at_ms", Integer()},
                 {"updated_at_ms", Integer()},
                 {"expires_at_ms", Integer()},
                 {"webhooks", ArrayOf(Object({{"status", String()},
                                              {"outcome", Enum({"queued", "delivered", "failed"})},
                                              {"attempts", Integer()},
                                              {"response_status", Nullable(Integer())},
                                              {"error", text}}))}});
}

// The optional body of a control action; only `pay` takes more than the webhooks' number and delay.
std::string ControlSchema(bool pay) {
  using namespace http::schema;
  std::vector<Field> fields = {
      Optional("deliveries", Described(Integer(0, kDeliveriesMax), "Webhooks to send (1).")),
      Optional("delay_ms", Integer(0, kDelayMsMax))};
  if (pay) {
    fields.push_back(Optional("out_of_order", Described(Boolean(),
                                                        "Send a stale pending webhook "
                                                        "after the paid one.")));
    fields.push_back(Optional("amount", Described(Decimal(), "Pay another amount.")));
    fields.push_back(Optional("payer_name", Text(kPayerNameCharsMax)));
    fields.push_back(Optional("payer_document", Text(kPayerDocumentCharsMax)));
  }
  return Object(std::move(fields));
}

struct Action {
  std::string_view path;  // "pay"
  ChargeState to;
  std::string_view summary;
};
constexpr std::array<Action, 4> kActions = {{
    {"pay", ChargeState::kPaid, "the payer pays"},
    {"fail", ChargeState::kFailed, "the gateway fails the charge"},
    {"expire", ChargeState::kExpired, "the charge expires unpaid"},
    {"refund", ChargeState::kRefunded, "the paid charge is refunded"},
}};

}  // namespace

std::span<const std::string_view> SandboxGateways() {
  static const std::array<std::string_view, kSimulatorCount> names = [] {
    std::array<std::string_view, kSimulatorCount> out;
    for (size_t i = 0; i < kSimulatorCount; ++i) out[i] = Simulators()[i].name;
    return out;
  }();
  return names;
}

SandboxCredentialMap SandboxCredentials(std::string_view gateway) {
  if (gateway == "heleket") return HeleketSandboxCredentials();
  if (gateway == "pixout") return PixoutSandboxCredentials();
  for (const SimulatorDescription& simulator : Simulators()) {
    if (simulator.name == gateway) return simulator.credentials();
  }
  return {};
}

Sandbox::Sandbox(SandboxOptions options) : options_(std::move(options)) {
  CAMBISTA_CHECK(options_.http != nullptr && options_.clock != nullptr);
  charges_ = std::make_unique<ChargeBook>(*options_.clock);
  sender_ = std::make_unique<WebhookSender>(
      *options_.http, WebhookSenderOptions{.attempts_max = options_.webhook_attempts_max,
                                           .retry_delay_ms = options_.webhook_retry_delay_ms,
                                           .timeout_ms = options_.webhook_timeout_ms});
  context_ = std::make_unique<SimulatorContext>(
      SimulatorContext{*charges_, *options_.clock, options_, sender_.get()});
  for (const SimulatorDescription& simulator : Simulators()) {
    simulators_.push_back(simulator.make(*context_));
  }
  heleket_ = std::make_unique<HeleketSimulator>(*options_.clock, *sender_);
  pixout_ = std::make_unique<PixoutSimulator>(*options_.clock, *sender_);
}

Sandbox::~Sandbox() {
  Stop();
}

void Sandbox::Stop() {
  heleket_->Stop();
  pixout_->Stop();
  for (const auto& simulator : simulators_) simulator->Stop();
  sender_->Stop();
}

SandboxCredentialMap Sandbox::Credentials(std::string_view gateway) const {
  SandboxCredentialMap credentials = SandboxCredentials(gateway);
  if (gateway == "buhopago") credentials["webhook_secret"] = options_.buhopago_webhook_secret;
  return credentials;
}

void Sandbox::AddRoutes(http::Router& router) {
  router.AddSchema("SandboxCharge", SandboxChargeSchema());
  AddLaravelSchemas(router);
  for (const auto& simulator : simulators_) {
    GatewaySimulator& gateway = *simulator;
    const std::string prefix = "/sandbox/" + std::string(gateway.name());
    gateway.AddRoutes(router);

    router.Add(
        "GET", prefix + "/charges",
        http::RouteDoc{.summary = "Sandbox control: every " + std::string(gateway.name()) +
                                  " charge the simulator holds, oldest first.",
                       .access = "public",
                       .response_schema = http::schema::List(http::schema::Ref("SandboxCharge"))},
        [this, &gateway](const http::HttpRequest&, const http::PathParams&) {
          std::string body = "{\"data\":[";
          bool first = true;
          for (const SimulatedCharge& charge : charges_->List(gateway.name())) {
            body += (first ? "" : ",") + ChargeJson(charge, gateway);
            first = false;
          }
          return JsonResponse(200, body + "]}");
        });
    router.Add(
        "GET", prefix + "/charges/{id}",
        http::RouteDoc{.summary = "Sandbox control: the simulator's state of a " +
                                  std::string(gateway.name()) + " charge, with every webhook sent.",
                       .access = "public",
                       .description = "By the charge's id or hash.",
                       .response_schema = http::schema::Ref("SandboxCharge"),
                       .errors = {{404, {"not_found"}}}},
        [this, &gateway](const http::HttpRequest&, const http::PathParams& params) {
          const auto charge = charges_->Find(gateway.name(), params.at("id"));
          if (!charge) {
            return http::Problem(
                404, "not_found", "Not found",
                "No " + std::string(gateway.name()) + " charge " + params.at("id") + ".");
          }
          return JsonResponse(200, ChargeJson(*charge, gateway));
        });
    for (const Action& action : kActions) {
      router.Add(
          "POST", prefix + "/charges/{id}/" + std::string(action.path),
          http::RouteDoc{.summary = "Sandbox control (" + std::string(gateway.name()) +
                                    "): " + std::string(action.summary) + ".",
                         .access = "public",
                         .description = "Sends the webhook(s) as the gateway would, unless told "
                                        "otherwise.",
                         .response_schema = http::schema::Ref("SandboxCharge"),
                         .request_schema = ControlSchema(action.to == ChargeState::kPaid),
                         .request_optional = true,
                         .errors = {{400, {"invalid_request", "invalid_amount"}},
                                    {404, {"not_found"}},
                                    {409, {"invalid_transition"}}}},
          [this, &gateway, to = action.to](const http::HttpRequest& request,
                                           const http::PathParams& params) {
            return Control(gateway, params.at("id"), to, request);
          });
    }
  }
  heleket_->AddRoutes(router);
  pixout_->AddRoutes(router);
  // The simulators answer from memory: on the I/O thread, never waiting for the workers whose
  // requests (gateway calls, in serve --sandbox) they answer.
  router.MarkInMemory("/sandbox/");
}

http::HttpResponse Sandbox::Control(GatewaySimulator& gateway, const std::string& id,
                                    ChargeState to, const http::HttpRequest& request) {
  const bool pay = to == ChargeState::kPaid;
  auto control = ReadControlRequest(request.body, pay);
  if (!control.ok()) return control.error();
  const auto found = charges_->Find(gateway.name(), id);
  if (!found) {
    return http::Problem(404, "not_found", "Not found",
                         "No " + std::string(gateway.name()) + " charge " + id + ".");
  }
  std::optional<Amount> paid_amount;
  if (pay) {
    paid_amount = found->amount;
    if (control.value().amount) {
      const Asset& asset = found->amount.asset();
      auto parsed = Amount::Parse(*control.value().amount, asset);
      if (!parsed.ok() || !parsed.value().IsPositive()) {
        return http::ToProblem(http::InputError{
            "invalid_amount", "amount",
            "\"amount\" must be a positive decimal string in " + std::string(asset.code()) +
                " with at most " + std::to_string(asset.scale()) + " decimals, such as \"9.99\"."});
      }
      paid_amount = parsed.value();
    }
  }
  const int64_t now_ms = options_.clock->NowMs();
  auto moved = charges_->Transition(gateway.name(), id, to, [&](SimulatedCharge& charge) {
    if (!pay) return;
    charge.paid_amount = paid_amount;
    charge.payer_name = control.value().payer_name.value_or(std::string(kDefaultPayerName));
    charge.payer_document =
        control.value().payer_document.value_or(std::string(kDefaultPayerDocument));
    // A PIX payment's end-to-end id, or a Venezuelan bank's transfer reference.
    charge.end_to_end_id =
        charge.pix_code.empty() ? NewDigits(kBankReferenceDigits) : NewEndToEndId(now_ms);
  });
  if (!moved.ok()) {
    if (moved.error().kind == TransitionError::Kind::kNotFound) {
      return http::Problem(404, "not_found", "Not found", moved.error().message);
    }
    return http::Problem(409, "invalid_transition", "Invalid transition", moved.error().message);
  }
  const SimulatedCharge& charge = moved.value();
  if (!charge.webhook_url.empty()) {
    SendWebhook(gateway, charge, to, control.value().delay_ms, control.value().deliveries);
    // The stale one goes after the paid one(s): it is queued later with the same delay, and the
    // sender sends one at a time in queue order.
    if (control.value().out_of_order) {
      SendWebhook(gateway, charge, ChargeState::kPending, control.value().delay_ms, 1);
    }
  }
  // Read again: the view shows the webhooks just queued.
  const auto after = charges_->Find(gateway.name(), charge.id);
  return JsonResponse(200, ChargeJson(after ? *after : charge, gateway));
}

void Sandbox::SendWebhook(const GatewaySimulator& gateway, const SimulatedCharge& charge,
                          ChargeState state, int64_t delay_ms, int64_t copies) {
  // Built once: a duplicate delivery is byte for byte the same webhook (same event id, same
  // signature), as a gateway retrying it would send.
  const OutgoingWebhook webhook = gateway.Webhook(charge, state);
  const std::string gateway_name(gateway.name());
  for (int64_t copy = 0; copy < copies; ++copy) {
    const uint64_t record =
        charges_->AddDelivery(gateway_name, charge.id, std::string(gateway.StatusWord(state)));
    ChargeBook* charges = charges_.get();
    const auto on_attempt = [charges, gateway_name, id = charge.id,
                             record](const WebhookAttempt& attempt) {
      charges->UpdateDelivery(gateway_name, id, record, [&attempt](DeliveryRecord& delivery) {
        delivery.attempts = attempt.attempt;
        delivery.response_status = attempt.response_status;
        delivery.error = attempt.error;
        delivery.outcome = attempt.delivered ? "delivered" : attempt.final ? "failed" : "queued";
      });
    };
    if (!sender_->Enqueue(webhook, delay_ms, on_attempt)) {
      charges_->UpdateDelivery(gateway_name, charge.id, record, [](DeliveryRecord& delivery) {
        delivery.outcome = "failed";
        delivery.error = "not queued: the sandbox is stopping or its webhook queue is full";
      });
    }
  }
}

}  // namespace cambista::sandbox

namespace cambista::payins {

void RegisterPayinGateways(GatewayRegistry& registry) {
  registry.Register(SyncPayGateway::Description(), &SyncPayGateway::Create);
  registry.Register(PushinPayGateway::Description(), &PushinPayGateway::Create);
  registry.Register(ParadiseGateway::Description(), &ParadiseGateway::Create);
  registry.Register(WiinPayGateway::Description(), &WiinPayGateway::Create);
  registry.Register(AtomoPayGateway::Description(), &AtomoPayGateway::Create);
  registry.Register(BuhoPagoGateway::Description(), &BuhoPagoGateway::Create);
}

}  // namespace cambista::payins
