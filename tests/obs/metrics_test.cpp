#include "obs/metrics.hpp"

#include <gtest/gtest.h>

#include <sstream>
#include <stdexcept>
#include <thread>
#include <vector>

namespace cambista::obs {
namespace {

std::string Scaled(int64_t value, int64_t units_per_rendered_unit) {
  std::string out;
  AppendScaledDecimal(out, value, units_per_rendered_unit);
  return out;
}

TEST(MetricsTest, RendersSmallRegistryExactly) {
  MetricsRegistry registry;
  auto requests =
      registry.RegisterCounter("http_requests_total", "HTTP requests served.", {"route", "status"});
  ASSERT_TRUE(requests.ok());
  auto in_flight = registry.RegisterGauge("http_requests_in_flight", "Requests being served.");
  ASSERT_TRUE(in_flight.ok());

  (*requests)->WithLabels({"GET /v1/assets", "200"}).Increment();
  (*requests)->WithLabels({"GET /v1/assets", "200"}).Increment(2);
  (*requests)->WithLabels({"POST /v1/quotes", "201"}).Increment();
  (*requests)->WithLabels({"GET /v1/assets", "500"}).Increment();
  (*in_flight)->WithLabels({}).Set(4);
  (*in_flight)->WithLabels({}).Decrement();

  EXPECT_EQ(registry.RenderPrometheusText(),
            "# HELP http_requests_total HTTP requests served.\n"
            "# TYPE http_requests_total counter\n"
            "http_requests_total{route=\"GET /v1/assets\",status=\"200\"} 3\n"
            "http_requests_total{route=\"GET /v1/assets\",status=\"500\"} 1\n"
            "http_requests_total{route=\"POST /v1/quotes\",status=\"201\"} 1\n"
            "# HELP http_requests_in_flight Requests being served.\n"
            "# TYPE http_requests_in_flight gauge\n"
            "http_requests_in_flight 3\n");
}

TEST(MetricsTest, HandlesAreStableAndShared) {
  MetricsRegistry registry;
  auto family = registry.RegisterCounter("events_total", "Events.", {"kind"}).value();
  Counter& first = family->WithLabels({"a"});
  Counter& again = family->WithLabels({"a"});
  family->WithLabels({"b"});
  family->WithLabels({"c"});
  EXPECT_EQ(&first, &again);
  first.Increment(5);
  EXPECT_EQ(family->WithLabels({"a"}).Value(), 5);
}

TEST(MetricsTest, EscapesLabelValuesAndHelp) {
  MetricsRegistry registry;
  auto family =
      registry.RegisterCounter("odd_total", "Back\\slash and\nnewline \"quoted\".", {"value"})
          .value();
  family->WithLabels({"a\\b\"c\nd"}).Increment();
  EXPECT_EQ(registry.RenderPrometheusText(),
            "# HELP odd_total Back\\\\slash and\\nnewline \"quoted\".\n"
            "# TYPE odd_total counter\n"
            "odd_total{value=\"a\\\\b\\\"c\\nd\"} 1\n");
}

TEST(MetricsTest, HistogramBucketsAreCumulativeAndRenderedInSeconds) {
  MetricsRegistry registry;
  auto family =
      registry
          .RegisterHistogram("http_request_duration_seconds", "Request latency.", {"route"},
                             {5'000, 100'000, 1'000'000}, kMicrosecondsPerSecond)
          .value();
  Histogram& histogram = family->WithLabels({"GET /v1/assets"});
  histogram.Observe(250);        // 0.00025 s
  histogram.Observe(5'000);      // exactly on a bound: counts in le="0.005"
  histogram.Observe(5'001);      // next bucket
  histogram.Observe(2'500'000);  // only +Inf
  EXPECT_EQ(registry.RenderPrometheusText(),
            "# HELP http_request_duration_seconds Request latency.\n"
            "# TYPE http_request_duration_seconds histogram\n"
            "http_request_duration_seconds_bucket{route=\"GET /v1/assets\",le=\"0.005\"} 2\n"
            "http_request_duration_seconds_bucket{route=\"GET /v1/assets\",le=\"0.1\"} 3\n"
            "http_request_duration_seconds_bucket{route=\"GET /v1/assets\",le=\"1\"} 3\n"
            "http_request_duration_seconds_bucket{route=\"GET /v1/assets\",le=\"+Inf\"} 4\n"
            "http_request_duration_seconds_sum{route=\"GET /v1/assets\"} 2.510251\n"
            "http_request_duration_seconds_count{route=\"GET /v1/assets\"} 4\n");
}

TEST(MetricsTest, HistogramWithoutLabels) {
  MetricsRegistry registry;
  auto family =
      registry.RegisterHistogram("batch_size", "Transfers per batch.", {}, {1, 10}, 1).value();
  family->WithLabels({}).Observe(3);
  EXPECT_EQ(registry.RenderPrometheusText(),
            "# HELP batch_size Transfers per batch.\n"
            "# TYPE batch_size histogram\n"
            "batch_size_bucket{le=\"1\"} 0\n"
            "batch_size_bucket{le=\"10\"} 1\n"
            "batch_size_bucket{le=\"+Inf\"} 1\n"
            "batch_size_sum 3\n"
            "batch_size_count 1\n");
}

TEST(MetricsTest, ScaledDecimalIsExact) {
  EXPECT_EQ(Scaled(0, kMicrosecondsPerSecond), "0");
  EXPECT_EQ(Scaled(1, kMicrosecondsPerSecond), "0.000001");
  EXPECT_EQ(Scaled(1'500'000, kMicrosecondsPerSecond), "1.5");
  EXPECT_EQ(Scaled(-250, kMillisecondsPerSecond), "-0.25");
  EXPECT_EQ(Scaled(42, 1), "42");
  EXPECT_EQ(Scaled(INT64_MIN, kMicrosecondsPerSecond), "-9223372036854.775808");
  EXPECT_EQ(Scaled(INT64_MAX, 1'000'000'000'000'000'000), "9.223372036854775807");
}

TEST(MetricsTest, ValidatesNames) {
  EXPECT_TRUE(IsValidMetricName("a:b_c9"));
  EXPECT_TRUE(IsValidMetricName(":x"));
  EXPECT_FALSE(IsValidMetricName(""));
  EXPECT_FALSE(IsValidMetricName("9a"));
  EXPECT_FALSE(IsValidMetricName("a-b"));
  EXPECT_TRUE(IsValidLabelName("route_1"));
  EXPECT_FALSE(IsValidLabelName("__reserved"));
  EXPECT_FALSE(IsValidLabelName("a:b"));

  MetricsRegistry registry;
  EXPECT_EQ(registry.RegisterCounter("bad name", "x").error(), MetricsError::kInvalidMetricName);
  EXPECT_EQ(registry.RegisterCounter("x_total", "x", {"1a"}).error(),
            MetricsError::kInvalidLabelName);
  EXPECT_EQ(registry.RegisterCounter("x_total", "x", {"a", "a"}).error(),
            MetricsError::kInvalidLabelName);
  ASSERT_TRUE(registry.RegisterCounter("x_total", "x").ok());
  EXPECT_EQ(registry.RegisterGauge("x_total", "x").error(), MetricsError::kDuplicateMetricName);
  EXPECT_EQ(registry.RegisterHistogram("h", "x", {"le"}, {1}, 1).error(),
            MetricsError::kInvalidLabelName);
  EXPECT_EQ(registry.RegisterHistogram("h", "x", {}, {2, 2}, 1).error(),
            MetricsError::kInvalidBucketBounds);
  EXPECT_EQ(registry.RegisterHistogram("h", "x", {}, {1, 2}, 1024).error(),
            MetricsError::kInvalidUnitScale);
  EXPECT_EQ(
      registry.RegisterGaugeCollector("bad-name", "x", {}, [](GaugeCollectorSink&) {}).error(),
      MetricsError::kInvalidMetricName);
}

// A counter's samples are named `..._total`: the registry refuses a counter named otherwise, so
// one cannot be exposed as `foo` typed counter; gauges and histograms are not held to it.
TEST(MetricsTest, CounterNamesEndInTotal) {
  MetricsRegistry registry;
  EXPECT_EQ(registry.RegisterCounter("requests", "x").error(),
            MetricsError::kCounterNameWithoutTotal);
  EXPECT_EQ(registry.RegisterCounter("requests_totals", "x").error(),
            MetricsError::kCounterNameWithoutTotal);
  EXPECT_EQ(registry.RegisterCounterCollector("events", "x", {}, [](CollectorSink&) {}).error(),
            MetricsError::kCounterNameWithoutTotal);
  EXPECT_EQ(
      registry.RegisterCounterCollector("bad-name_total", "x", {}, [](CollectorSink&) {}).error(),
      MetricsError::kInvalidMetricName);
  EXPECT_TRUE(registry.RegisterGauge("connections", "x").ok());
  EXPECT_TRUE(registry.RegisterGaugeCollector("jobs", "x", {}, [](CollectorSink&) {}).ok());
  EXPECT_TRUE(
      registry.RegisterCounterCollector("events_total", "x", {}, [](CollectorSink&) {}).ok());
  EXPECT_EQ(registry.RegisterCounter("events_total", "x").error(),
            MetricsError::kDuplicateMetricName);
}

// Totals a service counts itself are typed `counter`, read at render time; a gauge collector
// beside it stays `gauge`.
TEST(MetricsTest, CounterCollectorIsTypedCounter) {
  MetricsRegistry registry;
  int64_t sent = 41;
  ASSERT_TRUE(registry
                  .RegisterCounterCollector("stream_events_sent_total", "Events sent.", {"channel"},
                                            [&sent](CollectorSink& sink) {
                                              sink.Report({"charges"}, sent);
                                              sink.Report({"rates"}, 0);
                                            })
                  .ok());
  ASSERT_TRUE(registry
                  .RegisterGaugeCollector("stream_connections", "Open connections.", {},
                                          [](CollectorSink& sink) { sink.Report({}, 3); })
                  .ok());
  ++sent;
  EXPECT_EQ(registry.RenderPrometheusText(),
            "# HELP stream_events_sent_total Events sent.\n"
            "# TYPE stream_events_sent_total counter\n"
            "stream_events_sent_total{channel=\"charges\"} 42\n"
            "stream_events_sent_total{channel=\"rates\"} 0\n"
            "# HELP stream_connections Open connections.\n"
            "# TYPE stream_connections gauge\n"
            "stream_connections 3\n");
}

TEST(MetricsTest, FailingCounterCollectorKeepsItsType) {
  MetricsRegistry registry;
  ASSERT_TRUE(
      registry
          .RegisterCounterCollector("batches_total", "Batches.", {},
                                    [](CollectorSink&) { throw std::runtime_error("not ready"); })
          .ok());
  EXPECT_EQ(registry.RenderPrometheusText(),
            "# HELP batches_total Batches.\n"
            "# TYPE batches_total counter\n");
}

TEST(MetricsTest, CollectorRunsAtRenderTime) {
  MetricsRegistry registry;
  int64_t depth = 7;
  ASSERT_TRUE(registry
                  .RegisterGaugeCollector("job_queue_depth", "Jobs waiting, by kind.", {"kind"},
                                          [&depth](GaugeCollectorSink& sink) {
                                            sink.Report({"payout"}, depth);
                                            sink.Report({"webhook"}, 0);
                                          })
                  .ok());
  const std::string header =
      "# HELP job_queue_depth Jobs waiting, by kind.\n"
      "# TYPE job_queue_depth gauge\n";
  EXPECT_EQ(registry.RenderPrometheusText(), header +
                                                 "job_queue_depth{kind=\"payout\"} 7\n"
                                                 "job_queue_depth{kind=\"webhook\"} 0\n");
  depth = 3;
  EXPECT_EQ(registry.RenderPrometheusText(), header +
                                                 "job_queue_depth{kind=\"payout\"} 3\n"
                                                 "job_queue_depth{kind=\"webhook\"} 0\n");
}

TEST(MetricsTest, FailingCollectorDropsOnlyItsSamples) {
  MetricsRegistry registry;
  ASSERT_TRUE(registry
                  .RegisterGaugeCollector("db_rows", "Rows.", {},
                                          [](GaugeCollectorSink& sink) {
                                            sink.Report({}, 1);
                                            throw std::runtime_error("database down");
                                          })
                  .ok());
  registry.RegisterGauge("up", "Up.").value()->WithLabels({}).Set(1);
  EXPECT_EQ(registry.RenderPrometheusText(),
            "# HELP db_rows Rows.\n"
            "# TYPE db_rows gauge\n"
            "# HELP up Up.\n"
            "# TYPE up gauge\n"
            "up 1\n");
}

TEST(MetricsTest, ConcurrentIncrementsSumExactly) {
  MetricsRegistry registry;
  auto counter = registry.RegisterCounter("hits_total", "Hits.", {"worker_group"}).value();
  auto histogram =
      registry.RegisterHistogram("latency_seconds", "Latency.", {}, {10, 100}, 1'000).value();
  constexpr int kThreads = 8;
  constexpr int kIncrementsPerThread = 20'000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kIncrementsPerThread; ++i) {
        // Half the label sets are created concurrently with lookups of the others.
        counter->WithLabels({t % 2 == 0 ? "even" : "odd"}).Increment();
        histogram->WithLabels({}).Observe(i % 200);
        if (i % 1000 == 0) (void)registry.RenderPrometheusText();
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(counter->WithLabels({"even"}).Value(), kThreads / 2 * kIncrementsPerThread);
  EXPECT_EQ(counter->WithLabels({"odd"}).Value(), kThreads / 2 * kIncrementsPerThread);
  const Histogram::Snapshot snapshot = histogram->WithLabels({}).Read();
  EXPECT_EQ(snapshot.count, kThreads * kIncrementsPerThread);
  EXPECT_EQ(snapshot.cumulative_counts[0], kThreads * (kIncrementsPerThread / 200) * 11);
  EXPECT_EQ(snapshot.sum, int64_t{kThreads} * (kIncrementsPerThread / 200) * (199 * 200 / 2));
}

// A small scraper-side parser (no std::regex: g++ 12 warns inside it under sanitizers). Accepts
// `name{label="value",...} value` with the exposition format's escapes and an integer or decimal.
bool IsNameChar(char c, bool first, bool allow_colon) {
  const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
  const bool digit = c >= '0' && c <= '9';
  return letter || (allow_colon && c == ':') || (!first && digit);
}

bool ParseName(std::string_view& rest, bool allow_colon) {
  size_t length = 0;
  while (length < rest.size() && IsNameChar(rest[length], length == 0, allow_colon)) ++length;
  rest.remove_prefix(length);
  return length > 0;
}

bool IsSampleLine(std::string_view rest) {
  if (!ParseName(rest, /*allow_colon=*/true)) return false;
  if (rest.starts_with("{")) {
    rest.remove_prefix(1);
    while (true) {
      if (!ParseName(rest, /*allow_colon=*/false)) return false;
      if (!rest.starts_with("=\"")) return false;
      rest.remove_prefix(2);
      while (!rest.empty() && rest[0] != '"') {
        if (rest[0] == '\\') {
          if (rest.size() < 2 || (rest[1] != '\\' && rest[1] != '"' && rest[1] != 'n')) {
            return false;
          }
          rest.remove_prefix(2);
        } else if (rest[0] == '\n') {
          return false;
        } else {
          rest.remove_prefix(1);
        }
      }
      if (rest.empty()) return false;
      rest.remove_prefix(1);  // closing quote
      if (rest.starts_with(",")) {
        rest.remove_prefix(1);
        continue;
      }
      if (!rest.starts_with("}")) return false;
      rest.remove_prefix(1);
      break;
    }
  }
  if (!rest.starts_with(" ")) return false;
  rest.remove_prefix(1);
  if (rest.starts_with("-")) rest.remove_prefix(1);
  const auto digits = [&rest] {
    size_t length = 0;
    while (length < rest.size() && rest[length] >= '0' && rest[length] <= '9') ++length;
    rest.remove_prefix(length);
    return length > 0;
  };
  if (!digits()) return false;
  if (rest.starts_with(".")) {
    rest.remove_prefix(1);
    if (!digits()) return false;
  }
  return rest.empty();
}

bool IsCommentLine(std::string_view rest) {
  if (rest.starts_with("# HELP ")) {
    rest.remove_prefix(7);
  } else if (rest.starts_with("# TYPE ")) {
    rest.remove_prefix(7);
  } else {
    return false;
  }
  return ParseName(rest, /*allow_colon=*/true) && rest.starts_with(" ");
}

TEST(MetricsTest, LineParserRejectsMalformedLines) {
  EXPECT_TRUE(IsSampleLine("a{b=\"c\\\"\"} 1.5"));
  EXPECT_FALSE(IsSampleLine("a{b=\"c\"\"} 1"));
  EXPECT_FALSE(IsSampleLine("a{b=\"c\"} 1."));
  EXPECT_FALSE(IsSampleLine("1a 1"));
  EXPECT_FALSE(IsSampleLine("a{b=\"c\\x\"} 1"));
}

// Every line is a HELP/TYPE comment or `name{label="value",...} value`, as a scraper parses it.
TEST(MetricsTest, EveryLineParses) {
  MetricsRegistry registry;
  auto counter = registry.RegisterCounter("c_total", "C.", {"a", "b"}).value();
  counter->WithLabels({"x\"y", "line\nbreak"}).Increment();
  counter->WithLabels({"back\\slash", ""}).Increment();
  registry.RegisterGauge("g", "G.").value()->WithLabels({}).Set(-5);
  registry.RegisterHistogram("h_seconds", "H.", {"r"}, {1, 50}, 1'000)
      .value()
      ->WithLabels({"/v1"})
      .Observe(7);
  ASSERT_TRUE(registry
                  .RegisterGaugeCollector("q", "Q.", {"kind"},
                                          [](GaugeCollectorSink& sink) { sink.Report({"k"}, 2); })
                  .ok());
  ASSERT_TRUE(registry
                  .RegisterCounterCollector("k_total", "K.", {},
                                            [](CollectorSink& sink) { sink.Report({}, 9); })
                  .ok());

  const std::string text = registry.RenderPrometheusText();
  ASSERT_FALSE(text.empty());
  ASSERT_EQ(text.back(), '\n');
  std::istringstream lines(text);
  std::string line;
  int sample_count = 0;
  while (std::getline(lines, line)) {
    if (line.starts_with("#")) {
      EXPECT_TRUE(IsCommentLine(line)) << line;
      if (line.starts_with("# TYPE ") && line.ends_with(" counter")) {
        EXPECT_TRUE(line.ends_with("_total counter")) << line;
      }
    } else {
      EXPECT_TRUE(IsSampleLine(line)) << line;
      ++sample_count;
    }
  }
  EXPECT_EQ(sample_count, 2 + 1 + 5 + 1 + 1);
}

}  // namespace
}  // namespace cambista::obs
