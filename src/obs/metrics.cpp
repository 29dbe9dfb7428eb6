#include "obs/metrics.hpp"

#include <charconv>
#include <exception>
#include <type_traits>

#include "core/assert.hpp"

namespace cambista::obs {
namespace {

constexpr int64_t kPowerOfTenMax = 1'000'000'000'000'000'000;

bool IsLetterOrUnderscore(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool IsDigit(char c) {
  return c >= '0' && c <= '9';
}

// Number of decimal digits after the point for a power-of-ten divisor, or -1 if it is not one.
int DecimalPlaces(int64_t units_per_rendered_unit) {
  int places = 0;
  for (int64_t power = 1; power <= kPowerOfTenMax; power *= 10, ++places) {
    if (power == units_per_rendered_unit) return places;
    if (power == kPowerOfTenMax) break;
  }
  return -1;
}

void AppendUnsigned(std::string& out, uint64_t value) {
  char buffer[24];
  auto [end, error] = std::to_chars(buffer, buffer + sizeof(buffer), value);
  CAMBISTA_CHECK(error == std::errc());
  out.append(buffer, end);
}

void AppendInteger(std::string& out, int64_t value) {
  char buffer[24];
  auto [end, error] = std::to_chars(buffer, buffer + sizeof(buffer), value);
  CAMBISTA_CHECK(error == std::errc());
  out.append(buffer, end);
}

// HELP text escapes backslash and newline; label values also escape the double quote.
void AppendEscaped(std::string& out, std::string_view text, bool escape_quote) {
  for (char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '"' && escape_quote) {
      out += "\\\"";
    } else {
      out += c;
    }
  }
}

template <class Values>
void AppendLabelsImpl(std::string& out, const std::vector<std::string>& names,
                      const Values& values) {
  for (size_t i = 0; i < names.size(); ++i) {
    out += i == 0 ? '{' : ',';
    out += names[i];
    out += "=\"";
    AppendEscaped(out, values[i], /*escape_quote=*/true);
    out += '"';
  }
}

void CloseLabels(std::string& out, bool has_labels) {
  if (has_labels) out += '}';
}

}  // namespace

bool IsValidMetricName(std::string_view name) {
  if (name.empty()) return false;
  if (!IsLetterOrUnderscore(name[0]) && name[0] != ':') return false;
  return std::all_of(name.begin() + 1, name.end(),
                     [](char c) { return IsLetterOrUnderscore(c) || IsDigit(c) || c == ':'; });
}

bool IsValidLabelName(std::string_view name) {
  if (name.empty() || !IsLetterOrUnderscore(name[0])) return false;
  if (name.starts_with("__")) return false;
  return std::all_of(name.begin() + 1, name.end(),
                     [](char c) { return IsLetterOrUnderscore(c) || IsDigit(c); });
}

void AppendScaledDecimal(std::string& out, int64_t value, int64_t units_per_rendered_unit) {
  const int places = DecimalPlaces(units_per_rendered_unit);
  CAMBISTA_CHECK(places >= 0);
  // Work on the magnitude as unsigned so INT64_MIN is exact.
  uint64_t magnitude = value < 0 ? 0 - static_cast<uint64_t>(value) : static_cast<uint64_t>(value);
  const auto divisor = static_cast<uint64_t>(units_per_rendered_unit);
  if (value < 0) out += '-';
  AppendUnsigned(out, magnitude / divisor);
  uint64_t fraction = magnitude % divisor;
  if (fraction == 0) return;
  int digits = places;
  while (fraction % 10 == 0) {
    fraction /= 10;
    --digits;
  }
  out += '.';
  char buffer[24];
  auto [end, error] = std::to_chars(buffer, buffer + sizeof(buffer), fraction);
  CAMBISTA_CHECK(error == std::errc());
  out.append(static_cast<size_t>(digits - (end - buffer)), '0');
  out.append(buffer, end);
}

void Counter::Increment(int64_t delta) {
  CAMBISTA_ASSERT(delta >= 0);
  value_.fetch_add(delta, std::memory_order_relaxed);
}

Histogram::Histogram(std::span<const int64_t> bounds)
    : bounds_(bounds), bucket_counts_(new std::atomic<int64_t>[bounds.size() + 1]) {
  for (size_t i = 0; i <= bounds_.size(); ++i) bucket_counts_[i].store(0);
}

void Histogram::Observe(int64_t value) {
  const auto bucket = static_cast<size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), value) -
                                          bounds_.begin());
  bucket_counts_[bucket].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(value, std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::Read() const {
  Snapshot snapshot;
  snapshot.cumulative_counts.reserve(bounds_.size() + 1);
  int64_t running = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    running += bucket_counts_[i].load(std::memory_order_relaxed);
    snapshot.cumulative_counts.push_back(running);
  }
  snapshot.count = running;
  snapshot.sum = sum_.load(std::memory_order_relaxed);
  return snapshot;
}

