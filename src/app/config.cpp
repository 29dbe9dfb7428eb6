#include "app/config.hpp"

#include <toml++/toml.h>
#include <cctype>
#include <charconv>
#include <fstream>
#include <functional>
#include <sstream>
#include <utility>
#include <vector>

#include "app/modules.hpp"

extern char** environ;

namespace cambista::app {
namespace {

using Setter = std::function<std::optional<std::string>(Config&, std::string_view text)>;

// Parses a whole decimal integer in [min, max]; no sign unless min < 0, no spaces.
std::optional<int64_t> ParseInteger(std::string_view text, int64_t min, int64_t max) {
  int64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value < min || value > max) {
    return std::nullopt;
  }
  return value;
}

std::optional<std::string> SetInteger(int64_t& field, std::string_view text, int64_t min,
                                      int64_t max) {
  const auto value = ParseInteger(text, min, max);
  if (!value) {
    return "expected a whole number from " + std::to_string(min) + " to " + std::to_string(max) +
           ", got \"" + std::string(text) + "\"";
  }
  field = *value;
  return std::nullopt;
}

}  // namespace

std::optional<std::string> SetListen(Config& config, std::string_view text) {
  const size_t colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0) {
    return "expected HOST:PORT (e.g. 127.0.0.1:8080), got \"" + std::string(text) + "\"";
  }
  std::string_view host = text.substr(0, colon);
  if (host.front() == '[') {
    if (host.size() < 3 || host.back() != ']')
      return "malformed [IPv6] host in \"" + std::string(text) + "\"";
    host = host.substr(1, host.size() - 2);
  }
  for (char c : host) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '-' || c == ':';
    if (!ok) return "host \"" + std::string(host) + "\" has a character that is not allowed";
  }
  const auto port = ParseInteger(text.substr(colon + 1), 0, 65535);
  if (!port) return "port must be a number from 0 to 65535 in \"" + std::string(text) + "\"";
  config.listen_host = std::string(host);
  config.listen_port = static_cast<uint16_t>(*port);
  return std::nullopt;
}

