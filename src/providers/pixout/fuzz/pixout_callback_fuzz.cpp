// libFuzzer target: PIX send webhooks ({"pix": [send, ...]}, unsigned), ParseCallback on arbitrary
// bytes. Properties, each a crash when broken (ASan and UBSan add theirs):
// - it never throws or crashes, and a refusal says why; it is never kBadSignature (the PSP does
//   not sign);
// - an accepted callback has a provider id, a reference, a raw status that maps to its status,
//   is_final exactly when the status is not PROCESSING, and a BRL amount that is not negative;
// - parsing is deterministic.
// Each JSON object input is also parsed wrapped as the first item of {"pix": [...]}, so the fuzzer
// reaches every field check behind the envelope.
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
#include "payins/provider_json.hpp"
#include "providers/pixout/pixout_payouts.hpp"

namespace {

using cambista::payouts::CallbackRejection;
using cambista::payouts::CallbackRequest;
using cambista::payouts::PixoutPayouts;
using cambista::payouts::ProviderPayout;

[[noreturn]] void Violated(const char* property, std::string_view input,
                           const std::string& detail) {
  std::fprintf(stderr, "\n*** property violated: %s\ninput: %.*s\n%s\n", property,
               static_cast<int>(input.size()), input.data(), detail.c_str());
  std::abort();
}

PixoutPayouts& Adapter() {
  static cambista::net::HttpClient client;
  static cambista::ManualClock clock;
  static std::unique_ptr<PixoutPayouts> adapter = [] {
    cambista::payouts::ProviderContext context;
    context.http = &client;
    context.clock = &clock;
    context.base_url = "http://127.0.0.1:9/unused";
    auto built = PixoutPayouts::Create({{"client_id", "fuzz-client"},
                                        {"client_secret", "fuzz-secret"},
                                        {"payer_key", "fuzz@example.com"}},
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
         (payout.amount ? payout.amount->ToString() : "none") + " reason " + payout.reason;
}

void CheckAccepted(std::string_view body, const ProviderPayout& payout, const std::string& text) {
  if (payout.provider_id.empty() || payout.reference.empty() || payout.raw_status.empty()) {
    Violated("an accepted callback has its ids and raw status", body, text);
  }
  const std::string raw = cambista::payins::ToLowerAscii(payout.raw_status);
  const std::string_view name = cambista::payouts::ProviderPayoutStatusName(payout.status);
  const bool consistent = (raw == "em_processamento" && name == "PROCESSING") ||
                          (raw == "realizado" && name == "PAID") ||
                          (raw == "nao_realizado" && name == "FAILED");
  if (!consistent) Violated("the status is the raw status's", body, text);
  if (payout.is_final != (name != "PROCESSING"))
    Violated("is_final follows the status", body, text);
  if (!payout.amount || payout.amount->IsNegative() || payout.amount->asset().code() != "BRL") {
    Violated("a BRL amount that is not negative", body, text);
  }
}

void CheckOne(std::string_view body) {
  const CallbackRequest request{body, {}};
  const auto result = Adapter().ParseCallback(request);
  const std::string text = Describe(result);
  if (!result.ok()) {
    if (result.error().message.empty()) Violated("a refusal says why", body, text);
    if (result.error().kind == CallbackRejection::Kind::kBadSignature) {
      Violated("an unsigned provider never answers kBadSignature", body, text);
    }
  } else {
    CheckAccepted(body, result.value(), text);
  }
  if (Describe(Adapter().ParseCallback(request)) != text) {
    Violated("parsing is deterministic", body, text);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  CheckOne(body);
  auto document = cambista::payins::JsonDocument::Parse(body);
  if (document.ok() && document.value().root().IsObject()) {
    CheckOne("{\"pix\":[" + std::string(body) + "]}");
  }
  return 0;
}