namespace detail {

void MetricFamilyBase::RenderHeader(std::string& out, std::string_view type) const {
  out += "# HELP ";
  out += name_;
  out += ' ';
  AppendEscaped(out, help_, /*escape_quote=*/false);
  out += "\n# TYPE ";
  out += name_;
  out += ' ';
  out += type;
  out += '\n';
}

void AppendLabels(std::string& out, const std::vector<std::string>& names,
                  std::span<const std::string> values) {
  AppendLabelsImpl(out, names, values);
}

void AppendLabels(std::string& out, const std::vector<std::string>& names, LabelValues values) {
  AppendLabelsImpl(out, names, values);
}

}  // namespace detail

template <class Series>
Series& MetricFamily<Series>::WithLabels(LabelValues label_values) {
  // The label names are fixed in code, so a count mismatch is a bug, not input to validate.
  CAMBISTA_CHECK(label_values.size() == label_names().size());
  {
    std::shared_lock lock(mutex_);
    auto found = series_.find(label_values);
    if (found != series_.end()) return found->second;
  }
  std::unique_lock lock(mutex_);
  auto found = series_.find(label_values);
  if (found != series_.end()) return found->second;
  std::vector<std::string> key(label_values.begin(), label_values.end());
  if constexpr (std::is_same_v<Series, Histogram>) {
    return series_.try_emplace(std::move(key), std::span<const int64_t>(bucket_bounds_))
        .first->second;
  } else {
    return series_.try_emplace(std::move(key)).first->second;
  }
}

template <class Series>
void MetricFamily<Series>::Render(std::string& out) const {
  const bool has_labels = !label_names().empty();
  if constexpr (std::is_same_v<Series, Histogram>) {
    RenderHeader(out, "histogram");
  } else if constexpr (std::is_same_v<Series, Counter>) {
    RenderHeader(out, "counter");
  } else {
    RenderHeader(out, "gauge");
  }
  std::shared_lock lock(mutex_);
  for (const auto& [label_values, series] : series_) {
    if constexpr (std::is_same_v<Series, Histogram>) {
      const Histogram::Snapshot snapshot = series.Read();
      for (size_t i = 0; i < snapshot.cumulative_counts.size(); ++i) {
        out += name();
        out += "_bucket";
        detail::AppendLabels(out, label_names(), std::span<const std::string>(label_values));
        out += has_labels ? ",le=\"" : "{le=\"";
        if (i < bucket_bounds_.size()) {
          AppendScaledDecimal(out, bucket_bounds_[i], units_per_rendered_unit_);
        } else {
          out += "+Inf";
        }
        out += "\"} ";
        AppendInteger(out, snapshot.cumulative_counts[i]);
        out += '\n';
      }
      out += name();
      out += "_sum";
      detail::AppendLabels(out, label_names(), std::span<const std::string>(label_values));
      CloseLabels(out, has_labels);
      out += ' ';
      AppendScaledDecimal(out, snapshot.sum, units_per_rendered_unit_);
      out += '\n';
      out += name();
      out += "_count";
      detail::AppendLabels(out, label_names(), std::span<const std::string>(label_values));
      CloseLabels(out, has_labels);
      out += ' ';
      AppendInteger(out, snapshot.count);
      out += '\n';
    } else {
      out += name();
      detail::AppendLabels(out, label_names(), std::span<const std::string>(label_values));
      CloseLabels(out, has_labels);
      out += ' ';
      AppendInteger(out, series.Value());
      out += '\n';
    }
  }
}

template class MetricFamily<Counter>;
template class MetricFamily<Gauge>;
template class MetricFamily<Histogram>;

namespace {

class CollectorFamily final : public detail::MetricFamilyBase {
 public:
  CollectorFamily(std::string name, std::string help, std::vector<std::string> label_names,
                  std::function<void(CollectorSink&)> collect, bool counter)
      : MetricFamilyBase(std::move(name), std::move(help), std::move(label_names)),
        collect_(std::move(collect)),
        counter_(counter) {}

  void Render(std::string& out) const override {
    RenderHeader(out, counter_ ? "counter" : "gauge");
    std::string samples;
    CollectorSink sink(samples, *this, counter_);
    try {
      collect_(sink);
    } catch (const std::exception&) {
      // A failed read (database down) must not fail the whole scrape: drop this family's samples.
      samples.clear();
    }
    out += samples;
  }

 private:
  std::function<void(CollectorSink&)> collect_;
  bool counter_;
};

}  // namespace

void CollectorSink::Report(LabelValues label_values, int64_t value) {
  Report(label_values, value, 1);
}

void CollectorSink::Report(LabelValues label_values, int64_t value,
                           int64_t units_per_rendered_unit) {
  CAMBISTA_CHECK(label_values.size() == family_.label_names().size());
  CAMBISTA_ASSERT(!counter_ || value >= 0);
  out_ += family_.name();
  detail::AppendLabels(out_, family_.label_names(), label_values);
  CloseLabels(out_, !family_.label_names().empty());
  out_ += ' ';
  AppendScaledDecimal(out_, value, units_per_rendered_unit);
  out_ += '\n';
}

