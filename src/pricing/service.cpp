#include "pricing/service.hpp"

#include <algorithm>
#include <set>
#include <utility>

#include "core/assert.hpp"
#include "http/problem.hpp"
#include "pricing/store.hpp"

namespace cambista::pricing {
namespace {

// A source's clock may run ahead of ours by this much; an observation further in the future is
// not believed.
constexpr int64_t kFutureSkewMs = 60'000;

bool SameQuote(const RateQuote& a, const RateQuote& b) {
  return a.bid == b.bid && a.ask == b.ask;
}

std::string EventData(const ReferenceRate& rate) {
  std::string observed_at;
  obs::AppendRfc3339Millis(observed_at, rate.observed_at_ms * 1'000'000);
  return "{\"pair\":" + http::JsonString(rate.pair) + ",\"bid\":\"" + rate.bid.ToString() +
         "\",\"ask\":\"" + rate.ask.ToString() + "\",\"mid\":\"" + rate.mid.ToString() +
         "\",\"source\":" + http::JsonString(rate.source) + ",\"observed_at\":\"" + observed_at +
         "\"}";
}

// What a source answered, checked as every source's answer is: ask above bid, rates within
// kRateUnitsMax, observed no later than now (plus skew; an observation a little ahead reads as
// now).
Result<RateQuote, SourceError> Checked(Result<RateQuote, SourceError> fetched, int64_t now_ms) {
  if (!fetched.ok()) return fetched;
  RateQuote quote = fetched.value();
  if (quote.bid.units() > kRateUnitsMax || quote.ask.units() > kRateUnitsMax) {
    return Failure{SourceError{SourceError::Kind::kMalformed, "a rate above 10^12"}};
  }
  if (quote.ask.units() <= quote.bid.units()) {
    return Failure{
        SourceError{SourceError::Kind::kCrossed,
                    "ask " + quote.ask.ToString() + " is not above bid " + quote.bid.ToString()}};
  }
  if (quote.observed_at_ms > now_ms + kFutureSkewMs) {
    return Failure{SourceError{SourceError::Kind::kMalformed, "observed in the future"}};
  }
  quote.observed_at_ms = std::min(quote.observed_at_ms, now_ms);
  return quote;
}

// The source's answer; an exception from an adapter (a bug, memory) is a failed fetch, never the
// end of the poller's thread.
Result<RateQuote, SourceError> FetchFrom(RateSource& source, const Pair& pair) {
  try {
    return source.Fetch(pair);
  } catch (const std::exception& error) {
    return Failure{SourceError{SourceError::Kind::kUnavailable, error.what()}};
  }
}

}  // namespace

std::string_view RateErrorCode(RateError error) {
  return error == RateError::kUnknownPair ? "unknown_pair" : "rate_unavailable";
}

// What the book keeps of a source. `source` and `breaker` are the source's own; `by_pair` is only
// touched by the poll (under poll_mutex_); the reported fields under mutex_.
struct RateBook::SourceState {
  SourceState(RateSource& rate_source, const Clock& clock, BreakerOptions options)
      : source(rate_source), breaker(clock, options) {}

  struct Fetched {
    std::optional<RateQuote> quote;  // the last fetch's answer, when it was good
    int64_t fetched_at_ms = 0;
    bool attempted = false;
    std::optional<RateQuote> recorded;  // the last observation written
    int64_t recorded_at_ms = 0;
  };

  RateSource& source;
  CircuitBreaker breaker;
  std::map<std::string, Fetched, std::less<>> by_pair;
  std::set<std::string, std::less<>> dropped_pairs;
  std::string last_error;
};

struct RateBook::PairState {
  explicit PairState(Pair pair_in) : pair(std::move(pair_in)) {}

