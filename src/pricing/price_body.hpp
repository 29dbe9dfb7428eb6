// The body that sets a pair's price by hand, {"bid":"5.40","ask":"5.46"}: the sandbox feed's
// PUT /sandbox/rates/{pair} and each rate simulator's PUT /sandbox/<name>/rates/{pair}. Rates are
// decimal strings (a JSON number is refused, as everywhere in our API), positive, at most
// kRateUnitsMax, ask above bid; anything else is a 400 naming the field.
#pragma once

#include <string_view>

#include "core/amount.hpp"
#include "core/result.hpp"
#include "http/json_input.hpp"

namespace cambista::pricing {

struct PriceBody {
  Rate bid;
  Rate ask;
};

Result<PriceBody, http::InputError> ReadPriceBody(std::string_view body);

}  // namespace cambista::pricing
