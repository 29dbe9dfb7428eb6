// Fixture of the jobs tests: a fresh migrated database per backend, one connection on it for the
// test body, and a ManualClock so that backoff and leases move without sleeping.
#pragma once

#include <memory>

#include "core/clock.hpp"
#include "store/database.hpp"
#include "test_database.hpp"

namespace cambista::jobs {

class JobsTest : public testing::DatabaseTest {
 protected:
  void SetUp() override {
    DatabaseTest::SetUp();
    if (IsSkipped()) return;
    connection_ = db().Connect();
  }
  void TearDown() override {
    connection_.reset();
    DatabaseTest::TearDown();
  }

  store::Database& database() { return db(); }
  store::Connection& connection() { return *connection_; }

  ManualClock clock_;

 private:
  std::unique_ptr<store::Connection> connection_;
};

}  // namespace cambista::jobs
