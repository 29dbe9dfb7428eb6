#include "core/asset.hpp"

#include <ostream>

namespace cambista {

std::string_view AssetErrorCode(AssetError error) {
  switch (error) {
    case AssetError::kInvalidCode:
      return "invalid_asset_code";
    case AssetError::kInvalidScale:
      return "invalid_asset_scale";
    case AssetError::kScaleConflict:
      return "asset_scale_conflict";
    case AssetError::kUnknownCode:
      return "unknown_asset";
  }
  return "unknown_error";
}

std::string_view AssetErrorMessage(AssetError error) {
  switch (error) {
    case AssetError::kInvalidCode:
      return "asset code must be 2 to 10 characters, upper-case letters A-Z or digits 0-9";
    case AssetError::kInvalidScale:
      return "asset scale must be between 0 and 18";
    case AssetError::kScaleConflict:
      return "asset code is already registered with a different scale";
    case AssetError::kUnknownCode:
      return "asset code is not registered";
  }
  return "unknown error";
}

namespace {

bool IsValidCode(std::string_view code) {
  if (code.size() < Asset::kCodeLengthMin || code.size() > Asset::kCodeLengthMax) return false;
  for (char c : code) {
    const bool upper = c >= 'A' && c <= 'Z';
    const bool digit = c >= '0' && c <= '9';
    if (!upper && !digit) return false;
  }
  return true;
}

}  // namespace

Result<Asset, AssetError> Asset::Make(std::string_view code, int scale) {
  if (!IsValidCode(code)) return Failure{AssetError::kInvalidCode};
  if (scale < 0 || scale > kScaleMax) return Failure{AssetError::kInvalidScale};
  Asset asset;
  for (size_t i = 0; i < code.size(); ++i) asset.code_[i] = code[i];
  asset.code_length_ = static_cast<uint8_t>(code.size());
  asset.scale_ = static_cast<uint8_t>(scale);
  return asset;
}

std::ostream& operator<<(std::ostream& out, const Asset& asset) {
  return out << asset.code() << "(scale " << asset.scale() << ")";
}

AssetRegistry AssetRegistry::WithBuiltins() {
  struct Builtin {
    std::string_view code;
    int scale;
  };
  static constexpr Builtin kBuiltins[] = {
      {"BRL", 2}, {"VES", 2},  {"COP", 2},  {"USD", 2},  {"USDT", 6}, {"USDC", 6},
      {"BTC", 8}, {"ETH", 18}, {"POL", 18}, {"BNB", 18}, {"TRX", 6},  {"SOL", 9},
  };
  AssetRegistry registry;
  for (const Builtin& builtin : kBuiltins) {
    CAMBISTA_CHECK(registry.Add(builtin.code, builtin.scale).ok());
  }
  return registry;
}

Result<Asset, AssetError> AssetRegistry::Add(std::string_view code, int scale) {
  auto made = Asset::Make(code, scale);
  if (!made) return Failure{made.error()};
  const auto found = assets_.find(code);
  if (found != assets_.end()) {
    if (found->second.scale() != scale) return Failure{AssetError::kScaleConflict};
    return found->second;
  }
  assets_.emplace(std::string(code), *made);
  return *made;
}

Result<Asset, AssetError> AssetRegistry::Find(std::string_view code) const {
  if (!IsValidCode(code)) return Failure{AssetError::kInvalidCode};
  const auto found = assets_.find(code);
  if (found == assets_.end()) return Failure{AssetError::kUnknownCode};
  return found->second;
}

std::vector<Asset> AssetRegistry::assets() const {
  std::vector<Asset> result;
  result.reserve(assets_.size());
  for (const auto& [code, asset] : assets_) result.push_back(asset);
  return result;
}

}  // namespace cambista
