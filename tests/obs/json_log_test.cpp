#include "obs/json_log.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <thread>
#include <vector>

namespace cambista::obs {
namespace {

class JsonLogTest : public ::testing::Test {
 protected:
  JsonLogger MakeLogger(LogLevel level_min = LogLevel::kDebug) {
    return JsonLogger(
        clock_, [this](std::string_view line) { lines_.emplace_back(line); }, level_min);
  }

  ManualClock clock_;  // 2023-11-14T22:13:20.000Z
  std::vector<std::string> lines_;
};

TEST_F(JsonLogTest, WritesExactLines) {
  JsonLogger logger = MakeLogger();
  logger.Info("request served", {{"route", "GET /v1/assets"}, {"status", 200}});
  clock_.AdvanceMs(1'234);
  logger.Error("provider declined", {{"provider", "pushinpay"}, {"attempt", int64_t{-3}}});
  logger.Debug("no fields");
  ASSERT_EQ(lines_.size(), 3u);
  EXPECT_EQ(lines_[0],
            R"({"time":"2023-11-14T22:13:20.000Z","level":"info","msg":"request served",)"
            R"("route":"GET /v1/assets","status":200})");
  EXPECT_EQ(lines_[1],
            R"({"time":"2023-11-14T22:13:21.234Z","level":"error","msg":"provider declined",)"
            R"("provider":"pushinpay","attempt":-3})");
  EXPECT_EQ(lines_[2], R"({"time":"2023-11-14T22:13:21.234Z","level":"debug","msg":"no fields"})");
}

TEST_F(JsonLogTest, FormatsTimes) {
  const auto format = [](int64_t unix_ns) {
    std::string out;
    AppendRfc3339Millis(out, unix_ns);
    return out;
  };
  EXPECT_EQ(format(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(format(999'999), "1970-01-01T00:00:00.000Z");  // truncated, not rounded
  EXPECT_EQ(format(-1), "1969-12-31T23:59:59.999Z");
  EXPECT_EQ(format(951'782'400'000'000'000), "2000-02-29T00:00:00.000Z");
  EXPECT_EQ(format(4'102'444'799'999'000'000), "2099-12-31T23:59:59.999Z");
}

TEST_F(JsonLogTest, FiltersByLevel) {
  JsonLogger logger = MakeLogger(LogLevel::kWarn);
  logger.Debug("hidden");
  logger.Info("hidden");
  logger.Warn("shown");
  EXPECT_FALSE(logger.IsEnabled(LogLevel::kInfo));
  logger.SetLevelMin(LogLevel::kInfo);
  logger.Info("shown too");
  ASSERT_EQ(lines_.size(), 2u);
  EXPECT_NE(lines_[0].find(R"("level":"warn","msg":"shown")"), std::string::npos);
  EXPECT_NE(lines_[1].find(R"("msg":"shown too")"), std::string::npos);
}

TEST_F(JsonLogTest, EscapesMessageNamesAndValues) {
  JsonLogger logger = MakeLogger();
  logger.Info("line\nbreak \"quoted\"", {{"we\"ird", "back\\slash\x01"}, {"bad", "\xFF"}});
  ASSERT_EQ(lines_.size(), 1u);
  EXPECT_EQ(lines_[0],
            "{\"time\":\"2023-11-14T22:13:20.000Z\",\"level\":\"info\","
            "\"msg\":\"line\\u000abreak \\\"quoted\\\"\","
            "\"we\\\"ird\":\"back\\\\slash\\u0001\",\"bad\":\"\xEF\xBF\xBD\"}");
}

TEST_F(JsonLogTest, RedactsSecretFields) {
  JsonLogger logger = MakeLogger();
  logger.Info("login", {{"Authorization", "Bearer abc"},
                        {"api_key", "k"},
                        {"X-Api-Key", "k"},
                        {"client_secret", "s"},
                        {"password", "p"},
                        {"access_token", "t"},
                        {"totp", 123456},
                        {"user", "ana"}});
  ASSERT_EQ(lines_.size(), 1u);
  EXPECT_EQ(lines_[0],
            R"({"time":"2023-11-14T22:13:20.000Z","level":"info","msg":"login",)"
            R"("Authorization":"***","api_key":"***","X-Api-Key":"***","client_secret":"***",)"
            R"("password":"***","access_token":"***","totp":"***","user":"ana"})");
  EXPECT_EQ(lines_[0].find("Bearer"), std::string::npos);
  EXPECT_FALSE(JsonLogger::IsSecretFieldName("route"));
  EXPECT_TRUE(JsonLogger::IsSecretFieldName("Cookie"));
}

TEST_F(JsonLogTest, ReservedFieldNamesDoNotShadowOurs) {
  JsonLogger logger = MakeLogger();
  logger.Info("m", {{"msg", "x"}, {"time", 1}});
  ASSERT_EQ(lines_.size(), 1u);
  EXPECT_EQ(lines_[0],
            R"({"time":"2023-11-14T22:13:20.000Z","level":"info","msg":"m","_msg":"x","_time":1})");
}

TEST_F(JsonLogTest, ConcurrentWritersNeverInterleaveWithinALine) {
  std::FILE* file = std::tmpfile();
  ASSERT_NE(file, nullptr);
  constexpr int kThreads = 8;
  constexpr int kLinesPerThread = 2'000;
  {
    SystemClock clock;
    JsonLogger logger(clock, file, LogLevel::kInfo);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&logger, t] {
        const std::string padding(200 + t * 50, static_cast<char>('a' + t));
        for (int i = 0; i < kLinesPerThread; ++i) {
          logger.Info("tick", {{"thread", t}, {"i", i}, {"padding", padding}});
        }
      });
    }
    for (auto& thread : threads) thread.join();
  }
  std::rewind(file);
  // Checked by hand rather than with std::regex (g++ 12 warns inside it under sanitizers).
  const std::string time_prefix = R"({"time":")";
  const std::string after_time = R"(Z","level":"info","msg":"tick","thread":)";
  constexpr size_t kTimeLength = std::string_view("2023-11-14T22:13:20.000").size();
  std::vector<int> count_by_thread(kThreads, 0);
  char buffer[4096];
  int lines = 0;
  while (std::fgets(buffer, sizeof(buffer), file) != nullptr) {
    std::string_view line(buffer);
    ASSERT_TRUE(line.ends_with("\"}\n")) << line;
    ASSERT_TRUE(line.starts_with(time_prefix)) << line;
    line.remove_prefix(time_prefix.size() + kTimeLength);
    ASSERT_TRUE(line.starts_with(after_time)) << line;
    line.remove_prefix(after_time.size());
    const int thread = line[0] - '0';
    ASSERT_TRUE(thread >= 0 && thread < kThreads) << line;
    line.remove_prefix(1);
    ASSERT_TRUE(line.starts_with(R"(,"i":)")) << line;
    const size_t padding_at = line.find(R"(,"padding":")");
    ASSERT_NE(padding_at, std::string_view::npos) << line;
    line.remove_prefix(padding_at + std::string_view(R"(,"padding":")").size());
    line.remove_suffix(3);
    EXPECT_EQ(line, std::string(200 + thread * 50, static_cast<char>('a' + thread)));
    ++count_by_thread[thread];
    ++lines;
  }
  std::fclose(file);
  EXPECT_EQ(lines, kThreads * kLinesPerThread);
  for (int count : count_by_thread) EXPECT_EQ(count, kLinesPerThread);
}

}  // namespace
}  // namespace cambista::obs
