#include "api/response_recorder.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "http/problem.hpp"

namespace cambista::api {

ResponseRecorder::ResponseRecorder(const std::string& path)
    : fd_(::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600)) {
  if (fd_ < 0) {
    throw std::runtime_error("cannot open " + path +
                             " to record responses: " + std::strerror(errno));
  }
}

ResponseRecorder::~ResponseRecorder() {
  ::close(fd_);
}

void ResponseRecorder::Record(std::string_view method, std::string_view route,
                              const http::HttpResponse& response) {
  std::string line = "{\"method\":" + http::JsonString(method) + ",\"route\":" +
                     (route.empty() ? std::string("null") : http::JsonString(route)) +
                     ",\"status\":" + std::to_string(response.status) +
                     ",\"content_type\":" + http::JsonString(response.content_type);
  if (IsJsonContentType(response.content_type)) {
    line += ",\"body\":" + http::JsonString(response.body);
  } else {
    line += ",\"body_bytes\":" + std::to_string(response.body.size());
  }
  line += "}\n";
  // A test artifact: a failed write loses a line, which the check then does not see; it must not
  // fail the request.
  size_t written = 0;
  while (written < line.size()) {
    const ssize_t n = ::write(fd_, line.data() + written, line.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    written += static_cast<size_t>(n);
  }
}

bool IsJsonContentType(std::string_view content_type) {
  const std::string_view essence = content_type.substr(0, content_type.find(';'));
  return essence == "application/json" || essence.ends_with("+json");
}

}  // namespace cambista::api
