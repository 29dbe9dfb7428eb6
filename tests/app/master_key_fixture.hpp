// A fresh database (each backend) with a directory for master key files, and the configuration a
// process would have with one of them, for the tests of the database seal and of key rotation.
#pragma once

#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>

#include "app/config.hpp"
#include "app/master_key.hpp"
#include "test_database.hpp"

namespace cambista::app {

class MasterKeyTest : public cambista::testing::DatabaseTest {
 protected:
  void SetUp() override {
    DatabaseTest::SetUp();
    if (IsSkipped()) return;
    std::string pattern =
        (std::filesystem::temp_directory_path() / "cambista-keys-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    key_directory_ = pattern;
  }
  void TearDown() override {
    if (!key_directory_.empty()) std::filesystem::remove_all(key_directory_);
    DatabaseTest::TearDown();
  }

  std::string KeyFile(const std::string& name) const { return key_directory_ + "/" + name; }
  // This test's database with the key file `name` (created at first use if missing).
  Config ConfigWithKeyFile(const std::string& name) const {
    Config config;
    config.database_url = url();
    config.master_key_file = KeyFile(name);
    return config;
  }
  static bool Exists(const std::string& path) {
    struct stat info {};
    return ::stat(path.c_str(), &info) == 0;
  }
  // The database's seal, or nullopt.
  std::optional<std::string> SealedFingerprint() {
    auto connection = db().Connect();
    std::optional<std::string> fingerprint;
    connection->Query("SELECT key_fingerprint FROM database_seal", {},
                      [&](const store::Row& row) { fingerprint = std::string(row.Text(0)); });
    return fingerprint;
  }

  SystemClock clock_;

 private:
  std::string key_directory_;
};

}  // namespace cambista::app
