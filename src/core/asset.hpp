// Assets (BRL, USDT, ETH, ...) and the registry that knows their scales.
//
// Every amount of money is an integer count of minor units, and the asset's scale says how many
// decimal places a minor unit is worth (BRL 2: 1 minor unit = 0.01; ETH 18: 1 wei). Getting the
// scale wrong multiplies money by a power of ten, so an asset is only ever made through validation
// (code `[A-Z0-9]{2,10}`, scale 0..18) and the registry refuses a second, different scale for a
// code that it already knows. An `Asset` is a small value (code stored inline, 12 bytes): copying
// one never allocates and an `Amount` holding one can outlive the registry it came from. Two assets
// are the same asset only if both code and scale match. The registry is filled at start-up
// (built-ins, then config) and only read afterwards; it does no locking of its own.
#pragma once

#include <array>
#include <cstdint>
#include <iosfwd>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace cambista {

// Stable error codes: the numbers are persisted and shown to clients; never change or reuse one.
enum class AssetError : uint16_t {
  kInvalidCode = 1,    // not [A-Z0-9]{2,10}
  kInvalidScale = 2,   // outside 0..18
  kScaleConflict = 3,  // the code is already registered with a different scale
  kUnknownCode = 4,    // lookup of a well-formed code that is not registered
};

// Stable snake_case code, e.g. "scale_conflict".
std::string_view AssetErrorCode(AssetError error);
// One-sentence human explanation.
std::string_view AssetErrorMessage(AssetError error);

class Asset {
 public:
  static constexpr size_t kCodeLengthMin = 2;
  static constexpr size_t kCodeLengthMax = 10;
  static constexpr int kScaleMax = 18;

  // Validates the code and scale; does not consult any registry.
  static Result<Asset, AssetError> Make(std::string_view code, int scale);

  // Views this object's inline storage: do not keep the view beyond the Asset it came from.
  std::string_view code() const { return {code_.data(), code_length_}; }
  int scale() const { return scale_; }

  friend bool operator==(const Asset&, const Asset&) = default;

 private:
  Asset() = default;

  std::array<char, kCodeLengthMax> code_{};  // unused tail stays zero so == can compare it
  uint8_t code_length_ = 0;
  uint8_t scale_ = 0;
};

std::ostream& operator<<(std::ostream& out, const Asset& asset);

class AssetRegistry {
 public:
  // An empty registry. Use WithBuiltins() for the desk's standard assets.
  AssetRegistry() = default;
  // BRL 2, VES 2, COP 2, USD 2, USDT 6, USDC 6, BTC 8, ETH 18, POL 18, BNB 18, TRX 6, SOL 9.
  static AssetRegistry WithBuiltins();

  // Registers `code` with `scale`. Adding a code again with the same scale is a no-op that returns
  // the existing asset (config may repeat a built-in); a different scale is kScaleConflict.
  Result<Asset, AssetError> Add(std::string_view code, int scale);
  // kInvalidCode for a malformed code (e.g. lower case: codes are not folded), else kUnknownCode.
  Result<Asset, AssetError> Find(std::string_view code) const;

  size_t size() const { return assets_.size(); }
  // All assets, ordered by code.
  std::vector<Asset> assets() const;

 private:
  std::map<std::string, Asset, std::less<>> assets_;
};

}  // namespace cambista
