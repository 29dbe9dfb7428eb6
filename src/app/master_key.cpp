#include "app/master_key.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "app/config.hpp"
#include "security/hmac.hpp"

namespace cambista::app {

Result<std::string, std::string> LoadOrCreateMasterKey(const std::string& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd >= 0) {  // new: write a fresh key
    const std::string text = HexEncode(RandomBytes(32)) + "\n";
    const bool written =
        ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
        ::fsync(fd) == 0;
    ::close(fd);
    if (!written) return Failure{"cannot write the master key file " + path};
  } else if (errno != EEXIST) {
    return Failure{"cannot create the master key file " + path + ": " + std::strerror(errno)};
  }
  struct stat info {};
  if (::stat(path.c_str(), &info) == 0 && (info.st_mode & 077) != 0) {
    return Failure{"the master key file " + path + " is readable by others; chmod 600 it"};
  }
  std::ifstream file(path);
  std::stringstream content;
  content << file.rdbuf();
  std::string text = content.str();
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  auto key = HexDecode(text);
  if (!file || !key.ok() || key.value().size() != 32) {
    return Failure{"the master key file " + path + " must hold 64 hexadecimal characters"};
  }
  return key.value();
}

Result<std::string, std::string> MasterKey(const Config& config) {
  if (!config.master_key_hex.empty()) {
    auto key = HexDecode(config.master_key_hex);  // shape checked by the configuration
    if (!key.ok() || key.value().size() != 32) {
      return Failure{std::string("security.master_key must be 64 hexadecimal characters")};
    }
    return key.value();
  }
  auto path = MasterKeyPath(config);
  if (!path.ok()) return Failure{path.error().ToString()};
  return LoadOrCreateMasterKey(path.value());
}

}  // namespace cambista::app
