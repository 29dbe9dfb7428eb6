#include "api/idempotency.hpp"

#include <strings.h>

#include <optional>

#include "http/problem.hpp"
#include "security/hmac.hpp"

namespace cambista::api {
namespace {

bool IsWellFormedKey(std::string_view key) {
  if (key.empty() || key.size() > kIdempotencyKeyCharsMax) return false;
  for (char c : key) {
    if (c < 0x21 || c > 0x7e) return false;  // visible ASCII
  }
  return true;
}

// A key's row as found when a request claims it.
struct StoredKey {
  std::string request_hash;
  int64_t state = 0;  // 0: in flight, 1: completed with the response below
  int64_t locked_until_ms = 0;
  http::HttpResponse response;  // status and content type; the body still sealed
  std::string sealed_body;
};

// One request's hold on its Idempotency-Key, from the claim to the stored response or the release:
// used by the thread that ran the handler, then, for a deferred response, by the one that answers
// (the hand-over through Respond orders the two). Released when destroyed unfinished (the handler
// threw, or its Respond was lost), so the key can be retried.
class KeyHold {
 public:
  KeyHold(store::ConnectionPool& pool, const SecretBox& box, std::string_view tenant,
          std::string key)
      : pool_(pool),
        box_(box),
        tenant_(tenant),
        key_(std::move(key)),
        place_(IdempotencyResponseContext(tenant_, key_)) {}
  KeyHold(const KeyHold&) = delete;
  KeyHold& operator=(const KeyHold&) = delete;
  ~KeyHold() {
    effect_.reset();  // rolled back unless committed
    if (!claimed_ || finished_) return;
    try {
      Release();
    } catch (...) {  // the lease of the key lets a retry take it after kInFlightLeaseMs anyway
    }
  }

  // Takes the key for this request: nullopt, or else the answer instead of running the handler
  // (the stored response replayed, 409 while in flight, 422 for another request).
  std::optional<http::HttpResponse> Claim(const std::string& request_hash, int64_t now_ms);
  store::Connection& connection() {
    if (!lease_) lease_.emplace(pool_.Acquire());
    return **lease_;
  }
  void BeginEffect() { effect_.emplace(connection(), store::TransactionMode::kWrite); }
  // While a deferred response is awaited with no effect transaction open: the connection goes back
  // to the pool rather than wait idle with it.
  void PutConnectionBack() { lease_.reset(); }
  // Stores `response` with the effect and commits both; a 5xx instead rolls the effect back and
  // releases the key (a server failure frees the key for a retry).
  void Finish(const http::HttpResponse& response);

 private:
  std::optional<StoredKey> Lookup(store::Connection& c);
  http::HttpResponse Replay(StoredKey stored) const;
  void Release() {
    connection().Execute(
        "DELETE FROM idempotency_keys WHERE tenant = $1 AND idempotency_key = $2 AND state = 0",
        {std::string_view(tenant_), std::string_view(key_)});
  }

