// Writes log lines to a file descriptor in batches: Append() copies the line into a buffer and a
// background thread writes the buffer every flush_interval_ms (or at once when it is full), so a
// request does not pay a write system call for its log line. Lines are never split or interleaved.
// The buffer is written on Flush() and on destruction; a SIGKILL loses at most one interval.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

namespace cambista::obs {

class BufferedLineWriter {
 public:
  explicit BufferedLineWriter(int fd, int64_t flush_interval_ms = 20,
                              size_t buffer_bytes_max = 1 << 20);
  ~BufferedLineWriter();
  BufferedLineWriter(const BufferedLineWriter&) = delete;
  BufferedLineWriter& operator=(const BufferedLineWriter&) = delete;

  void Append(std::string_view line);  // adds the newline
  void Flush();

 private:
  void WriteAll(const std::string& bytes);
  void FlushLoop();

  const int fd_;
  const int64_t flush_interval_ms_;
  const size_t buffer_bytes_max_;
  std::mutex mutex_;        // guards buffer_ and stopping_
  std::mutex write_mutex_;  // keeps batches in order
  std::condition_variable wake_;
  std::string buffer_;
  bool stopping_ = false;
  std::thread flusher_;
};

}  // namespace cambista::obs
