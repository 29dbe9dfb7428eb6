#include "test_database.hpp"

#include <stdlib.h>

#include <cstdio>
#include <filesystem>
#include <random>

#include "app/modules.hpp"
#include "store/migrations.hpp"

namespace cambista::testing {
namespace {

std::string RandomSchemaName() {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::random_device device;
  std::mt19937_64 random((static_cast<uint64_t>(device()) << 32) ^ device());
  uint64_t bits = random();
  std::string name = "t_";
  for (int i = 0; i < 16; ++i) {
    name += kDigits[bits & 0xF];
    bits >>= 4;
  }
  return name;
}

void MigrateDatabase(store::Database& database) {
  auto connection = database.Connect();
  store::Migrate(*connection, app::AllMigrations());
}

}  // namespace

std::optional<std::string> PostgresTestUrl() {
  const char* value = std::getenv(kPostgresUrlVariable);
  if (value == nullptr || *value == '\0') return std::nullopt;
  return std::string(value);
}

std::unique_ptr<TestDatabase> TestDatabase::Create(store::Backend backend, bool migrate,
                                                   const store::Options& options) {
  std::unique_ptr<TestDatabase> result(new TestDatabase());
  if (backend == store::Backend::kSqlite) {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "cambista-test-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) {
      throw store::Error(store::Error::Kind::kOther,
                         "cannot create a temporary directory from " + pattern);
    }
    result->temporary_directory_ = pattern;
    result->url_ = "sqlite:" + pattern + "/test.db";
  } else {
    const std::optional<std::string> base = PostgresTestUrl();
    if (!base) return nullptr;
    result->admin_ = store::Open(*base)->Connect();
    result->schema_ = RandomSchemaName();
    result->admin_->ExecuteScript("CREATE SCHEMA " + result->schema_);
    result->url_ = *base + (base->find('?') == std::string::npos ? "?" : "&") +
                   "options=-csearch_path%3D" + result->schema_;
  }
  result->database_ = store::Open(result->url_, options);
  if (migrate) MigrateDatabase(*result->database_);
  return result;
}

TestDatabase::~TestDatabase() {
  database_.reset();
  if (!temporary_directory_.empty()) {
    std::error_code error;
    std::filesystem::remove_all(temporary_directory_, error);
  }
  if (admin_ != nullptr && !schema_.empty()) {
    try {
      // A connection the test left open (a killed child's, say) may still hold a lock for a moment.
      admin_->ExecuteScript("SET lock_timeout = '30s'; DROP SCHEMA IF EXISTS " + schema_ +
                            " CASCADE");
    } catch (const std::exception& error) {
      std::fprintf(stderr, "warning: could not drop test schema %s: %s\n", schema_.c_str(),
                   error.what());
    }
  }
}

void DatabaseTest::SetUp() {
  if (GetParam() == store::Backend::kPostgres && !PostgresTestUrl()) {
    GTEST_SKIP() << "PostgreSQL case skipped: set " << kPostgresUrlVariable
                 << " (e.g. postgresql://postgres@127.0.0.1:55432/postgres, as printed by "
                    "`scripts/pg-test-server start DIR 55432`)";
  }
  try {
    database_ = TestDatabase::Create(GetParam(), MigrateOnSetUp());
  } catch (const std::exception& error) {
    FAIL() << "cannot make a test database for " << store::BackendName(GetParam()) << ": "
           << error.what();
  }
}

void DatabaseTest::TearDown() {
  database_.reset();
}

std::string BackendTestName(const ::testing::TestParamInfo<store::Backend>& info) {
  return std::string(store::BackendName(info.param));
}

}  // namespace cambista::testing
