#include "payins/model.hpp"

#include <array>
#include <utility>

#include "core/enum_names.hpp"
#include "obs/json_log.hpp"
#include "obs/json_string.hpp"

namespace cambista::payins {
namespace {

constexpr std::array<std::string_view, kChargeStatusCount> kStatusNames = {
    "CREATING", "PENDING",  "PAID",          "EXPIRED",
    "FAILED",   "REFUNDED", "MANUAL_REVIEW", "REFUND_PENDING"};

using S = ChargeStatus;
// Every transition a charge may make; anything else is a bug (CAMBISTA_CHECK where applied).
constexpr std::pair<ChargeStatus, ChargeStatus> kTransitions[] = {
    {S::kCreating, S::kPending},
    {S::kCreating, S::kFailed},
    {S::kPending, S::kPaid},
    {S::kPending, S::kExpired},
    {S::kPending, S::kFailed},
    {S::kPending, S::kManualReview},
    {S::kPending, S::kRefunded},
    {S::kExpired, S::kRefunded},
    {S::kFailed, S::kRefunded},
    {S::kExpired, S::kManualReview},
    {S::kFailed, S::kManualReview},
    {S::kPaid, S::kRefunded},
    {S::kPaid, S::kManualReview},
    {S::kManualReview, S::kPaid},
    {S::kManualReview, S::kRefundPending},
    {S::kManualReview, S::kRefunded},
    {S::kRefundPending, S::kRefunded},
};

constexpr std::array<std::string_view, 5> kProofNames = {"none", "signature", "gateway_api",
                                                         "token", "operator"};
constexpr std::array<std::string_view, 4> kReviewNames = {"none", "amount_mismatch",
                                                          "paid_after_close", "refund_uncovered"};

void AppendMoney(std::string& out, i128 minor, int scale) {
  auto asset = Asset::Make("XX", scale);
  obs::AppendJsonString(out, Amount(minor, asset.value()).ToString());
}

void AppendOptionalMoney(std::string& out, const std::optional<i128>& minor, int scale) {
  if (minor) {
    AppendMoney(out, *minor, scale);
  } else {
    out += "null";
  }
}

void AppendTextOrNull(std::string& out, std::string_view text) {
  if (text.empty()) {
    out += "null";
  } else {
    obs::AppendJsonString(out, text);
  }
}

// "pix_code", the QR URLs and the VES instructions, where the charge has them.
void AppendPaymentDetails(std::string& out, const Charge& charge) {
  if (!charge.pix_code.empty()) {
    out += ",\"pix_code\":";
    obs::AppendJsonString(out, charge.pix_code);
    out += ",\"qr_png_url\":";
    obs::AppendJsonString(out, "/v1/charges/" + charge.id + "/qr.png");
    out += ",\"qr_svg_url\":";
    obs::AppendJsonString(out, "/v1/charges/" + charge.id + "/qr.svg");
  }
  if (!charge.payment_instructions.empty()) {
    out += ",\"payment_instructions\":";
    obs::AppendJsonString(out, charge.payment_instructions);
  }
}

}  // namespace

std::string_view ChargeStatusName(ChargeStatus status) {
  return kStatusNames[static_cast<size_t>(status)];
}

std::optional<ChargeStatus> ParseChargeStatus(std::string_view name) {
  return ParseEnumName<ChargeStatus>(kStatusNames, name);
}

bool TransitionAllowed(ChargeStatus from, ChargeStatus to) {
  for (const auto& [allowed_from, allowed_to] : kTransitions) {
    if (allowed_from == from && allowed_to == to) return true;
  }
  return false;
}

std::string_view ProofName(Proof proof) {
  return kProofNames[static_cast<size_t>(proof)];
}

std::optional<Proof> ParseProof(std::string_view name) {
  return ParseEnumName<Proof>(kProofNames, name);
}

std::string_view ReviewKindName(ReviewKind kind) {
  return kReviewNames[static_cast<size_t>(kind)];
}

std::optional<ReviewKind> ParseReviewKind(std::string_view name) {
  return ParseEnumName<ReviewKind>(kReviewNames, name);
}

std::optional<Resolution> ParseResolution(std::string_view name) {
  constexpr std::array<std::string_view, 3> kNames = {"accept", "refund", "refunded"};
  return ParseEnumName<Resolution>(kNames, name);
}

std::string ChargeJson(const Charge& charge, int scale) {
  std::string out = "{\"id\":";
  obs::AppendJsonString(out, charge.id);
  out += ",\"status\":";
  obs::AppendJsonString(out, ChargeStatusName(charge.status));
  out += ",\"gateway\":";
  obs::AppendJsonString(out, charge.gateway);
  out += ",\"gateway_charge_id\":";
  obs::AppendJsonString(out, charge.gateway_charge_id);
  out += ",\"reference\":";
  obs::AppendJsonString(out, charge.reference);
  out += ",\"amount\":";
  AppendMoney(out, charge.amount, scale);
  out += ",\"paid_amount\":";
  AppendOptionalMoney(out, charge.paid_amount, scale);
  out += ",\"fee_amount\":";
  AppendOptionalMoney(out, charge.fee_amount, scale);
  out += ",\"net_amount\":";
  AppendOptionalMoney(out,
                      charge.status == ChargeStatus::kPaid && charge.paid_amount
                          ? std::optional<i128>(*charge.paid_amount - charge.fee_amount.value_or(0))
                          : std::nullopt,
                      scale);
  out += ",\"currency\":";
  obs::AppendJsonString(out, charge.currency);
  out += ",\"proof\":";
  AppendTextOrNull(out, charge.proof == Proof::kNone ? "" : ProofName(charge.proof));
  out += ",\"review_reason\":";
  AppendTextOrNull(
      out, charge.review_kind == ReviewKind::kNone ? "" : ReviewKindName(charge.review_kind));
  out += ",\"description\":";
  obs::AppendJsonString(out, charge.description);
  out += ",\"customer\":" + charge.customer_json;
  AppendPaymentDetails(out, charge);
  out += ",\"expires_at\":\"";
  obs::AppendRfc3339Millis(out, charge.expires_at_ms * 1'000'000);
  out += "\",\"expires_at_ms\":" + std::to_string(charge.expires_at_ms);
  out += ",\"created_at_ms\":" + std::to_string(charge.created_at_ms);
  out += ",\"updated_at_ms\":" + std::to_string(charge.updated_at_ms);
  out += ",\"paid_at_ms\":" + (charge.paid_at_ms ? std::to_string(*charge.paid_at_ms) : "null");
  out += ",\"last_error\":";
  AppendTextOrNull(out, charge.last_error);
  out += "}";
  return out;
}

}  // namespace cambista::payins
