#include "payins/registry.hpp"

#include <algorithm>
#include <utility>

#include "core/assert.hpp"

namespace cambista::payins {
namespace {

bool Contains(const std::vector<std::string>& names, std::string_view name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

}  // namespace

void GatewayRegistry::Register(GatewayDescription description, GatewayFactory factory) {
  CAMBISTA_CHECK(!description.name.empty());
  CAMBISTA_CHECK(factory != nullptr);
  CAMBISTA_CHECK(!entries_.contains(description.name));
  std::string name = description.name;
  entries_.emplace(std::move(name), Entry{std::move(description), std::move(factory)});
}

Result<std::unique_ptr<PayinGateway>, RegistryError> GatewayRegistry::Build(
    std::string_view name, const Credentials& credentials, const GatewayContext& context) const {
  CAMBISTA_CHECK(context.http != nullptr);
  CAMBISTA_CHECK(context.clock != nullptr);
  const auto entry = entries_.find(name);
  if (entry == entries_.end()) {
    std::string known;
    for (const auto& [known_name, unused] : entries_) {
      known += (known.empty() ? "" : ", ") + known_name;
    }
    return Failure{
        RegistryError{std::string(kUnknownGateway), "",
                      "no payin gateway is called '" + std::string(name) + "'; known: " + known}};
  }
  const GatewayDescription& description = entry->second.description;
  for (const auto& required : description.required_credentials) {
    const auto value = credentials.find(required);
    if (value == credentials.end() || value->second.empty()) {
      return Failure{RegistryError{std::string(kMissingCredential), required,
                                   description.name + " needs the credential " + required}};
    }
  }
  for (const auto& [credential, unused] : credentials) {
    if (!Contains(description.required_credentials, credential) &&
        !Contains(description.optional_credentials, credential)) {
      return Failure{RegistryError{std::string(kInvalidCredential), credential,
                                   description.name + " has no credential called " + credential}};
    }
  }
  return entry->second.factory(credentials, context);
}

std::vector<std::string> GatewayRegistry::Names() const {
  std::vector<std::string> names;
  names.reserve(entries_.size());
  for (const auto& [name, unused] : entries_) names.push_back(name);
  return names;
}

const GatewayDescription* GatewayRegistry::Describe(std::string_view name) const {
  const auto entry = entries_.find(name);
  return entry == entries_.end() ? nullptr : &entry->second.description;
}

std::string_view CredentialOr(const Credentials& credentials, std::string_view name) {
  const auto value = credentials.find(name);
  return value == credentials.end() ? std::string_view() : std::string_view(value->second);
}

RegistryError InvalidCredential(std::string_view name, std::string_view why) {
  return RegistryError{std::string(kInvalidCredential), std::string(name),
                       "the credential " + std::string(name) + " " + std::string(why)};
}

ChargeError AsChargeError(const RegistryError& error) {
  const ChargeErrorKind kind = error.code == kUnknownGateway ? ChargeErrorKind::kUnknownGateway
                               : error.code == kMissingCredential
                                   ? ChargeErrorKind::kMissingCredential
                                   : ChargeErrorKind::kInvalidCredential;
  return ChargeError{kind, error.message, error.field};
}

}  // namespace cambista::payins
