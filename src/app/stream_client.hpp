// A client of the event stream (GET /v1/stream, events/stream.hpp) for `cambista bench flow`: the
// WebSocket upgrade with an API key, a subscription to channels, then each text message as it
// comes. Just enough of RFC 6455 for our own server over loopback: masked client frames,
// fragmented messages reassembled, pings answered, a close ends the stream; the handshake's
// Sec-WebSocket-Accept is not checked (the peer is the server we started or were pointed at).
// One thread reads; Send may be called from it only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "app/bench_load.hpp"

namespace cambista::app {

class StreamClient {
 public:
  StreamClient() = default;
  ~StreamClient();
  StreamClient(const StreamClient&) = delete;
  StreamClient& operator=(const StreamClient&) = delete;

  // Connects, upgrades and subscribes, waiting for the server's "subscribed"; false with `error`.
  bool Open(const Endpoint& endpoint, const std::string& api_key,
            const std::vector<std::string>& channels, std::string& error);
  // The next text message, waiting at most `timeout_ms`; nullopt on a timeout (`closed()` false)
  // or when the stream ended (`closed()` true).
  std::optional<std::string> Next(int64_t timeout_ms);
  bool closed() const { return fd_ < 0; }
  void Close();

 private:
  bool SendFrame(uint8_t opcode, std::string_view payload);
  // Reads until `in_` holds `bytes` bytes; false when the stream ended or the wait timed out.
  bool Fill(size_t bytes, int64_t deadline_us);
  // One whole frame off the front of `in_`: its opcode, FIN and payload; false as Fill.
  bool ReadFrame(uint8_t& opcode, bool& fin, std::string& payload, int64_t deadline_us);

  int fd_ = -1;
  std::string in_;
  std::string partial_;  // a fragmented message so far
};

}  // namespace cambista::app
