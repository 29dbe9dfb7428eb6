// Heleket's signatures (Cryptomus-compatible), shared by the adapter and the simulator.
//
// Requests: the header `sign` is lower-hex md5(base64(raw_body) + key) (an empty body signs the key
// alone). Callbacks carry `sign` inside their JSON: the sender (PHP) removes nothing, it signs
// json_encode($data) of the payload without `sign`, then adds `sign`. PHP's json_encode keeps the
// keys' order, writes no spaces, escapes `/` as `\/` (and `"`, `\`, control characters, U+2028
// and U+2029) and, with JSON_UNESCAPED_UNICODE, leaves other characters as they are. A receiver
// can rebuild the signed text two ways: cut the `sign` member out of the raw text (right when the
// body is exactly what was signed), or re-encode the parsed payload the PHP way (right when the
// body went through another encoder on its way). HeleketCallbackSignatureValid accepts either,
// nothing else, and compares in constant time.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "payins/provider_json.hpp"

namespace cambista::payouts {

inline constexpr std::string_view kHeleketSignField = "sign";

// Lower-hex md5(base64(text) + key).
std::string HeleketSign(std::string_view text, std::string_view key);

// `text` as PHP's json_encode(..., JSON_UNESCAPED_UNICODE) writes a string, quotes included.
std::string HeleketPhpString(std::string_view text);
// The value re-encoded as PHP would after json_decode($raw, true): compact, keys in order, strings
// as HeleketPhpString, numbers as written, and an empty object as `[]` (PHP decodes it into an
// empty array). The top-level member `skip_key` (when not empty) is left out.
std::string HeleketPhpJson(const payins::JsonNode& node, std::string_view skip_key = {});
// The raw text of a JSON object (already parsed, so known to be valid) with its top-level member
// `key` and one adjacent comma removed, and without whitespace around the object; nullopt when
// there is no such member written plainly.
std::optional<std::string> CutTopLevelMember(std::string_view raw, std::string_view key);

// `unsigned_json` (a PHP-encoded object) with `"sign":"<HeleketSign(unsigned_json, key)>"`
// added as its last member: a callback as Heleket sends it.
std::string HeleketSignCallback(std::string_view unsigned_json, std::string_view key);

// True when `presented` (hex, either case) is the signature of the callback `raw` (parsed as
// `root`) without its sign, in either rebuilt form.
bool HeleketCallbackSignatureValid(std::string_view raw, const payins::JsonNode& root,
                                   std::string_view presented, std::string_view key);

}  // namespace cambista::payouts
