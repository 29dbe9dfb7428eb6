// JSON string escaping, shared by the structured logger and anything else that writes JSON by hand.
//
// Log messages and field values carry outside data (provider payloads, request paths), so the
// output must stay one valid JSON string whatever the bytes are: quote and backslash are escaped,
// every control character becomes \u00XX (so a newline can never split a log line), and each byte
// that is not part of well-formed UTF-8 (overlong forms, surrogates, code points above U+10FFFF,
// truncated sequences) becomes U+FFFD. Appending to a caller's buffer keeps the hot path free of
// allocations.
#pragma once

#include <string>
#include <string_view>

namespace cambista::obs {

// Appends `text` as a quoted JSON string.
void AppendJsonString(std::string& out, std::string_view text);

}  // namespace cambista::obs
