// Cross-check with independent implementations: tests/payouts/check_destinations.mjs makes random
// addresses with ethers (EVM, EIP-55), tronweb (TRON), bech32 (segwit v0 bech32, v1+ bech32m) and
// bs58 (Bitcoin Base58Check with node's SHA-256, Solana), single-character corruptions of each with
// the verdict of the same libraries, and Keccak-256 digests of random inputs from ethers. Our
// validator must agree on every verdict, store what ethers.getAddress returns for every EVM
// spelling, and refuse every corruption the format's checksum is sure to catch.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "payouts/destination.hpp"
#include "pix/subprocess.hpp"
#include "security/hmac.hpp"
#include "security/keccak.hpp"

namespace cambista::payouts {
namespace {

using pix::testing::FindOnPath;
using pix::testing::RunProcess;

constexpr int kRoundsPerRun = 150;  // each round: 5 networks' addresses, corruptions, a digest
constexpr int kSeed = 20240611;

std::vector<boost::json::object> RunReference() {
  const std::filesystem::path source_dir = CAMBISTA_SOURCE_DIR;
  const auto script = source_dir / "tests/payouts/check_destinations.mjs";
  for (const char* package : {"ethers", "tronweb", "bech32", "bs58"}) {
    if (!std::filesystem::exists(source_dir / "node_modules" / package / "package.json")) {
      ADD_FAILURE() << "npm package " << package << " is missing from "
                    << source_dir / "node_modules"
                    << ": run `npm ci` in the repository root";
      return {};
    }
  }
  auto node = FindOnPath("node");
  if (!node) node = FindOnPath("nodejs");
  if (!node) {
    ADD_FAILURE() << "node not found on PATH: install Node.js 20";
    return {};
  }
  const auto result = RunProcess(
      *node, {script.string(), std::to_string(kSeed), std::to_string(kRoundsPerRun)}, "");
  if (result.exit_code != 0) {
    ADD_FAILURE() << "node failed: " << result.err;
    return {};
  }
  std::vector<boost::json::object> lines;
  size_t start = 0;
  while (start < result.out.size()) {
    const size_t end = result.out.find('\n', start);
    const std::string line = result.out.substr(start, end - start);
    if (!line.empty()) lines.push_back(boost::json::parse(line).as_object());
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return lines;
}

std::string Text(const boost::json::object& object, std::string_view name) {
  return std::string(object.at(name).as_string());
}

TEST(DestinationCrossCheck, AgreesWithEthersTronwebBech32AndBs58) {
  const auto lines = RunReference();
  ASSERT_FALSE(lines.empty());
  std::map<std::string, int> accepted_per_network;
  int corruptions_refused = 0;
  int digests = 0;
  for (const auto& line : lines) {
    if (line.contains("keccak_hex")) {
      auto input = HexDecode(Text(line, "keccak_input_hex"));
      ASSERT_TRUE(input.ok());
      EXPECT_EQ(HexEncode(Keccak256(input.value())), Text(line, "keccak_hex"))
          << input->size() << " bytes";
      ++digests;
      continue;
    }
    const std::string network_name = Text(line, "network");
    const std::string address = Text(line, "address");
    const bool valid = line.at("valid").as_bool();
    const bool corrupted = line.at("corrupted").as_bool();
    SCOPED_TRACE(network_name + " " + address);
    const auto network = ParseNetwork(network_name);
    ASSERT_TRUE(network.has_value());
    auto ours = NormalizeCryptoAddress(*network, address);
    ASSERT_EQ(ours.ok(), valid) << (ours.ok() ? "we accept, the reference refuses"
                                              : "we refuse (" + ours.error().reason +
                                                    "), the reference accepts");
    if (valid) {
      EXPECT_EQ(ours.value(), Text(line, "normalized"));
      if (!corrupted) ++accepted_per_network[network_name];
      continue;
    }
    if (line.at("guaranteed").as_bool()) {
      EXPECT_FALSE(ours.ok()) << "a corruption the checksum always catches was accepted";
    }
    ++corruptions_refused;
  }
  // The run covered what it claims to: every network, many corruptions, the digests.
  for (const char* network : {"ETH", "POLYGON", "BSC", "TRON", "BTC", "SOL"}) {
    EXPECT_GE(accepted_per_network[network], kRoundsPerRun / 3) << network;
  }
  EXPECT_GE(corruptions_refused, kRoundsPerRun * 5);
  EXPECT_EQ(digests, kRoundsPerRun);
}

}  // namespace
}  // namespace cambista::payouts
