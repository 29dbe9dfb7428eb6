#include "providers/module.hpp"

#include <array>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "payins/fees.hpp"
#include "payins/registry.hpp"
#include "payouts/service.hpp"
#include "providers/configured_payout_providers.hpp"
#include "providers/payout_providers.hpp"
#include "providers/providers.hpp"
#include "providers/rate_sources.hpp"

namespace cambista::providers {
namespace {

struct GatewayDefaults {
  std::string_view name;
  std::string_view url;  // the production API root, where the gateway has one for everybody
};

constexpr std::array<GatewayDefaults, 6> kGateways = {{
    {"atomopay", ""},
    {"buhopago", "https://api.buhopago.com"},
    {"paradise", ""},
    {"pushinpay", ""},
    {"syncpay", ""},
    {"wiinpay", ""},
}};

std::string UrlKey(std::string_view gateway) {
  return "gateways." + std::string(gateway) + "_url";
}

std::string FeeKey(std::string_view gateway) {
  return "gateway_fees." + std::string(gateway);
}

std::optional<std::string> CheckUrl(std::string_view text) {
  if (!text.empty() && !text.starts_with("http://") && !text.starts_with("https://")) {
    return "expected an http:// or https:// URL";
  }
  return std::nullopt;
}

std::optional<std::string> CheckFee(std::string_view text) {
  auto schedule = payins::ParseFeeSchedule(text, 2);  // BRL and VES: two decimals
  if (!schedule.ok()) return "expected " + schedule.error();
  return std::nullopt;
}

std::vector<module::ConfigKey> ConfigKeys() {
  std::vector<module::ConfigKey> keys;
  for (const GatewayDefaults& gateway : kGateways) {
    keys.push_back({UrlKey(gateway.name), module::ConfigKey::Type::kString, CheckUrl});
  }
  for (const GatewayDefaults& gateway : kGateways) {
    keys.push_back({FeeKey(gateway.name), module::ConfigKey::Type::kString, CheckFee});
  }
  for (module::ConfigKey& key : PayoutProviderConfigKeys()) keys.push_back(std::move(key));
  for (module::ConfigKey& key : RateSourceConfigKeys()) keys.push_back(std::move(key));
  return keys;
}

// Each gateway's API root as configured (without trailing slashes), else its default.
std::map<std::string, std::string, std::less<>> ConfiguredUrls(
    const module::ModuleContext& context) {
  std::map<std::string, std::string, std::less<>> urls;
  for (const GatewayDefaults& gateway : kGateways) {
    std::string url(context.Setting(UrlKey(gateway.name)).value_or(gateway.url));
    while (url.ends_with('/')) url.pop_back();
    urls[std::string(gateway.name)] = std::move(url);
  }
  return urls;
}

constexpr std::string_view kSandboxBankAccountId = "ba_sandbox_desk";

// The payout providers in sandbox mode: each adapter at its simulator, with the simulator's
// credentials. Built on first use: the simulators' URL is the server's, known once it listens.
class SandboxPayoutProviders final : public payouts::ProviderDirectory {
 public:
  SandboxPayoutProviders(const module::ModuleContext& context, const sandbox::Sandbox& simulators)
      : context_{&context.services().provider_client, &context.services().clock, "",
                 context.host().outbound_timeout_ms},
        own_url_(context.services().own_url) {
    for (const std::string& name : PayoutProviderNames()) {
      const sandbox::SandboxCredentialMap credentials = simulators.Credentials(name);
      credentials_[name] = payouts::Credentials(credentials.begin(), credentials.end());
      // BuhoPago credits go to the desk's bank account as registered at BuhoPago.
      if (name == "buhopago") credentials_[name]["bank_account_id"] = kSandboxBankAccountId;
    }
  }

