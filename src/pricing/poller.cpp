#include "pricing/poller.hpp"

#include <chrono>
#include <utility>

namespace cambista::pricing {

RatePoller::~RatePoller() {
  Stop();
}

void RatePoller::Start() {
  std::lock_guard lock(mutex_);
  if (running_) return;
  running_ = true;
  stopping_ = false;
  thread_ = std::thread([this] { Run(); });
}

void RatePoller::Stop() {
  std::deque<Pending> unserved;
  {
    std::lock_guard lock(mutex_);
    if (!running_) return;
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
  {
    std::lock_guard lock(mutex_);
    running_ = false;
    unserved.swap(pending_);
  }
  for (const Pending& pending : unserved) {
    if (pending.done) pending.done();
  }
}

void RatePoller::Request(std::optional<std::string> pair, std::function<void()> done) {
  {
    std::lock_guard lock(mutex_);
    if (running_ && !stopping_) {
      pending_.push_back(Pending{std::move(pair), std::move(done)});
      wake_.notify_all();
      return;
    }
  }
  Serve(Pending{std::move(pair), std::move(done)});
}

void RatePoller::Serve(const Pending& pending) {
  // A poll does not throw: a source's or the database's failure is logged by the book.
  if (pending.pair) {
    (void)book_.PollPair(*pending.pair);
  } else {
    book_.PollAll();
  }
  if (pending.done) pending.done();
}

void RatePoller::Run() {
  auto next_round = std::chrono::steady_clock::now();
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    if (!pending_.empty()) {
      Pending pending = std::move(pending_.front());
      pending_.pop_front();
      lock.unlock();
      Serve(pending);
      lock.lock();
      continue;
    }
    if (std::chrono::steady_clock::now() >= next_round) {
      lock.unlock();
      book_.PollAll();
      lock.lock();
      next_round = std::chrono::steady_clock::now() + std::chrono::milliseconds(interval_ms_);
      continue;
    }
    wake_.wait_until(lock, next_round, [this] { return stopping_ || !pending_.empty(); });
  }
}

}  // namespace cambista::pricing
