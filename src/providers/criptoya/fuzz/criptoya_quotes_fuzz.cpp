// libFuzzer target: CriptoYa answers, ParseCriptoyaQuotes on arbitrary bytes and CriptoyaReference
// on what it accepts. Properties, each a crash when broken (ASan and UBSan add theirs):
// - it never throws or crashes, and a refusal says why;
// - every price accepted is positive and no larger than pricing::kRateUnitsMax, every time within
//   Unix seconds' bounds;
// - a reference, when there is one, has ask above bid, each between the smallest and the largest
//   of the prices given, observed no later than now;
// - parsing is deterministic.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "providers/criptoya/criptoya_source.hpp"

namespace {

using cambista::pricing::CriptoyaQuote;

// The time the seeds were written at (their exchanges' `time`), in milliseconds.
constexpr int64_t kNowMs = 1'700'000'000'000;

[[noreturn]] void Violated(const char* property, std::string_view input) {
  std::fprintf(stderr, "\n*** property violated: %s\ninput: %.*s\n", property,
               static_cast<int>(input.size()), input.data());
  std::abort();
}

std::string Describe(
    const cambista::Result<std::vector<CriptoyaQuote>, cambista::pricing::SourceError>& result) {
  if (!result.ok()) return "error " + result.error().message;
  std::string text;
  for (const CriptoyaQuote& quote : result.value()) {
    text += quote.exchange + " " + (quote.bid ? quote.bid->ToString() : "-") + " " +
            (quote.ask ? quote.ask->ToString() : "-") + " " + std::to_string(quote.time_s) + ";";
  }
  return text;
}

void CheckReference(std::string_view body, const std::vector<CriptoyaQuote>& quotes) {
  const auto reference = cambista::pricing::CriptoyaReference(quotes, kNowMs, 120'000, 1);
  if (!reference.ok()) {
    if (reference.error().message.empty()) Violated("a refusal says why", body);
    return;
  }
  cambista::u128 low = cambista::kU128Max;
  cambista::u128 high = 0;
  for (const CriptoyaQuote& quote : quotes) {
    for (const auto& price : {quote.bid, quote.ask}) {
      if (!price) continue;
      low = std::min(low, price->units());
      high = std::max(high, price->units());
    }
  }
  const auto& value = reference.value();
  if (value.ask.units() <= value.bid.units()) Violated("ask above bid", body);
  if (value.bid.units() < low || value.ask.units() > high) Violated("among the prices", body);
  if (value.observed_at_ms > kNowMs) Violated("observed no later than now", body);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  const auto result = cambista::pricing::ParseCriptoyaQuotes(body);
  if (!result.ok() && result.error().message.empty()) Violated("a refusal says why", body);
  if (Describe(cambista::pricing::ParseCriptoyaQuotes(body)) != Describe(result)) {
    Violated("parsing is deterministic", body);
  }
  if (!result.ok()) return 0;
  for (const CriptoyaQuote& quote : result.value()) {
    for (const auto& price : {quote.bid, quote.ask}) {
      if (price && (price->units() == 0 || price->units() > cambista::pricing::kRateUnitsMax)) {
        Violated("a positive price within kRateUnitsMax", body);
      }
    }
    if (quote.time_s < 0 || quote.time_s > 100'000'000'000) Violated("a time in bounds", body);
  }
  CheckReference(body, result.value());
  return 0;
}
