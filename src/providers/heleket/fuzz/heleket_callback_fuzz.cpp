// libFuzzer target: Heleket payout callbacks (md5 `sign` inside the JSON), ParseCallback on
// arbitrary bytes. Properties, each a crash when broken (ASan and UBSan add theirs):
// - it never throws or crashes, and a refusal says why;
// - an accepted callback has a provider id, a reference, a raw status that maps to its status,
//   and no negative amount or commission;
// - as received, a callback is accepted only when its sign is right: the bytes as sent are
//   accepted only if they carry the md5 of one of the two texts Heleket may have signed;
// - signed properly (its payload re-encoded the PHP way and signed, as the simulator does), it is
//   never kBadSignature, so the fuzzer reaches every field check behind the signature;
// - parsing is deterministic.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include "core/ascii.hpp"
#include "core/clock.hpp"
#include "net/http_client.hpp"
#include "payins/gateway_http.hpp"
#include "payins/provider_json.hpp"
#include "providers/heleket/heleket_payouts.hpp"
#include "providers/heleket/heleket_sign.hpp"
#include "security/hmac.hpp"
#include "security/md5.hpp"

namespace {

using cambista::payouts::CallbackRejection;
using cambista::payouts::CallbackRequest;
using cambista::payouts::HeleketPayouts;
using cambista::payouts::ProviderPayout;

constexpr std::string_view kKey = "fuzz-heleket-payout-key";

[[noreturn]] void Violated(const char* property, std::string_view input,
                           const std::string& detail) {
  std::fprintf(stderr, "\n*** property violated: %s\ninput: %.*s\n%s\n", property,
               static_cast<int>(input.size()), input.data(), detail.c_str());
  std::abort();
}

HeleketPayouts& Adapter() {
  static cambista::net::HttpClient client;
  static cambista::ManualClock clock;
  static std::unique_ptr<HeleketPayouts> adapter = [] {
    cambista::payouts::ProviderContext context;
    context.http = &client;
    context.clock = &clock;
    context.base_url = "http://127.0.0.1:9/unused";
    auto built = HeleketPayouts::Create({{"merchant", "5a4d1e2b-0c3f-4a5b-8c7d-6e5f4a3b2c1d"},
                                         {"payout_api_key", std::string(kKey)}},
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
         (payout.amount ? payout.amount->ToString() : "none") + " commission " +
         (payout.commission ? payout.commission->ToString() : "none");
}

void CheckAccepted(std::string_view body, const ProviderPayout& payout, const std::string& text) {
  if (payout.provider_id.empty() || payout.reference.empty() || payout.raw_status.empty()) {
    Violated("an accepted callback has its ids and raw status", body, text);
  }
  const std::string raw = cambista::payins::ToLowerAscii(payout.raw_status);
  const std::string_view name = cambista::payouts::ProviderPayoutStatusName(payout.status);
  const bool consistent = ((raw == "process" || raw == "check") && name == "PROCESSING") ||
                          (raw == "paid" && name == "PAID") ||
                          ((raw == "fail" || raw == "system_fail") && name == "FAILED") ||
                          (raw == "cancel" && name == "CANCELLED");
  if (!consistent) Violated("the status is the raw status's", body, text);
  if ((payout.amount && payout.amount->IsNegative()) ||
      (payout.commission && payout.commission->IsNegative())) {
    Violated("no negative amount or commission", body, text);
  }
}

// Whether the sign the body carries is the md5 of one of the two texts Heleket may have signed,
// recomputed here from the parts rather than through HeleketCallbackSignatureValid.
bool CarriesRightSign(std::string_view body) {
  auto document = cambista::payins::JsonDocument::Parse(body);
  if (!document.ok() || !document.value().root().IsObject()) return false;
  const cambista::payins::JsonNode* sign = document.value().root().Find("sign");
  if (sign == nullptr || !sign->IsString()) return false;
  const std::string presented = cambista::payins::ToLowerAscii(sign->text());
  const std::string php = cambista::payouts::HeleketPhpJson(document.value().root(), "sign");
  if (presented == cambista::payouts::HeleketSign(php, kKey)) return true;
  const auto cut = cambista::payouts::CutTopLevelMember(body, "sign");
  return cut && presented == cambista::payouts::HeleketSign(*cut, kKey);
}

void CheckOne(std::string_view body, bool signed_properly) {
  const CallbackRequest request{body, {}};
  const auto result = Adapter().ParseCallback(request);
  const std::string text = Describe(result);
  if (!result.ok()) {
    if (result.error().message.empty()) Violated("a refusal says why", body, text);
    if (signed_properly && result.error().kind == CallbackRejection::Kind::kBadSignature) {
      Violated("a properly signed callback passes the signature check", body, text);
    }
  } else {
    if (!signed_properly && !CarriesRightSign(body)) {
      Violated("a wrong signature is never accepted", body, text);
    }
    CheckAccepted(body, result.value(), text);
  }
  if (Describe(Adapter().ParseCallback(request)) != text) {
    Violated("parsing is deterministic", body, text);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  CheckOne(body, false);
  auto document = cambista::payins::JsonDocument::Parse(body);
  if (document.ok() && document.value().root().IsObject()) {
    const std::string payload = cambista::payouts::HeleketPhpJson(document.value().root(), "sign");
    if (payload.front() == '{')
      CheckOne(cambista::payouts::HeleketSignCallback(payload, kKey), true);
  }
  return 0;
}