namespace {

std::optional<std::string> SetBool(bool& field, std::string_view text) {
  if (text == "true" || text == "1")
    field = true;
  else if (text == "false" || text == "0")
    field = false;
  else
    return "expected true or false, got \"" + std::string(text) + "\"";
  return std::nullopt;
}

struct Key {
  std::string path;  // "table.key"
  enum class Type { kString, kInteger, kBool } type;
  Setter set;
};

// The keys, a table per section; Keys() is all of them.
std::vector<Key> DatabaseAndServerKeys() {
  return {
      {"database.url", Key::Type::kString,
       [](Config& c, std::string_view v) -> std::optional<std::string> {
         if (v.empty()) return "must not be empty";
         c.database_url = std::string(v);
         return std::nullopt;
       }},
      {"server.listen", Key::Type::kString, SetListen},
      {"server.body_bytes_max", Key::Type::kInteger,
       [](Config& c, std::string_view v) { return SetInteger(c.body_bytes_max, v, 1, 1LL << 30); }},
      {"server.header_bytes_max", Key::Type::kInteger,
       [](Config& c, std::string_view v) {
         return SetInteger(c.header_bytes_max, v, 1024, 1 << 20);
       }},
      {"server.request_timeout_ms", Key::Type::kInteger,
       [](Config& c, std::string_view v) {
         return SetInteger(c.request_timeout_ms, v, 1, 3'600'000);
       }},
      {"server.shutdown_grace_ms", Key::Type::kInteger,
       [](Config& c, std::string_view v) {
         return SetInteger(c.shutdown_grace_ms, v, 0, 3'600'000);
       }},
      {"server.io_threads", Key::Type::kInteger,
       [](Config& c, std::string_view v) { return SetInteger(c.io_threads, v, 1, 64); }},
      {"server.worker_threads", Key::Type::kInteger,
       [](Config& c, std::string_view v) { return SetInteger(c.worker_threads, v, 1, 256); }},
      {"server.public_url", Key::Type::kString,
       [](Config& c, std::string_view v) -> std::optional<std::string> {
         if (!v.empty() && !v.starts_with("http://") && !v.starts_with("https://")) {
           return "expected an http:// or https:// URL";
         }
         c.public_url = std::string(v);
         while (c.public_url.ends_with('/')) c.public_url.pop_back();
         return std::nullopt;
       }},
  };
}

std::vector<Key> SandboxKeys() {
  return {
      {"sandbox.enabled", Key::Type::kBool,
       [](Config& c, std::string_view v) { return SetBool(c.sandbox, v); }},
  };
}

// A module's key: checked by the module, kept as text for it.
Key ModuleKey(module::ConfigKey key) {
  const Key::Type type = key.type == module::ConfigKey::Type::kInteger ? Key::Type::kInteger
                         : key.type == module::ConfigKey::Type::kBool  ? Key::Type::kBool
                                                                       : Key::Type::kString;
  return {key.path, type,
          [path = key.path, check = std::move(key.check)](
              Config& c, std::string_view v) -> std::optional<std::string> {
            if (auto problem = check(v)) return problem;
            c.module_values[path] = std::string(v);
            return std::nullopt;
          }};
}

std::vector<Key> SecurityAndRateLimitKeys() {
  return {
      {"security.master_key", Key::Type::kString,
       [](Config& c, std::string_view v) -> std::optional<std::string> {
         // The message never repeats the value: it is a secret.
         if (!v.empty() && (v.size() != 64 || v.find_first_not_of("0123456789abcdefABCDEF") !=
                                                  std::string_view::npos)) {
           return "expected 64 hexadecimal characters";
         }
         c.master_key_hex = std::string(v);
         return std::nullopt;
       }},
      {"security.master_key_file", Key::Type::kString,
       [](Config& c, std::string_view v) -> std::optional<std::string> {
         c.master_key_file = std::string(v);
         return std::nullopt;
       }},
      {"rate_limit.key_burst", Key::Type::kInteger,
       [](Config& c, std::string_view v) { return SetInteger(c.rate_key_burst, v, 1, 1'000'000); }},
      {"rate_limit.key_per_second", Key::Type::kInteger,
       [](Config& c, std::string_view v) {
         return SetInteger(c.rate_key_per_second, v, 1, 1'000'000);
       }},
      {"rate_limit.ip_burst", Key::Type::kInteger,
       [](Config& c, std::string_view v) { return SetInteger(c.rate_ip_burst, v, 1, 1'000'000); }},
      {"rate_limit.ip_per_second", Key::Type::kInteger,
       [](Config& c, std::string_view v) {
         return SetInteger(c.rate_ip_per_second, v, 1, 1'000'000);
       }},
  };
}

std::vector<Key> WebhookAndOperationKeys() {
  return {
      {"webhooks.attempts_max", Key::Type::kInteger,
       [](Config& c, std::string_view v) { return SetInteger(c.webhook_attempts_max, v, 1, 100); }},
      {"webhooks.retry_base_ms", Key::Type::kInteger,
       [](Config& c, std::string_view v) {
         return SetInteger(c.webhook_retry_base_ms, v, 1, 86'400'000);
       }},
      {"webhooks.timeout_ms", Key::Type::kInteger,
       [](Config& c, std::string_view v) {
         return SetInteger(c.webhook_timeout_ms, v, 100, 120'000);
       }},
      {"webhooks.allow_private_addresses", Key::Type::kBool,
       [](Config& c, std::string_view v) { return SetBool(c.webhook_allow_private_addresses, v); }},
      {"retention.days", Key::Type::kInteger,
       [](Config& c, std::string_view v) { return SetInteger(c.retention_days, v, 1, 3'650); }},
      {"testing.record_responses", Key::Type::kString,
       [](Config& c, std::string_view v) -> std::optional<std::string> {
         c.record_responses = std::string(v);
         return std::nullopt;
       }},
      {"log.level", Key::Type::kString,
       [](Config& c, std::string_view v) -> std::optional<std::string> {
         if (v != "debug" && v != "info" && v != "warn" && v != "error") {
           return "expected debug, info, warn or error, got \"" + std::string(v) + "\"";
         }
         c.log_level = std::string(v);
         return std::nullopt;
       }},
  };
}

const std::vector<Key>& Keys() {
  static const std::vector<Key> keys = [] {
    std::vector<Key> all;
    for (std::vector<Key> (*table)() :
         {DatabaseAndServerKeys, SandboxKeys, SecurityAndRateLimitKeys, WebhookAndOperationKeys}) {
      std::vector<Key> keys_of_table = table();
      all.insert(all.end(), std::make_move_iterator(keys_of_table.begin()),
                 std::make_move_iterator(keys_of_table.end()));
    }
    for (module::ConfigKey& key : ModuleConfigKeys()) all.push_back(ModuleKey(std::move(key)));
    return all;
  }();
  return keys;
}

// "server.body_bytes_max" -> "CAMBISTA_SERVER_BODY_BYTES_MAX".
std::string EnvironmentName(std::string_view path) {
  std::string name = "CAMBISTA_";
  for (char c : path) name.push_back(c == '.' ? '_' : static_cast<char>(std::toupper(c)));
  return name;
}

const Key* FindKey(std::string_view path) {
  for (const Key& key : Keys()) {
    if (path == key.path) return &key;
  }
  return nullptr;
}

// The TOML value as the text a setter parses, or an error naming the expected type.
std::optional<std::string> ValueText(const toml::node& node, Key::Type type, std::string& text) {
  switch (type) {
    case Key::Type::kString:
      if (!node.is_string()) return "expected a string";
      text = node.as_string()->get();
      return std::nullopt;
    case Key::Type::kInteger:
      if (!node.is_integer()) return "expected a whole number";
      text = std::to_string(node.as_integer()->get());
      return std::nullopt;
    case Key::Type::kBool:
      if (!node.is_boolean()) return "expected true or false";
      text = node.as_boolean()->get() ? "true" : "false";
      return std::nullopt;
  }
  return "unsupported type";
}

std::string Where(std::string_view file_name, const toml::node& node) {
  return std::string(file_name) + ":" + std::to_string(node.source().begin.line);
}

// Every key of a section, a table within it read as part of the path:
// [payouts.approval_thresholds] USDT = "..." is the key "payouts.approval_thresholds.USDT".
std::optional<ConfigError> ApplyTable(Config& config, const toml::table& table,
                                      const std::string& prefix, std::string_view file_name) {
  for (const auto& [key_name, value] : table) {
    const std::string path = prefix + std::string(key_name.str());
    const Key* key = FindKey(path);
    if (key == nullptr && value.is_table()) {
      if (auto error = ApplyTable(config, *value.as_table(), path + ".", file_name)) return error;
      continue;
    }
    if (key == nullptr) {
      return ConfigError{Where(file_name, value), "unknown key \"" + path + "\""};
    }
    std::string text;
    if (auto error = ValueText(value, key->type, text)) {
      return ConfigError{Where(file_name, value), path + ": " + *error};
    }
    if (auto error = key->set(config, text)) {
      return ConfigError{Where(file_name, value), path + ": " + *error};
    }
  }
  return std::nullopt;
}

}  // namespace

Result<std::string, ConfigError> MasterKeyPath(const Config& config) {
  if (!config.master_key_file.empty()) return config.master_key_file;
  for (std::string_view prefix : {"sqlite://", "sqlite:"}) {
    if (std::string_view(config.database_url).starts_with(prefix)) {
      return config.database_url.substr(prefix.size()) + ".key";
    }
  }
  return Failure{ConfigError{"security.master_key_file",
                             "required with PostgreSQL (a path outside the database; it is created "
                             "with a new key if missing)"}};
}

Environment EnvironmentFromProcess() {
  Environment environment;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    const std::string_view text(*entry);
    const size_t equals = text.find('=');
    if (equals == std::string_view::npos || !text.starts_with("CAMBISTA_")) continue;
    environment.emplace(std::string(text.substr(0, equals)), std::string(text.substr(equals + 1)));
  }
  return environment;
}

Result<Config, ConfigError> LoadConfigText(std::string_view toml_text, std::string_view file_name,
                                           const Environment& environment) {
  Config config;
  toml::table table;
  try {
    table = toml::parse(toml_text, file_name);
  } catch (const toml::parse_error& error) {
    return Failure{
        ConfigError{std::string(file_name) + ":" + std::to_string(error.source().begin.line),
                    std::string(error.description())}};
  }
  for (const auto& [section_name, section] : table) {
    if (!section.is_table()) {
      return Failure{ConfigError{
          Where(file_name, section),
          "\"" + std::string(section_name.str()) + "\" must be a table such as [server]"}};
    }
    if (auto error = ApplyTable(config, *section.as_table(), std::string(section_name.str()) + ".",
                                file_name)) {
      return Failure{std::move(*error)};
    }
  }
  for (const auto& [name, value] : environment) {
    if (!name.starts_with("CAMBISTA_")) continue;
    const Key* key = nullptr;
    for (const Key& candidate : Keys()) {
      if (EnvironmentName(candidate.path) == name) key = &candidate;
    }
    if (key == nullptr) {  // e.g. CAMBISTA_TEST_PG_URL of the test scripts: reported, not fatal
      config.ignored_environment.push_back(name);
      continue;
    }
    if (auto error = key->set(config, value)) return Failure{ConfigError{name, *error}};
  }
  return config;
}

Result<Config, ConfigError> LoadConfig(const std::optional<std::string>& file_path,
                                       const Environment& environment) {
  if (!file_path) return LoadConfigText("", "(no file)", environment);
  std::ifstream file(*file_path);
  if (!file) return Failure{ConfigError{*file_path, "cannot read the configuration file"}};
  std::stringstream text;
  text << file.rdbuf();
  return LoadConfigText(text.str(), *file_path, environment);
}

}  // namespace cambista::app
