#include "payins/charge_service.hpp"

#include "payins/store.hpp"
#include "security/hmac.hpp"

namespace cambista::payins {
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

ChargeError NoTenantGateway(std::string_view gateway) {
  return ChargeError{ChargeErrorKind::kNoTenantGateway,
                     "The tenant has no credentials for gateway \"" + std::string(gateway) + "\".",
                     "gateway"};
}

Result<Credentials, ChargeError> OpenSealed(const SecretBox& box, std::string_view sealed,
                                            std::string_view tenant, std::string_view gateway) {
  auto opened = box.Open(sealed, CredentialContext(tenant, gateway));
  std::optional<Credentials> credentials;
  if (opened.ok()) credentials = DecodeCredentials(opened.value());
  if (!credentials) {
    return Failure(ChargeError{ChargeErrorKind::kCredentialsUnreadable,
                               "The stored credentials for gateway \"" + std::string(gateway) +
                                   "\" cannot be opened with this master key.",
                               ""});
  }
  return std::move(*credentials);
}

// The tenant's bounds for the gateway in minor units of its currency: positive, at most the
// currency's scale in decimals, the minimum not above the maximum, and leaving some amount that the
// gateway itself takes (a bound past the gateway's own would refuse every charge there).
Result<AmountBounds, ChargeError> ReadBounds(const BoundsText& text,
                                             const GatewayDescription& description) {
  const Asset& asset = description.minimum.asset();
  AmountBounds bounds;
  for (const bool minimum : {true, false}) {
    const std::optional<std::string>& value = minimum ? text.minimum : text.maximum;
    if (!value) continue;
    auto amount = Amount::Parse(*value, asset);
    const std::string field = minimum ? "minimum" : "maximum";
    if (!amount.ok() || !amount.value().IsPositive()) {
      return Failure(ChargeError{ChargeErrorKind::kInvalidAmount,
                                 "\"" + field + "\" must be a positive amount of " +
                                     std::string(asset.code()) + " such as \"10.00\".",
                                 field});
    }
    (minimum ? bounds.minimum : bounds.maximum) = amount.value().minor();
  }
  if (bounds.minimum && bounds.maximum && *bounds.minimum > *bounds.maximum) {
    return Failure(ChargeError{ChargeErrorKind::kInvalidRequest,
                               "\"minimum\" must not be above \"maximum\".", "minimum"});
  }
  const auto [lower, upper] = GatewayBounds(description, bounds);
  if (upper && lower > *upper) {
    const auto text_of = [&asset](i128 minor) {
      return Amount(minor, asset).ToString() + " " + std::string(asset.code());
    };
    if (bounds.maximum && *bounds.maximum < lower) {
      return Failure(ChargeError{ChargeErrorKind::kInvalidRequest,
                                 "\"maximum\" is below the least " + description.name + " takes (" +
                                     text_of(lower) + "): no charge would fit.",
                                 "maximum"});
    }
    return Failure(ChargeError{ChargeErrorKind::kInvalidRequest,
                               "\"minimum\" is above the most " + description.name + " takes (" +
                                   text_of(*upper) + "): no charge would fit.",
                               "minimum"});
  }
  return bounds;
}

}  // namespace

Result<Credentials, ChargeError> LoadTenantCredentials(store::Connection& connection,
                                                       const SecretBox& box,
                                                       std::string_view tenant,
                                                       std::string_view gateway) {
  auto row = ChargeStore::LoadCredentials(connection, tenant, gateway);
  if (!row) return Failure(NoTenantGateway(gateway));
  return OpenSealed(box, row->sealed, tenant, gateway);
}

ChargeService::ChargeService(store::Database& database, ledger::Ledger& ledger,
                             accounting::Chart& chart, const AssetRegistry& assets,
                             const SecretBox& box, const Clock& clock, AdapterFactory factory,
                             GatewayLanes& lanes, ChargeServiceOptions options)
    : pool_(database),
      ledger_(ledger),
      chart_(chart),
      assets_(assets),
      box_(box),
      clock_(clock),
      factory_(std::move(factory)),
      lanes_(lanes),
      options_(std::move(options)) {}

Result<GatewaySetting, ChargeError> ChargeService::SetGateway(std::string_view tenant,
                                                              std::string_view gateway,
                                                              const Credentials& credentials,
                                                              int64_t priority,
                                                              const BoundsText& bounds_text) {
  auto built = factory_(gateway, credentials);
  if (!built.ok()) return Failure(built.error());
  const GatewayDescription& description = built.value()->Describe();
  auto bounds = ReadBounds(bounds_text, description);
  if (!bounds.ok()) return Failure(bounds.error());
  GatewaySetting setting;
  setting.gateway = std::string(gateway);
  setting.currency = description.currency;
  setting.priority = priority;
  setting.updated_at_ms = clock_.NowMs();
  setting.bounds = bounds.value();
  for (const auto& [name, value] : credentials) setting.credential_names.push_back(name);
  EnsureAccounts(tenant, gateway, setting.currency);
  const std::string sealed =
      box_.Seal(EncodeCredentials(credentials), CredentialContext(tenant, gateway));
  auto connection = pool_.Acquire();
  store::Transaction tx(*connection, store::TransactionMode::kWrite);
  ChargeStore::UpsertCredentials(*connection, tenant, setting, sealed);
  tx.Commit();
  return setting;
}

