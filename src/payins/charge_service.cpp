#include "payins/charge_service.hpp"

#include <algorithm>

#include "core/int128.hpp"
#include "events/event_outbox.hpp"
#include "ledger/ids.hpp"
#include "obs/json_log.hpp"
#include "obs/json_string.hpp"
#include "security/hmac.hpp"

namespace cambista::payins {
namespace {

constexpr uint32_t kAccountCodeGatewayClearing = 110;  // debit-normal: held at a gateway
constexpr uint32_t kAccountCodeMerchant = 210;         // credit-normal: owed to a merchant
constexpr uint32_t kTransferCodeChargePaid = 1101;
constexpr uint32_t kTransferCodeChargeRefunded = 1102;
constexpr int kExpireBatchMax = 100;

constexpr std::string_view kChargeColumns =
    "id, tenant, gateway, gateway_charge_id, provider_hash, reference, status, currency, amount, "
    "paid_amount, description, customer, pix_code, payment_instructions, expires_at_ms, "
    "created_at_ms, updated_at_ms, paid_at_ms, last_error";

std::string OptionalText(const store::Row& row, int column) {
  return row.IsNull(column) ? std::string() : std::string(row.Text(column));
}

Charge ReadCharge(const store::Row& row) {
  Charge charge;
  charge.id = row.Text(0);
  charge.tenant = row.Text(1);
  charge.gateway = OptionalText(row, 2);
  charge.gateway_charge_id = OptionalText(row, 3);
  charge.provider_hash = OptionalText(row, 4);
  charge.reference = row.Text(5);
  charge.status = row.Text(6);
  charge.currency = row.Text(7);
  charge.amount = row.Int128(8);
  if (!row.IsNull(9)) charge.paid_amount = row.Int128(9);
  charge.description = row.Text(10);
  charge.customer_json = row.Text(11);
  charge.pix_code = OptionalText(row, 12);
  charge.payment_instructions = OptionalText(row, 13);
  charge.expires_at_ms = row.Int64(14);
  charge.created_at_ms = row.Int64(15);
  charge.updated_at_ms = row.Int64(16);
  if (!row.IsNull(17)) charge.paid_at_ms = row.Int64(17);
  charge.last_error = OptionalText(row, 18);
  return charge;
}

std::optional<Charge> QueryCharge(store::Connection& connection, std::string_view where,
                                  std::initializer_list<store::Param> params, bool lock) {
  std::optional<Charge> found;
  std::string sql = "SELECT " + std::string(kChargeColumns) + " FROM charges WHERE " +
                    std::string(where) + " ORDER BY id LIMIT 1";
  if (lock && connection.backend() == store::Backend::kPostgres) sql += " FOR UPDATE";
  connection.Query(sql, params, [&found](const store::Row& row) { found = ReadCharge(row); });
  return found;
}

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

struct Decision {
  std::string to;
  std::string reason;
  bool post_paid = false;
  bool post_refund = false;
};

// What a gateway's word does to a charge. nullopt: nothing (stale, repeated or backwards).
std::optional<Decision> Decide(const Charge& charge, GatewayStatus status,
                               std::optional<i128> amount) {
  const bool open = charge.status == "CREATING" || charge.status == "PENDING";
  switch (status) {
    case GatewayStatus::kPending:
      return std::nullopt;
    case GatewayStatus::kPaid:
      if (open) {
        if (amount && *amount != charge.amount) {
          return Decision{"MANUAL_REVIEW", "paid amount differs from the charge", false, false};
        }
        return Decision{"PAID", "paid", true, false};
      }
      if (charge.status == "EXPIRED" || charge.status == "FAILED") {
        return Decision{"MANUAL_REVIEW", "paid after the charge was " + charge.status, false,
                        false};
      }
      return std::nullopt;
    case GatewayStatus::kExpired:
      if (open) return Decision{"EXPIRED", "expired at the gateway", false, false};
      return std::nullopt;
    case GatewayStatus::kFailed:
      if (open) return Decision{"FAILED", "failed at the gateway", false, false};
      return std::nullopt;
    case GatewayStatus::kRefunded:
      if (charge.status == "PAID") return Decision{"REFUNDED", "refunded", false, true};
      return std::nullopt;
  }
  return std::nullopt;
}

std::string_view EventTypeFor(std::string_view status) {
  if (status == "PAID") return "charge.paid";
  if (status == "EXPIRED") return "charge.expired";
  if (status == "FAILED") return "charge.failed";
  if (status == "REFUNDED") return "charge.refunded";
  return "";
}

}  // namespace

std::string ChargeJson(const Charge& charge, int scale) {
  const auto money = [scale](i128 minor) {
    auto asset = Asset::Make("XX", scale);
    return Amount(minor, asset.value()).ToString();
  };
  std::string out = "{\"id\":";
  obs::AppendJsonString(out, charge.id);
  out += ",\"status\":";
  obs::AppendJsonString(out, charge.status);
  out += ",\"gateway\":";
  obs::AppendJsonString(out, charge.gateway);
  out += ",\"gateway_charge_id\":";
  obs::AppendJsonString(out, charge.gateway_charge_id);
  out += ",\"reference\":";
  obs::AppendJsonString(out, charge.reference);
  out += ",\"amount\":";
  obs::AppendJsonString(out, money(charge.amount));
  out += ",\"paid_amount\":";
  if (charge.paid_amount) {
    obs::AppendJsonString(out, money(*charge.paid_amount));
  } else {
    out += "null";
  }
  out += ",\"currency\":";
  obs::AppendJsonString(out, charge.currency);
  out += ",\"description\":";
  obs::AppendJsonString(out, charge.description);
  out += ",\"customer\":" + charge.customer_json;
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
  out += ",\"expires_at\":\"";
  obs::AppendRfc3339Millis(out, charge.expires_at_ms * 1'000'000);
  out += "\",\"expires_at_ms\":" + std::to_string(charge.expires_at_ms);
  out += ",\"created_at_ms\":" + std::to_string(charge.created_at_ms);
  out += ",\"updated_at_ms\":" + std::to_string(charge.updated_at_ms);
  out += ",\"paid_at_ms\":" + (charge.paid_at_ms ? std::to_string(*charge.paid_at_ms) : "null");
  out += ",\"last_error\":";
  if (charge.last_error.empty()) {
    out += "null";
  } else {
    obs::AppendJsonString(out, charge.last_error);
  }
  out += "}";
  return out;
}

ChargeService::ChargeService(store::Database& database, ledger::Ledger& ledger,
                             const AssetRegistry& assets, const SecretBox& box, const Clock& clock,
                             AdapterFactory factory, ChargeServiceOptions options)
    : pool_(database),
      ledger_(ledger),
      assets_(assets),
      box_(box),
      clock_(clock),
      factory_(std::move(factory)),
      options_(std::move(options)) {}

u128 ChargeService::AccountId(std::string_view name) {
  // Named accounts get a stable id: the first 16 bytes of a hash of the name (never 0 or all ones
  // in practice; checked anyway).
  const std::string digest = Sha256("cambista.account:" + std::string(name));
  u128 id = 0;
  for (int i = 0; i < 16; ++i) id = (id << 8) | static_cast<unsigned char>(digest[i]);
  id >>= 1;  // below the all-ones id the ledger reserves
  return id == 0 ? 1 : id;
}

std::string CredentialContext(std::string_view tenant, std::string_view gateway) {
  return "gateway_credentials:" + std::string(tenant) + ":" + std::string(gateway);
}

namespace {

// Credentials travel sealed as "name=value" lines, values hex-encoded (any bytes).
std::string EncodeCredentials(const Credentials& credentials) {
  std::string out;
  for (const auto& [name, value] : credentials) out += name + "=" + HexEncode(value) + "\n";
  return out;
}

std::optional<Credentials> DecodeCredentials(std::string_view text) {
  Credentials credentials;
  while (!text.empty()) {
    const size_t end = text.find('\n');
    const std::string_view line = text.substr(0, end);
    const size_t equals = line.find('=');
    if (equals == std::string_view::npos) return std::nullopt;
    auto value = HexDecode(line.substr(equals + 1));
    if (!value.ok()) return std::nullopt;
    credentials.emplace(std::string(line.substr(0, equals)), std::move(value).value());
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
  return credentials;
}

}  // namespace

Result<GatewaySetting, ChargeError> ChargeService::SetGateway(std::string_view tenant,
                                                              std::string_view gateway,
                                                              const Credentials& credentials,
                                                              int64_t priority) {
  auto built = factory_(gateway, credentials);
  if (!built.ok()) return Failure(built.error());
  const GatewayDescription& description = built.value()->Describe();
  GatewaySetting setting;
  setting.gateway = std::string(gateway);
  setting.currency = description.currency;
  setting.priority = priority;
  setting.updated_at_ms = clock_.NowMs();
  for (const auto& [name, value] : credentials) setting.credential_names.push_back(name);
  const std::string sealed =
      box_.Seal(EncodeCredentials(credentials), CredentialContext(tenant, gateway));
  auto connection = pool_.Acquire();
  store::Transaction tx(*connection, store::TransactionMode::kWrite);
  connection->Execute(
      "INSERT INTO gateway_credentials (tenant, gateway, currency, priority, credentials_sealed, "
      "tenant_hint, created_at_ms, updated_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $7) "
      "ON CONFLICT (tenant, gateway) DO UPDATE SET currency = excluded.currency, priority = "
      "excluded.priority, credentials_sealed = excluded.credentials_sealed, tenant_hint = "
      "excluded.tenant_hint, updated_at_ms = excluded.updated_at_ms",
      {tenant, gateway, std::string_view(setting.currency), priority, store::Blob{sealed},
       setting.tenant_hint.empty() ? store::Param(store::Null{})
                                   : store::Param(std::string_view(setting.tenant_hint)),
       setting.updated_at_ms});
  tx.Commit();
  return setting;
}

std::vector<GatewaySetting> ChargeService::Gateways(std::string_view tenant) {
  std::vector<GatewaySetting> settings;
  std::vector<std::string> sealed;
  auto connection = pool_.Acquire();
  connection->Query(
      "SELECT gateway, currency, priority, tenant_hint, updated_at_ms, credentials_sealed FROM "
      "gateway_credentials WHERE tenant = $1 ORDER BY currency, priority, gateway",
      {tenant}, [&](const store::Row& row) {
        GatewaySetting setting;
        setting.gateway = row.Text(0);
        setting.currency = row.Text(1);
        setting.priority = row.Int64(2);
        setting.tenant_hint = OptionalText(row, 3);
        setting.updated_at_ms = row.Int64(4);
        settings.push_back(std::move(setting));
        sealed.push_back(row.Bytes(5));
      });
  for (size_t i = 0; i < settings.size(); ++i) {
    auto opened = box_.Open(sealed[i], CredentialContext(tenant, settings[i].gateway));
    if (!opened.ok()) continue;
    if (auto credentials = DecodeCredentials(opened.value())) {
      for (const auto& [name, value] : *credentials) settings[i].credential_names.push_back(name);
    }
  }
  return settings;
}

Result<std::shared_ptr<PayinGateway>, ChargeError> ChargeService::Adapter(
    store::Connection& connection, std::string_view tenant, std::string_view gateway) {
  std::optional<std::string> sealed;
  int64_t updated_at_ms = 0;
  connection.Query(
      "SELECT credentials_sealed, updated_at_ms FROM gateway_credentials WHERE tenant = $1 AND "
      "gateway = $2",
      {tenant, gateway}, [&](const store::Row& row) {
        sealed = row.Bytes(0);
        updated_at_ms = row.Int64(1);
      });
  if (!sealed) {
    return Failure(ChargeError{
        404, "gateway_not_configured",
        "The tenant has no credentials for gateway \"" + std::string(gateway) + "\".", "gateway"});
  }
  const std::string key = std::string(tenant) + "\n" + std::string(gateway);
  {
    std::lock_guard lock(cache_mutex_);
    if (auto it = cache_.find(key);
        it != cache_.end() && it->second.updated_at_ms == updated_at_ms) {
      return it->second.gateway;
    }
  }
  auto opened = box_.Open(*sealed, CredentialContext(tenant, gateway));
  std::optional<Credentials> credentials;
  if (opened.ok()) credentials = DecodeCredentials(opened.value());
  if (!credentials) {
    return Failure(ChargeError{500, "credentials_unreadable",
                               "The stored credentials for gateway \"" + std::string(gateway) +
                                   "\" cannot be opened with this master key.",
                               ""});
  }
  auto built = factory_(gateway, *credentials);
  if (!built.ok()) return Failure(built.error());
  std::shared_ptr<PayinGateway> adapter(std::move(built).value());
  std::lock_guard lock(cache_mutex_);
  cache_[key] = Cached{updated_at_ms, adapter};
  return adapter;
}

void ChargeService::EnsureAccounts(std::string_view tenant, std::string_view gateway,
                                   const Asset& asset) {
  const std::string clearing = "gateway:" + std::string(gateway) + ":" + std::string(asset.code());
  const std::string merchant = "merchant:" + std::string(tenant) + ":" + std::string(asset.code());
  {
    std::lock_guard lock(accounts_mutex_);
    if (accounts_made_.contains(clearing + "\n" + merchant)) return;
  }
  ledger::Account accounts[2];
  accounts[0].id = AccountId(clearing);
  accounts[0].asset = std::string(asset.code());
  accounts[0].code = kAccountCodeGatewayClearing;
  accounts[0].flags = ledger::AccountFlags::kCreditsMustNotExceedDebits;
  accounts[1].id = AccountId(merchant);
  accounts[1].asset = std::string(asset.code());
  accounts[1].code = kAccountCodeMerchant;
  accounts[1].flags = ledger::AccountFlags::kDebitsMustNotExceedCredits;
  for (const auto result : ledger_.CreateAccounts(accounts)) {
    if (result != ledger::CreateAccountResult::kOk &&
        result != ledger::CreateAccountResult::kExists) {
      throw std::runtime_error("ledger account for a charge: " + std::string(ledger::Name(result)));
    }
  }
  auto connection = pool_.Acquire();
  store::Transaction tx(*connection, store::TransactionMode::kWrite);
  for (int i = 0; i < 2; ++i) {
    connection->Execute(
        "INSERT INTO account_names (name, account_id) VALUES ($1, $2) ON CONFLICT (name) DO "
        "NOTHING",
        {std::string_view(i == 0 ? clearing : merchant), store::Id{accounts[i].id}});
  }
  tx.Commit();
  std::lock_guard lock(accounts_mutex_);
  accounts_made_.insert(clearing + "\n" + merchant);
}

namespace {

// Adds to the counters of (tenant, gateway, currency), creating the row; inside `tx`.
void BumpStats(store::Connection& tx, std::string_view tenant, std::string_view gateway,
               std::string_view currency, int64_t created, int64_t paid, i128 volume,
               std::optional<std::string_view> error, int64_t now_ms) {
  tx.Execute(
      "INSERT INTO charge_stats (tenant, gateway, currency, created, paid, volume_paid, failures) "
      "VALUES ($1, $2, $3, 0, 0, $4, 0) ON CONFLICT (tenant, gateway, currency) DO NOTHING",
      {tenant, gateway, currency, store::Int128{0}});
  i128 volume_before = 0;
  tx.Query(std::string("SELECT volume_paid FROM charge_stats WHERE tenant = $1 AND gateway = $2 "
                       "AND currency = $3") +
               (tx.backend() == store::Backend::kPostgres ? " FOR UPDATE" : ""),
           {tenant, gateway, currency},
           [&volume_before](const store::Row& row) { volume_before = row.Int128(0); });
  if (error) {
    tx.Execute(
        "UPDATE charge_stats SET failures = failures + 1, last_error = $4, last_error_at_ms = $5 "
        "WHERE tenant = $1 AND gateway = $2 AND currency = $3",
        {tenant, gateway, currency, *error, now_ms});
  }
  if (created != 0 || paid != 0 || volume != 0) {
    tx.Execute(
        "UPDATE charge_stats SET created = created + $4, paid = paid + $5, volume_paid = $6 WHERE "
        "tenant = $1 AND gateway = $2 AND currency = $3",
        {tenant, gateway, currency, created, paid, store::Int128{volume_before + volume}});
  }
}

void AppendHistory(store::Connection& tx, std::string_view charge_id,
                   std::optional<std::string_view> from, std::string_view to,
                   std::string_view actor, std::string_view reason, int64_t now_ms) {
  tx.Execute(
      "INSERT INTO charge_history (charge_id, from_status, to_status, actor, reason, at_ms) "
      "VALUES ($1, $2, $3, $4, $5, $6)",
      {charge_id, from ? store::Param(*from) : store::Param(store::Null{}), to, actor, reason,
       now_ms});
}

struct ApplyDeps {
  ledger::Ledger& ledger;
  const AssetRegistry& assets;
  const Clock& clock;
  const ChargeServiceOptions& options;
};

// Applies a decided change to a (locked) charge inside `tx`: ledger transfer, status, history,
// counters and event. Returns the outcome ("applied" or "manual_review").
std::string ApplyDecision(store::Connection& tx, const ApplyDeps& deps, const Charge& charge,
                          Decision decision, GatewayStatus status, std::optional<i128> paid,
                          std::string_view actor, std::string_view event_id) {
  const int64_t now_ms = deps.clock.NowMs();
  std::string outcome = decision.to == "MANUAL_REVIEW" ? "manual_review" : "applied";
  auto asset = deps.assets.Find(charge.currency);
  if (!asset.ok()) throw std::runtime_error("charge in an unknown currency");
  if (decision.post_paid || decision.post_refund) {
    const u128 clearing =
        ChargeService::AccountId("gateway:" + charge.gateway + ":" + charge.currency);
    const u128 merchant =
        ChargeService::AccountId("merchant:" + charge.tenant + ":" + charge.currency);
    ledger::Transfer transfer;
    transfer.id = ledger::TimeOrderedId(deps.clock);
    transfer.debit_account_id = decision.post_paid ? clearing : merchant;
    transfer.credit_account_id = decision.post_paid ? merchant : clearing;
    transfer.amount = static_cast<u128>(charge.amount);
    transfer.asset = charge.currency;
    transfer.code = decision.post_paid ? kTransferCodeChargePaid : kTransferCodeChargeRefunded;
    const auto results = deps.ledger.SubmitInTransaction(tx, {&transfer, 1});
    if (!ledger::IsSuccess(results.front())) {
      if (decision.post_paid) {
        throw std::runtime_error("ledger refused a charge payment: " +
                                 std::string(ledger::Name(results.front())));
      }
      // The merchant's balance cannot cover the refund: an operator decides.
      decision = Decision{"MANUAL_REVIEW",
                          "refund not covered by the merchant's balance (" +
                              std::string(ledger::Name(results.front())) + ")",
                          false, false};
      outcome = "manual_review";
    }
  }
  const bool paid_now = status == GatewayStatus::kPaid && paid.has_value();
  tx.Execute(
      "UPDATE charges SET status = $2, paid_amount = COALESCE($3, paid_amount), paid_at_ms = "
      "COALESCE(paid_at_ms, $4), updated_at_ms = $5, last_error = $6 WHERE id = $1",
      {std::string_view(charge.id), std::string_view(decision.to),
       paid_now ? store::Param(store::Int128{*paid}) : store::Param(store::Null{}),
       status == GatewayStatus::kPaid ? store::Param(now_ms) : store::Param(store::Null{}), now_ms,
       decision.to == "MANUAL_REVIEW" ? store::Param(std::string_view(decision.reason))
                                      : store::Param(store::Null{})});
  AppendHistory(tx, charge.id, charge.status, decision.to, actor,
                decision.reason + " (" + std::string(event_id) + ")", now_ms);
  if (decision.post_paid) {
    BumpStats(tx, charge.tenant, charge.gateway, charge.currency, 0, 1, charge.amount, std::nullopt,
              now_ms);
  } else if (decision.to == "REFUNDED") {
    BumpStats(tx, charge.tenant, charge.gateway, charge.currency, 0, 0, -charge.amount,
              std::nullopt, now_ms);
  }
  if (const std::string_view type = EventTypeFor(decision.to); !type.empty()) {
    auto fresh = QueryCharge(tx, "id = $1", {std::string_view(charge.id)}, false);
    events::EmitEvent(tx, deps.clock,
                      events::NewEvent{charge.tenant, std::string(type), "charges",
                                       ChargeJson(*fresh, asset.value().scale())},
                      deps.options.event_delivery_attempts_max);
  }
  return outcome;
}
}  // namespace

void ChargeService::RecordFailure(std::string_view tenant, std::string_view gateway,
                                  std::string_view currency, std::string_view error) {
  auto connection = pool_.Acquire();
  store::Transaction tx(*connection, store::TransactionMode::kWrite);
  BumpStats(*connection, tenant, gateway, currency, 0, 0, 0, error, clock_.NowMs());
  tx.Commit();
}

Result<Charge, ChargeError> ChargeService::Create(std::string_view tenant,
                                                  std::string_view idempotency_key,
                                                  const NewCharge& request) {
  const std::string currency(request.amount.asset().code());
  if (!request.amount.IsPositive()) {
    return Failure(ChargeError{400, "invalid_amount", "\"amount\" must be positive.", "amount"});
  }
  if (request.expires_in_seconds < 60 ||
      request.expires_in_seconds > options_.expires_in_seconds_max) {
    return Failure(ChargeError{400, "invalid_request",
                               "\"expires_in_seconds\" must be between 60 and " +
                                   std::to_string(options_.expires_in_seconds_max) + ".",
                               "expires_in_seconds"});
  }
  auto connection = pool_.Acquire();
  // The tenant's candidates, in order.
  std::vector<std::string> candidates;
  connection->Query(
      "SELECT gateway FROM gateway_credentials WHERE tenant = $1 AND currency = $2 ORDER BY "
      "priority, gateway",
      {tenant, std::string_view(currency)},
      [&candidates](const store::Row& row) { candidates.emplace_back(row.Text(0)); });
  if (request.gateway) {
    if (std::find(candidates.begin(), candidates.end(), *request.gateway) == candidates.end()) {
      return Failure(ChargeError{422, "gateway_not_configured",
                                 "The tenant has no " + currency + " credentials for gateway \"" +
                                     *request.gateway + "\".",
                                 "gateway"});
    }
    candidates = {*request.gateway};
  }
  if (candidates.empty()) {
    return Failure(ChargeError{422, "gateway_not_configured",
                               "The tenant has no gateway configured for " + currency + ".",
                               "currency"});
  }

  // 1. The row, keyed by the Idempotency-Key: a retry after a crash finds it.
  const int64_t now_ms = clock_.NowMs();
  Charge charge;
  charge.id = "ch_" + ToHex32(ledger::TimeOrderedId(clock_)).substr(8);
  charge.tenant = std::string(tenant);
  charge.reference = request.reference.empty() ? charge.id : request.reference;
  charge.status = "CREATING";
  charge.currency = currency;
  charge.amount = request.amount.minor();
  charge.description = request.description;
  charge.customer_json = CustomerJson(request.customer);
  charge.expires_at_ms = now_ms + request.expires_in_seconds * 1000;
  charge.created_at_ms = now_ms;
  charge.updated_at_ms = now_ms;
  {
    store::Transaction tx(*connection, store::TransactionMode::kWrite);
    if (auto existing = QueryCharge(*connection, "tenant = $1 AND idempotency_key = $2",
                                    {tenant, idempotency_key}, false)) {
      // A creation that failed everywhere stays failed: a retry says so again (a new key makes a
      // new charge).
      if (existing->status == "FAILED" && existing->gateway.empty()) {
        existing->creation_failure_status = 502;
      }
      return *existing;
    }
    connection->Execute(
        "INSERT INTO charges (id, tenant, idempotency_key, reference, status, currency, amount, "
        "description, customer, expires_at_ms, created_at_ms, updated_at_ms) VALUES ($1, $2, $3, "
        "$4, 'CREATING', $5, $6, $7, $8, $9, $10, $10)",
        {std::string_view(charge.id), tenant, idempotency_key, std::string_view(charge.reference),
         std::string_view(currency), store::Int128{charge.amount},
         std::string_view(charge.description), std::string_view(charge.customer_json),
         charge.expires_at_ms, now_ms});
    AppendHistory(*connection, charge.id, std::nullopt, "CREATING", "api", "created", now_ms);
    tx.Commit();
  }

  // 2. The gateways, in order, outside any transaction.
  CreateChargeRequest call{request.amount,   request.description,        charge.id,
                           request.customer, request.expires_in_seconds, ""};
  std::string last_error;
  bool every_gateway_refused = true;  // as opposed to: one was unreachable or misbehaved
  std::optional<CreatedCharge> created;
  std::string used;
  for (const std::string& gateway : candidates) {
    auto bound = Adapter(*connection, tenant, gateway);
    if (!bound.ok()) {
      last_error = gateway + ": " + bound.error().detail;
      RecordFailure(tenant, gateway, currency, bound.error().detail);
      continue;
    }
    EnsureAccounts(tenant, gateway, request.amount.asset());
    call.webhook_url =
        options_.public_base_url() + "/webhooks/" + gateway + "/" + std::string(tenant);
    Result<CreatedCharge, GatewayError> result = bound.value()->CreateCharge(call);
    if (result.ok()) {
      created = std::move(result).value();
      used = gateway;
      break;
    }
    last_error = gateway + ": " + std::string(GatewayErrorKindName(result.error().kind)) + ": " +
                 result.error().message;
    if (result.error().kind != GatewayError::Kind::kInvalidRequest &&
        result.error().kind != GatewayError::Kind::kRejected) {
      every_gateway_refused = false;
    }
    RecordFailure(tenant, gateway, currency, last_error);
    // A request the gateway refuses as such would be refused by the next one too, unless it is
    // about this gateway's limits (minimum, currency): only those and outages fall through.
    if (result.error().kind == GatewayError::Kind::kRejected && candidates.size() == 1) break;
  }

  // 3. The outcome.
  const int64_t done_ms = clock_.NowMs();
  store::Transaction tx(*connection, store::TransactionMode::kWrite);
  if (created) {
    charge.status = "PENDING";
    charge.gateway = used;
    charge.gateway_charge_id = created->gateway_charge_id;
    charge.provider_hash = created->provider_hash;
    charge.pix_code = created->pix_code;
    charge.payment_instructions = created->payment_instructions;
    if (created->expires_at_ms) charge.expires_at_ms = *created->expires_at_ms;
    charge.updated_at_ms = done_ms;
    connection->Execute(
        "UPDATE charges SET status = 'PENDING', gateway = $2, gateway_charge_id = $3, "
        "provider_hash = $4, pix_code = $5, payment_instructions = $6, expires_at_ms = $7, "
        "updated_at_ms = $8, last_error = $9 WHERE id = $1 AND status = 'CREATING'",
        {std::string_view(charge.id), std::string_view(used),
         std::string_view(charge.gateway_charge_id),
         charge.provider_hash.empty() ? store::Param(store::Null{})
                                      : store::Param(std::string_view(charge.provider_hash)),
         std::string_view(charge.pix_code), std::string_view(charge.payment_instructions),
         charge.expires_at_ms, done_ms,
         last_error.empty() ? store::Param(store::Null{})
                            : store::Param(std::string_view(last_error))});
    charge.last_error = last_error;  // an earlier gateway's failure, when it fell back
    AppendHistory(*connection, charge.id, "CREATING", "PENDING", "api", "created at " + used,
                  done_ms);
    BumpStats(*connection, tenant, used, currency, 1, 0, 0, std::nullopt, done_ms);
    if (!created->tenant_hint.empty()) {
      // The gateway's name for this account (ÁtomoPay's producer hash): webhooks without a
      // tenant in their URL are traced back to the tenant by it.
      connection->Execute(
          "UPDATE gateway_credentials SET tenant_hint = $3 WHERE tenant = $1 AND gateway = $2 AND "
          "(tenant_hint IS NULL OR tenant_hint <> $3)",
          {tenant, std::string_view(used), std::string_view(created->tenant_hint)});
    }
  } else {
    charge.status = "FAILED";
    charge.last_error = last_error;
    charge.creation_failure_status = every_gateway_refused ? 422 : 502;
    charge.updated_at_ms = done_ms;
    connection->Execute(
        "UPDATE charges SET status = 'FAILED', updated_at_ms = $2, last_error = $3 WHERE id = $1 "
        "AND status = 'CREATING'",
        {std::string_view(charge.id), done_ms, std::string_view(last_error)});
    AppendHistory(*connection, charge.id, "CREATING", "FAILED", "api", last_error, done_ms);
  }
  tx.Commit();
  return charge;
}

std::optional<Charge> ChargeService::Get(std::string_view tenant, std::string_view id) {
  auto connection = pool_.Acquire();
  return QueryCharge(*connection, "id = $1 AND tenant = $2", {id, tenant}, false);
}

std::vector<Charge> ChargeService::List(std::string_view tenant,
                                        std::optional<std::string_view> status,
                                        std::optional<std::string_view> gateway,
                                        std::optional<std::string_view> before_id, int limit) {
  std::vector<Charge> charges;
  auto connection = pool_.Acquire();
  std::string sql = "SELECT " + std::string(kChargeColumns) +
                    " FROM charges WHERE tenant = $1 AND ($2 = '' OR status = $2) AND ($3 = '' OR "
                    "gateway = $3) AND ($4 = '' OR id < $4) ORDER BY id DESC LIMIT $5";
  connection->Query(sql,
                    {tenant, status.value_or(""), gateway.value_or(""), before_id.value_or(""),
                     static_cast<int64_t>(limit)},
                    [&charges](const store::Row& row) { charges.push_back(ReadCharge(row)); });
  return charges;
}

namespace {

struct Applied {
  std::string outcome;
  std::string charge_id;
};

}  // namespace

IngestResult ChargeService::Ingest(std::string_view gateway, std::optional<std::string_view> tenant,
                                   const WebhookRequest& request) {
  auto connection = pool_.Acquire();
  // Which tenant's adapter reads this delivery.
  std::string reader_tenant;
  if (tenant) {
    reader_tenant = std::string(*tenant);
  } else {
    connection->Query(
        "SELECT tenant FROM gateway_credentials WHERE gateway = $1 ORDER BY tenant LIMIT 1",
        {gateway}, [&reader_tenant](const store::Row& row) { reader_tenant = row.Text(0); });
  }
  if (reader_tenant.empty()) {
    if (auto known = factory_(gateway, {});
        !known.ok() && known.error().code == "unknown_gateway") {
      return IngestResult{404, "", "not_found", "No such gateway.", ""};
    }
    return IngestResult{404, "", "not_found", "No tenant takes payments through this gateway.", ""};
  }
  auto bound = Adapter(*connection, reader_tenant, gateway);
  if (!bound.ok()) {
    if (auto known = factory_(gateway, {});
        !known.ok() && known.error().code == "unknown_gateway") {
      return IngestResult{404, "", "not_found", "No such gateway.", ""};
    }
    return IngestResult{404, "", "not_found", bound.error().detail, ""};
  }
  auto parsed = bound.value()->ParseWebhook(request);
  if (!parsed.ok()) {
    const WebhookRejection& rejection = parsed.error();
    switch (rejection.kind) {
      case WebhookRejection::Kind::kBadSignature:
        counters_.bad_signature.fetch_add(1, std::memory_order_relaxed);
        return IngestResult{401, "", "invalid_signature", rejection.message, ""};
      case WebhookRejection::Kind::kMalformed:
        counters_.malformed.fetch_add(1, std::memory_order_relaxed);
        return IngestResult{400, "", "invalid_payload",
                            rejection.field.empty()
                                ? rejection.message
                                : "\"" + rejection.field + "\": " + rejection.message,
                            ""};
      case WebhookRejection::Kind::kIgnored:
        return IngestResult{200, "ignored", "", rejection.message, ""};
    }
  }
  WebhookEvent event = std::move(parsed).value();

  // The tenant the event belongs to: the path's, else the gateway's tenant hint, else the charge's.
  std::string owner = tenant ? std::string(*tenant) : std::string();
  if (owner.empty() && !event.tenant_hint.empty()) {
    connection->Query(
        "SELECT tenant FROM gateway_credentials WHERE gateway = $1 AND tenant_hint = $2",
        {gateway, std::string_view(event.tenant_hint)},
        [&owner](const store::Row& row) { owner = row.Text(0); });
  }
  if (owner.empty() && !event.gateway_charge_id.empty()) {
    connection->Query(
        "SELECT tenant FROM charges WHERE gateway = $1 AND gateway_charge_id = $2 LIMIT 1",
        {gateway, std::string_view(event.gateway_charge_id)},
        [&owner](const store::Row& row) { owner = row.Text(0); });
  }
  if (owner.empty()) owner = reader_tenant;
  if (owner != reader_tenant && bound.value()->Describe().signs_webhooks) {
    // Signed with the owner's secret, not the reader's: verify again with the right one.
    auto owner_bound = Adapter(*connection, owner, gateway);
    if (!owner_bound.ok() || !owner_bound.value()->ParseWebhook(request).ok()) {
      counters_.bad_signature.fetch_add(1, std::memory_order_relaxed);
      return IngestResult{401, "", "invalid_signature", "Signature does not verify.", ""};
    }
  }

  // Seen already?
  bool seen = false;
  connection->Query("SELECT 1 FROM gateway_webhooks WHERE gateway = $1 AND event_id = $2",
                    {gateway, std::string_view(event.event_id)},
                    [&seen](const store::Row&) { seen = true; });
  if (seen) {
    counters_.duplicates.fetch_add(1, std::memory_order_relaxed);
    return IngestResult{200, "duplicate", "", "", ""};
  }

  // A webhook is a hint: trust the gateway's own answer where it gives one.
  GatewayStatus status = event.status;
  std::optional<i128> paid;
  if (event.amount) paid = event.amount->minor();
  auto owner_bound = Adapter(*connection, owner, gateway);
  if (owner_bound.ok() && owner_bound.value()->Describe().can_fetch_status &&
      !event.gateway_charge_id.empty()) {
    const Result<StatusReport, GatewayError> report =
        owner_bound.value()->FetchStatus(event.gateway_charge_id);
    if (report.ok()) {
      status = report.value().status;
      if (report.value().amount) paid = report.value().amount->minor();
    } else if (event.status != GatewayStatus::kPending) {
      // Cannot confirm now: the gateway delivers again later.
      return IngestResult{503, "", "gateway_unavailable",
                          "The charge's status could not be confirmed with the gateway (" +
                              std::string(GatewayErrorKindName(report.error().kind)) +
                              "); deliver again later.",
                          ""};
    }
  }

  const int64_t now_ms = clock_.NowMs();
  Applied applied;
  try {
    store::Transaction tx(*connection, store::TransactionMode::kWrite);
    connection->Execute(
        "INSERT INTO gateway_webhooks (gateway, tenant, event_id, body, outcome, received_at_ms) "
        "VALUES ($1, $2, $3, $4, 'received', $5)",
        {gateway, std::string_view(owner), std::string_view(event.event_id),
         store::Blob{request.body}, now_ms});
    std::optional<Charge> charge;
    if (!event.gateway_charge_id.empty()) {
      charge = QueryCharge(
          *connection, "tenant = $1 AND gateway = $2 AND gateway_charge_id = $3",
          {std::string_view(owner), gateway, std::string_view(event.gateway_charge_id)}, true);
    }
    if (!charge && !event.provider_hash.empty()) {
      charge = QueryCharge(
          *connection, "tenant = $1 AND gateway = $2 AND provider_hash = $3",
          {std::string_view(owner), gateway, std::string_view(event.provider_hash)}, true);
    }
    if (!charge && !event.reference.empty()) {
      charge = QueryCharge(*connection, "tenant = $1 AND (reference = $2 OR id = $2)",
                           {std::string_view(owner), std::string_view(event.reference)}, true);
    }
    std::optional<Decision> decision;
    if (charge) {
      decision = Decide(*charge, status, paid);
    } else if (status == GatewayStatus::kPaid && paid) {
      // Only the amount could tie this payment to a charge: never enough to pay it.
      std::vector<std::string> ids;
      connection->Query(
          "SELECT id FROM charges WHERE tenant = $1 AND gateway = $2 AND status = 'PENDING' AND "
          "amount = $3 ORDER BY id LIMIT 2",
          {std::string_view(owner), gateway, store::Int128{*paid}},
          [&ids](const store::Row& row) { ids.emplace_back(row.Text(0)); });
      if (ids.size() == 1) {
        charge = QueryCharge(*connection, "id = $1", {std::string_view(ids[0])}, true);
        decision = Decision{"MANUAL_REVIEW", "matched by amount only", false, false};
      }
    }
    if (!charge) {
      applied.outcome = "unmatched";
    } else if (!decision) {
      applied.outcome = "stale";
      applied.charge_id = charge->id;
    } else {
      applied.charge_id = charge->id;
      applied.outcome =
          ApplyDecision(*connection, {ledger_, assets_, clock_, options_}, *charge, *decision,
                        status, paid, "webhook:" + std::string(gateway), event.event_id);
    }
    connection->Execute(
        "UPDATE gateway_webhooks SET outcome = $3, charge_id = $4 WHERE gateway = $1 AND "
        "event_id = $2",
        {gateway, std::string_view(event.event_id), std::string_view(applied.outcome),
         applied.charge_id.empty() ? store::Param(store::Null{})
                                   : store::Param(std::string_view(applied.charge_id))});
    tx.Commit();
  } catch (const store::Error& error) {
    if (error.kind() == store::Error::Kind::kConstraint) {  // the same event, concurrently
      counters_.duplicates.fetch_add(1, std::memory_order_relaxed);
      return IngestResult{200, "duplicate", "", "", ""};
    }
    throw;
  }
  if (applied.outcome == "applied") counters_.applied.fetch_add(1, std::memory_order_relaxed);
  return IngestResult{200, applied.outcome, "", "", applied.charge_id};
}

int ChargeService::ExpireDue() {
  const int64_t now_ms = clock_.NowMs();
  auto connection = pool_.Acquire();
  std::vector<Charge> due;
  connection->Query(
      "SELECT " + std::string(kChargeColumns) +
          " FROM charges WHERE (status = 'PENDING' AND expires_at_ms < $1) OR "
          "(status = 'CREATING' AND created_at_ms < $2) ORDER BY id LIMIT $3",
      {now_ms, now_ms - options_.creating_stale_ms, static_cast<int64_t>(kExpireBatchMax)},
      [&due](const store::Row& row) { due.push_back(ReadCharge(row)); });
  int changed = 0;
  for (const Charge& charge : due) {
    GatewayStatus status =
        charge.status == "CREATING" ? GatewayStatus::kFailed : GatewayStatus::kExpired;
    std::optional<i128> paid;
    if (charge.status == "PENDING") {
      auto bound = Adapter(*connection, charge.tenant, charge.gateway);
      if (bound.ok() && bound.value()->Describe().can_fetch_status) {
        const Result<StatusReport, GatewayError> report =
            bound.value()->FetchStatus(charge.gateway_charge_id);
        if (!report.ok() && report.error().kind != GatewayError::Kind::kRejected) {
          continue;  // the gateway cannot say now: ask again at the next run
        }
        if (report.ok() && report.value().status == GatewayStatus::kPaid) {
          // Paid, and its webhook lost or late: applied here by the same rules as a webhook.
          status = GatewayStatus::kPaid;
          if (report.value().amount) paid = report.value().amount->minor();
        }
      }
    }
    store::Transaction tx(*connection, store::TransactionMode::kWrite);
    auto locked = QueryCharge(*connection, "id = $1", {std::string_view(charge.id)}, true);
    if (!locked) continue;
    auto decision = Decide(*locked, status, paid);
    if (!decision) continue;
    if (status != GatewayStatus::kPaid) {
      decision->reason = locked->status == "CREATING" ? "creation never finished" : "expired";
    }
    ApplyDecision(*connection, {ledger_, assets_, clock_, options_}, *locked, *decision, status,
                  paid, "expiry", "expiry check");
    tx.Commit();
    ++changed;
  }
  return changed;
}

std::vector<ChargeStatsRow> ChargeService::Stats(std::string_view tenant) {
  std::vector<ChargeStatsRow> rows;
  auto connection = pool_.Acquire();
  connection->Query(
      "SELECT gateway, currency, created, paid, volume_paid, failures, last_error, "
      "last_error_at_ms FROM charge_stats WHERE tenant = $1 ORDER BY gateway, currency",
      {tenant}, [&rows](const store::Row& row) {
        ChargeStatsRow stats;
        stats.gateway = row.Text(0);
        stats.currency = row.Text(1);
        stats.created = row.Int64(2);
        stats.paid = row.Int64(3);
        stats.volume_paid = row.Int128(4);
        stats.failures = row.Int64(5);
        stats.last_error = OptionalText(row, 6);
        if (!row.IsNull(7)) stats.last_error_at_ms = row.Int64(7);
        rows.push_back(std::move(stats));
      });
  return rows;
}

std::vector<std::pair<std::string, ChargeStatsRow>> ChargeService::AllStats() {
  std::vector<std::pair<std::string, ChargeStatsRow>> rows;
  auto connection = pool_.Acquire();
  connection->Query(
      "SELECT tenant, gateway, currency, created, paid, volume_paid, failures FROM charge_stats "
      "ORDER BY tenant, gateway, currency",
      {}, [&rows](const store::Row& row) {
        ChargeStatsRow stats;
        stats.gateway = row.Text(1);
        stats.currency = row.Text(2);
        stats.created = row.Int64(3);
        stats.paid = row.Int64(4);
        stats.volume_paid = row.Int128(5);
        stats.failures = row.Int64(6);
        rows.emplace_back(std::string(row.Text(0)), std::move(stats));
      });
  return rows;
}

}  // namespace cambista::payins