MetricsStatus MetricsRegistry::CheckNewFamily(std::string_view name,
                                              const std::vector<std::string>& label_names,
                                              Kind kind) const {
  if (!IsValidMetricName(name)) return Failure{MetricsError::kInvalidMetricName};
  // The 0.0.4 text format names a counter's samples `..._total`, as scrapers and rules expect.
  if (kind == Kind::kCounter && !name.ends_with("_total")) {
    return Failure{MetricsError::kCounterNameWithoutTotal};
  }
  const bool is_histogram = kind == Kind::kHistogram;
  for (size_t i = 0; i < label_names.size(); ++i) {
    if (!IsValidLabelName(label_names[i])) return Failure{MetricsError::kInvalidLabelName};
    if (is_histogram && label_names[i] == "le") return Failure{MetricsError::kInvalidLabelName};
    for (size_t j = 0; j < i; ++j) {
      if (label_names[j] == label_names[i]) return Failure{MetricsError::kInvalidLabelName};
    }
  }
  for (const auto& family : families_) {
    if (family->name() == name) return Failure{MetricsError::kDuplicateMetricName};
  }
  return std::monostate{};
}

Result<CounterFamily*, MetricsError> MetricsRegistry::RegisterCounter(
    std::string_view name, std::string_view help, std::vector<std::string> label_names) {
  std::lock_guard lock(mutex_);
  if (auto status = CheckNewFamily(name, label_names, Kind::kCounter); !status) {
    return Failure{status.error()};
  }
  auto family =
      std::make_unique<CounterFamily>(std::string(name), std::string(help), std::move(label_names));
  CounterFamily* result = family.get();
  families_.push_back(std::move(family));
  return result;
}

Result<GaugeFamily*, MetricsError> MetricsRegistry::RegisterGauge(
    std::string_view name, std::string_view help, std::vector<std::string> label_names) {
  std::lock_guard lock(mutex_);
  if (auto status = CheckNewFamily(name, label_names, Kind::kGauge); !status) {
    return Failure{status.error()};
  }
  auto family =
      std::make_unique<GaugeFamily>(std::string(name), std::string(help), std::move(label_names));
  GaugeFamily* result = family.get();
  families_.push_back(std::move(family));
  return result;
}

Result<HistogramFamily*, MetricsError> MetricsRegistry::RegisterHistogram(
    std::string_view name, std::string_view help, std::vector<std::string> label_names,
    std::vector<int64_t> bucket_bounds, int64_t units_per_rendered_unit) {
  std::lock_guard lock(mutex_);
  if (auto status = CheckNewFamily(name, label_names, Kind::kHistogram); !status) {
    return Failure{status.error()};
  }
  if (DecimalPlaces(units_per_rendered_unit) < 0) return Failure{MetricsError::kInvalidUnitScale};
  for (size_t i = 1; i < bucket_bounds.size(); ++i) {
    if (bucket_bounds[i - 1] >= bucket_bounds[i])
      return Failure{MetricsError::kInvalidBucketBounds};
  }
  auto family = std::make_unique<HistogramFamily>(std::string(name), std::string(help),
                                                  std::move(label_names), std::move(bucket_bounds),
                                                  units_per_rendered_unit);
  HistogramFamily* result = family.get();
  families_.push_back(std::move(family));
  return result;
}

MetricsStatus MetricsRegistry::RegisterGaugeCollector(std::string_view name, std::string_view help,
                                                      std::vector<std::string> label_names,
                                                      GaugeCollector collect) {
  std::lock_guard lock(mutex_);
  if (auto status = CheckNewFamily(name, label_names, Kind::kGauge); !status) return status;
  families_.push_back(std::make_unique<CollectorFamily>(std::string(name), std::string(help),
                                                        std::move(label_names), std::move(collect),
                                                        /*counter=*/false));
  return std::monostate{};
}

MetricsStatus MetricsRegistry::RegisterCounterCollector(std::string_view name,
                                                        std::string_view help,
                                                        std::vector<std::string> label_names,
                                                        CounterCollector collect) {
  std::lock_guard lock(mutex_);
  if (auto status = CheckNewFamily(name, label_names, Kind::kCounter); !status) return status;
  families_.push_back(std::make_unique<CollectorFamily>(std::string(name), std::string(help),
                                                        std::move(label_names), std::move(collect),
                                                        /*counter=*/true));
  return std::monostate{};
}

std::string MetricsRegistry::RenderPrometheusText() const {
  std::vector<const detail::MetricFamilyBase*> families;
  {
    // Families are never removed, so the pointers outlive the lock; collectors then run unlocked.
    std::lock_guard lock(mutex_);
    families.reserve(families_.size());
    for (const auto& family : families_) families.push_back(family.get());
  }
  std::string out;
  for (const auto* family : families) family->Render(out);
  return out;
}

}  // namespace cambista::obs
