// The configuration keys a module owns (module/module.hpp): declared by the module, read from the
// file and the environment by the host (app/config.hpp) with the host's own keys, and handed to
// the module as checked text.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace cambista::module {

// One key of a module's configuration section, e.g. "gateway_fees.syncpay" (the file's table and
// key; the environment variable is CAMBISTA_GATEWAY_FEES_SYNCPAY). `check` answers the problem
// with a value for people ("expected a fee such as ..."), or nothing when it is good; the host
// refuses to start on a bad value and hands the module only checked text.
//
// A key with a `secret_variable` (a provider's credential) is read only from that environment
// variable, never from a file (a file that sets it is refused), and its check never repeats the
// value: the error names the variable alone.
struct ConfigKey {
  enum class Type { kString, kInteger, kBool };
  std::string path;
  Type type = Type::kString;
  std::function<std::optional<std::string>(std::string_view text)> check;
  std::string secret_variable = {};  // e.g. "CAMBISTA_HELEKET_PAYOUT_API_KEY"; empty: not a secret
};

// Checked values of the modules' keys, by path; a key that was not set is absent.
using ConfigValues = std::map<std::string, std::string, std::less<>>;

}  // namespace cambista::module
