// Prometheus metrics registry: counters, gauges and histograms with labels, plus collectors called
// at scrape time (gauges, and counters kept elsewhere), rendered as text exposition format 0.0.4.
// A counter family's name ends in `_total` (the registry refuses one that does not) and is typed
// `counter`, so rate() and increase() treat it as one; a figure that can go down is a gauge.
//
// We write our own instead of pulling in prometheus-cpp because what the API needs is small and
// must be cheap on the request path: a handle is looked up once (`family.WithLabels({"GET
// /v1/assets", "200"})`, no allocation when the label set already exists) and then updated with one
// relaxed atomic add. Handles stay valid for the registry's lifetime, so callers may cache them.
// Histogram bounds and observations are integers in the caller's unit (e.g. microseconds) and are
// rendered in the base unit (e.g. seconds) by exact integer-to-decimal formatting: no floating
// point ever rounds a value. All operations are thread-safe. Collectors run without the registry
// lock held, so they may be slow (a database query) without blocking registration or updates.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/result.hpp"

namespace cambista::obs {

// Stable numbers: never change or reuse them.
enum class MetricsError {
  kInvalidMetricName = 1,
  kInvalidLabelName = 2,
  kDuplicateMetricName = 3,
  kInvalidBucketBounds = 4,
  kInvalidUnitScale = 5,
  kCounterNameWithoutTotal = 6,  // a counter (or counter collector) not named `..._total`
};

using MetricsStatus = Result<std::monostate, MetricsError>;
using LabelValues = std::span<const std::string_view>;

inline constexpr int64_t kMicrosecondsPerSecond = 1'000'000;
inline constexpr int64_t kMillisecondsPerSecond = 1'000;

// `[a-zA-Z_:][a-zA-Z0-9_:]*`
bool IsValidMetricName(std::string_view name);
// `[a-zA-Z_][a-zA-Z0-9_]*`, not starting with the reserved `__`.
bool IsValidLabelName(std::string_view name);
// `value / units_per_rendered_unit` as an exact decimal ("0.00025", "-3", "1.5"); the divisor must
// be a power of ten.
void AppendScaledDecimal(std::string& out, int64_t value, int64_t units_per_rendered_unit);

class Counter {
 public:
  // Counters only go up; a negative delta is a bug.
  void Increment(int64_t delta = 1);
  int64_t Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<int64_t> value_{0};
};

class Gauge {
 public:
  void Set(int64_t value) { value_.store(value, std::memory_order_relaxed); }
  void Add(int64_t delta) { value_.fetch_add(delta, std::memory_order_relaxed); }
  void Increment() { Add(1); }
  void Decrement() { Add(-1); }
  int64_t Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<int64_t> value_{0};
};

class Histogram {
 public:
  // `bounds` (strictly increasing upper bounds, inclusive) is owned by the family and outlives us.
  explicit Histogram(std::span<const int64_t> bounds);

  void Observe(int64_t value);

  struct Snapshot {
    std::vector<int64_t> cumulative_counts;  // one per bound, then +Inf (== count)
    int64_t sum = 0;
    int64_t count = 0;
  };
  // Counts are read bucket by bucket, so under concurrent updates `sum` may be a few observations
  // ahead of or behind `count`; the buckets themselves are always cumulative and end at `count`.
  Snapshot Read() const;

 private:
  std::span<const int64_t> bounds_;
  std::unique_ptr<std::atomic<int64_t>[]> bucket_counts_;  // bounds_.size() + 1, not cumulative
  std::atomic<int64_t> sum_{0};
};

namespace detail {

// Orders label sets and lets a span of string_view find a stored vector<string> without allocating.
struct LabelValuesLess {
  using is_transparent = void;
  bool operator()(const std::vector<std::string>& a, const std::vector<std::string>& b) const {
    return a < b;
  }
  bool operator()(const std::vector<std::string>& a, LabelValues b) const {
    return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end());
  }
  bool operator()(LabelValues a, const std::vector<std::string>& b) const {
    return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end());
  }
};

class MetricFamilyBase {
 public:
  MetricFamilyBase(std::string name, std::string help, std::vector<std::string> label_names)
      : name_(std::move(name)), help_(std::move(help)), label_names_(std::move(label_names)) {}
  virtual ~MetricFamilyBase() = default;
  MetricFamilyBase(const MetricFamilyBase&) = delete;
  MetricFamilyBase& operator=(const MetricFamilyBase&) = delete;

  const std::string& name() const { return name_; }
  const std::vector<std::string>& label_names() const { return label_names_; }
  virtual void Render(std::string& out) const = 0;

 protected:
  void RenderHeader(std::string& out, std::string_view type) const;

 private:
  std::string name_;
  std::string help_;
  std::vector<std::string> label_names_;
};

// Appends `{a="x",b="y"` (no closing brace, so a caller may add `le`); nothing when both are empty.
void AppendLabels(std::string& out, const std::vector<std::string>& names,
                  std::span<const std::string> values);
