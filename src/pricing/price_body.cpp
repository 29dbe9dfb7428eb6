#include "pricing/price_body.hpp"

#include <optional>
#include <string>

#include "pricing/model.hpp"

namespace cambista::pricing {
namespace {

constexpr size_t kRateCharsMax = 60;

}  // namespace

Result<PriceBody, http::InputError> ReadPriceBody(std::string_view body) {
  auto reader = http::JsonObjectReader::Parse(body);
  if (!reader.ok()) return Failure{reader.error()};
  std::optional<Rate> rates[2];
  const std::string_view names[2] = {"bid", "ask"};
  for (int i = 0; i < 2; ++i) {
    auto text = reader.value().RequiredString(names[i], kRateCharsMax);
    if (!text.ok()) return Failure{text.error()};
    auto rate = Rate::Parse(text.value());
    if (!rate.ok() || rate.value().units() > kRateUnitsMax) {
      return Failure{http::InputError{
          "invalid_request", std::string(names[i]),
          "\"" + std::string(names[i]) +
              "\" must be a positive decimal string below 10^12, such as \"5.40\"."}};
    }
    rates[i] = rate.value();
  }
  if (auto unknown = reader.value().RejectUnknownFields()) return Failure{*unknown};
  if (rates[1]->units() <= rates[0]->units()) {
    return Failure{http::InputError{"invalid_request", "ask", "\"ask\" must be above \"bid\"."}};
  }
  return PriceBody{*rates[0], *rates[1]};
}

}  // namespace cambista::pricing
