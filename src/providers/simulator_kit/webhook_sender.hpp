// Sends the simulators' webhooks from background threads. Handlers only queue: the server may run
// a single I/O thread and the webhook's target is often that same server, so sending from inside a
// request handler would deadlock. Each webhook is sent once its delay has passed (real time: the
// threads sleep, whatever Clock the simulators use) and retried a few times when the receiver
// answers non-2xx or cannot be reached. Webhooks of one order key (a charge's, a payout's) go one
// at a time, in the order queued among those due together, as a gateway sends them; those of
// different keys go side by side, up to `threads` at once (one sender thread, as before, made a
// sandbox under load measure its own queue). A report of every attempt goes to `on_attempt`, on
// the sending thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "net/http_client.hpp"

namespace cambista::sandbox {

struct OutgoingWebhook {
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;  // Content-Type is added
  std::string body;
  std::string order_key = {};  // webhooks of one key go in order, one at a time; empty: the URL
};

struct WebhookAttempt {
  int attempt = 0;  // 1-based
  bool delivered = false;
  bool final = false;  // no more attempts follow
  std::optional<int> response_status;
  std::string error;  // transport error or "HTTP <status>"; empty when delivered
};

struct WebhookSenderOptions {
  int attempts_max = 3;
  int64_t retry_delay_ms = 500;  // before the second attempt; doubles each time
  int64_t timeout_ms = 5'000;    // per attempt, the whole HTTP exchange
  size_t queue_max = 10'000;     // webhooks waiting; past it Enqueue refuses
  int threads = 8;               // webhooks of different keys in flight at once
};

class WebhookSender {
 public:
  using AttemptHandler = std::function<void(const WebhookAttempt&)>;

  // Starts the threads. `client` must outlive the sender.
  WebhookSender(const net::HttpClient& client, WebhookSenderOptions options);
  ~WebhookSender();  // Stop()
  WebhookSender(const WebhookSender&) = delete;
  WebhookSender& operator=(const WebhookSender&) = delete;

  // Queues `webhook` to be sent `delay_ms` from now. False when stopped or the queue is full.
  bool Enqueue(OutgoingWebhook webhook, int64_t delay_ms, AttemptHandler on_attempt = nullptr);
  // Stops and joins the threads; webhooks still queued are dropped (attempts in flight end first,
  // within timeout_ms). Idempotent; not to be called from two threads at once.
  void Stop();
  // Webhooks queued or in flight.
  size_t Pending() const;

 private:
  using SteadyTime = std::chrono::steady_clock::time_point;
  struct Job {
    OutgoingWebhook webhook;
    AttemptHandler on_attempt;
    int attempt = 0;  // attempts made so far
  };

  void Run();
  // The first queued job that is due and whose key is not in flight, or end(); with the lock.
  std::map<std::pair<SteadyTime, uint64_t>, Job>::iterator NextSendable(SteadyTime now,
                                                                        SteadyTime& wait_until);
  WebhookAttempt Attempt(Job& job);

  const net::HttpClient& client_;
  const WebhookSenderOptions options_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  // Due time, then queue order: jobs due together go in the order they were queued.
  std::map<std::pair<SteadyTime, uint64_t>, Job> queue_;
  uint64_t next_order_ = 0;
  std::set<std::string> busy_keys_;  // keys with a webhook in flight
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace cambista::sandbox
