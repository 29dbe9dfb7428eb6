// GatewayRegistry: builds a PayinGateway by name from a tenant's credentials.
//
// The composition root (app/) fills one registry at start-up with an explicit call,
// RegisterPayinGateways(registry), as DuckDB's extension loader does: no static self-registration,
// so nothing depends on initialisation order. The adapters, and that call, live outside this
// module, one folder per provider (providers/<name>/); this module knows only the port. Build
// checks the credentials against the gateway's description before the adapter sees them: every
// required credential present and non-empty (missing_credential), no credential the gateway does
// not know (invalid_credential: a typo such as `api_kye` must not be silently ignored), then the
// adapter's own format checks (invalid_credential, e.g. a BuhoPago key without its
// bp_live_/bp_test_ prefix). Error messages name the credential, never its value.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.hpp"
#include "payins/fees.hpp"
#include "payins/gateway.hpp"
#include "payins/model.hpp"

namespace cambista::payins {

struct RegistryError {
  std::string code;   // stable: "unknown_gateway" | "missing_credential" | "invalid_credential"
  std::string field;  // the credential's name ("api_key"); "" for unknown_gateway
  std::string message;
};

inline constexpr std::string_view kUnknownGateway = "unknown_gateway";
inline constexpr std::string_view kMissingCredential = "missing_credential";
inline constexpr std::string_view kInvalidCredential = "invalid_credential";

// A registry's refusal as the pay-ins' error (unknown gateway, missing or invalid credential).
ChargeError AsChargeError(const RegistryError& error);

// Called by Build after the generic checks; reports format problems as invalid_credential.
using GatewayFactory = std::function<Result<std::unique_ptr<PayinGateway>, RegistryError>(
    const Credentials& credentials, const GatewayContext& context)>;

class GatewayRegistry {
 public:
  // A second registration of the same name is a bug (CAMBISTA_CHECK).
  void Register(GatewayDescription description, GatewayFactory factory);

  // `context` must have http and clock set (CAMBISTA_CHECK: wiring, not input).
  Result<std::unique_ptr<PayinGateway>, RegistryError> Build(std::string_view name,
                                                             const Credentials& credentials,
                                                             const GatewayContext& context) const;

  std::vector<std::string> Names() const;  // sorted
  // nullptr for an unknown name.
  const GatewayDescription* Describe(std::string_view name) const;

 private:
  struct Entry {
    GatewayDescription description;
    GatewayFactory factory;
  };
  std::map<std::string, Entry, std::less<>> entries_;
};

// What the providers give the pay-ins: the providers module builds it and provides it
// (ModuleContext::Provide), the pay-ins module finds it. Every adapter by name, where each
// gateway's API answers, and in sandbox mode the accounts of the simulators, which the tenant
// `default` is given at start.
struct GatewayCatalog {
  GatewayRegistry registry;
  std::function<std::string(std::string_view gateway)> base_url;  // "": not configured
  std::vector<std::pair<std::string, Credentials>> sandbox_accounts;
  // Fee schedules configured per gateway; the others take DefaultFeeSchedule.
  std::map<std::string, FeeSchedule, std::less<>> fees;
};

// For adapters' factories: the credential's value, or "" when absent.
std::string_view CredentialOr(const Credentials& credentials, std::string_view name);
RegistryError InvalidCredential(std::string_view name, std::string_view why);

}  // namespace cambista::payins
