#include "app/api_client.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>

#include "payins/provider_json.hpp"

namespace cambista::app {
namespace {

constexpr size_t kReadChunkBytes = 16 << 10;
constexpr size_t kResponseBytesMax = 64 << 20;
constexpr size_t kDetailCharsMax = 300;

timeval Timeval(int64_t ms) {
  timeval out{};
  out.tv_sec = ms / 1'000;
  out.tv_usec = (ms % 1'000) * 1'000;
  return out;
}

}  // namespace

std::string ApiReply::Field(std::initializer_list<std::string_view> path) const {
  auto document = payins::JsonDocument::Parse(body);
  if (!document.ok()) return "";
  const payins::JsonNode* node = &document.value().root();
  for (std::string_view name : path) {
    if (!node->IsObject()) return "";
    node = node->Find(name);
    if (node == nullptr) return "";
  }
  return node->IsString() || node->IsNumber() ? std::string(node->text()) : std::string();
}

std::string ApiReply::Describe() const {
  if (status == 0) return "no answer: " + error;
  const std::string code = Field("code");
  const std::string detail = Field("detail");
  std::string out = std::to_string(status);
  if (!code.empty()) out += " " + code;
  if (!detail.empty()) return out + ": " + detail;
  return out + (body.empty() ? "" : ": " + body.substr(0, kDetailCharsMax));
}

ApiClient::ApiClient(const Endpoint& endpoint, std::string api_key, int64_t timeout_ms)
    : endpoint_(endpoint), api_key_(std::move(api_key)), timeout_ms_(timeout_ms) {}

ApiClient::~ApiClient() {
  Close();
}

bool ApiClient::Connect(std::string& error) {
  fd_ = ::socket(endpoint_.address.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) {
    error = "cannot open a socket";
    return false;
  }
  const timeval timeout = Timeval(timeout_ms_);
  ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
  if (::connect(fd_, reinterpret_cast<const sockaddr*>(&endpoint_.address),
                endpoint_.address_length) != 0) {
    error = "cannot connect to " + endpoint_.host_header;
    Close();
    return false;
  }
  const int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  in_.clear();
  return true;
}

void ApiClient::Close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

ApiReply ApiClient::Exchange(const std::string& request, bool& received_any) {
  ApiReply reply;
  received_any = false;
  for (size_t written = 0; written < request.size();) {
    const ssize_t sent =
        ::send(fd_, request.data() + written, request.size() - written, MSG_NOSIGNAL);
    if (sent < 0 && errno == EINTR) continue;
    if (sent <= 0) {
      reply.error = "write failed";
      return reply;
    }
    written += static_cast<size_t>(sent);
  }
  char buffer[kReadChunkBytes];
  for (;;) {
    ParsedResponse parsed = TakeResponse(in_);
    if (parsed.status < 0) {
      reply.error = "unreadable response";
      return reply;
    }
    if (parsed.status > 0) {
      if (parsed.close) Close();
      return ApiReply{parsed.status, std::move(parsed.body), ""};
    }
    const ssize_t got = ::recv(fd_, buffer, sizeof buffer, 0);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0 || in_.size() > kResponseBytesMax) {
      reply.error = got == 0 ? "connection closed by the server"
                    : got < 0
                        ? (errno == EAGAIN || errno == EWOULDBLOCK ? "timed out" : "read failed")
                        : "response too large";
      return reply;
    }
    received_any = true;
    in_.append(buffer, static_cast<size_t>(got));
  }
}

ApiReply ApiClient::Send(std::string_view method, std::string_view path, std::string_view body,
                         std::string_view idempotency_key, bool authorized) {
  std::string request = std::string(method) + " " + std::string(path) +
                        " HTTP/1.1\r\nHost: " + endpoint_.host_header + "\r\n";
  if (authorized && !api_key_.empty()) request += "Authorization: Bearer " + api_key_ + "\r\n";
  if (!idempotency_key.empty()) {
    request += "Idempotency-Key: " + std::string(idempotency_key) + "\r\n";
  }
  if (!body.empty()) request += "Content-Type: application/json\r\n";
  request += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n";
  request += body;
  for (int attempt = 0;; ++attempt) {
    const bool reused = fd_ >= 0;
    std::string error;
    if (!reused && !Connect(error)) return ApiReply{0, "", error};
    bool received_any = false;
    ApiReply reply = Exchange(request, received_any);
    if (reply.status != 0) return reply;
    Close();
    // Only a kept-alive connection that the server had closed before this request is retried
    // (not one that was merely slow: the server may be working on the request).
    if (!reused || received_any || attempt > 0 || reply.error == "timed out") return reply;
  }
}

}  // namespace cambista::app
