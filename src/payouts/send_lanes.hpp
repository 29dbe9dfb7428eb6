// Threads that send payouts right after their creation commits (PayoutOptions::send_soon), so a
// payout reaches its provider without waiting for a job worker to claim its submit job: the
// request's thread returns at once, and the job, due kSubmitFallbackMs later, is only the way a
// payout is sent after a crash or when these lanes are full or stopped. Tasks are taken in order
// by `threads` workers; Stop drops those not started (their fallback jobs send them) and waits for
// the ones under way.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace cambista::payouts {

class SendLanes {
 public:
  SendLanes(int threads, size_t queued_max);
  ~SendLanes();
  SendLanes(const SendLanes&) = delete;
  SendLanes& operator=(const SendLanes&) = delete;

  // False when stopped or when queued_max tasks wait already.
  bool Post(std::function<void()> task);
  void Stop();

 private:
  void Work();

  const size_t queued_max_;
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> queue_;
  bool stopping_ = false;
  std::vector<std::thread> workers_;
};

}  // namespace cambista::payouts
