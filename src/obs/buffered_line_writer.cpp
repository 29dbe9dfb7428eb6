#include "obs/buffered_line_writer.hpp"

#include <unistd.h>

#include <cerrno>
#include <chrono>

namespace cambista::obs {

BufferedLineWriter::BufferedLineWriter(int fd, int64_t flush_interval_ms, size_t buffer_bytes_max)
    : fd_(fd), flush_interval_ms_(flush_interval_ms), buffer_bytes_max_(buffer_bytes_max) {
  flusher_ = std::thread([this] { FlushLoop(); });
}

BufferedLineWriter::~BufferedLineWriter() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  flusher_.join();
  Flush();
}

void BufferedLineWriter::Append(std::string_view line) {
  bool full;
  {
    std::lock_guard lock(mutex_);
    buffer_.append(line);
    buffer_.push_back('\n');
    full = buffer_.size() >= buffer_bytes_max_;
  }
  if (full) Flush();  // back-pressure: the caller writes rather than growing without bound
}

void BufferedLineWriter::Flush() {
  std::lock_guard write_lock(write_mutex_);
  std::string bytes;
  {
    std::lock_guard lock(mutex_);
    bytes.swap(buffer_);
  }
  WriteAll(bytes);
}

void BufferedLineWriter::WriteAll(const std::string& bytes) {
  size_t written = 0;
  while (written < bytes.size()) {
    const ssize_t n = ::write(fd_, bytes.data() + written, bytes.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // nowhere to log to: dropping the lines is all that is left
    written += static_cast<size_t>(n);
  }
}

void BufferedLineWriter::FlushLoop() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    wake_.wait_for(lock, std::chrono::milliseconds(flush_interval_ms_));
    if (buffer_.empty()) continue;
    lock.unlock();
    Flush();
    lock.lock();
  }
}

}  // namespace cambista::obs
