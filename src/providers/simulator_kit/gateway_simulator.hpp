// One gateway's simulator: its own API (paths, auth, payloads, units, minimum, error answers) under
// /sandbox/<gateway>/, and the webhooks it sends when the control API moves a charge. The six
// simulators (one .cpp each, made by the factories below) share the charge book, the clock and the
// helpers declared here; Sandbox (providers/providers.hpp) owns them and adds the control API on
// top.
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/amount.hpp"
#include "core/clock.hpp"
#include "core/result.hpp"
#include "http/http_types.hpp"
#include "http/router.hpp"
#include "payins/provider_json.hpp"
#include "providers/simulator_kit/charge_book.hpp"
#include "providers/simulator_kit/sandbox_options.hpp"
#include "providers/simulator_kit/webhook_sender.hpp"

namespace cambista::sandbox {

// Request bodies are read with the adapters' JSON reader: numbers keep their text, so money is
// read exactly.
using payins::JsonNode;

class GatewaySimulator {
 public:
  virtual ~GatewaySimulator() = default;
  // "syncpay": the simulator answers under /sandbox/syncpay/.
  virtual std::string_view name() const = 0;
  // The gateway's own API routes.
  virtual void AddRoutes(http::Router& router) = 0;
  // The gateway's word for a state ("completed" is SyncPay's paid).
  virtual std::string_view StatusWord(ChargeState state) const = 0;
  // The webhook telling the charge's webhook_url that the charge is in `state`: the charge as it
  // is now, except for the stale webhook of an out-of-order payment, which says kPending.
  virtual OutgoingWebhook Webhook(const SimulatedCharge& charge, ChargeState state) const = 0;
  // Drops what the simulator would still do on its own threads (answers it holds back): Sandbox's
  // Stop calls it, before the server those answers go to is destroyed. Idempotent.
  virtual void Stop() {}
};

// What the simulators share; owned by Sandbox, outlives them.
struct SimulatorContext {
  ChargeBook& charges;
  const Clock& clock;
  const SandboxOptions& options;
  // For webhooks a simulator sends of its own accord (BuhoPago's credit events); may be null.
  WebhookSender* webhooks = nullptr;
};

// --- helpers shared by the simulators ---

const Asset& Brl();
const Asset& Ves();

// How a gateway writes money in JSON: reais as a number (10.5) or centavos as an integer (1050).
enum class MoneyUnits : uint8_t { kMajor, kMinor };

// The JSON number text for `amount`: "10.5" / "10" in major units, "1050" in minor units. Written
// from the integer, never through a double.
std::string MoneyJson(const Amount& amount, MoneyUnits units);
// Reads a JSON number exactly from its text: major units with at most the asset's decimals, or a
// whole count of minor units. The error names `field` and says what was expected.
Result<Amount, std::string> ReadMoney(const JsonNode* node, std::string_view field,
                                      MoneyUnits units, const Asset& asset);
// The amount a webhook or status reports for `state`: what was paid once paid, else the charge's.
const Amount& ReportedAmount(const SimulatedCharge& charge, ChargeState state);

// The length of `text` in characters (code points), as the gateways' limits count it (Laravel's
// `max` counts characters, and so does the documented maxLength): "Ñ" is one. Bytes for text that
// is not UTF-8.
size_t CharCount(std::string_view text);
// A member's string value; nullopt when absent, null or not a string.
std::optional<std::string> StringMember(const JsonNode& object, std::string_view key);
// Checks an optional member's type: absent or null pass; a present value of another kind fails
// with "<field> must be <kind>".
std::optional<std::string> CheckKind(const JsonNode& object, std::string_view key,
                                     JsonNode::Kind kind);

// The token of `Authorization: Bearer <token>`; empty when the header is absent or another scheme.
std::string_view BearerToken(const http::HttpRequest& request);
// Constant-time equality of a presented secret with the expected one.
bool SecretMatches(std::string_view presented, std::string_view expected);

// A random lower-case UUID v4 ("9c29870c-9f69-4bb6-90d3-2dce9453bb45").
std::string NewUuid();
// `prefix` + `hex_chars` random lower-case hex digits.
std::string NewHexId(std::string_view prefix, size_t hex_chars);
// A PIX end-to-end id: "E", an 8-digit ISPB, yyyyMMddHHmm (UTC), 11 random alphanumerics.
std::string NewEndToEndId(int64_t now_ms);
// `count` random decimal digits, the first not 0 (an id that reads as a number).
std::string NewDigits(size_t count);
// "2024-05-01T12:00:00.000Z".
std::string Rfc3339(int64_t unix_ms);

// A dynamic, single-use BR Code for a charge: location sandbox.cambista.dev/<gateway>/<id> (the
// hash, for a gateway that has one), the amount, merchant CAMBISTA SANDBOX in SAO PAULO, txid from
// the id's alphanumerics (<= 25).
Result<std::string, std::string> SandboxPixCode(std::string_view gateway, std::string_view id,
                                                const Amount& amount);
// The QR code of `text` as a PNG, base64-encoded (what gateways call qr_code_base64).
Result<std::string, std::string> QrPngBase64(std::string_view text);

http::HttpResponse JsonResponse(int status, std::string body);
// {"message": message}: how the Laravel-style gateways (SyncPay, PushinPay, ÁtomoPay) answer
// errors.
http::HttpResponse MessageResponse(int status, std::string_view message);
// 422 {"message": message, "errors": {field: [message]}}: a Laravel validation failure.
http::HttpResponse ValidationResponse(std::string_view field, std::string_view message);
// For route docs: the schemas of MessageResponse and ValidationResponse, registered as the
// components "GatewayMessage" and "GatewayValidationError" (Sandbox::AddRoutes calls this before
// the simulators add their routes), and the error responses of a Laravel-style route: {"message"}
// at each of `message_statuses`, and the 422 validation failure when `validates`.
void AddLaravelSchemas(http::Router& router);
std::vector<http::ResponseDoc> LaravelErrors(std::initializer_list<int> message_statuses,
                                             bool validates = true);
// The doc of an error answered in a gateway's own JSON shape (`schema`) at `status`.
http::ResponseDoc GatewayError(int status, std::string_view description, std::string_view schema);
// The request body as a JSON object; on failure, the reason.
Result<payins::JsonDocument, std::string> ParseObjectBody(std::string_view body);
// JSON string literal, or null when `text` is empty.
std::string JsonStringOrNull(std::string_view text);

inline constexpr int64_t kChargeLifetimeMs = 3'600'000;

// The charge fields common to every pay-in as a creation request gives them.
struct NewCharge {
  explicit NewCharge(const Amount& charge_amount) : amount(charge_amount) {}

  Amount amount;
  std::string reference;
  std::string description;
  std::string webhook_url;
  std::string tenant_hint;
  bool pix = true;          // false: VES, no BR Code
  std::string payment_url;  // VES; "{id}" in it is replaced by the charge's id
  int64_t lifetime_ms = kChargeLifetimeMs;
};
// The gateway's ids for a new charge: its id and, for gateways that have one, its hash.
struct ChargeIds {
  std::string id;
  std::string hash;
};
// Builds the charge (ids from `new_ids`, BR Code for PIX, expiry lifetime_ms from now) and
// stores it, drawing new ids in the unlikely case they are taken. Fails only when the BR Code
// cannot be encoded or no free id was drawn.
Result<SimulatedCharge, std::string> CreateCharge(SimulatorContext& context,
                                                  std::string_view gateway, NewCharge fields,
                                                  const std::function<ChargeIds()>& new_ids);

}  // namespace cambista::sandbox