void AppendLabels(std::string& out, const std::vector<std::string>& names, LabelValues values);

}  // namespace detail

// A metric and all its label sets. `Series` is Counter, Gauge or Histogram.
template <class Series>
class MetricFamily final : public detail::MetricFamilyBase {
 public:
  MetricFamily(std::string name, std::string help, std::vector<std::string> label_names,
               std::vector<int64_t> bucket_bounds = {}, int64_t units_per_rendered_unit = 1)
      : MetricFamilyBase(std::move(name), std::move(help), std::move(label_names)),
        bucket_bounds_(std::move(bucket_bounds)),
        units_per_rendered_unit_(units_per_rendered_unit) {}

  // The series for these label values (one per label name, in order), created on first use. The
  // reference stays valid for the registry's lifetime: cache it on hot paths.
  Series& WithLabels(std::initializer_list<std::string_view> label_values) {
    return WithLabels(LabelValues(label_values.begin(), label_values.size()));
  }
  Series& WithLabels(LabelValues label_values);

  void Render(std::string& out) const override;

 private:
  std::vector<int64_t> bucket_bounds_;
  int64_t units_per_rendered_unit_;
  mutable std::shared_mutex mutex_;
  std::map<std::vector<std::string>, Series, detail::LabelValuesLess> series_;
};

using CounterFamily = MetricFamily<Counter>;
using GaugeFamily = MetricFamily<Gauge>;
using HistogramFamily = MetricFamily<Histogram>;

// Handed to a collector at render time; every Report becomes one sample line.
class CollectorSink {
 public:
  CollectorSink(std::string& out, const detail::MetricFamilyBase& family, bool counter)
      : out_(out), family_(family), counter_(counter) {}
  // A counter collector reports totals since start: never negative.
  void Report(std::initializer_list<std::string_view> label_values, int64_t value) {
    Report(LabelValues(label_values.begin(), label_values.size()), value);
  }
  void Report(LabelValues label_values, int64_t value);
  // `value / units_per_rendered_unit` as an exact decimal (AppendScaledDecimal): an amount kept in
  // minor units reported in its major unit ("1234.56"), a ratio kept in basis points.
  void Report(std::initializer_list<std::string_view> label_values, int64_t value,
              int64_t units_per_rendered_unit) {
    Report(LabelValues(label_values.begin(), label_values.size()), value, units_per_rendered_unit);
  }
  void Report(LabelValues label_values, int64_t value, int64_t units_per_rendered_unit);

 private:
  std::string& out_;
  const detail::MetricFamilyBase& family_;
  bool counter_;
};
using GaugeCollectorSink = CollectorSink;  // the name gauge collectors were written against

// Reads current values (queue depth, open connections); typed `gauge`.
using GaugeCollector = std::function<void(CollectorSink& sink)>;
// Reads totals a service keeps itself (an atomic it increments); typed `counter`.
using CounterCollector = std::function<void(CollectorSink& sink)>;

class MetricsRegistry {
 public:
  MetricsRegistry() = default;
  MetricsRegistry(const MetricsRegistry&) = delete;
  MetricsRegistry& operator=(const MetricsRegistry&) = delete;

  // `name` must end in `_total`.
  Result<CounterFamily*, MetricsError> RegisterCounter(std::string_view name, std::string_view help,
                                                       std::vector<std::string> label_names = {});
  Result<GaugeFamily*, MetricsError> RegisterGauge(std::string_view name, std::string_view help,
                                                   std::vector<std::string> label_names = {});
  // `bucket_bounds` strictly increasing, in the caller's unit; `units_per_rendered_unit` a power of
  // ten (kMicrosecondsPerSecond for latencies observed in microseconds and exposed in seconds).
  Result<HistogramFamily*, MetricsError> RegisterHistogram(std::string_view name,
                                                           std::string_view help,
                                                           std::vector<std::string> label_names,
                                                           std::vector<int64_t> bucket_bounds,
                                                           int64_t units_per_rendered_unit);
  // A gauge whose samples come from `collect`, called on every render (e.g. job queue depth read
  // from the database). If it throws, the family is rendered without samples.
  MetricsStatus RegisterGaugeCollector(std::string_view name, std::string_view help,
                                       std::vector<std::string> label_names,
                                       GaugeCollector collect);
  // A counter whose samples come from `collect`, for totals a service already counts (the
  // ledger's batches, events sent on the stream). `name` must end in `_total`. If `collect`
  // throws, the family is rendered without samples.
  MetricsStatus RegisterCounterCollector(std::string_view name, std::string_view help,
                                         std::vector<std::string> label_names,
                                         CounterCollector collect);

  // Families in registration order, label sets sorted by value.
  std::string RenderPrometheusText() const;

 private:
  enum class Kind { kCounter, kGauge, kHistogram };
  MetricsStatus CheckNewFamily(std::string_view name, const std::vector<std::string>& label_names,
                               Kind kind) const;

  mutable std::mutex mutex_;
  std::vector<std::unique_ptr<detail::MetricFamilyBase>> families_;
};

}  // namespace cambista::obs