std::vector<GatewaySetting> ChargeService::Gateways(std::string_view tenant) {
  std::vector<GatewaySetting> settings;
  auto connection = pool_.Acquire();
  for (auto& [setting, sealed] : ChargeStore::Settings(*connection, tenant)) {
    auto opened = box_.Open(sealed, CredentialContext(tenant, setting.gateway));
    if (opened.ok()) {
      if (auto credentials = DecodeCredentials(opened.value())) {
        for (const auto& [name, value] : *credentials) setting.credential_names.push_back(name);
      }
    }
    settings.push_back(std::move(setting));
  }
  return settings;
}

Result<std::shared_ptr<PayinGateway>, ChargeError> ChargeService::Adapter(
    store::Connection& connection, std::string_view tenant, std::string_view gateway) {
  auto row = ChargeStore::LoadCredentials(connection, tenant, gateway);
  if (!row) return Failure(NoTenantGateway(gateway));
  const std::string key = std::string(tenant) + "\n" + std::string(gateway);
  {
    std::lock_guard lock(cache_mutex_);
    if (auto it = cache_.find(key);
        it != cache_.end() && it->second.updated_at_ms == row->updated_at_ms) {
      return it->second.gateway;
    }
  }
  auto credentials = OpenSealed(box_, row->sealed, tenant, gateway);
  if (!credentials.ok()) return Failure(credentials.error());
  auto built = factory_(gateway, credentials.value());
  if (!built.ok()) return Failure(built.error());
  std::shared_ptr<PayinGateway> adapter(std::move(built).value());
  std::lock_guard lock(cache_mutex_);
  cache_[key] = Cached{row->updated_at_ms, adapter};
  return adapter;
}

void ChargeService::EnsureAccounts(std::string_view tenant, std::string_view gateway,
                                   std::string_view currency) {
  const accounting::AccountRef accounts[] = {
      accounting::GatewayClearingAccount(tenant, gateway, currency),
      accounting::MerchantAccount(tenant, currency),
      accounting::SuspenseAccount(tenant, currency),
  };
  chart_.Ensure(accounts);
}

std::optional<Charge> ChargeService::Get(std::string_view tenant, std::string_view id) {
  auto connection = pool_.Acquire();
  return ChargeStore::FindOwned(*connection, tenant, id);
}

std::optional<std::vector<ChargeHistoryEntry>> ChargeService::History(std::string_view tenant,
                                                                      std::string_view id) {
  auto connection = pool_.Acquire();
  if (!ChargeStore::FindOwned(*connection, tenant, id)) return std::nullopt;
  return ChargeStore::History(*connection, id);
}

std::vector<Charge> ChargeService::List(std::string_view tenant, std::optional<ChargeStatus> status,
                                        std::optional<std::string_view> gateway,
                                        std::optional<std::string_view> before_id, int limit) {
  auto connection = pool_.Acquire();
  return ChargeStore::List(*connection, tenant, status, gateway, before_id, limit);
}

std::vector<ChargeStatsRow> ChargeService::Stats(std::string_view tenant) {
  auto connection = pool_.Acquire();
  return ChargeStore::Stats(*connection, tenant);
}

std::vector<std::pair<std::string, ChargeStatsRow>> ChargeService::AllStats() {
  auto connection = pool_.Acquire();
  return ChargeStore::AllStats(*connection);
}

void ChargeService::RecordFailure(std::string_view tenant, std::string_view gateway,
                                  std::string_view currency, std::string_view error) {
  auto connection = pool_.Acquire();
  store::Transaction tx(*connection, store::TransactionMode::kWrite);
  ChargeStore::BumpStats(*connection, tenant, gateway, currency, 0, 0, 0, error, clock_.NowMs());
  tx.Commit();
}

ChargeReconciliation ChargeService::Reconcile(std::string_view gateway, int64_t since_ms,
                                              bool emit_events) {
  auto connection = pool_.Acquire();
  ChargeReconciliation result = ReconcileCharges(
      *connection, gateway,
      [this, gateway](store::Connection& c, std::string_view tenant) {
        return Adapter(c, tenant, gateway);
      },
      assets_, since_ms);
  if (emit_events) {
    events::EmitMismatches(*connection, clock_, result.mismatches, "charges",
                           options_.event_delivery_attempts_max);
  }
  return result;
}

}  // namespace cambista::payins
