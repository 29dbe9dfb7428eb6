#include "core/asset.hpp"

#include <gtest/gtest.h>

#include <sstream>
#include <type_traits>

namespace cambista {
namespace {

TEST(AssetTest, MakeValidatesCode) {
  EXPECT_TRUE(Asset::Make("BR", 2).ok());
  EXPECT_TRUE(Asset::Make("ABCDEFGHIJ", 2).ok());
  EXPECT_TRUE(Asset::Make("USDT", 6).ok());
  EXPECT_TRUE(Asset::Make("1INCH", 18).ok());
  for (std::string_view bad :
       {"", "B", "ABCDEFGHIJK", "brl", "Brl", "US D", "US-D", "USD\n", "ÇÃO"}) {
    auto made = Asset::Make(bad, 2);
    ASSERT_FALSE(made.ok()) << bad;
    EXPECT_EQ(made.error(), AssetError::kInvalidCode) << bad;
  }
}

TEST(AssetTest, MakeValidatesScale) {
  EXPECT_TRUE(Asset::Make("AAA", 0).ok());
  EXPECT_TRUE(Asset::Make("AAA", 18).ok());
  EXPECT_EQ(Asset::Make("AAA", -1).error(), AssetError::kInvalidScale);
  EXPECT_EQ(Asset::Make("AAA", 19).error(), AssetError::kInvalidScale);
}

TEST(AssetTest, IsASmallValue) {
  static_assert(std::is_trivially_copyable_v<Asset>);
  static_assert(sizeof(Asset) <= 12);
  const Asset usdt = *Asset::Make("USDT", 6);
  const Asset copy = usdt;
  EXPECT_EQ(copy, usdt);
  EXPECT_EQ(copy.code(), "USDT");
  EXPECT_EQ(copy.scale(), 6);
  EXPECT_NE(usdt, *Asset::Make("USDC", 6));
  EXPECT_NE(usdt, *Asset::Make("USDT", 2));  // same code, other scale: not the same asset
  EXPECT_NE(*Asset::Make("AB", 2), *Asset::Make("ABC", 2));
  std::ostringstream out;
  out << usdt;
  EXPECT_EQ(out.str(), "USDT(scale 6)");
}

TEST(AssetRegistryTest, BuiltinsHaveTheirScales) {
  const AssetRegistry registry = AssetRegistry::WithBuiltins();
  const std::pair<std::string_view, int> expected[] = {
      {"BRL", 2}, {"VES", 2},  {"COP", 2},  {"USD", 2},  {"USDT", 6}, {"USDC", 6},
      {"BTC", 8}, {"ETH", 18}, {"POL", 18}, {"BNB", 18}, {"TRX", 6},  {"SOL", 9},
  };
  EXPECT_EQ(registry.size(), std::size(expected));
  for (const auto& [code, scale] : expected) {
    auto found = registry.Find(code);
    ASSERT_TRUE(found.ok()) << code;
    EXPECT_EQ(found->code(), code);
    EXPECT_EQ(found->scale(), scale) << code;
  }
}

TEST(AssetRegistryTest, AddAndFind) {
  AssetRegistry registry;
  EXPECT_EQ(registry.size(), 0u);
  EXPECT_EQ(registry.Find("ARS").error(), AssetError::kUnknownCode);
  auto added = registry.Add("ARS", 2);
  ASSERT_TRUE(added.ok());
  EXPECT_EQ(added->code(), "ARS");
  EXPECT_EQ(*registry.Find("ARS"), *added);
  EXPECT_EQ(registry.size(), 1u);
  ASSERT_TRUE(registry.Add("CLP", 0).ok());
  EXPECT_EQ(registry.Find("CLP")->scale(), 0);
  const auto all = registry.assets();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].code(), "ARS");
  EXPECT_EQ(all[1].code(), "CLP");
}

TEST(AssetRegistryTest, DuplicateWithSameScaleIsIdempotent) {
  AssetRegistry registry = AssetRegistry::WithBuiltins();
  const size_t before = registry.size();
  auto again = registry.Add("USDT", 6);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->scale(), 6);
  EXPECT_EQ(registry.size(), before);
}

TEST(AssetRegistryTest, DuplicateWithOtherScaleIsAnError) {
  AssetRegistry registry = AssetRegistry::WithBuiltins();
  auto conflict = registry.Add("USDT", 2);
  ASSERT_FALSE(conflict.ok());
  EXPECT_EQ(conflict.error(), AssetError::kScaleConflict);
  EXPECT_EQ(registry.Find("USDT")->scale(), 6);  // unchanged
}

TEST(AssetRegistryTest, AddRejectsInvalidInput) {
  AssetRegistry registry;
  EXPECT_EQ(registry.Add("usdt", 6).error(), AssetError::kInvalidCode);
  EXPECT_EQ(registry.Add("USDT", 19).error(), AssetError::kInvalidScale);
  EXPECT_EQ(registry.size(), 0u);
}

TEST(AssetRegistryTest, FindDoesNotFoldCase) {
  const AssetRegistry registry = AssetRegistry::WithBuiltins();
  EXPECT_EQ(registry.Find("usdt").error(), AssetError::kInvalidCode);
  EXPECT_EQ(registry.Find("").error(), AssetError::kInvalidCode);
  EXPECT_EQ(registry.Find("XAU").error(), AssetError::kUnknownCode);
}

TEST(AssetErrorTest, CodesAndMessagesAreStable) {
  EXPECT_EQ(static_cast<int>(AssetError::kInvalidCode), 1);
  EXPECT_EQ(static_cast<int>(AssetError::kInvalidScale), 2);
  EXPECT_EQ(static_cast<int>(AssetError::kScaleConflict), 3);
  EXPECT_EQ(static_cast<int>(AssetError::kUnknownCode), 4);
  EXPECT_EQ(AssetErrorCode(AssetError::kInvalidCode), "invalid_asset_code");
  EXPECT_EQ(AssetErrorCode(AssetError::kInvalidScale), "invalid_asset_scale");
  EXPECT_EQ(AssetErrorCode(AssetError::kScaleConflict), "asset_scale_conflict");
  EXPECT_EQ(AssetErrorCode(AssetError::kUnknownCode), "unknown_asset");
  for (auto error : {AssetError::kInvalidCode, AssetError::kInvalidScale,
                     AssetError::kScaleConflict, AssetError::kUnknownCode}) {
    EXPECT_FALSE(AssetErrorMessage(error).empty());
  }
}

}  // namespace
}  // namespace cambista
