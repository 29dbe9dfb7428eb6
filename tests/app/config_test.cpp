#include "app/config.hpp"
#include "app/master_key.hpp"

#include <gtest/gtest.h>

#include "payins/fees.hpp"

namespace cambista::app {
namespace {

TEST(ConfigTest, DefaultsListenOnLoopback) {
  auto config = LoadConfig(std::nullopt, {});
  ASSERT_TRUE(config.ok());
  EXPECT_EQ(config->listen_host, "127.0.0.1");
  EXPECT_EQ(config->listen_port, 8080);
  EXPECT_EQ(config->body_bytes_max, 1 << 20);
  EXPECT_FALSE(config->sandbox);
}

TEST(ConfigTest, FileThenEnvironmentWins) {
  const char* toml = R"(
[database]
url = "postgresql://cambista@127.0.0.1:5432/desk"
[server]
listen = "0.0.0.0:9000"
body_bytes_max = 2048
[sandbox]
enabled = true
[log]
level = "debug"
)";
  auto config = LoadConfigText(toml, "cambista.toml",
                               {{"CAMBISTA_SERVER_LISTEN", "[::1]:0"},
                                {"CAMBISTA_LOG_LEVEL", "warn"},
                                {"CAMBISTA_TEST_PG_URL", "postgresql://x"}});
  ASSERT_TRUE(config.ok()) << config.error().ToString();
  EXPECT_EQ(config->database_url, "postgresql://cambista@127.0.0.1:5432/desk");
  EXPECT_EQ(config->listen_host, "::1");
  EXPECT_EQ(config->listen_port, 0);
  EXPECT_EQ(config->body_bytes_max, 2048);
  EXPECT_TRUE(config->sandbox);
  EXPECT_EQ(config->log_level, "warn");
  EXPECT_EQ(config->ignored_environment, (std::vector<std::string>{"CAMBISTA_TEST_PG_URL"}));
}

TEST(ConfigTest, ErrorsNameTheKeyAndLine) {
  auto expect_error = [](std::string_view toml, const Environment& environment,
                         std::string_view fragment) {
    auto config = LoadConfigText(toml, "c.toml", environment);
    ASSERT_FALSE(config.ok()) << toml;
    EXPECT_NE(config.error().ToString().find(fragment), std::string::npos)
        << config.error().ToString();
  };
  expect_error("[server]\nlisten = 8080\n", {}, "c.toml:2: server.listen: expected a string");
  expect_error("[server]\nlisten = \"localhost\"\n", {}, "expected HOST:PORT");
  expect_error("[server]\nlisten = \"127.0.0.1:70000\"\n", {}, "port must be a number");
  expect_error("[server]\nlistne = \"127.0.0.1:1\"\n", {}, "unknown key \"server.listne\"");
  expect_error("[server]\nbody_bytes_max = 0\n", {}, "expected a whole number from 1");
  expect_error("[server]\nbody_bytes_max = \"big\"\n", {}, "expected a whole number");
  expect_error("[log]\nlevel = \"loud\"\n", {}, "expected debug, info, warn or error");
  expect_error("debug = true\n", {}, "must be a table");
  expect_error("[server\n", {}, "c.toml:1");
  expect_error("", {{"CAMBISTA_SERVER_BODY_BYTES_MAX", "1e6"}}, "CAMBISTA_SERVER_BODY_BYTES_MAX");
  expect_error("", {{"CAMBISTA_SANDBOX_ENABLED", "yes"}}, "expected true or false");
  expect_error("", {{"CAMBISTA_DATABASE_URL", ""}}, "must not be empty");
}

TEST(ConfigTest, MissingFileIsAClearError) {
  auto config = LoadConfig("/nonexistent/cambista.toml", {});
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.error().ToString(),
            "/nonexistent/cambista.toml: cannot read the configuration file");
}

}  // namespace
}  // namespace cambista::app

namespace cambista::app {
namespace {

TEST(ConfigTest, MasterKeyFromTheEnvironmentWinsOverTheFile) {
  const std::string hex(64, 'a');
  auto config = LoadConfig(std::nullopt, {{"CAMBISTA_SECURITY_MASTER_KEY", hex},
                                          {"CAMBISTA_SECURITY_MASTER_KEY_FILE", "/nonexistent/k"}});
  ASSERT_TRUE(config.ok()) << config.error().ToString();
  auto source = MasterKeySourceOf(config.value());
  ASSERT_TRUE(source.ok()) << source.error();
  EXPECT_EQ(source.value().value_hex, hex);
  EXPECT_EQ(source.value().file, "");
  // A malformed key is refused without repeating it.
  auto bad = LoadConfig(std::nullopt, {{"CAMBISTA_SECURITY_MASTER_KEY", "secret-not-hex"}});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().ToString().find("secret-not-hex"), std::string::npos);
}

TEST(ConfigTest, RetentionDaysDefaultsToThirtyAndIsBounded) {
  auto defaults = LoadConfig(std::nullopt, {});
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults->retention_days, 30);

