// Shared body of the payins webhook fuzz targets (providers/<gateway>/fuzz/): one adapter's
// ParseWebhook on arbitrary bytes. Properties, each a crash when broken (ASan and UBSan add
// theirs):
// - it never throws or crashes;
// - a refusal is kMalformed, kIgnored or (only for a signing gateway) kBadSignature, and says why;
// - an accepted event has an event id "<id>:<status>" with the normalized status, a raw status,
//   and an amount that is not negative, in the gateway's currency;
// - parsing is deterministic: the same bytes give the same event.
// For a signing gateway (BuhoPago) each input is parsed twice: signed correctly (so the fuzzer
// reaches the JSON behind the signature), where kBadSignature is a violation, and with its first
// 64 bytes as the signature, where acceptance is a violation unless that signature is right.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/clock.hpp"
#include "net/http_client.hpp"
#include "payins/gateway_http.hpp"
#include "payins/registry.hpp"
#include "providers/providers.hpp"
#include "security/hmac.hpp"

namespace cambista::payins::fuzzing {

inline constexpr std::string_view kFuzzWebhookSecret = "whsec_fuzz_secret";

[[noreturn]] inline void Violated(const char* property, std::string_view input,
                                  const std::string& detail) {
  std::fprintf(stderr, "\n*** property violated: %s\ninput: %.*s\n%s\n", property,
               static_cast<int>(input.size()), input.data(), detail.c_str());
  std::abort();
}

inline PayinGateway& GatewayNamed(std::string_view name) {
  static net::HttpClient client;
  static ManualClock clock;
  static GatewayRegistry registry = [] {
    GatewayRegistry built;
    RegisterPayinGateways(built);
    return built;
  }();
  static std::map<std::string, std::unique_ptr<PayinGateway>, std::less<>> gateways;
  auto found = gateways.find(name);
  if (found != gateways.end()) return *found->second;
  const GatewayDescription* description = registry.Describe(name);
  if (!description) Violated("the gateway exists", name, "");
  Credentials credentials;
  for (const auto& credential : description->required_credentials) {
    credentials[credential] = credential == "webhook_secret" ? std::string(kFuzzWebhookSecret)
                              : credential == "api_key" && name == "buhopago"
                                  ? std::string("bp_test_fuzz")
                                  : "fuzz-" + credential;
  }
  GatewayContext context;
  context.http = &client;
  context.clock = &clock;
  context.base_url = "http://127.0.0.1:9/unused";
  auto gateway = registry.Build(name, credentials, context);
  if (!gateway.ok()) Violated("the gateway builds", name, gateway.error().message);
  return *gateways.emplace(std::string(name), std::move(gateway).value()).first->second;
}

inline std::string Describe(const Result<WebhookEvent, WebhookRejection>& result) {
  if (!result.ok()) {
    return "rejection " + std::to_string(static_cast<int>(result.error().kind)) + " field '" +
           result.error().field + "': " + result.error().message;
  }
  const WebhookEvent& event = result.value();
  return "event " + event.event_id + " status " + std::string(GatewayStatusName(event.status)) +
         " amount " + (event.amount ? event.amount->ToString() : "none");
}

inline void CheckOne(PayinGateway& gateway, std::string_view body,
                     const std::vector<std::pair<std::string, std::string>>& headers,
                     bool signature_is_right) {
  const WebhookRequest request{body, headers};
  const auto result = gateway.ParseWebhook(request);
  const GatewayDescription& description = gateway.Describe();
  if (!result.ok()) {
    const WebhookRejection& rejection = result.error();
    if (rejection.message.empty()) Violated("a refusal says why", body, Describe(result));
    if (rejection.kind == WebhookRejection::Kind::kBadSignature &&
        (!description.signs_webhooks || signature_is_right)) {
      Violated("kBadSignature only for a wrong signature", body, Describe(result));
    }
  } else {
    const WebhookEvent& event = result.value();
    if (description.signs_webhooks && !signature_is_right) {
      Violated("a wrong signature is never accepted", body, Describe(result));
    }
    const std::string suffix = ":" + ToLowerAscii(GatewayStatusName(event.status));
    if (event.event_id.size() <= suffix.size() || !event.event_id.ends_with(suffix)) {
      Violated("the event id is <id>:<status>", body, Describe(result));
    }
    if (event.raw_status.empty()) Violated("the raw status is kept", body, Describe(result));
    if (!event.amount || event.amount->IsNegative() ||
        event.amount->asset().code() != description.currency ||
        event.amount->asset().scale() != 2) {
      Violated("the amount is present, not negative, in the gateway's currency", body,
               Describe(result));
    }
  }
  if (Describe(gateway.ParseWebhook(request)) != Describe(result)) {
    Violated("parsing is deterministic", body, Describe(result));
  }
}

inline void FuzzWebhook(std::string_view gateway_name, const uint8_t* data, size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  PayinGateway& gateway = GatewayNamed(gateway_name);
  if (!gateway.Describe().signs_webhooks) {
    CheckOne(gateway, body, {}, true);
    return;
  }
  const std::string right = HexEncode(HmacSha256(kFuzzWebhookSecret, body));
  CheckOne(gateway, body, {{"X-Signature", right}}, true);
  const std::string presented(body.substr(0, 64));
  auto decoded = HexDecode(presented);
  const bool presented_is_right =
      decoded.ok() && ConstantTimeEquals(decoded.value(), HmacSha256(kFuzzWebhookSecret, body));
  CheckOne(gateway, body, {{"X-Signature", presented}}, presented_is_right);
}

}  // namespace cambista::payins::fuzzing