  store::ConnectionPool& pool_;
  const SecretBox& box_;
  const std::string tenant_;
  const std::string key_;
  const std::string place_;  // what the stored body is sealed to
  std::optional<store::ConnectionPool::Lease> lease_;
  std::optional<store::Transaction> effect_;  // on lease_'s connection: declared after it
  bool claimed_ = false;
  bool finished_ = false;
};

std::optional<StoredKey> KeyHold::Lookup(store::Connection& c) {
  std::optional<StoredKey> stored;
  const bool postgres = c.backend() == store::Backend::kPostgres;
  c.Query(std::string("SELECT request_hash, state, response_status, response_content_type, "
                      "response_body, locked_until_ms FROM idempotency_keys WHERE tenant = $1 "
                      "AND idempotency_key = $2") +
              (postgres ? " FOR UPDATE" : ""),
          {std::string_view(tenant_), std::string_view(key_)}, [&](const store::Row& row) {
            stored.emplace();
            stored->request_hash = row.Bytes(0);
            stored->state = row.Int64(1);
            if (stored->state == 1) {
              stored->response.status = static_cast<int>(row.Int64(2));
              stored->response.content_type = std::string(row.Text(3));
              stored->sealed_body = row.Bytes(4);
            }
            stored->locked_until_ms = row.Int64(5);
          });
  return stored;
}

http::HttpResponse KeyHold::Replay(StoredKey stored) const {
  auto body = box_.Open(stored.sealed_body, place_);
  if (!body.ok()) {  // sealed under another master key: cannot replay, say so
    return http::Problem(500, "internal_error", "Stored response unreadable",
                         "The stored response of this Idempotency-Key cannot be read.");
  }
  stored.response.body = std::move(body).value();
  stored.response.headers.emplace_back("Idempotent-Replayed", "true");
  return std::move(stored.response);
}

std::optional<http::HttpResponse> KeyHold::Claim(const std::string& request_hash, int64_t now_ms) {
  store::Connection& c = connection();
  store::Transaction claim(c, store::TransactionMode::kWrite);
  std::optional<StoredKey> stored = Lookup(c);
  if (stored && stored->request_hash != request_hash) {
    return http::Problem(422, "idempotency_key_reused", "Idempotency-Key reused",
                         "This Idempotency-Key was used with a different request.");
  }
  if (stored && stored->state == 1) return Replay(std::move(*stored));
  if (stored && stored->locked_until_ms > now_ms) {
    return http::Problem(
        409, "idempotency_in_flight", "Request in flight",
        "A request with this Idempotency-Key is still being processed; retry later.");
  }
  if (stored) {  // left in flight by a process that died: take it over
    c.Execute(
        "UPDATE idempotency_keys SET locked_until_ms = $3 WHERE tenant = $1 AND "
        "idempotency_key = $2",
        {std::string_view(tenant_), std::string_view(key_), now_ms + kInFlightLeaseMs});
  } else {
    try {
      c.Execute(
          "INSERT INTO idempotency_keys (tenant, idempotency_key, request_hash, state, "
          "created_at_ms, locked_until_ms) VALUES ($1, $2, $3, 0, $4, $5)",
          {std::string_view(tenant_), std::string_view(key_), store::Blob{request_hash}, now_ms,
           now_ms + kInFlightLeaseMs});
    } catch (const store::Error& error) {
      if (error.kind() != store::Error::Kind::kConstraint) throw;
      return http::Problem(409, "idempotency_in_flight", "Request in flight",
                           "A request with this Idempotency-Key is being processed; retry later.");
    }
  }
  claim.Commit();
  claimed_ = true;
  return std::nullopt;
}

// A response with Retry-After says its condition passes (a charge still being created): kept, it
// would answer every retry of the key with that condition long after it passed.
bool IsTemporary(const http::HttpResponse& response) {
  for (const auto& [name, value] : response.headers) {
    if (name.size() == 11 && strncasecmp(name.c_str(), "Retry-After", 11) == 0) return true;
  }
  return false;
}

void KeyHold::Finish(const http::HttpResponse& response) {
  if (response.status < 500 && !IsTemporary(response)) {
    if (!effect_) BeginEffect();
    connection().Execute(
        "UPDATE idempotency_keys SET state = 1, response_status = $3, "
        "response_content_type = $4, response_body = $5 WHERE tenant = $1 AND "
        "idempotency_key = $2 AND state = 0",
        {std::string_view(tenant_), std::string_view(key_), static_cast<int64_t>(response.status),
         std::string_view(response.content_type), store::Blob{box_.Seal(response.body, place_)}});
    effect_->Commit();
  } else {
    effect_.reset();  // rolled back
    Release();
  }
  finished_ = true;
  effect_.reset();
  lease_.reset();
}

}  // namespace

int64_t PurgeIdempotencyKeys(store::Connection& connection, int64_t now_ms, int64_t rows_max) {
  // An old key still in flight belongs to a request that died long ago: it goes too.
  return connection.Execute(
      "DELETE FROM idempotency_keys WHERE (tenant, idempotency_key) IN (SELECT tenant, "
      "idempotency_key FROM idempotency_keys WHERE created_at_ms < $1 LIMIT $2)",
      {now_ms - kIdempotencyKeepMs, rows_max});
}

std::string IdempotencyResponseContext(std::string_view tenant, std::string_view key) {
  return "idempotency_keys.response:" + std::string(tenant) + ":" + std::string(key);
}

AuthorizedHandler Idempotency::Wrap(TransactionalHandler handler) {
  return Run(std::move(handler), /*effect_in_transaction=*/true);
}

AuthorizedHandler Idempotency::WrapCallingOut(AuthorizedHandler handler) {
  return Run([handler = std::move(handler)](
                 const http::HttpRequest& request, const http::PathParams& params,
                 const Principal& principal,
                 store::Connection&) { return handler(request, params, principal); },
             /*effect_in_transaction=*/false);
}

AuthorizedHandler Idempotency::Run(TransactionalHandler handler, bool effect_in_transaction) {
  return [this, handler = std::move(handler), effect_in_transaction](
             const http::HttpRequest& request, const http::PathParams& params,
             const Principal& principal) -> http::HttpResponse {
    std::string key(request.Header("Idempotency-Key"));
    if (!IsWellFormedKey(key)) {
      return http::Problem(
          400, "invalid_request", "Idempotency-Key required",
          "Send an Idempotency-Key header (1 to 255 visible ASCII characters) with "
          "every POST; retries reuse it.");
    }
    const std::string hash = Sha256(request.method + "\n" + request.path + "\n" + request.body);
    auto hold = std::make_shared<KeyHold>(pool_, box_, principal.tenant, std::move(key));
    if (auto answer = hold->Claim(hash, clock_.NowMs())) return std::move(*answer);
    if (effect_in_transaction) hold->BeginEffect();
    http::HttpResponse response = handler(request, params, principal, hold->connection());
    if (!http::IsDeferred(response)) {
      hold->Finish(response);
      return response;
    }
    // The key stays in flight until the answer comes, then is completed or released as above.
    if (!effect_in_transaction) hold->PutConnectionBack();
    return http::WhenFinal(std::move(response), [hold](http::HttpResponse answer) {
      hold->Finish(answer);
      return answer;
    });
  };
}

}  // namespace cambista::api