  auto from_file = LoadConfigText("[retention]\ndays = 3650\n", "c.toml", {});
  ASSERT_TRUE(from_file.ok()) << from_file.error().ToString();
  EXPECT_EQ(from_file->retention_days, 3650);
  auto from_environment =
      LoadConfigText("[retention]\ndays = 90\n", "c.toml", {{"CAMBISTA_RETENTION_DAYS", "1"}});
  ASSERT_TRUE(from_environment.ok()) << from_environment.error().ToString();
  EXPECT_EQ(from_environment->retention_days, 1);

  for (const char* toml : {"[retention]\ndays = 0\n", "[retention]\ndays = 3651\n",
                           "[retention]\ndays = -5\n", "[retention]\ndays = \"30\"\n"}) {
    auto refused = LoadConfigText(toml, "c.toml", {});
    ASSERT_FALSE(refused.ok()) << toml;
    EXPECT_NE(refused.error().ToString().find("c.toml:2: retention.days: expected"),
              std::string::npos)
        << refused.error().ToString();
  }
  auto bad_environment = LoadConfig(std::nullopt, {{"CAMBISTA_RETENTION_DAYS", "thirty"}});
  ASSERT_FALSE(bad_environment.ok());
  EXPECT_EQ(bad_environment.error().key, "CAMBISTA_RETENTION_DAYS");
  EXPECT_NE(bad_environment.error().message.find("from 1 to 3650"), std::string::npos);
}

// A gateway's fee as the providers module reads it from its configuration section.
payins::FeeSchedule FeeOf(const Config& config, const std::string& gateway) {
  return payins::ParseFeeSchedule(config.module_values.at("gateway_fees." + gateway), 2).value();
}

TEST(ConfigTest, GatewayFeesAreSchedulesAndTheEnvironmentWins) {
  auto defaults = LoadConfig(std::nullopt, {});
  ASSERT_TRUE(defaults.ok());
  for (const auto& [path, value] : defaults->module_values) {  // payins::DefaultFeeSchedule applies
    EXPECT_FALSE(path.starts_with("gateway_fees.")) << path;
  }

  auto config = LoadConfigText("[gateway_fees]\nsyncpay = \"0.99% + 0.50\"\nbuhopago = \"4%\"\n",
                               "c.toml", {{"CAMBISTA_GATEWAY_FEES_BUHOPAGO", "5% + 16% tax"}});
  ASSERT_TRUE(config.ok()) << config.error().ToString();
  const payins::FeeSchedule syncpay = FeeOf(*config, "syncpay");
  EXPECT_EQ(syncpay.rate_ppm, 9'900);
  EXPECT_EQ(syncpay.fixed_minor, 50);
  EXPECT_EQ(FeeOf(*config, "buhopago").tax_ppm, 160'000);

  auto refused = LoadConfigText("[gateway_fees]\nparadise = \"2 percent\"\n", "c.toml", {});
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().ToString().find("c.toml:2: gateway_fees.paradise: expected a fee"),
            std::string::npos)
      << refused.error().ToString();
  auto unknown = LoadConfigText("[gateway_fees]\nnosuchpay = \"1%\"\n", "c.toml", {});
  EXPECT_FALSE(unknown.ok());
}

TEST(ConfigTest, ResponseRecordingIsOffUnlessAFileIsNamed) {
  auto defaults = LoadConfigText("", "c.toml", {});
  ASSERT_TRUE(defaults.ok());
  EXPECT_TRUE(defaults->record_responses.empty());
  auto from_environment =
      LoadConfigText("", "c.toml", {{"CAMBISTA_TESTING_RECORD_RESPONSES", "/tmp/responses.jsonl"}});
  ASSERT_TRUE(from_environment.ok());
  EXPECT_EQ(from_environment->record_responses, "/tmp/responses.jsonl");
  EXPECT_TRUE(from_environment->ignored_environment.empty());
  auto from_file = LoadConfigText("[testing]\nrecord_responses = \"r.jsonl\"\n", "c.toml", {});
  ASSERT_TRUE(from_file.ok());
  EXPECT_EQ(from_file->record_responses, "r.jsonl");
}

}  // namespace
}  // namespace cambista::app
