#include "obs/buffered_line_writer.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <set>
#include <string>
#include <thread>
#include <vector>

namespace cambista::obs {
namespace {

std::string ReadAll(int fd) {
  std::string out;
  char chunk[4096];
  ssize_t n;
  while ((n = ::read(fd, chunk, sizeof chunk)) > 0) out.append(chunk, static_cast<size_t>(n));
  return out;
}

TEST(BufferedLineWriterTest, LinesFromManyThreadsArriveWholeAndOnce) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  std::string output;
  std::thread reader([&] { output = ReadAll(fds[0]); });
  {
    BufferedLineWriter writer(fds[1], 5, 4096);  // small buffer: exercises the full-buffer path
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&writer, t] {
        for (int i = 0; i < 500; ++i) {
          writer.Append("thread " + std::to_string(t) + " line " + std::to_string(i) + " " +
                        std::string(static_cast<size_t>(i % 50), 'x'));
        }
      });
    }
    for (auto& thread : threads) thread.join();
  }  // destruction flushes
  ::close(fds[1]);
  reader.join();
  ::close(fds[0]);
  std::set<std::string> lines;
  size_t start = 0, count = 0;
  while (start < output.size()) {
    const size_t end = output.find('\n', start);
    ASSERT_NE(end, std::string::npos) << "a line without its newline";
    lines.insert(output.substr(start, end - start));
    ++count;
    start = end + 1;
  }
  EXPECT_EQ(count, 2000u);
  EXPECT_EQ(lines.size(), 2000u);
  EXPECT_TRUE(lines.contains("thread 3 line 499 " + std::string(49, 'x')));
}

}  // namespace
}  // namespace cambista::obs
