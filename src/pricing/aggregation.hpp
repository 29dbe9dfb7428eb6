// From the sources' quotes of one pair to its reference bid and ask, without I/O.
//
// One quote is the reference as it is. With two or more, the median of their mids is the center,
// a source whose mid strays more than band_bps from it is dropped (and reported), and the
// reference bid and ask are the medians of the bids and asks of those kept. Two sources that
// disagree beyond the band are both dropped: which one is wrong cannot be told, so no price is
// made from them (the last good value then serves, within its max age). Every quote must have
// ask > bid, and so must the result.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "pricing/model.hpp"

namespace cambista::pricing {

struct SourceQuote {
  std::string source;  // "binance_p2p"
  RateQuote quote;
};

struct DroppedSource {
  std::string source;
  std::string reason;  // "band": its mid strayed from the others'; "crossed": ask <= bid
  Rate mid;            // the source's mid
};

struct AggregateOptions {
  int64_t band_bps = 300;  // 3%
  size_t min_sources = 1;  // quotes that must be left after the band for a price
};

struct Aggregate {
  Rate bid;
  Rate ask;
  Rate mid;
  std::string source;          // one source's name, or "median(binance_p2p,criptoya)"
  int64_t observed_at_ms = 0;  // the oldest observation used
  std::vector<std::string> used;
  std::vector<DroppedSource> dropped;
};

struct AggregateFailure {
  enum class Kind : uint8_t {
    kNoQuotes = 1,         // no source answered
    kTooFewSources = 2,    // fewer than min_sources left after the band
    kSourcesDisagree = 3,  // the band left none (two sources apart)
    kCrossed = 4,          // the medians give ask <= bid
  };
  Kind kind;
  std::string message;
  std::vector<DroppedSource> dropped;
};

Result<Aggregate, AggregateFailure> AggregateQuotes(const std::vector<SourceQuote>& quotes,
                                                    const AggregateOptions& options);

}  // namespace cambista::pricing
