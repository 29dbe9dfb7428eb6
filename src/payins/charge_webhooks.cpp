// ChargeService: webhooks from the gateways, and the confirmations they ask for. A delivery is
// recorded whatever becomes of it; only a verified one may change a charge.
#include "events/event_outbox.hpp"
#include "jobs/job_table.hpp"
#include "obs/json_string.hpp"
#include "payins/charge_service.hpp"
#include "payins/provider_json.hpp"
#include "payins/store.hpp"
#include "security/hmac.hpp"

namespace cambista::payins {
namespace {

constexpr int kConfirmAttemptsMax = 30;

std::string ConfirmPayload(std::string_view charge_id) {
  std::string payload = "{\"charge_id\":";
  obs::AppendJsonString(payload, charge_id);
  return payload + "}";
}

std::optional<std::string> ChargeIdOf(std::string_view payload) {
  auto document = JsonDocument::Parse(payload);
  if (!document.ok()) return std::nullopt;
  auto root = document.value().RootObject();
  if (!root.ok()) return std::nullopt;
  auto id = root.value().RequiredString("charge_id");
  if (!id.ok()) return std::nullopt;
  return std::move(id).value();
}

// The event names a transaction of the gateway other than the charge's.
bool NamesAnotherTransaction(const Charge& charge, const WebhookEvent& event) {
  const auto is_charges = [&charge](const std::string& id) {
    return id == charge.gateway_charge_id ||
           (!charge.provider_hash.empty() && id == charge.provider_hash);
  };
  if (!event.gateway_charge_id.empty()) return !is_charges(event.gateway_charge_id);
  if (!event.provider_hash.empty()) return !is_charges(event.provider_hash);
  return false;
}

}  // namespace

IngestResult ChargeService::Refuse(const IncomingWebhook& webhook,
                                   const std::optional<Charge>& charge, int status,
                                   std::string_view code, std::string detail, bool verified) {
  Delivery delivery;
  delivery.gateway = std::string(webhook.gateway);
  delivery.tenant = charge ? charge->tenant : std::string(webhook.tenant);
  delivery.charge_id = charge ? charge->id : "";
  delivery.verified = verified;
  delivery.outcome = std::string(code);
  delivery.detail = detail;
  delivery.source_address = std::string(webhook.source_address);
  delivery.body = webhook.request.body;
  delivery.received_at_ms = clock_.NowMs();
  auto connection = pool_.Acquire();
  ChargeStore::InsertDelivery(*connection, delivery);
  if (status < 400) return IngestResult{status, std::string(code), "", std::move(detail), ""};
  return IngestResult{status, "", std::string(code), std::move(detail),
                      charge ? charge->id : std::string()};
}

bool ChargeService::KnowsGateway(std::string_view gateway) const {
  auto built = factory_(gateway, {});
  return built.ok() || built.error().kind != ChargeErrorKind::kUnknownGateway;
}

IngestResult ChargeService::Ingest(const IncomingWebhook& webhook) {
  if (!KnowsGateway(webhook.gateway)) {
    return IngestResult{404, "", "not_found", "No gateway is called that.", ""};
  }
  std::optional<Charge> charge;
  if (!webhook.token.empty()) {
    // Looked up by the token's hash: how long the lookup takes says nothing of the token.
    auto connection = pool_.Acquire();
    charge = ChargeStore::FindByTokenHash(*connection, HexEncode(Sha256(webhook.token)));
  }
  if (!charge || !ConstantTimeEquals(charge->tenant, webhook.tenant) ||
      (charge->status != ChargeStatus::kCreating && charge->gateway != webhook.gateway)) {
    counters_.invalid_token.fetch_add(1, std::memory_order_relaxed);
    return Refuse(webhook, std::nullopt, 401, "invalid_token",
                  "The callback URL does not carry a valid charge token.", false);
  }
  if (charge->status == ChargeStatus::kCreating) {
    return Refuse(webhook, charge, 503, "charge_not_ready",
                  "The charge is still being created; deliver again later.", true);
  }
  std::shared_ptr<PayinGateway> adapter;
  {
    auto connection = pool_.Acquire();
    auto bound = Adapter(*connection, charge->tenant, charge->gateway);
    if (!bound.ok())
      return Refuse(webhook, charge, 503, "gateway_unavailable", bound.error().detail, true);
    adapter = std::move(bound).value();
  }
  auto parsed = adapter->ParseWebhook(webhook.request);
  if (!parsed.ok()) {
    const WebhookRejection& rejection = parsed.error();
    const std::string detail = rejection.field.empty()
                                   ? rejection.message
                                   : "\"" + rejection.field + "\": " + rejection.message;
    switch (rejection.kind) {
      case WebhookRejection::Kind::kBadSignature:
        counters_.bad_signature.fetch_add(1, std::memory_order_relaxed);
        return Refuse(webhook, charge, 401, "invalid_signature", detail, false);
      case WebhookRejection::Kind::kMalformed:
        counters_.malformed.fetch_add(1, std::memory_order_relaxed);
        return Refuse(webhook, charge, 400, "invalid_payload", detail, true);
      case WebhookRejection::Kind::kIgnored:
        return Refuse(webhook, charge, 200, "ignored", detail, true);
    }
  }
  const WebhookEvent& event = parsed.value();
  if (NamesAnotherTransaction(*charge, event)) {
    return Refuse(webhook, charge, 422, "charge_mismatch",
                  "The webhook names another transaction than this charge's.", true);
  }
  const GatewayDescription& description = adapter->Describe();
  if (description.signs_webhooks) return ApplyWebhook(webhook, *charge, event, Proof::kSignature);
  if (description.can_fetch_status) return QueueConfirmation(webhook, *charge, event);
  return ApplyWebhook(webhook, *charge, event, Proof::kToken);
}

IngestResult ChargeService::ApplyWebhook(const IncomingWebhook& webhook, const Charge& charge,
                                         const WebhookEvent& event, Proof proof) {
  EnsureAccounts(charge.tenant, charge.gateway, charge.currency);
  Delivery delivery{std::string(webhook.gateway),
                    charge.tenant,
                    charge.id,
                    event.event_id,
                    true,
                    "stale",
                    "",
                    std::string(webhook.source_address),
                    webhook.request.body,
                    clock_.NowMs()};
  auto connection = pool_.Acquire();
  for (int attempt = 0;; ++attempt) {
    try {
      store::Transaction tx(*connection, store::TransactionMode::kWrite);
      if (ChargeStore::AppliedEventExists(*connection, webhook.gateway, event.event_id)) {
        delivery.outcome = "duplicate";
        ChargeStore::InsertDelivery(*connection, delivery);
        tx.Commit();
        counters_.duplicates.fetch_add(1, std::memory_order_relaxed);
        return IngestResult{200, "duplicate", "", "", charge.id};
      }
      auto locked = ChargeStore::Find(*connection, charge.id, true);
      auto change = Decide(*locked, event.status,
                           event.amount ? std::optional(event.amount->minor()) : std::nullopt,
                           event.fee ? std::optional(event.fee->minor()) : std::nullopt, proof);
      std::string outcome = "stale";
      if (change) {
        const Charge after = Apply(*connection, *locked, std::move(*change),
                                   "webhook:" + std::string(webhook.gateway), event.event_id);
        outcome = after.status == ChargeStatus::kManualReview ? "manual_review" : "applied";
        delivery.outcome = "applied";  // takes the event's dedupe key
        delivery.detail = std::string(ChargeStatusName(after.status));
      }
      ChargeStore::InsertDelivery(*connection, delivery);
      tx.Commit();
      if (change) {
        counters_.applied.fetch_add(1, std::memory_order_relaxed);
        Committed();
      }
      return IngestResult{200, outcome, "", "", charge.id};
    } catch (const store::Error& error) {
      // The same event applied concurrently (its dedupe key taken): the retry says duplicate.
      if (error.kind() == store::Error::Kind::kConstraint && attempt == 0) continue;
      throw;
    }
  }
}

IngestResult ChargeService::QueueConfirmation(const IncomingWebhook& webhook, const Charge& charge,
                                              const WebhookEvent& event) {
  Delivery delivery{std::string(webhook.gateway),
                    charge.tenant,
                    charge.id,
                    event.event_id,
                    true,
                    "confirming",
                    "",
                    std::string(webhook.source_address),
                    webhook.request.body,
                    clock_.NowMs()};
  jobs::NewJob job;
  job.kind = std::string(kConfirmJobKind);
  job.payload = ConfirmPayload(charge.id);
  job.max_attempts = kConfirmAttemptsMax;
  auto connection = pool_.Acquire();
  store::Transaction tx(*connection, store::TransactionMode::kWrite);
  // One confirmation waiting per charge is enough: it reads the gateway's latest word. No dedupe
  // key: a hint that was confirmed as nothing (forged, early) must not stop the next one.
  if (!jobs::HasReadyJob(*connection, job.kind, job.payload))
    jobs::Enqueue(*connection, clock_, job);
  ChargeStore::InsertDelivery(*connection, delivery);
  tx.Commit();
  if (options_.wake_jobs) options_.wake_jobs();
  counters_.confirming.fetch_add(1, std::memory_order_relaxed);
  return IngestResult{200, "confirming", "", "", charge.id};
}

ConfirmOutcome ChargeService::Confirm(std::string_view job_payload) {
  const auto charge_id = ChargeIdOf(job_payload);
  if (!charge_id) return ConfirmOutcome{true, 0, "malformed job payload"};
  auto connection = pool_.Acquire();
  auto charge = ChargeStore::Find(*connection, *charge_id, false);
  if (!charge || charge->gateway_charge_id.empty()) return ConfirmOutcome{};
  auto adapter = Adapter(*connection, charge->tenant, charge->gateway);
  if (!adapter.ok()) return ConfirmOutcome{false, 0, adapter.error().detail};
  if (!adapter.value()->Describe().can_fetch_status) return ConfirmOutcome{};
  auto report = lanes_.Call<StatusReport>(charge->tenant, charge->gateway, [&] {
    return adapter.value()->FetchStatus(charge->gateway_charge_id);
  });
  if (!report.ok()) {
    const GatewayError& error = report.error();
    if (error.kind == GatewayError::Kind::kRejected) return ConfirmOutcome{true, 0, error.message};
    return ConfirmOutcome{false, error.retry_after_ms, error.message};
  }
  EnsureAccounts(charge->tenant, charge->gateway, charge->currency);
  store::Transaction tx(*connection, store::TransactionMode::kWrite);
  auto locked = ChargeStore::Find(*connection, charge->id, true);
  const StatusReport& status = report.value();
  auto change = Decide(
      *locked, status.status, status.amount ? std::optional(status.amount->minor()) : std::nullopt,
      status.fee ? std::optional(status.fee->minor()) : std::nullopt, Proof::kGatewayApi);
  if (change) {
    Apply(*connection, *locked, std::move(*change), "confirm:" + charge->gateway,
          "the gateway says " + status.raw_status);
    counters_.applied.fetch_add(1, std::memory_order_relaxed);
  }
  tx.Commit();
  if (change) Committed();
  return ConfirmOutcome{};
}

}  // namespace cambista::payins
