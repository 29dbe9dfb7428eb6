// TOTP (RFC 6238) second factor: secrets, codes, verification with replay protection, enrollment
// URIs.
//
// A TotpSecret is the shared key, made from the CSPRNG (20 bytes, RFC 4226's recommended 160 bits)
// and handed to the user's authenticator app as base32 inside an `otpauth://` URI. The defaults
// (HMAC-SHA1, 30 s steps, 6 digits) are what every authenticator app supports; SHA-256/512 and 7-8
// digits are there for apps that support them. VerifyTotp accepts the code of the current step and
// of `window_steps` steps on each side (clock drift between phone and server), compares every
// candidate in constant time, and rejects a code whose step is not after the last step the caller
// accepted for this user: a code seen once (shoulder-surfed, phished, replayed from a log) cannot
// be used again, and neither can an older one. The caller stores the returned step with the user
// and passes it back next time. A 6-digit code with a window of 1 gives a guesser 3 in a million
// per try, so the caller must also rate-limit attempts per user (see token_bucket.hpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "core/clock.hpp"
#include "core/result.hpp"
#include "security/hmac.hpp"

namespace cambista {

inline constexpr size_t kTotpSecretBytes = 20;
inline constexpr size_t kTotpSecretBytesMin = 16;  // RFC 4226 section 4: at least 128 bits
inline constexpr size_t kTotpSecretBytesMax = 64;

// Stable error codes: the numbers are persisted and shown to clients; never change or reuse one.
enum class TotpError : uint16_t {
  kInvalidSecret = 1,      // not base32
  kSecretTooShort = 2,     // fewer than kTotpSecretBytesMin bytes
  kSecretTooLong = 3,      // more than kTotpSecretBytesMax bytes
  kInvalidCodeFormat = 4,  // not exactly `digits` ASCII digits
  kWrongCode = 5,          // no step in the window has this code
  kReplayedCode = 6,       // the code's step is not after the last accepted step
};

// Stable snake_case code, e.g. "replayed_code".
std::string_view TotpErrorCode(TotpError error);

// Configuration, not input: values outside the documented ranges fail a CAMBISTA_CHECK.
struct TotpParams {
  HashAlgorithm algorithm = HashAlgorithm::kSha1;
  int digits = 6;             // 6..8
  int64_t step_seconds = 30;  // >= 1
  int window_steps = 1;       // 0..10 steps accepted on each side of the current one
};

class TotpSecret {
 public:
  // 20 fresh bytes from the CSPRNG.
  static TotpSecret Generate();
  // Base32 as shown to users, either case, with or without padding.
  static Result<TotpSecret, TotpError> FromBase32(std::string_view text);
  static Result<TotpSecret, TotpError> FromBytes(std::string_view bytes);

  // Upper case, no padding: what authenticator apps expect.
  std::string ToBase32() const { return Base32Encode(bytes_); }
  const std::string& bytes() const { return bytes_; }

 private:
  explicit TotpSecret(std::string bytes) : bytes_(std::move(bytes)) {}
  std::string bytes_;
};

inline TotpSecret GenerateTotpSecret() {
  return TotpSecret::Generate();
}

// The step containing `unix_seconds` (floor division, also before 1970).
int64_t TotpStep(int64_t unix_seconds, const TotpParams& params = {});
// The zero-padded code for a step, and for the step containing `unix_seconds`.
std::string TotpCodeForStep(const TotpSecret& secret, int64_t step, const TotpParams& params = {});
std::string TotpCode(const TotpSecret& secret, int64_t unix_seconds, const TotpParams& params = {});

// Checks `code` against the steps around clock.Now. On success returns the matched step: store it
// and pass it as `last_accepted_step` next time (nullopt for a user who never passed one).
Result<int64_t, TotpError> VerifyTotp(const TotpSecret& secret, std::string_view code,
                                      const Clock& clock, std::optional<int64_t> last_accepted_step,
                                      const TotpParams& params = {});

// otpauth://totp/<issuer>:<account>?secret=...&issuer=...&algorithm=SHA1&digits=6&period=30, with
// issuer and account percent-encoded (RFC 3986 unreserved characters kept). An empty issuer leaves
// out both the label prefix and the parameter.
std::string BuildTotpUri(std::string_view issuer, std::string_view account,
                         const TotpSecret& secret, const TotpParams& params = {});

}  // namespace cambista
