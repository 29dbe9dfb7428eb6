// ChargeService: creating charges across the tenant's gateways, and recovering creations that a
// stopped process left CREATING.
#include <algorithm>
#include <future>

#include "core/int128.hpp"
#include "ledger/ids.hpp"
#include "obs/json_string.hpp"
#include "payins/charge_service.hpp"
#include "payins/store.hpp"
#include "security/hmac.hpp"

namespace cambista::payins {
namespace {

constexpr size_t kCallbackTokenBytes = 16;  // 128 random bits

std::string CustomerJson(const Customer& customer) {
  std::string out = "{\"name\":";
  obs::AppendJsonString(out, customer.name);
  out += ",\"document\":";
  obs::AppendJsonString(out, customer.document);
  out += ",\"email\":";
  obs::AppendJsonString(out, customer.email);
  out += ",\"phone\":";
  obs::AppendJsonString(out, customer.phone);
  out += "}";
  return out;
}

ChargeError GatewayFailed(std::string detail) {
  return ChargeError{ChargeErrorKind::kGatewayFailed, std::move(detail)};
}

std::string MoneyText(i128 minor, const Asset& asset) {
  return Amount(minor, asset).ToString();
}

}  // namespace

std::pair<i128, std::optional<i128>> GatewayBounds(const GatewayDescription& description,
                                                   const AmountBounds& tenant_bounds) {
  i128 lower = std::max(description.minimum.minor(), tenant_bounds.minimum.value_or(1));
  std::optional<i128> upper;
  const auto tighten = [&upper](std::optional<i128> bound) {
    if (bound) upper = upper ? std::min(*upper, *bound) : *bound;
  };
  if (description.maximum) tighten(description.maximum->minor());
  tighten(tenant_bounds.maximum);
  if (description.currency == "BRL") tighten(kBrCodeAmountMaxMinor);
  return {std::max<i128>(lower, 1), upper};
}

struct ChargeService::Attempt {
  explicit Attempt(NewCharge new_charge) : request(std::move(new_charge)) {}

