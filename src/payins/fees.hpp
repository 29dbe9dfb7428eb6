// What a gateway keeps of a payment, where it does not say so itself: a rate, a fixed part and a
// tax on the fee (BuhoPago: 5% + 16% IVA, seed 000). The result is rounded up to the minor unit,
// never below what the gateway keeps, so the books never show more money at the gateway than is
// there (reconciliation with the gateway's statement corrects any cent of difference).
#pragma once

#include <string>
#include <string_view>

#include "core/int128.hpp"
#include "core/result.hpp"

namespace cambista::payins {

struct FeeSchedule {
  i128 rate_ppm = 0;     // parts per million of the amount (5% = 50'000)
  i128 fixed_minor = 0;  // minor units of the payment's currency, per payment
  i128 tax_ppm = 0;      // tax on the fee, parts per million of the fee (16% = 160'000)
};

// The fee of one payment of `amount_minor`: ceil(amount × rate) + fixed, plus ceil(that × tax);
// never more than the amount itself.
i128 FeeFor(const FeeSchedule& schedule, i128 amount_minor);

// A percentage as text ("5", "2.99", "0.5") in parts per million; at most 4 decimals, 0..100.
Result<i128, std::string> ParsePercentPpm(std::string_view text);

// A schedule as an operator writes it: a rate, then optionally a fixed part and a tax on the fee,
// each after a "+": "5% + 16% tax" (BuhoPago), "0.99% + 0.50", "1.5%", "0% + 0.40", "0%". The
// fixed part is in the payment's currency, with at most `scale` decimals. Spaces around parts are
// free. The error says what was expected.
Result<FeeSchedule, std::string> ParseFeeSchedule(std::string_view text, int scale);

// The schedules Cambista knows by default: BuhoPago's 5% + 16% IVA. Others are 0 until configured
// (`[gateway_fees] <gateway> = "..."` in the configuration).
FeeSchedule DefaultFeeSchedule(std::string_view gateway);

}  // namespace cambista::payins
