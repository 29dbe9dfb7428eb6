// JsonLogger: structured logs, one JSON object per line, for log shippers and `jq`.
//
// Each line is `{"time":"2023-11-14T22:13:20.000Z","level":"info","msg":"...",<fields>}`; the time
// comes from the injected Clock so tests get exact lines. A line is formatted into a per-thread
// buffer and written with a single locked write, so concurrent writers never interleave within a
// line. Field names that look like credentials (authorization, api_key, secret, password, token,
// totp, cookie, case-insensitive, anywhere in the name: `X-Api-Key`, `access_token`) are written as
// "***" whatever their value: a secret must never reach a log file, even when a caller forgets. The
// message and values are escaped (obs/json_string.hpp), so outside data cannot forge lines or
// fields.
#pragma once

#include <atomic>
#include <concepts>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <initializer_list>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <variant>

#include "core/clock.hpp"
#include "obs/buffered_line_writer.hpp"

namespace cambista::obs {

enum class LogLevel : int {
  kDebug = 0,
  kInfo = 1,
  kWarn = 2,
  kError = 3,
};

std::string_view LogLevelName(LogLevel level);

// One caller-given field. It only views its name and string value: build it in the log call.
class LogField {
 public:
  LogField(std::string_view name, std::string_view value) : name_(name), value_(value) {}
  template <std::integral Integer>
  requires(!std::same_as<Integer, bool>) LogField(std::string_view name, Integer value)
      : name_(name), value_(static_cast<int64_t>(value)) {}

  std::string_view name() const { return name_; }
  const std::variant<std::string_view, int64_t>& value() const { return value_; }

 private:
  std::string_view name_;
  std::variant<std::string_view, int64_t> value_;
};

class JsonLogger {
 public:
  // Receives one complete line without the trailing newline. Called under the logger's lock: it
  // must not log through the same logger.
  using Sink = std::function<void(std::string_view line)>;

  // Writes lines to `file` (not owned), flushing after each so a crash loses nothing.
  JsonLogger(const Clock& clock, std::FILE* file, LogLevel level_min = LogLevel::kInfo);
  JsonLogger(const Clock& clock, Sink sink, LogLevel level_min = LogLevel::kInfo);
  // Hands lines to `writer` (not owned), which batches them; it keeps lines whole by itself, so
  // no lock of the logger's is taken.
  JsonLogger(const Clock& clock, BufferedLineWriter& writer, LogLevel level_min = LogLevel::kInfo);

  void SetLevelMin(LogLevel level_min) { level_min_.store(level_min, std::memory_order_relaxed); }
  bool IsEnabled(LogLevel level) const {
    return level >= level_min_.load(std::memory_order_relaxed);
  }

  void Log(LogLevel level, std::string_view msg, std::span<const LogField> fields);
  void Log(LogLevel level, std::string_view msg, std::initializer_list<LogField> fields = {}) {
    Log(level, msg, std::span<const LogField>(fields.begin(), fields.size()));
  }
  void Debug(std::string_view msg, std::initializer_list<LogField> fields = {}) {
    Log(LogLevel::kDebug, msg, fields);
  }
  void Info(std::string_view msg, std::initializer_list<LogField> fields = {}) {
    Log(LogLevel::kInfo, msg, fields);
  }
  void Warn(std::string_view msg, std::initializer_list<LogField> fields = {}) {
    Log(LogLevel::kWarn, msg, fields);
  }
  void Error(std::string_view msg, std::initializer_list<LogField> fields = {}) {
    Log(LogLevel::kError, msg, fields);
  }

  // True for names whose value is redacted.
  static bool IsSecretFieldName(std::string_view name);

  // The line Log would write, without the newline; exposed for tests and for callers that batch.
  static void FormatLine(std::string& out, int64_t time_ns, LogLevel level, std::string_view msg,
                         std::span<const LogField> fields);

 private:
  void Write(std::string_view line);

  const Clock& clock_;
  std::FILE* file_ = nullptr;
  Sink sink_;
  BufferedLineWriter* writer_ = nullptr;
  std::atomic<LogLevel> level_min_;
  std::mutex write_mutex_;
};

// `2023-11-14T22:13:20.123Z` (RFC 3339, UTC, milliseconds, truncated toward the past).
void AppendRfc3339Millis(std::string& out, int64_t unix_ns);

}  // namespace cambista::obs
