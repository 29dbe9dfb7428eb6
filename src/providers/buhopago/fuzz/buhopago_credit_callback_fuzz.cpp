// libFuzzer target: BuhoPago credit webhooks (X-Signature: hex HMAC-SHA256 of the raw body),
// BuhoPagoCredits::ParseCallback on arbitrary bytes. Properties, each a crash when broken (ASan and
// UBSan add theirs):
// - it never throws or crashes, and a refusal says why;
// - unsigned or signed under another secret, nothing is accepted, and the refusal is
//   kBadSignature (nothing in an unsigned body is read);
// - signed properly, it is never kBadSignature, so the fuzzer reaches every field check;
// - an accepted callback has a provider id, a reference, a raw status that maps to its status,
//   is final (credit events are), and has a non-negative VES amount;
// - parsing is deterministic.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include "core/clock.hpp"
#include "net/http_client.hpp"
#include "payins/gateway_http.hpp"
#include "providers/buhopago/buhopago_credits.hpp"
#include "security/hmac.hpp"

namespace {

using cambista::payouts::BuhoPagoCredits;
using cambista::payouts::CallbackRejection;
using cambista::payouts::CallbackRequest;
using cambista::payouts::ProviderPayout;

constexpr std::string_view kSecret = "fuzz-buhopago-webhook-secret";

[[noreturn]] void Violated(const char* property, std::string_view input,
                           const std::string& detail) {
  std::fprintf(stderr, "\n*** property violated: %s\ninput: %.*s\n%s\n", property,
               static_cast<int>(input.size()), input.data(), detail.c_str());
  std::abort();
}

BuhoPagoCredits& Adapter() {
  static cambista::net::HttpClient client;
  static cambista::ManualClock clock;
  static std::unique_ptr<BuhoPagoCredits> adapter = [] {
    cambista::payouts::ProviderContext context;
    context.http = &client;
    context.clock = &clock;
    context.base_url = "http://127.0.0.1:9/unused";
    auto built = BuhoPagoCredits::Create({{"api_key", "bp_test_fuzz"},
                                          {"bank_account_id", "fuzz-account"},
                                          {"webhook_secret", std::string(kSecret)}},
                                         context);
    if (!built.ok()) Violated("the adapter builds", "", built.error().message);
    return std::move(built).value();
  }();
  return *adapter;
}

std::string Describe(const cambista::Result<ProviderPayout, CallbackRejection>& result) {
  if (!result.ok()) {
    return "rejection " + std::to_string(static_cast<int>(result.error().kind)) + " field '" +
           result.error().field + "': " + result.error().message;
  }
  const ProviderPayout& payout = result.value();
  return "payout " + payout.provider_id + " ref " + payout.reference + " " + payout.raw_status +
         " final " + std::to_string(payout.is_final) + " amount " +
         (payout.amount ? payout.amount->ToString() : "none");
}

void CheckAccepted(std::string_view body, const ProviderPayout& payout, const std::string& text) {
  if (payout.provider_id.empty() || payout.reference.empty() || payout.raw_status.empty()) {
    Violated("an accepted callback has its ids and raw status", body, text);
  }
  const std::string raw = cambista::payins::ToLowerAscii(payout.raw_status);
  const std::string_view name = cambista::payouts::ProviderPayoutStatusName(payout.status);
  const bool paid = raw == "aprobada" && name == "PAID";
  const bool failed =
      (raw == "rechazada" || raw == "fallida" || raw == "failed" || raw == "rejected") &&
      name == "FAILED";
  if (!paid && !failed) Violated("the status is the raw status's, and final", body, text);
  if (!payout.is_final) Violated("a credit event is final", body, text);
  if (!payout.amount || payout.amount->IsNegative() || payout.amount->asset().code() != "VES") {
    Violated("a non-negative VES amount", body, text);
  }
}

void CheckOne(std::string_view body, std::string_view signature, bool signed_properly) {
  const CallbackRequest request{body, {{"X-Signature", std::string(signature)}}};
  const auto result = Adapter().ParseCallback(request);
  const std::string text = Describe(result);
  if (!result.ok()) {
    if (result.error().message.empty()) Violated("a refusal says why", body, text);
    const bool bad_signature = result.error().kind == CallbackRejection::Kind::kBadSignature;
    if (signed_properly && bad_signature) {
      Violated("a properly signed callback passes the signature check", body, text);
    }
    if (!signed_properly && !bad_signature) {
      Violated("an improperly signed callback is refused for its signature", body, text);
    }
  } else {
    if (!signed_properly) Violated("a wrong signature is never accepted", body, text);
    CheckAccepted(body, result.value(), text);
  }
  if (Describe(Adapter().ParseCallback(request)) != text) {
    Violated("parsing is deterministic", body, text);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  CheckOne(body, "", false);
  CheckOne(body, cambista::HexEncode(cambista::HmacSha256("another-secret", body)), false);
  CheckOne(body, cambista::HexEncode(cambista::HmacSha256(kSecret, body)), true);
  return 0;
}
