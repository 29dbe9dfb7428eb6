// Idempotency-Key for every POST that creates or changes something. The first request with a key
// writes the key as "in flight" (committed), then runs its effect and completes the key with the
// response in the effect's own transaction. Afterwards the same key and the same request (method,
// path, body) from the same tenant replays the stored status and body byte for byte with
// `Idempotent-Replayed: true`; the same key with another request is 422 `idempotency_key_reused`;
// a key still in flight is 409 `idempotency_in_flight`. A request that fails (5xx, exception), or
// whose answer carries Retry-After (a condition that passes, such as 409 `charge_creating`),
// releases its key so it can be retried; a key left in flight by a crash can be taken again after
// kInFlightLeaseMs. Keys are kept at least 24 hours. Stored responses are sealed (SecretBox): a
// response may carry a secret shown once, such as a webhook signing secret.
//
// A handler may defer its response (Defer): the key stays in flight until the answer comes, which
// is then stored, or the key released on a 5xx or a lost Respond, as for an immediate response, on
// the thread that answers. If the server had answered 504 meanwhile, a retry with the same key
// learns the outcome. Under WrapCallingOut the database connection goes back to the pool while the
// answer is awaited. Under Wrap the effect's transaction stays open (and its connection held) until
// the answer, so the effect and the stored response still commit together; on SQLite that holds
// the write lock, so an effect that waits on the outside belongs in WrapCallingOut. The Idempotency
// must outlive the deferred responses in flight.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "api/auth.hpp"
#include "core/clock.hpp"
#include "security/secret_box.hpp"
#include "store/connection_pool.hpp"

namespace cambista::api {

inline constexpr int64_t kInFlightLeaseMs = 60'000;
inline constexpr int64_t kIdempotencyKeepMs = 24 * 3'600'000;  // keys are kept at least this long
inline constexpr size_t kIdempotencyKeyCharsMax = 255;

// A handler whose effect joins the transaction `tx` that also records the response.
using TransactionalHandler = std::function<http::HttpResponse(
    const http::HttpRequest&, const http::PathParams&, const Principal&, store::Connection& tx)>;

// Deletes at most rows_max keys created more than kIdempotencyKeepMs before now_ms, in one
// statement; returns how many. Run in batches by the periodic job "idempotency.purge" of
// `cambista serve`.
int64_t PurgeIdempotencyKeys(store::Connection& connection, int64_t now_ms,
                             int64_t rows_max = INT64_MAX);

// The associated data of a stored response body (idempotency_keys.response_body).
std::string IdempotencyResponseContext(std::string_view tenant, std::string_view key);

class Idempotency {
 public:
  Idempotency(store::Database& database, const Clock& clock, const SecretBox& box)
      : pool_(database), clock_(clock), box_(box) {}
  AuthorizedHandler Wrap(TransactionalHandler handler);
  // For effects that call out (a payment gateway) and must not hold a database transaction open
  // meanwhile: the handler runs outside any transaction and commits its own work, which it keys by
  // the Idempotency-Key so that a retry after a crash finds it; the response is stored afterwards.
  AuthorizedHandler WrapCallingOut(AuthorizedHandler handler);

 private:
  AuthorizedHandler Run(TransactionalHandler handler, bool effect_in_transaction);

  store::ConnectionPool pool_;
  const Clock& clock_;
  const SecretBox& box_;
};

}  // namespace cambista::api