  Charge charge;
  NewCharge request;
  std::string token;  // only ever in the callback URL; the row keeps its hash
  std::vector<std::string> candidates;
  size_t next = 0;
  std::string last_error;
  bool every_gateway_refused = true;  // as opposed to: one was unreachable or misbehaved
  int64_t deadline_ms = 0;
  CreateDone done;
};

Result<Charge, ChargeError> ChargeService::Create(std::string_view tenant,
                                                  std::string_view idempotency_key,
                                                  const NewCharge& request) {
  std::promise<Result<Charge, ChargeError>> promise;
  auto answer = promise.get_future();
  CreateAsync(tenant, idempotency_key, request,
              [&promise](Result<Charge, ChargeError> result) { promise.set_value(result); });
  return answer.get();
}

void ChargeService::CreateAsync(std::string_view tenant, std::string_view idempotency_key,
                                const NewCharge& request, CreateDone done) {
  if (!request.amount.IsPositive()) {
    done(Failure(
        ChargeError{ChargeErrorKind::kInvalidAmount, "\"amount\" must be positive.", "amount"}));
    return;
  }
  if (request.expires_in_seconds < 60 ||
      request.expires_in_seconds > options_.expires_in_seconds_max) {
    done(Failure(ChargeError{ChargeErrorKind::kInvalidRequest,
                             "\"expires_in_seconds\" must be between 60 and " +
                                 std::to_string(options_.expires_in_seconds_max) + ".",
                             "expires_in_seconds"}));
    return;
  }
  auto connection = pool_.Acquire();
  if (auto existing = Existing(*connection, tenant, idempotency_key)) {
    done(std::move(*existing));
    return;
  }
  auto eligible = EligibleGateways(*connection, tenant, request);
  if (!eligible.ok()) {
    done(Failure(eligible.error()));
    return;
  }
  auto attempt = std::make_shared<Attempt>(request);
  attempt->candidates = std::move(eligible).value();
  attempt->done = std::move(done);
  const int64_t now_ms = clock_.NowMs();
  attempt->deadline_ms = now_ms + options_.creation_deadline_ms;
  Charge& charge = attempt->charge;
  charge.id = "ch_" + ToHex32(ledger::TimeOrderedId(clock_));
  charge.tenant = std::string(tenant);
  charge.reference = request.reference.empty() ? charge.id : request.reference;
  charge.currency = std::string(request.amount.asset().code());
  charge.amount = request.amount.minor();
  charge.description = request.description;
  charge.customer_json = CustomerJson(request.customer);
  charge.expires_at_ms = now_ms + request.expires_in_seconds * 1000;
  charge.created_at_ms = charge.updated_at_ms = now_ms;
  attempt->token = HexEncode(RandomBytes(kCallbackTokenBytes));
  try {
    store::Transaction tx(*connection, store::TransactionMode::kWrite);
    ChargeStore::InsertCreating(*connection, charge, idempotency_key,
                                HexEncode(Sha256(attempt->token)));
    ChargeStore::AppendHistory(*connection, charge.id, std::nullopt, ChargeStatus::kCreating, "api",
                               "created", now_ms);
    tx.Commit();
  } catch (const store::Error& error) {
    if (error.kind() != store::Error::Kind::kConstraint) throw;
    // The same key, concurrently: answer what the other request made.
    attempt->done(
        Existing(*connection, tenant, idempotency_key)
            .value_or(Failure(ChargeError{ChargeErrorKind::kChargeCreating,
                                          "A charge under this key is being created.", ""})));
    return;
  }
  TryNext(attempt);
}

std::optional<Result<Charge, ChargeError>> ChargeService::Existing(
    store::Connection& connection, std::string_view tenant, std::string_view idempotency_key) {
  auto existing = ChargeStore::FindByIdempotencyKey(connection, tenant, idempotency_key);
  if (!existing) return std::nullopt;
  if (existing->status == ChargeStatus::kCreating) {
    if (existing->created_at_ms >= clock_.NowMs() - options_.creating_stale_ms) {
      return Failure(ChargeError{
          ChargeErrorKind::kChargeCreating,
          "The charge " + existing->id + " is still being created at the gateway; retry shortly.",
          ""});
    }
    store::Transaction tx(connection, store::TransactionMode::kWrite);
    *existing = FailCreating(connection, *existing,
                             "the creation was interrupted (the process stopped while calling "
                             "the gateway)");
    tx.Commit();
  }
  if (existing->status == ChargeStatus::kFailed && existing->gateway.empty()) {
    // A creation that failed everywhere stays failed: a retry says so again (a new key makes a new
    // charge).
    return Failure(GatewayFailed("No gateway created the charge " + existing->id + ": " +
                                 existing->last_error));
  }
  return Result<Charge, ChargeError>(std::move(*existing));
}

Result<std::vector<std::string>, ChargeError> ChargeService::EligibleGateways(
    store::Connection& connection, std::string_view tenant, const NewCharge& request) {
  const std::string currency(request.amount.asset().code());
  std::vector<std::string> candidates = ChargeStore::Candidates(connection, tenant, currency);
  if (request.gateway) {
    if (std::find(candidates.begin(), candidates.end(), *request.gateway) == candidates.end()) {
      return Failure(ChargeError{ChargeErrorKind::kGatewayNotConfigured,
                                 "The tenant has no " + currency + " credentials for gateway \"" +
                                     *request.gateway + "\".",
                                 "gateway"});
    }
    candidates = {*request.gateway};
  }
  if (candidates.empty()) {
    return Failure(ChargeError{ChargeErrorKind::kGatewayNotConfigured,
                               "The tenant has no gateway configured for " + currency + ".",
                               "currency"});
  }
  std::vector<std::string> eligible;
  std::optional<i128> hull_lower;
  std::optional<i128> hull_upper;
  bool unbounded_above = false;
  std::string unusable;
  const i128 amount = request.amount.minor();
  for (const std::string& gateway : candidates) {
    auto adapter = Adapter(connection, tenant, gateway);
    auto row = ChargeStore::LoadCredentials(connection, tenant, gateway);
    if (!adapter.ok() || !row) {
      unusable = gateway + ": " + (adapter.ok() ? "not configured" : adapter.error().detail);
      continue;
    }
    const auto [lower, upper] = GatewayBounds(adapter.value()->Describe(), row->bounds);
    if (amount >= lower && (!upper || amount <= *upper)) eligible.push_back(gateway);
    hull_lower = hull_lower ? std::min(*hull_lower, lower) : lower;
    if (!upper) unbounded_above = true;
    if (upper) hull_upper = hull_upper ? std::max(*hull_upper, *upper) : *upper;
  }
  if (!eligible.empty()) return eligible;
  if (!hull_lower) return Failure(GatewayFailed("No gateway can be used: " + unusable));
  const Asset& asset = request.amount.asset();
  ChargeError error{ChargeErrorKind::kAmountOutOfRange, "", "amount"};
  error.minimum = MoneyText(*hull_lower, asset);
  if (!unbounded_above && hull_upper) error.maximum = MoneyText(*hull_upper, asset);
  error.detail = "\"amount\" must be at least " + error.minimum + " " + currency +
                 (error.maximum.empty() ? "" : " and at most " + error.maximum + " " + currency) +
                 (request.gateway ? " at " + *request.gateway : " at the tenant's gateways") + ".";
  return Failure(std::move(error));
}

void ChargeService::TryNext(const std::shared_ptr<Attempt>& attempt) {
  while (attempt->next < attempt->candidates.size()) {
    if (clock_.NowMs() > attempt->deadline_ms) {
      attempt->last_error += (attempt->last_error.empty() ? "" : "; ") +
                             std::string("no time left to try another gateway");
      attempt->every_gateway_refused = false;
      break;
    }
    const std::string gateway = attempt->candidates[attempt->next++];
    if (lanes_.Post(gateway, [this, attempt, gateway] { TryGateway(attempt, gateway); })) return;
    attempt->last_error = gateway + ": busy (too many calls waiting for this gateway)";
    attempt->every_gateway_refused = false;
    RecordFailure(attempt->charge.tenant, gateway, attempt->charge.currency, attempt->last_error);
  }
  Finish(attempt, "", std::nullopt);
}

void ChargeService::TryGateway(const std::shared_ptr<Attempt>& attempt,
                               const std::string& gateway) {
  const Charge& charge = attempt->charge;
  try {
    std::shared_ptr<PayinGateway> adapter;
    {
      auto connection = pool_.Acquire();
      auto bound = Adapter(*connection, charge.tenant, gateway);
      if (!bound.ok()) throw std::runtime_error(bound.error().detail);
      adapter = std::move(bound).value();
    }
    EnsureAccounts(charge.tenant, gateway, charge.currency);
    const NewCharge& request = attempt->request;
    const CreateChargeRequest call{request.amount,
                                   request.description,
                                   charge.id,
                                   request.customer,
                                   request.expires_in_seconds,
                                   options_.public_base_url() + "/webhooks/" + gateway + "/" +
                                       charge.tenant + "/" + attempt->token};
    auto result = lanes_.Call<CreatedCharge>(charge.tenant, gateway,
                                             [&] { return adapter->CreateCharge(call); });
    if (result.ok()) {
      Finish(attempt, gateway, std::move(result).value());
      return;
    }
    const GatewayError& error = result.error();
    attempt->last_error =
        gateway + ": " + std::string(GatewayErrorKindName(error.kind)) + ": " + error.message;
    if (error.kind != GatewayError::Kind::kInvalidRequest &&
        error.kind != GatewayError::Kind::kRejected) {
      attempt->every_gateway_refused = false;
    }
    RecordFailure(charge.tenant, gateway, charge.currency, attempt->last_error);
    // A request the gateway refuses as such would be refused by the next one too, unless it is
    // about this gateway's limits (minimum, currency): only those and outages fall through.
    if (error.kind == GatewayError::Kind::kRejected && attempt->candidates.size() == 1) {
      Finish(attempt, "", std::nullopt);
      return;
    }
  } catch (const std::exception& error) {
    attempt->last_error = gateway + ": " + error.what();
    attempt->every_gateway_refused = false;
  }
  TryNext(attempt);
}

void ChargeService::Finish(const std::shared_ptr<Attempt>& attempt, const std::string& gateway,
                           std::optional<CreatedCharge> created) {
  Charge charge = attempt->charge;
  std::optional<Result<Charge, ChargeError>> answer;
  try {
    auto connection = pool_.Acquire();
    store::Transaction tx(*connection, store::TransactionMode::kWrite);
    const int64_t now_ms = clock_.NowMs();
    charge.updated_at_ms = now_ms;
    if (created) {
      charge.status = ChargeStatus::kPending;
      charge.gateway = gateway;
      charge.gateway_charge_id = created->gateway_charge_id;
      charge.provider_hash = created->provider_hash;
      charge.pix_code = created->pix_code;
      charge.payment_instructions = created->payment_instructions;
      if (created->expires_at_ms) charge.expires_at_ms = *created->expires_at_ms;
      charge.last_error = attempt->last_error;  // an earlier gateway's failure, when it fell back
      if (!ChargeStore::MarkCreated(*connection, charge)) {
        // The recovery job gave up on it meanwhile: it stays as the job left it.
        answer = Failure(GatewayFailed("The gateway answered too late for charge " + charge.id +
                                       "; it was marked FAILED. Create a new charge."));
      } else {
        ChargeStore::AppendHistory(*connection, charge.id, ChargeStatus::kCreating,
                                   ChargeStatus::kPending, "api", "created at " + gateway, now_ms);
        ChargeStore::BumpStats(*connection, charge.tenant, gateway, charge.currency, 1, 0, 0,
                               std::nullopt, now_ms);
        if (!created->tenant_hint.empty()) {
          ChargeStore::SetTenantHint(*connection, charge.tenant, gateway, created->tenant_hint);
        }
        answer = Result<Charge, ChargeError>(charge);
      }
    } else {
      FailCreating(*connection, charge, attempt->last_error);
      const bool refused = attempt->every_gateway_refused;
      answer = Failure(
          ChargeError{refused ? ChargeErrorKind::kGatewayRefused : ChargeErrorKind::kGatewayFailed,
                      "No gateway created the charge " + charge.id + ": " + attempt->last_error});
    }
    tx.Commit();
  } catch (const std::exception& error) {
    // A gateway id the tenant had already (a unique violation) or the database failing: the
    // charge stays CREATING and the recovery job settles it.
    answer = Failure(ChargeError{
        ChargeErrorKind::kInternal,
        "The charge " + charge.id + " could not be recorded: " + std::string(error.what())});
  }
  attempt->done(std::move(*answer));
}

Charge ChargeService::FailCreating(store::Connection& connection, const Charge& charge,
                                   std::string_view why) {
  auto locked = ChargeStore::Find(connection, charge.id, true);
  if (!locked || locked->status != ChargeStatus::kCreating) return locked.value_or(charge);
  Charge failed = *locked;
  failed.status = ChargeStatus::kFailed;
  failed.last_error = std::string(why);
  failed.updated_at_ms = clock_.NowMs();
  ChargeStore::UpdateState(connection, failed);
  ChargeStore::AppendHistory(connection, failed.id, ChargeStatus::kCreating, ChargeStatus::kFailed,
                             "api", why, failed.updated_at_ms);
  return failed;
}

int ChargeService::RecoverCreating(int limit) {
  auto connection = pool_.Acquire();
  const auto stale =
      ChargeStore::StaleCreating(*connection, clock_.NowMs() - options_.creating_stale_ms, limit);
  for (const Charge& charge : stale) {
    store::Transaction tx(*connection, store::TransactionMode::kWrite);
    // None of our gateways can be searched by our reference, so a creation cut short cannot be
    // found again; its callback token keeps any later webhook from touching another charge.
    FailCreating(*connection, charge,
                 "the creation was interrupted (the process stopped while calling the gateway), "
                 "and the gateway cannot be searched by our reference");
    tx.Commit();
  }
  return static_cast<int>(stale.size());
}

}  // namespace cambista::payins
