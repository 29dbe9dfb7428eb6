#include "pricing/aggregation.hpp"

#include <algorithm>

namespace cambista::pricing {
namespace {

bool Crossed(const RateQuote& quote) {
  return quote.ask.units() <= quote.bid.units();
}

std::string SourceName(const std::vector<std::string>& used) {
  if (used.size() == 1) return used.front();
  std::string name = "median(";
  for (size_t i = 0; i < used.size(); ++i) name += (i == 0 ? "" : ",") + used[i];
  return name + ")";
}

// The quotes whose mid is within the band around the median of all mids; the others go to
// `dropped`.
std::vector<const SourceQuote*> WithinTheBand(const std::vector<const SourceQuote*>& valid,
                                              int64_t band_bps,
                                              std::vector<DroppedSource>& dropped) {
  if (valid.size() < 2) return valid;
  std::vector<Rate> mids;
  for (const SourceQuote* quote : valid) mids.push_back(MidOf(quote->quote.bid, quote->quote.ask));
  const Rate center = MedianOf(mids);
  std::vector<const SourceQuote*> kept;
  for (size_t i = 0; i < valid.size(); ++i) {
    if (WithinBand(mids[i], center, band_bps)) {
      kept.push_back(valid[i]);
    } else {
      dropped.push_back(DroppedSource{valid[i]->source, "band", mids[i]});
    }
  }
  return kept;
}

}  // namespace

Result<Aggregate, AggregateFailure> AggregateQuotes(const std::vector<SourceQuote>& quotes,
                                                    const AggregateOptions& options) {
  std::vector<DroppedSource> dropped;
  std::vector<const SourceQuote*> valid;
  for (const SourceQuote& quote : quotes) {
    if (Crossed(quote.quote)) {
      dropped.push_back(
          DroppedSource{quote.source, "crossed", MidOf(quote.quote.bid, quote.quote.ask)});
    } else {
      valid.push_back(&quote);
    }
  }
  using Kind = AggregateFailure::Kind;
  if (valid.empty())
    return Failure{AggregateFailure{Kind::kNoQuotes, "no source answered", dropped}};
  const std::vector<const SourceQuote*> kept = WithinTheBand(valid, options.band_bps, dropped);
  if (kept.empty()) {
    return Failure{AggregateFailure{Kind::kSourcesDisagree,
                                    "the sources disagree beyond the band: none can be told right",
                                    dropped}};
  }
  if (kept.size() < std::max<size_t>(options.min_sources, 1)) {
    return Failure{AggregateFailure{Kind::kTooFewSources,
                                    std::to_string(kept.size()) + " source(s) left, " +
                                        std::to_string(options.min_sources) + " needed",
                                    dropped}};
  }
  std::vector<Rate> bids;
  std::vector<Rate> asks;
  std::vector<std::string> used;
  int64_t observed_at_ms = kept.front()->quote.observed_at_ms;
  for (const SourceQuote* quote : kept) {
    bids.push_back(quote->quote.bid);
    asks.push_back(quote->quote.ask);
    used.push_back(quote->source);
    observed_at_ms = std::min(observed_at_ms, quote->quote.observed_at_ms);
  }
  const Rate bid = MedianOf(bids);
  const Rate ask = MedianOf(asks);
  if (ask.units() <= bid.units()) {
    return Failure{
        AggregateFailure{Kind::kCrossed, "the median ask is not above the median bid", dropped}};
  }
  return Aggregate{bid, ask, MidOf(bid, ask), SourceName(used), observed_at_ms, used, dropped};
}

}  // namespace cambista::pricing
