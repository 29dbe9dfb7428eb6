// Names of an enum's values, for the edges (JSON, SQL, the command line): a table of names indexed
// by the value, printed by indexing and parsed by ParseEnumName. Inside, a value stays an enum.
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <string_view>

#include "core/ascii.hpp"

namespace cambista {

enum class NameCase { kExact, kIgnored };

// The value whose name is `name` (names[i] names the value i); nullopt for anything else.
template <class Enum, size_t N>
std::optional<Enum> ParseEnumName(const std::array<std::string_view, N>& names,
                                  std::string_view name, NameCase name_case = NameCase::kIgnored) {
  for (size_t i = 0; i < N; ++i) {
    const bool same =
        name_case == NameCase::kExact ? names[i] == name : EqualsIgnoringAsciiCase(names[i], name);
    if (same) return static_cast<Enum>(i);
  }
  return std::nullopt;
}

}  // namespace cambista
