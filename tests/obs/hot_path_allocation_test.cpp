// The request path records metrics and logs on every call: once warm, neither may allocate.
#include <gtest/gtest.h>

#include "allocation_counter.hpp"
#include "obs/json_log.hpp"
#include "obs/metrics.hpp"

namespace cambista::obs {
namespace {

using testing_allocations::AllocationsOnThisThread;

TEST(HotPathAllocationTest, LookingUpAnExistingLabelSetDoesNotAllocate) {
  MetricsRegistry registry;
  auto requests = registry.RegisterCounter("requests_total", "R.", {"route", "status"}).value();
  auto latency =
      registry.RegisterHistogram("latency_seconds", "L.", {"route"}, {1'000, 10'000}, 1'000'000)
          .value();
  requests->WithLabels({"GET /v1/assets", "200"});
  requests->WithLabels({"GET /v1/quotes", "200"});
  latency->WithLabels({"GET /v1/assets"});

  const long before = AllocationsOnThisThread();
  for (int i = 0; i < 100; ++i) {
    requests->WithLabels({"GET /v1/assets", "200"}).Increment();
    latency->WithLabels({"GET /v1/assets"}).Observe(i * 100);
  }
  EXPECT_EQ(AllocationsOnThisThread() - before, 0);
  EXPECT_EQ(requests->WithLabels({"GET /v1/assets", "200"}).Value(), 100);
}

TEST(HotPathAllocationTest, LoggingAWarmLineDoesNotAllocate) {
  ManualClock clock;
  size_t bytes = 0;
  JsonLogger logger(clock, [&bytes](std::string_view line) { bytes += line.size(); });
  logger.Info("warm up", {{"route", "GET /v1/assets"}, {"status", 200}});

  const long before = AllocationsOnThisThread();
  for (int i = 0; i < 100; ++i) {
    logger.Info("request served", {{"route", "GET /v1/assets"}, {"status", 200}, {"i", i}});
  }
  logger.Debug("filtered out", {{"route", "x"}});
  EXPECT_EQ(AllocationsOnThisThread() - before, 0);
  EXPECT_GT(bytes, 0u);
}

}  // namespace
}  // namespace cambista::obs
