#include "app/stream_client.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "payins/provider_json.hpp"
#include "security/hmac.hpp"

namespace cambista::app {
namespace {

constexpr uint8_t kText = 0x1;
constexpr uint8_t kContinuation = 0x0;
constexpr uint8_t kClose = 0x8;
constexpr uint8_t kPing = 0x9;
constexpr uint8_t kPong = 0xA;
constexpr int64_t kHandshakeTimeoutUs = 10'000'000;
constexpr size_t kReadChunkBytes = 64 << 10;
constexpr size_t kMessageBytesMax = 16 << 20;

std::string TypeOf(const std::string& message) {
  auto document = payins::JsonDocument::Parse(message);
  if (!document.ok()) return "";
  const payins::JsonNode* type = document.value().root().Find("type");
  return type != nullptr && type->IsString() ? std::string(type->text()) : std::string();
}

}  // namespace

StreamClient::~StreamClient() {
  Close();
}

void StreamClient::Close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

bool StreamClient::Fill(size_t bytes, int64_t deadline_us) {
  char buffer[kReadChunkBytes];
  while (in_.size() < bytes) {
    if (fd_ < 0) return false;
    const int64_t left_us = deadline_us - NowUs();
    if (left_us <= 0) return false;
    pollfd ready{fd_, POLLIN, 0};
    const int polled = ::poll(&ready, 1, static_cast<int>(std::max<int64_t>(left_us / 1'000, 1)));
    if (polled < 0 && errno == EINTR) continue;
    if (polled <= 0) continue;  // the deadline is checked above
    const ssize_t got = ::recv(fd_, buffer, sizeof buffer, 0);
    if (got < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (got <= 0) {
      Close();
      return false;
    }
    in_.append(buffer, static_cast<size_t>(got));
  }
  return true;
}

bool StreamClient::ReadFrame(uint8_t& opcode, bool& fin, std::string& payload,
                             int64_t deadline_us) {
  if (!Fill(2, deadline_us)) return false;
  const auto byte = [this](size_t at) { return static_cast<uint8_t>(in_[at]); };
  fin = (byte(0) & 0x80) != 0;
  opcode = byte(0) & 0x0F;
  const bool masked = (byte(1) & 0x80) != 0;
  uint64_t length = byte(1) & 0x7F;
  size_t header = 2;
  const size_t extra = length == 126 ? 2 : length == 127 ? 8 : 0;
  if (!Fill(header + extra, deadline_us)) return false;
  if (extra > 0) {
    length = 0;
    for (size_t i = 0; i < extra; ++i) length = (length << 8) | byte(header + i);
    header += extra;
  }
  const size_t mask_at = header;
  if (masked) header += 4;
  if (length > kMessageBytesMax) {
    Close();  // not a frame our server sends
    return false;
  }
  if (!Fill(header + length, deadline_us)) return false;
  payload = in_.substr(header, length);
  if (masked) {
    for (size_t i = 0; i < payload.size(); ++i) payload[i] ^= in_[mask_at + i % 4];
  }
  in_.erase(0, header + length);
  return true;
}

bool StreamClient::SendFrame(uint8_t opcode, std::string_view payload) {
  std::string frame(1, static_cast<char>(0x80 | opcode));
  if (payload.size() < 126) {
    frame += static_cast<char>(0x80 | payload.size());
  } else {
    frame += static_cast<char>(0x80 | 126);
    frame += static_cast<char>((payload.size() >> 8) & 0xFF);
    frame += static_cast<char>(payload.size() & 0xFF);
  }
  const std::string mask = RandomBytes(4);
  frame += mask;
  for (size_t i = 0; i < payload.size(); ++i) frame += static_cast<char>(payload[i] ^ mask[i % 4]);
  for (size_t sent = 0; sent < frame.size();) {
    const ssize_t wrote = ::send(fd_, frame.data() + sent, frame.size() - sent, MSG_NOSIGNAL);
    if (wrote < 0 && errno == EINTR) continue;
    if (wrote <= 0) return false;
    sent += static_cast<size_t>(wrote);
  }
  return true;
}

std::optional<std::string> StreamClient::Next(int64_t timeout_ms) {
  const int64_t deadline_us = NowUs() + timeout_ms * 1'000;
  for (;;) {
    uint8_t opcode = 0;
    bool fin = false;
    std::string payload;
    if (!ReadFrame(opcode, fin, payload, deadline_us)) return std::nullopt;
    if (opcode == kPing) {
      SendFrame(kPong, payload);
      continue;
    }
    if (opcode == kClose) {
      Close();
      return std::nullopt;
    }
    if (opcode != kText && opcode != kContinuation) continue;  // pongs, binary: not ours
    partial_ += payload;
    if (!fin) continue;
    std::string message;
    message.swap(partial_);
    return message;
  }
}

bool StreamClient::Open(const Endpoint& endpoint, const std::string& api_key,
                        const std::vector<std::string>& channels, std::string& error) {
  fd_ = ::socket(endpoint.address.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0 || ::connect(fd_, reinterpret_cast<const sockaddr*>(&endpoint.address),
                           endpoint.address_length) != 0) {
    error = "cannot connect to " + endpoint.host_header;
    Close();
    return false;
  }
  const int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  const std::string upgrade =
      "GET /v1/stream HTTP/1.1\r\nHost: " + endpoint.host_header +
      "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
      "Sec-WebSocket-Key: " +
      Base64Encode(RandomBytes(16)) + "\r\nAuthorization: Bearer " + api_key + "\r\n\r\n";
  const int64_t deadline_us = NowUs() + kHandshakeTimeoutUs;
  size_t head_end = std::string::npos;
  if (::send(fd_, upgrade.data(), upgrade.size(), MSG_NOSIGNAL) !=
      static_cast<ssize_t>(upgrade.size())) {
    error = "cannot send the upgrade request";
  }
  while (error.empty() && (head_end = in_.find("\r\n\r\n")) == std::string::npos) {
    if (!Fill(in_.size() + 1, deadline_us)) error = "no answer to the upgrade request";
  }
  if (error.empty() && !in_.starts_with("HTTP/1.1 101")) {
    error = "the upgrade was refused: " + in_.substr(0, in_.find("\r\n"));
  }
  if (!error.empty()) {
    Close();
    return false;
  }
  in_.erase(0, head_end + 4);
  std::string list;
  for (const std::string& channel : channels)
    list += (list.empty() ? "\"" : ",\"") + channel + "\"";
  SendFrame(kText, R"({"type":"subscribe","channels":[)" + list + "]}");
  for (;;) {
    auto message = Next((deadline_us - NowUs()) / 1'000);
    if (!message) break;
    if (TypeOf(*message) == "subscribed") return true;
  }
  error = "no subscription confirmed";
  Close();
  return false;
}

}  // namespace cambista::app
