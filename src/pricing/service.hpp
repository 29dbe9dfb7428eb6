// The rate book: the reference rate of every configured pair, made from the rate sources
// (pricing/rate_source.hpp) and served from memory to whoever prices something (trading's
// quotes), with graceful degradation:
//
//   live    the last poll of the pair made this value, and it is fresh (age <= max_age, polled
//           within two poll intervals);
//   stale   the last poll failed (no source answered, or the sources disagreed), but the last good
//           value is not older than max_age: it is served, marked live = false;
//   kUnavailable otherwise: nobody may quote the pair (the API answers 503 rate_unavailable).
//
// There is never a built-in price: a pair no source covers has no rate.
//
// A poll of a pair asks each source that covers it (through the source's circuit breaker, and no
// more often than the source allows: its last answer is reused in between), then aggregates the
// answers (pricing/aggregation.hpp: one source as it is, several by their median, a source beyond
// the band dropped and reported). Polls run on the module's poller (pricing/poller.hpp); a test
// calls PollAll/PollPair itself, on a ManualClock.
//
// Persistence (optional, RateStore): each new reference is written (the row per pair; at most every
// kPersistIntervalMs when unchanged) with a rate.updated event when its bid or ask changed, and
// each source's observations are kept for the audit (when changed, or every
// kObservationIntervalMs). A new RateBook on the same database starts from the persisted
// references, stale until a poll succeeds and, like any value, unavailable past max_age.
//
// Thread-safe. Reference() reads memory under a shared lock: no network, no database.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.hpp"
#include "core/result.hpp"
#include "obs/json_log.hpp"
#include "obs/metrics.hpp"
#include "pricing/aggregation.hpp"
#include "pricing/circuit_breaker.hpp"
#include "pricing/model.hpp"
#include "pricing/rate_source.hpp"

namespace cambista::pricing {

class RateStore;
struct StoredObservation;

struct ReferenceRate {
  std::string pair;    // "USDT/BRL"
  Rate bid, ask, mid;  // quote-asset major units per one base unit
  std::string source;  // "sandbox", "static", "median(binance_p2p,criptoya)", ...
  int64_t observed_at_ms = 0;
  bool live = true;  // false: the last good value, served within max_age
};

// Stable numbers: never change or reuse one.
enum class RateError : uint8_t {
  kUnknownPair = 1,  // not one of the configured pairs
  kUnavailable = 2,  // no live value and none within max_age
};
// The stable problem code of each, for whoever answers with it: "unknown_pair" and
// "rate_unavailable" (to be served with 503: the desk cannot price now, later it may).
std::string_view RateErrorCode(RateError error);

struct RateBookOptions {
  std::vector<Pair> pairs;  // the pairs priced, in this order
  int64_t poll_interval_ms = 60'000;
  int64_t max_age_ms = 300'000;  // the oldest value ever served
  AggregateOptions aggregate;    // band_bps, min_sources
  BreakerOptions breaker;        // per source
  int event_attempts_max = 12;   // rate.updated's webhook deliveries (there are none: tenant *)
};

// One pair as GET /v1/rates shows it.
struct PairStatus {
  std::string pair;
  std::optional<ReferenceRate> rate;  // set when servable (live or stale)
  int64_t age_ms = 0;
  std::string unavailable_reason;  // "no_source", "no_rate", "max_age_exceeded" when not servable
};

// One source as GET /v1/rates shows it.
struct SourceStatus {
  std::string name;
  BreakerState state = BreakerState::kClosed;
  int64_t failures = 0;                    // in a row
  std::vector<std::string> dropped_pairs;  // pairs whose last poll dropped it (band or crossed)
  std::string last_error;                  // of its last failed fetch, "" after a success
};

struct RateBookStatus {
  int64_t now_ms = 0;
  std::vector<PairStatus> pairs;
  std::vector<SourceStatus> sources;
};

class RateBook {
 public:
  static constexpr int64_t kPersistIntervalMs = 10'000;
  static constexpr int64_t kObservationIntervalMs = 60'000;

  // `sources` (not owned) in the order they are asked and named; `store` and `logger` may be null
  // (no persistence, no log lines). Loads the persisted references when there is a store.
  RateBook(const Clock& clock, RateBookOptions options, std::vector<RateSource*> sources,
           RateStore* store = nullptr, obs::JsonLogger* logger = nullptr);
  ~RateBook();
  RateBook(const RateBook&) = delete;
  RateBook& operator=(const RateBook&) = delete;

  // The reference rate of `pair` ("USDT/BRL"; "USDT-BRL" too), live or stale, as described above.
  Result<ReferenceRate, RateError> Reference(std::string_view pair) const;
  // The configured pairs, "USDT/BRL" form, in configuration order.
  std::vector<std::string> Pairs() const;

  // One poll of every pair / of one pair (kUnknownPair when not configured). Serialized: one poll
  // runs at a time.
  void PollAll();
  Result<ReferenceRate, RateError> PollPair(std::string_view pair);

  RateBookStatus Status() const;
  const RateBookOptions& options() const { return options_; }
  int64_t NowMs() const { return clock_.NowMs(); }  // the book's clock
  // cambista_rate_* metric families. Once; the book must outlive the registry's use.
  obs::MetricsStatus RegisterMetrics(obs::MetricsRegistry& metrics);

 private:
  struct SourceState;
  struct PairState;

  void LoadPersisted();
  // The quotes of `pair` from every source that covers it, fetched (or reused) now; what is new
  // goes to `observations`.
  std::vector<SourceQuote> Gather(const Pair& pair, int64_t now_ms,
                                  std::vector<StoredObservation>& observations);
  std::optional<RateQuote> QuoteFrom(SourceState& source, const Pair& pair, int64_t now_ms,
                                     std::vector<StoredObservation>& observations);
  void RecordFetch(SourceState& source, const Pair& pair,
                   const Result<RateQuote, SourceError>& result);
  void CountFetch(const SourceState& source, std::string_view outcome);
  void Apply(const Pair& pair, const Result<Aggregate, AggregateFailure>& result, int64_t now_ms);
  void ReportDropped(const Pair& pair, const std::vector<DroppedSource>& dropped);
  void Persist(const ReferenceRate& rate, int64_t now_ms);
  void SaveObservations(const std::vector<StoredObservation>& observations, int64_t now_ms);
  Result<ReferenceRate, RateError> Servable(const PairState& state, int64_t now_ms) const;
  const PairState* FindPair(std::string_view pair) const;

  const Clock& clock_;
  const RateBookOptions options_;
  RateStore* const store_;
  obs::JsonLogger* const logger_;
  std::vector<std::unique_ptr<SourceState>> sources_;
  std::map<std::string, std::unique_ptr<PairState>, std::less<>> pairs_;  // by "USDT/BRL"
  mutable std::shared_mutex mutex_;  // guards every PairState and SourceState's reported fields
  std::mutex poll_mutex_;            // one poll at a time
  obs::CounterFamily* fetches_ = nullptr;
  obs::CounterFamily* dropped_ = nullptr;
};

}  // namespace cambista::pricing
