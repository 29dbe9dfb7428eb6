#include "security/totp.hpp"

#include <array>

#include "core/assert.hpp"

namespace cambista {
namespace {

constexpr std::array<int64_t, 9> kPowersOfTen = {1,       10,        100,        1'000,      10'000,
                                                 100'000, 1'000'000, 10'000'000, 100'000'000};

void CheckParams(const TotpParams& params) {
  CAMBISTA_CHECK(params.digits >= 6 && params.digits <= 8);
  CAMBISTA_CHECK(params.step_seconds >= 1);
  CAMBISTA_CHECK(params.window_steps >= 0 && params.window_steps <= 10);
}

std::string_view AlgorithmName(HashAlgorithm algorithm) {
  switch (algorithm) {
    case HashAlgorithm::kSha1:
      return "SHA1";
    case HashAlgorithm::kSha256:
      return "SHA256";
    case HashAlgorithm::kSha512:
      return "SHA512";
  }
  return "SHA1";
}

void AppendPercentEncoded(std::string& out, std::string_view text) {
  constexpr std::string_view kHex = "0123456789ABCDEF";
  for (char c : text) {
    const auto byte = static_cast<uint8_t>(c);
    const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                            (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved) {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kHex[byte >> 4]);
      out.push_back(kHex[byte & 0xF]);
    }
  }
}

}  // namespace

std::string_view TotpErrorCode(TotpError error) {
  switch (error) {
    case TotpError::kInvalidSecret:
      return "invalid_secret";
    case TotpError::kSecretTooShort:
      return "secret_too_short";
    case TotpError::kSecretTooLong:
      return "secret_too_long";
    case TotpError::kInvalidCodeFormat:
      return "invalid_code_format";
    case TotpError::kWrongCode:
      return "wrong_code";
    case TotpError::kReplayedCode:
      return "replayed_code";
  }
  return "unknown";
}

TotpSecret TotpSecret::Generate() {
  return TotpSecret(RandomBytes(kTotpSecretBytes));
}

Result<TotpSecret, TotpError> TotpSecret::FromBase32(std::string_view text) {
  // Cheap cap before decoding: base32 needs 8 characters per 5 bytes, padding included.
  if (text.size() > (kTotpSecretBytesMax + 4) / 5 * 8) return Failure{TotpError::kSecretTooLong};
  auto bytes = Base32Decode(text);
  if (!bytes) return Failure{TotpError::kInvalidSecret};
  return FromBytes(*bytes);
}

Result<TotpSecret, TotpError> TotpSecret::FromBytes(std::string_view bytes) {
  if (bytes.size() < kTotpSecretBytesMin) return Failure{TotpError::kSecretTooShort};
  if (bytes.size() > kTotpSecretBytesMax) return Failure{TotpError::kSecretTooLong};
  return TotpSecret(std::string(bytes));
}

int64_t TotpStep(int64_t unix_seconds, const TotpParams& params) {
  CheckParams(params);
  int64_t step = unix_seconds / params.step_seconds;
  if (unix_seconds % params.step_seconds != 0 && unix_seconds < 0) --step;
  return step;
}

std::string TotpCodeForStep(const TotpSecret& secret, int64_t step, const TotpParams& params) {
  CheckParams(params);
  // RFC 4226 section 5.3: HMAC over the 8-byte big-endian counter, then dynamic truncation.
  std::string counter(8, '\0');
  auto value = static_cast<uint64_t>(step);
  for (int i = 7; i >= 0; --i) {
    counter[static_cast<size_t>(i)] = static_cast<char>(value & 0xFF);
    value >>= 8;
  }
  const std::string mac = Hmac(params.algorithm, secret.bytes(), counter);
  const size_t offset = static_cast<uint8_t>(mac.back()) & 0x0F;
  const uint32_t binary = (static_cast<uint32_t>(static_cast<uint8_t>(mac[offset]) & 0x7F) << 24) |
                          (static_cast<uint32_t>(static_cast<uint8_t>(mac[offset + 1])) << 16) |
                          (static_cast<uint32_t>(static_cast<uint8_t>(mac[offset + 2])) << 8) |
                          static_cast<uint32_t>(static_cast<uint8_t>(mac[offset + 3]));
  int64_t code = binary % kPowersOfTen[static_cast<size_t>(params.digits)];
  std::string out(static_cast<size_t>(params.digits), '0');
  for (size_t i = out.size(); i-- > 0 && code > 0;) {
    out[i] = static_cast<char>('0' + code % 10);
    code /= 10;
  }
  return out;
}

std::string TotpCode(const TotpSecret& secret, int64_t unix_seconds, const TotpParams& params) {
  return TotpCodeForStep(secret, TotpStep(unix_seconds, params), params);
}

Result<int64_t, TotpError> VerifyTotp(const TotpSecret& secret, std::string_view code,
                                      const Clock& clock, std::optional<int64_t> last_accepted_step,
                                      const TotpParams& params) {
  CheckParams(params);
  if (code.size() != static_cast<size_t>(params.digits)) {
    return Failure{TotpError::kInvalidCodeFormat};
  }
  for (char c : code) {
    if (c < '0' || c > '9') return Failure{TotpError::kInvalidCodeFormat};
  }
  int64_t now_seconds = clock.NowNs() / 1'000'000'000;
  if (clock.NowNs() < 0 && clock.NowNs() % 1'000'000'000 != 0) --now_seconds;
  const int64_t current_step = TotpStep(now_seconds, params);
  // Every candidate is computed and compared, whatever matches, so the time taken does not say
  // which step (if any) matched. The latest matching step wins.
  std::optional<int64_t> matched_step;
  for (int64_t step = current_step - params.window_steps;
       step <= current_step + params.window_steps; ++step) {
    if (ConstantTimeEquals(TotpCodeForStep(secret, step, params), code)) matched_step = step;
  }
  if (!matched_step) return Failure{TotpError::kWrongCode};
  if (last_accepted_step && *matched_step <= *last_accepted_step) {
    return Failure{TotpError::kReplayedCode};
  }
  return *matched_step;
}

std::string BuildTotpUri(std::string_view issuer, std::string_view account,
                         const TotpSecret& secret, const TotpParams& params) {
  CheckParams(params);
  std::string uri = "otpauth://totp/";
  if (!issuer.empty()) {
    AppendPercentEncoded(uri, issuer);
    uri.push_back(':');
  }
  AppendPercentEncoded(uri, account);
  uri.append("?secret=").append(secret.ToBase32());
  if (!issuer.empty()) {
    uri.append("&issuer=");
    AppendPercentEncoded(uri, issuer);
  }
  uri.append("&algorithm=").append(AlgorithmName(params.algorithm));
  uri.append("&digits=").append(std::to_string(params.digits));
  uri.append("&period=").append(std::to_string(params.step_seconds));
  return uri;
}

}  // namespace cambista
