#include "providers/simulator_kit/webhook_sender.hpp"

#include <algorithm>
#include <exception>

namespace cambista::sandbox {

WebhookSender::WebhookSender(const net::HttpClient& client, WebhookSenderOptions options)
    : client_(client), options_(options), thread_([this] { Run(); }) {}

WebhookSender::~WebhookSender() {
  Stop();
}

bool WebhookSender::Enqueue(OutgoingWebhook webhook, int64_t delay_ms, AttemptHandler on_attempt) {
  const SteadyTime due =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(std::max<int64_t>(delay_ms, 0));
  {
    std::lock_guard lock(mutex_);
    if (stopping_ || queue_.size() >= options_.queue_max) return false;
    queue_.emplace(std::pair{due, next_order_++},
                   Job{std::move(webhook), std::move(on_attempt), 0});
  }
  wake_.notify_one();
  return true;
}

void WebhookSender::Stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    queue_.clear();
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
}

size_t WebhookSender::Pending() const {
  std::lock_guard lock(mutex_);
  return queue_.size() + (in_flight_ ? 1 : 0);
}

void WebhookSender::Run() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    if (queue_.empty()) {
      wake_.wait(lock);
      continue;
    }
    const SteadyTime due = queue_.begin()->first.first;
    if (std::chrono::steady_clock::now() < due) {
      wake_.wait_until(lock, due);  // woken early by a new, sooner job or by Stop
      continue;
    }
    Job job = std::move(queue_.begin()->second);
    queue_.erase(queue_.begin());
    in_flight_ = true;
    lock.unlock();

    net::ClientRequest request;
    request.method = "POST";
    request.url = job.webhook.url;
    request.timeout_ms = options_.timeout_ms;
    request.headers = job.webhook.headers;
    request.headers.emplace_back("Content-Type", "application/json");
    request.body = job.webhook.body;
    WebhookAttempt attempt;
    attempt.attempt = ++job.attempt;
    // Nothing may escape this thread: a throwing send or report counts as a failed attempt.
    try {
      const auto response = client_.Send(request);
      if (response.ok()) {
        attempt.response_status = response.value().status;
        attempt.delivered = *attempt.response_status >= 200 && *attempt.response_status < 300;
        if (!attempt.delivered) attempt.error = "HTTP " + std::to_string(*attempt.response_status);
      } else {
        attempt.error = response.error().message;
      }
    } catch (const std::exception& error) {
      attempt.error = error.what();
    }
    attempt.final = attempt.delivered || job.attempt >= options_.attempts_max;
    if (job.on_attempt) {
      try {
        job.on_attempt(attempt);
      } catch (const std::exception&) {  // a report is informative; the delivery stands
      }
    }

    lock.lock();
    in_flight_ = false;
    if (!attempt.final && !stopping_) {
      const int64_t delay_ms = options_.retry_delay_ms << std::min(job.attempt - 1, 16);
      queue_.emplace(
          std::pair{std::chrono::steady_clock::now() + std::chrono::milliseconds(delay_ms),
                    next_order_++},
          std::move(job));
    }
  }
}

}  // namespace cambista::sandbox