  payouts::PayoutProvider* Find(std::string_view name) const override {
    const auto credentials = credentials_.find(name);
    if (credentials == credentials_.end()) return nullptr;
    // Until the server listens there is no URL to call, and an adapter built now would keep a
    // wrong one (the server starts its job workers after the listener; this guards any other
    // early caller). Not set up yet; the caller tries again later.
    const std::string own_url = own_url_();
    if (own_url.empty()) return nullptr;
    std::lock_guard lock(mutex_);
    auto& built = built_[std::string(name)];
    if (!built) {
      payouts::ProviderContext context = context_;
      context.base_url = own_url + "/sandbox/" + std::string(name);
      auto made = BuildPayoutProvider(name, credentials->second, context);
      if (!made.ok()) return nullptr;
      built = std::move(made).value();
    }
    return built.get();
  }
  std::vector<std::string> Names() const override { return PayoutProviderNames(); }

 private:
  const payouts::ProviderContext context_;
  const std::function<std::string()> own_url_;
  std::map<std::string, payouts::Credentials, std::less<>> credentials_;
  mutable std::mutex mutex_;
  mutable std::map<std::string, std::unique_ptr<payouts::PayoutProvider>, std::less<>> built_;
};

void LogPayoutProviders(const module::ModuleContext& context,
                        const payouts::ProviderDirectory* directory) {
  std::string names;
  if (directory != nullptr) {
    for (const std::string& name : directory->Names()) names += (names.empty() ? "" : ",") + name;
  }
  context.services().logger.Info("payout providers",
                                 {{"enabled", names.empty() ? "none" : names},
                                  {"mode", context.host().sandbox ? "sandbox" : "configured"}});
}

// Outside the sandbox: the providers whose [payouts.providers.<name>] url is set. Credentials
// missing or refused stop the server here, before it listens (the message names variables only).
void AddConfiguredPayoutProviders(module::ModuleContext& context) {
  const module::ModuleContext::Services& services = context.services();
  auto configured =
      ConfigurePayoutProviders([&context](std::string_view path) { return context.Setting(path); },
                               payouts::ProviderContext{&services.provider_client, &services.clock,
                                                        "", context.host().outbound_timeout_ms});
  if (!configured.ok()) throw std::runtime_error("configuration: " + configured.error());
  // None configured: no directory at all, so a payout says "No payout provider is set up."
  if (configured.value()->Names().empty()) {
    LogPayoutProviders(context, nullptr);
    return;
  }
  auto& directory = context.Keep(std::move(configured).value());
  context.Provide<payouts::ProviderDirectory>(directory);
  LogPayoutProviders(context, &directory);
}

void AddSimulators(module::ModuleContext& context, payins::GatewayCatalog& catalog) {
  const module::ModuleContext::Services& services = context.services();
  sandbox::Sandbox& simulators = context.Keep(std::make_unique<sandbox::Sandbox>(
      sandbox::SandboxOptions{&services.provider_client, &services.clock}));
  simulators.AddRoutes(services.router);
  for (std::string_view gateway : sandbox::SandboxGateways()) {
    catalog.sandbox_accounts.emplace_back(gateway, simulators.Credentials(gateway));
  }
  catalog.base_url = [own_url = services.own_url](std::string_view gateway) {
    return own_url() + "/sandbox/" + std::string(gateway);
  };
  context.OnStop([&simulators] { simulators.Stop(); });
  auto& payout_providers =
      context.Keep(std::make_unique<SandboxPayoutProviders>(context, simulators));
  context.Provide<payouts::ProviderDirectory>(payout_providers);
  LogPayoutProviders(context, &payout_providers);
}

void Install(module::ModuleContext& context) {
  payins::GatewayCatalog& catalog = context.Keep(std::make_unique<payins::GatewayCatalog>());
  payins::RegisterPayinGateways(catalog.registry);
  for (const GatewayDefaults& gateway : kGateways) {
    if (auto text = context.Setting(FeeKey(gateway.name))) {
      catalog.fees[std::string(gateway.name)] = payins::ParseFeeSchedule(*text, 2).value();
    }
  }
  if (context.host().sandbox) {
    AddSimulators(context, catalog);
  } else {
    catalog.base_url = [urls = ConfiguredUrls(context)](std::string_view gateway) {
      const auto it = urls.find(gateway);
      return it == urls.end() ? std::string() : it->second;
    };
    AddConfiguredPayoutProviders(context);
  }
  context.Provide(catalog);
  AddRateSources(context);
}

}  // namespace

const module::Module kModule{"providers", nullptr, ConfigKeys, Install};

}  // namespace cambista::providers
