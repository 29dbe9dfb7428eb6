// Polls the rate book on a schedule, on a thread of its own: every pair every poll_interval_ms,
// and a pair (or all of them) at once on request, with a callback when that poll is done (the
// sandbox's PUT /sandbox/rates/{pair} answers from it, so the new value is current when it
// answers).
//
// A thread rather than the job scheduler: the rate book is memory of this process, and every node
// must keep its own fresh, whereas a schedule of the job queue runs once for the whole cluster, on
// whichever node claims it; a poll every second (the sandbox) would also write a job row every
// second, and it must never wait behind slow webhook deliveries in the job workers. Waits are in
// real time (a condition variable); what the book decides (ages, breakers) is on its clock.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "pricing/service.hpp"

namespace cambista::pricing {

class RatePoller {
 public:
  RatePoller(RateBook& book, int64_t interval_ms) : book_(book), interval_ms_(interval_ms) {}
  ~RatePoller();  // Stop()
  RatePoller(const RatePoller&) = delete;
  RatePoller& operator=(const RatePoller&) = delete;

  // Starts the thread, which polls every pair at once and then every interval. Idempotent.
  void Start();
  // Stops the thread after the poll under way; requests not yet served get their callback
  // without a poll. Idempotent.
  void Stop();
  // Polls `pair` ("USDT/BRL"), or every pair when nullopt, as soon as the thread is free, then
  // calls `done` on the poller's thread. Without a running thread, polls on the caller's.
  void Request(std::optional<std::string> pair, std::function<void()> done);

 private:
  struct Pending {
    std::optional<std::string> pair;
    std::function<void()> done;
  };
  void Run();
  void Serve(const Pending& pending);

  RateBook& book_;
  const int64_t interval_ms_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Pending> pending_;
  bool running_ = false;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace cambista::pricing
