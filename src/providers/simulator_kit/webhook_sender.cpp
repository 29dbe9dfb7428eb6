#include "providers/simulator_kit/webhook_sender.hpp"

#include <algorithm>
#include <exception>

namespace cambista::sandbox {
namespace {

const std::string& KeyOf(const OutgoingWebhook& webhook) {
  return webhook.order_key.empty() ? webhook.url : webhook.order_key;
}

}  // namespace

WebhookSender::WebhookSender(const net::HttpClient& client, WebhookSenderOptions options)
    : client_(client), options_(options) {
  for (int i = 0; i < std::max(options_.threads, 1); ++i) threads_.emplace_back([this] { Run(); });
}

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
  wake_.notify_all();
  for (std::thread& thread : threads_) {
    if (thread.joinable()) thread.join();
  }
}

size_t WebhookSender::Pending() const {
  std::lock_guard lock(mutex_);
  return queue_.size() + busy_keys_.size();
}

std::map<std::pair<WebhookSender::SteadyTime, uint64_t>, WebhookSender::Job>::iterator
WebhookSender::NextSendable(SteadyTime now, SteadyTime& wait_until) {
  wait_until = SteadyTime::max();
  std::set<std::string> passed;  // keys with an earlier job still queued: theirs go first
  for (auto it = queue_.begin(); it != queue_.end(); ++it) {
    const std::string& key = KeyOf(it->second.webhook);
    if (busy_keys_.contains(key) || passed.contains(key)) {
      passed.insert(key);
      continue;
    }
    if (it->first.first > now) {
      wait_until = std::min(wait_until, it->first.first);
      passed.insert(key);
      continue;
    }
    return it;
  }
  return queue_.end();
}

WebhookAttempt WebhookSender::Attempt(Job& job) {
  net::ClientRequest request;
  request.method = "POST";
  request.url = job.webhook.url;
  request.timeout_ms = options_.timeout_ms;
  request.headers = job.webhook.headers;
  request.headers.emplace_back("Content-Type", "application/json");
  request.body = job.webhook.body;
  WebhookAttempt attempt;
  attempt.attempt = ++job.attempt;
  // Nothing may escape a sending thread: a throwing send or report counts as a failed attempt.
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
  return attempt;
}

void WebhookSender::Run() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    SteadyTime wait_until;
    const auto next = NextSendable(std::chrono::steady_clock::now(), wait_until);
    if (next == queue_.end()) {
      if (wait_until == SteadyTime::max()) {
        wake_.wait(lock);  // nothing due: woken by a new job, a key freed, or Stop
      } else {
        wake_.wait_until(lock, wait_until);
      }
      continue;
    }
    Job job = std::move(next->second);
    queue_.erase(next);
    const std::string key = KeyOf(job.webhook);
    busy_keys_.insert(key);
    lock.unlock();
    const WebhookAttempt attempt = Attempt(job);
    lock.lock();
    busy_keys_.erase(key);
    if (!attempt.final && !stopping_) {
      const int64_t delay_ms = options_.retry_delay_ms << std::min(job.attempt - 1, 16);
      queue_.emplace(
          std::pair{std::chrono::steady_clock::now() + std::chrono::milliseconds(delay_ms),
                    next_order_++},
          std::move(job));
    }
    wake_.notify_all();  // the key is free again: its next webhook may go
  }
}

}  // namespace cambista::sandbox
