#include "obs/json_log.hpp"

#include <charconv>

#include "core/assert.hpp"
#include "obs/json_string.hpp"

namespace cambista::obs {
namespace {

using namespace std::string_view_literals;

constexpr int64_t kNanosecondsPerMillisecond = 1'000'000;
constexpr int64_t kMillisecondsPerDay = 86'400'000;
constexpr std::string_view kRedacted = "\"***\"";

// Names our own keys use; a caller field with one of them gets a leading '_' to stay unambiguous.
bool IsReservedName(std::string_view name) {
  switch (name.size()) {  // most names are none of these lengths: no comparison at all
    case 3:
      return name == "msg";
    case 4:
      return name == "time";
    case 5:
      return name == "level";
    default:
      return false;
  }
}

int64_t FloorDivide(int64_t value, int64_t divisor) {
  int64_t quotient = value / divisor;
  if (value % divisor != 0 && value < 0) --quotient;
  return quotient;
}

void AppendDigits(std::string& out, int64_t value, int width) {
  char buffer[24];
  auto [end, error] = std::to_chars(buffer, buffer + sizeof(buffer), value);
  CAMBISTA_CHECK(error == std::errc());
  for (auto length = end - buffer; length < width; ++length) out += '0';
  out.append(buffer, end);
}

// `2023-11-14T22:13:20.` of the second starting at `unix_ms`.
void AppendRfc3339Seconds(std::string& out, int64_t unix_ms) {
  const int64_t days = FloorDivide(unix_ms, kMillisecondsPerDay);
  int64_t ms_of_day = unix_ms - days * kMillisecondsPerDay;
  // Howard Hinnant's civil_from_days: proleptic Gregorian date from days since 1970-01-01.
  const int64_t z = days + 719468;
  const int64_t era = FloorDivide(z, 146097);
  const int64_t day_of_era = z - era * 146097;
  const int64_t year_of_era =
      (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
  const int64_t day_of_year =
      day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
  const int64_t month_index = (5 * day_of_year + 2) / 153;
  const int64_t day = day_of_year - (153 * month_index + 2) / 5 + 1;
  const int64_t month = month_index < 10 ? month_index + 3 : month_index - 9;
  const int64_t year = year_of_era + era * 400 + (month <= 2 ? 1 : 0);

  AppendDigits(out, year, 4);
  out += '-';
  AppendDigits(out, month, 2);
  out += '-';
  AppendDigits(out, day, 2);
  out += 'T';
  AppendDigits(out, ms_of_day / 3'600'000, 2);
  ms_of_day %= 3'600'000;
  out += ':';
  AppendDigits(out, ms_of_day / 60'000, 2);
  ms_of_day %= 60'000;
  out += ':';
  AppendDigits(out, ms_of_day / 1'000, 2);
  out += '.';
}

}  // namespace

std::string_view LogLevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarn:
      return "warn";
    case LogLevel::kError:
      return "error";
  }
  return "unknown";
}

void AppendRfc3339Millis(std::string& out, int64_t unix_ns) {
  const int64_t unix_ms = FloorDivide(unix_ns, kNanosecondsPerMillisecond);
  // Most lines fall in the same second as the thread's previous one: its text up to the
  // milliseconds is kept.
  thread_local int64_t cached_second = INT64_MIN;
  thread_local std::string cached_prefix;  // "2023-11-14T22:13:20."
  const int64_t second = FloorDivide(unix_ms, 1'000);
  if (second != cached_second) {
    cached_prefix.clear();
    AppendRfc3339Seconds(cached_prefix, second * 1'000);
    cached_second = second;
  }
  out += cached_prefix;
  AppendDigits(out, unix_ms - second * 1'000, 3);
  out += 'Z';
}

JsonLogger::JsonLogger(const Clock& clock, std::FILE* file, LogLevel level_min)
    : clock_(clock), file_(file), level_min_(level_min) {
  CAMBISTA_CHECK(file_ != nullptr);
}

JsonLogger::JsonLogger(const Clock& clock, Sink sink, LogLevel level_min)
    : clock_(clock), sink_(std::move(sink)), level_min_(level_min) {
  CAMBISTA_CHECK(sink_ != nullptr);
}

JsonLogger::JsonLogger(const Clock& clock, BufferedLineWriter& writer, LogLevel level_min)
    : clock_(clock), writer_(&writer), level_min_(level_min) {}

bool JsonLogger::IsSecretFieldName(std::string_view name) {
  // Field names are short; a fixed buffer keeps this allocation-free. Longer names are checked on
  // their first kNameBytesMax bytes, and a name that long is suspicious enough to redact.
  constexpr size_t kNameBytesMax = 64;
  if (name.size() > kNameBytesMax) return true;
  char buffer[kNameBytesMax];
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c == '-') c = '_';
    buffer[i] = c;
  }
  const std::string_view normalized(buffer, name.size());
  // One pass, comparing a part only where its first letter is (this runs for every field of every
  // log line, a request's line included).
  const auto at = [&normalized](size_t i, std::string_view part) {
    return normalized.compare(i, part.size(), part) == 0;
  };
  for (size_t i = 0; i < normalized.size(); ++i) {
    switch (normalized[i]) {
      case 'a':
        if (at(i, "authorization") || at(i, "api_key") || at(i, "apikey")) return true;
        break;
      case 'c':
        if (at(i, "cookie")) return true;
        break;
      case 'p':
        if (at(i, "password") || at(i, "passwd")) return true;
        break;
      case 's':
        if (at(i, "secret")) return true;
        break;
      case 't':
        if (at(i, "token") || at(i, "totp")) return true;
        break;
      default:
        break;
    }
  }
  return false;
}

void JsonLogger::FormatLine(std::string& out, int64_t time_ns, LogLevel level, std::string_view msg,
                            std::span<const LogField> fields) {
  out += R"({"time":")"sv;
  AppendRfc3339Millis(out, time_ns);
  out += R"(","level":")"sv;
  out += LogLevelName(level);
  out += R"(","msg":)"sv;
  AppendJsonString(out, msg);
  for (const LogField& field : fields) {
    out += ',';
    if (IsReservedName(field.name())) {
      out += "\"_";
      out += field.name();
      out += '"';
    } else {
      AppendJsonString(out, field.name());
    }
    out += ':';
    if (IsSecretFieldName(field.name())) {
      out += kRedacted;
    } else if (const auto* text = std::get_if<std::string_view>(&field.value())) {
      AppendJsonString(out, *text);
    } else {
      AppendDigits(out, std::get<int64_t>(field.value()), 0);
    }
  }
  out += '}';
}

void JsonLogger::Log(LogLevel level, std::string_view msg, std::span<const LogField> fields) {
  if (!IsEnabled(level)) return;
  // Reused per thread: after warm-up a log line costs no allocation.
  thread_local std::string line;
  line.clear();
  FormatLine(line, clock_.NowNs(), level, msg, fields);
  Write(line);
}

void JsonLogger::Write(std::string_view line) {
  if (writer_ != nullptr) {
    writer_->Append(line);
    return;
  }
  std::lock_guard lock(write_mutex_);
  if (sink_) {
    sink_(line);
    return;
  }
  std::fwrite(line.data(), 1, line.size(), file_);
  std::fputc('\n', file_);
  std::fflush(file_);
}

}  // namespace cambista::obs
