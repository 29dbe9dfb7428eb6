// app::Server::Start: no job runs before the server knows its own URL. Jobs reach providers at
// URLs made from it (the sandbox's simulators, callback URLs); a job that ran first, such as the
// daily reconciliation that is due at once, once built the sandbox's payout adapters with an empty
// base URL for the server's whole life, and every payout then stayed UNKNOWN.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <thread>

#include "app/server.hpp"
#include "jobs/job_queue.hpp"
#include "master_key_fixture.hpp"

namespace cambista::app {
namespace {

class ServerStartTest : public MasterKeyTest {};

TEST_P(ServerStartTest, AJobDueAtStartAlreadySeesTheServersUrl) {
  Config config = ConfigWithKeyFile("start.key");
  config.sandbox = true;
  config.listen_port = 0;
  auto unsealed = MigrateAndUnseal(config, db(), clock_);
  ASSERT_TRUE(unsealed.ok()) << unsealed.error();
  Server server(config, unsealed.value().keys);
  std::mutex mutex;
  std::string seen;
  std::atomic<bool> ran{false};
  server.jobs().Register("test.own_url", [&](const jobs::JobContext&) {
    std::lock_guard lock(mutex);
    seen = server.url();
    ran = true;
    return jobs::JobOutcome::Done();
  });
  jobs::NewJob job;
  job.kind = "test.own_url";
  server.jobs().Enqueue(job);  // due before the workers start
  server.Start();
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!ran && std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_TRUE(ran);
  std::lock_guard lock(mutex);
  EXPECT_FALSE(seen.empty());
  EXPECT_EQ(seen, server.url());
  server.Stop(1'000);
}

INSTANTIATE_BACKENDS(ServerStartTest);

}  // namespace
}  // namespace cambista::app