  Pair pair;
  std::optional<ReferenceRate> last_good;
  bool last_poll_ok = false;
  int64_t last_ok_poll_ms = 0;
  std::string last_failure;
  // The poll's own (under poll_mutex_): what was last written.
  std::optional<ReferenceRate> persisted;
  int64_t persisted_at_ms = 0;
};

RateBook::RateBook(const Clock& clock, RateBookOptions options, std::vector<RateSource*> sources,
                   RateStore* store, obs::JsonLogger* logger)
    : clock_(clock), options_(std::move(options)), store_(store), logger_(logger) {
  for (RateSource* source : sources) {
    CAMBISTA_CHECK(source != nullptr);
    sources_.push_back(std::make_unique<SourceState>(*source, clock_, options_.breaker));
  }
  for (const Pair& pair : options_.pairs) {
    pairs_.emplace(pair.Text(), std::make_unique<PairState>(pair));
  }
  if (store_ != nullptr) LoadPersisted();
}

RateBook::~RateBook() = default;

void RateBook::LoadPersisted() {
  for (const StoredReference& row : store_->LoadReferences()) {
    const auto found = pairs_.find(row.pair);
    if (found == pairs_.end()) continue;  // a pair no longer configured
    auto bid = ParseProviderRate(row.bid);
    auto ask = ParseProviderRate(row.ask);
    auto mid = ParseProviderRate(row.mid);
    if (!bid.ok() || !ask.ok() || !mid.ok() || ask.value().units() <= bid.value().units()) {
      if (logger_ != nullptr) {
        logger_->Warn("reference rate not loaded: unreadable row", {{"pair", row.pair}});
      }
      continue;
    }
    ReferenceRate rate{row.pair,   bid.value(),        ask.value(), mid.value(),
                       row.source, row.observed_at_ms, false};
    found->second->last_good = rate;
    found->second->persisted = rate;
    found->second->persisted_at_ms = row.updated_at_ms;
  }
}

const RateBook::PairState* RateBook::FindPair(std::string_view pair) const {
  const auto found = pairs_.find(pair);
  if (found != pairs_.end()) return found->second.get();
  const auto parsed = ParsePair(pair);
  if (!parsed) return nullptr;
  const auto again = pairs_.find(parsed->Text());
  return again == pairs_.end() ? nullptr : again->second.get();
}

Result<ReferenceRate, RateError> RateBook::Servable(const PairState& state, int64_t now_ms) const {
  if (!state.last_good) return Failure{RateError::kUnavailable};
  const int64_t age_ms = std::max<int64_t>(0, now_ms - state.last_good->observed_at_ms);
  if (age_ms > options_.max_age_ms) return Failure{RateError::kUnavailable};
  ReferenceRate rate = *state.last_good;
  rate.live = state.last_poll_ok && now_ms - state.last_ok_poll_ms <= 2 * options_.poll_interval_ms;
  return rate;
}

Result<ReferenceRate, RateError> RateBook::Reference(std::string_view pair) const {
  std::shared_lock lock(mutex_);
  const PairState* state = FindPair(pair);
  if (state == nullptr) return Failure{RateError::kUnknownPair};
  return Servable(*state, clock_.NowMs());
}

std::vector<std::string> RateBook::Pairs() const {
  std::vector<std::string> pairs;
  for (const Pair& pair : options_.pairs) pairs.push_back(pair.Text());
  return pairs;
}

void RateBook::PollAll() {
  for (const Pair& pair : options_.pairs) (void)PollPair(pair.Text());
}

Result<ReferenceRate, RateError> RateBook::PollPair(std::string_view text) {
  const PairState* known = FindPair(text);  // pairs_ never changes: no lock needed to find
  if (known == nullptr) return Failure{RateError::kUnknownPair};
  const Pair pair = known->pair;
  {
    std::lock_guard poll(poll_mutex_);
    const int64_t now_ms = clock_.NowMs();
    std::vector<StoredObservation> observations;
    const std::vector<SourceQuote> quotes = Gather(pair, now_ms, observations);
    const auto result = AggregateQuotes(quotes, options_.aggregate);
    Apply(pair, result, now_ms);
    if (result.ok()) {
      const Aggregate& made = result.value();
      Persist(ReferenceRate{pair.Text(), made.bid, made.ask, made.mid, made.source,
                            made.observed_at_ms, true},
              now_ms);
    }
    SaveObservations(observations, now_ms);
  }
  return Reference(pair.Text());
}

std::vector<SourceQuote> RateBook::Gather(const Pair& pair, int64_t now_ms,
                                          std::vector<StoredObservation>& observations) {
  std::vector<SourceQuote> quotes;
  for (const auto& source : sources_) {
    if (!source->source.Covers(pair)) continue;
    if (auto quote = QuoteFrom(*source, pair, now_ms, observations)) {
      quotes.push_back(SourceQuote{std::string(source->source.name()), *quote});
    }
  }
  return quotes;
}

std::optional<RateQuote> RateBook::QuoteFrom(SourceState& source, const Pair& pair, int64_t now_ms,
                                             std::vector<StoredObservation>& observations) {
  SourceState::Fetched& fetched = source.by_pair[pair.Text()];
  const auto usable = [&](const std::optional<RateQuote>& quote) -> std::optional<RateQuote> {
    if (!quote || now_ms - quote->observed_at_ms > options_.max_age_ms) return std::nullopt;
    return quote;
  };
  const int64_t min_interval_ms = source.source.MinIntervalMs();
  if (fetched.attempted && min_interval_ms > 0 &&
      now_ms - fetched.fetched_at_ms < min_interval_ms) {
    return usable(fetched.quote);  // the provider asks us not to call again yet
  }
  if (!source.breaker.Allow()) {
    CountFetch(source, "skipped_open");
    return std::nullopt;
  }
  const auto result = Checked(FetchFrom(source.source, pair), now_ms);
  fetched.attempted = true;
  fetched.fetched_at_ms = now_ms;
  RecordFetch(source, pair, result);
  if (!result.ok()) {
    fetched.quote.reset();
    return std::nullopt;
  }
  fetched.quote = result.value();
  if (!fetched.recorded || !SameQuote(*fetched.recorded, result.value()) ||
      now_ms - fetched.recorded_at_ms >= kObservationIntervalMs) {
    observations.push_back(StoredObservation{
        pair.Text(), std::string(source.source.name()), result.value().bid.ToString(),
        result.value().ask.ToString(), result.value().observed_at_ms});
    fetched.recorded = result.value();
    fetched.recorded_at_ms = now_ms;
  }
  return usable(fetched.quote);
}

void RateBook::CountFetch(const SourceState& source, std::string_view outcome) {
  if (fetches_ != nullptr) fetches_->WithLabels({source.source.name(), outcome}).Increment();
}

// The breaker learns the outcome; a log line at the first failure of a streak, when the breaker
// opens, and at the recovery (not at every poll of a dead source).
void RateBook::RecordFetch(SourceState& source, const Pair& pair,
                           const Result<RateQuote, SourceError>& result) {
  const std::string_view name = source.source.name();
  const int64_t failures_before = source.breaker.consecutive_failures();
  if (result.ok()) {
    source.breaker.RecordSuccess();
    CountFetch(source, "ok");
    std::unique_lock lock(mutex_);
    source.last_error.clear();
  } else {
    const BreakerState before = source.breaker.state();
    source.breaker.RecordFailure();
    CountFetch(source, SourceErrorName(result.error().kind));
    {
      std::unique_lock lock(mutex_);
      source.last_error = pair.Text() + ": " + result.error().message;
    }
    if (logger_ == nullptr) return;
    if (failures_before == 0) {
      logger_->Warn("rate source failed", {{"source", name},
                                           {"pair", pair.Text()},
                                           {"error", SourceErrorName(result.error().kind)},
                                           {"detail", result.error().message}});
    }
    if (before != BreakerState::kOpen && source.breaker.state() == BreakerState::kOpen) {
      logger_->Warn("rate source circuit open",
                    {{"source", name}, {"failures", source.breaker.consecutive_failures()}});
    }
    return;
  }
  if (failures_before > 0 && logger_ != nullptr) {
    logger_->Info("rate source recovered", {{"source", name}, {"failures", failures_before}});
  }
}

void RateBook::Apply(const Pair& pair, const Result<Aggregate, AggregateFailure>& result,
                     int64_t now_ms) {
  const std::vector<DroppedSource>& dropped =
      result.ok() ? result.value().dropped : result.error().dropped;
  ReportDropped(pair, dropped);
  std::unique_lock lock(mutex_);
  PairState& state = *pairs_.at(pair.Text());
  if (result.ok()) {
    const Aggregate& made = result.value();
    state.last_good = ReferenceRate{pair.Text(),         made.bid, made.ask, made.mid, made.source,
                                    made.observed_at_ms, true};
    if (!state.last_poll_ok && logger_ != nullptr) {
      logger_->Info("reference rate live", {{"pair", pair.Text()}, {"source", made.source}});
    }
    state.last_poll_ok = true;
    state.last_ok_poll_ms = now_ms;
    state.last_failure.clear();
    return;
  }
  if (state.last_poll_ok && logger_ != nullptr) {
    logger_->Warn("reference rate not refreshed: serving the last good value within max_age",
                  {{"pair", pair.Text()}, {"reason", result.error().message}});
  }
  state.last_poll_ok = false;
  state.last_failure = result.error().message;
}

// A dropped source: a metric each time, a log line when it starts (or stops) being dropped for a
// pair, and its name in the sources' status of GET /v1/rates while it is.
void RateBook::ReportDropped(const Pair& pair, const std::vector<DroppedSource>& dropped) {
  const std::string text = pair.Text();
  for (const auto& source : sources_) {
    const std::string_view name = source->source.name();
    const auto it = std::find_if(dropped.begin(), dropped.end(),
                                 [&](const DroppedSource& d) { return d.source == name; });
    bool changed = false;
    {
      std::unique_lock lock(mutex_);
      changed = it != dropped.end() ? source->dropped_pairs.insert(text).second
                                    : source->dropped_pairs.erase(text) > 0;
    }
    if (it != dropped.end() && dropped_ != nullptr) {
      dropped_->WithLabels({name, text, it->reason}).Increment();
    }
    if (!changed || logger_ == nullptr) continue;
    if (it != dropped.end()) {
      logger_->Warn(
          "rates.source_dropped",
          {{"source", name}, {"pair", text}, {"reason", it->reason}, {"mid", it->mid.ToString()}});
    } else {
      logger_->Info("rates.source_restored", {{"source", name}, {"pair", text}});
    }
  }
}

void RateBook::Persist(const ReferenceRate& rate, int64_t now_ms) {
  if (store_ == nullptr) return;
  PairState& state = *pairs_.at(rate.pair);  // the poll's own fields: poll_mutex_ is held
  const bool changed =
      !state.persisted || state.persisted->bid != rate.bid || state.persisted->ask != rate.ask;
  if (!changed && now_ms - state.persisted_at_ms < kPersistIntervalMs) return;
  try {
    store_->SaveReference(
        StoredReference{rate.pair, rate.bid.ToString(), rate.ask.ToString(), rate.mid.ToString(),
                        rate.source, rate.observed_at_ms, now_ms},
        changed, EventData(rate));
    state.persisted = rate;
    state.persisted_at_ms = now_ms;
  } catch (const std::exception& error) {
    if (logger_ != nullptr) {
      logger_->Warn("reference rate not persisted", {{"pair", rate.pair}, {"error", error.what()}});
    }
  }
}

void RateBook::SaveObservations(const std::vector<StoredObservation>& observations,
                                int64_t now_ms) {
  if (store_ == nullptr || observations.empty()) return;
  try {
    store_->AddObservations(observations, now_ms);
  } catch (const std::exception& error) {
    if (logger_ != nullptr) {
      logger_->Warn("rate observations not persisted", {{"error", error.what()}});
    }
  }
}

RateBookStatus RateBook::Status() const {
  RateBookStatus status;
  std::shared_lock lock(mutex_);
  status.now_ms = clock_.NowMs();
  for (const Pair& pair : options_.pairs) {
    const PairState& state = *pairs_.at(pair.Text());
    PairStatus entry{pair.Text(), std::nullopt, 0, ""};
    auto servable = Servable(state, status.now_ms);
    if (servable.ok()) {
      entry.age_ms = std::max<int64_t>(0, status.now_ms - servable.value().observed_at_ms);
      entry.rate = std::move(servable).value();
    } else {
      const bool covered = std::any_of(sources_.begin(), sources_.end(),
                                       [&](const auto& s) { return s->source.Covers(pair); });
      entry.unavailable_reason = !covered          ? "no_source"
                                 : state.last_good ? "max_age_exceeded"
                                                   : "no_rate";
    }
    status.pairs.push_back(std::move(entry));
  }
  for (const auto& source : sources_) {
    status.sources.push_back(SourceStatus{
        std::string(source->source.name()), source->breaker.state(),
        source->breaker.consecutive_failures(),
        std::vector<std::string>(source->dropped_pairs.begin(), source->dropped_pairs.end()),
        source->last_error});
  }
  return status;
}

obs::MetricsStatus RateBook::RegisterMetrics(obs::MetricsRegistry& metrics) {
  auto fetches = metrics.RegisterCounter("cambista_rate_fetches_total",
                                         "Rate source fetches by outcome (ok, an error's name, "
                                         "skipped_open: the circuit breaker was open).",
                                         {"source", "outcome"});
  if (!fetches.ok()) return Failure{fetches.error()};
  fetches_ = fetches.value();
  auto dropped = metrics.RegisterCounter(
      "cambista_rate_source_dropped_total",
      "A source's quote left out of a pair's reference rate: band (its mid strayed from the "
      "others' median) or crossed (ask not above bid).",
      {"source", "pair", "reason"});
  if (!dropped.ok()) return Failure{dropped.error()};
  dropped_ = dropped.value();
  auto breakers = metrics.RegisterGaugeCollector(
      "cambista_rate_source_breaker", "Rate source circuit breaker: 0 closed, 1 open, 2 half open.",
      {"source"}, [this](obs::CollectorSink& sink) {
        for (const auto& source : sources_) {
          sink.Report({source->source.name()}, static_cast<int64_t>(source->breaker.state()));
        }
      });
  if (!breakers.ok()) return breakers;
  auto failures = metrics.RegisterGaugeCollector(
      "cambista_rate_source_failures", "Rate source fetches failed in a row.", {"source"},
      [this](obs::CollectorSink& sink) {
        for (const auto& source : sources_) {
          sink.Report({source->source.name()}, source->breaker.consecutive_failures());
        }
      });
  if (!failures.ok()) return failures;
  return metrics.RegisterGaugeCollector(
      "cambista_rate_status", "Reference rate per pair: 2 live, 1 stale, 0 unavailable.", {"pair"},
      [this](obs::CollectorSink& sink) {
        for (const PairStatus& pair : Status().pairs) {
          sink.Report({pair.pair}, !pair.rate ? 0 : pair.rate->live ? 2 : 1);
        }
      });
}

}  // namespace cambista::pricing
