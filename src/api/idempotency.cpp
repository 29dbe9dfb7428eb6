#include "api/idempotency.hpp"

#include <optional>

#include "api/problem.hpp"
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

}  // namespace

int64_t PurgeIdempotencyKeys(store::Connection& connection, int64_t now_ms, int64_t rows_max) {
  // An old key still in flight belongs to a request that died long ago: it goes too.
  return connection.Execute(
      "DELETE FROM idempotency_keys WHERE (tenant, idempotency_key) IN (SELECT tenant, "
      "idempotency_key FROM idempotency_keys WHERE created_at_ms < $1 LIMIT $2)",
      {now_ms - kIdempotencyKeepMs, rows_max});
}

AuthorizedHandler Idempotency::Wrap(TransactionalHandler handler) {
  return Run(std::move(handler), /*effect_in_transaction=*/true);
}

AuthorizedHandler Idempotency::WrapCallingOut(AuthorizedHandler handler) {
  return Run([handler = std::move(handler)](
                 const HttpRequest& request, const PathParams& params, const Principal& principal,
                 store::Connection&) { return handler(request, params, principal); },
             /*effect_in_transaction=*/false);
}

AuthorizedHandler Idempotency::Run(TransactionalHandler handler, bool effect_in_transaction) {
  return [this, handler = std::move(handler), effect_in_transaction](
             const HttpRequest& request, const PathParams& params,
             const Principal& principal) -> HttpResponse {
    const std::string key(request.Header("Idempotency-Key"));
    if (!IsWellFormedKey(key)) {
      return Problem(400, "invalid_request", "Idempotency-Key required",
                     "Send an Idempotency-Key header (1 to 255 visible ASCII characters) with "
                     "every POST; retries reuse it.");
    }
    const std::string hash = Sha256(request.method + "\n" + request.path + "\n" + request.body);
    const int64_t now_ms = clock_.NowMs();
    const std::string_view tenant = principal.tenant;
    const std::string place = "idempotency_keys.response:" + principal.tenant + ":" + key;
    auto connection = pool_.Acquire();
    store::Connection& c = *connection;
    const bool postgres = c.backend() == store::Backend::kPostgres;
    {
      store::Transaction claim(c, store::TransactionMode::kWrite);
      bool exists = false;
      HttpResponse stored;
      std::string stored_hash, sealed_body;
      int64_t state = 0, locked_until_ms = 0;
      c.Query(std::string("SELECT request_hash, state, response_status, response_content_type, "
                          "response_body, locked_until_ms FROM idempotency_keys WHERE tenant = $1 "
                          "AND idempotency_key = $2") +
                  (postgres ? " FOR UPDATE" : ""),
              {tenant, std::string_view(key)}, [&](const store::Row& row) {
                exists = true;
                stored_hash = row.Bytes(0);
                state = row.Int64(1);
                if (state == 1) {
                  stored.status = static_cast<int>(row.Int64(2));
                  stored.content_type = std::string(row.Text(3));
                  sealed_body = row.Bytes(4);
                }
                locked_until_ms = row.Int64(5);
              });
      if (exists && stored_hash != hash) {
        return Problem(422, "idempotency_key_reused", "Idempotency-Key reused",
                       "This Idempotency-Key was used with a different request.");
      }
      if (exists && state == 1) {
        auto body = box_.Open(sealed_body, place);
        if (!body.ok()) {  // sealed under another master key: cannot replay, say so
          return Problem(500, "internal_error", "Stored response unreadable",
                         "The stored response of this Idempotency-Key cannot be read.");
        }
        stored.body = std::move(body).value();
        stored.headers.emplace_back("Idempotent-Replayed", "true");
        return stored;
      }
      if (exists && locked_until_ms > now_ms) {
        return Problem(
            409, "idempotency_in_flight", "Request in flight",
            "A request with this Idempotency-Key is still being processed; retry later.");
      }
      if (exists) {  // left in flight by a process that died: take it over
        c.Execute(
            "UPDATE idempotency_keys SET locked_until_ms = $3 WHERE tenant = $1 AND "
            "idempotency_key = $2",
            {tenant, std::string_view(key), now_ms + kInFlightLeaseMs});
      } else {
        try {
          c.Execute(
              "INSERT INTO idempotency_keys (tenant, idempotency_key, request_hash, state, "
              "created_at_ms, locked_until_ms) VALUES ($1, $2, $3, 0, $4, $5)",
              {tenant, std::string_view(key), store::Blob{hash}, now_ms,
               now_ms + kInFlightLeaseMs});
        } catch (const store::Error& error) {
          if (error.kind() != store::Error::Kind::kConstraint) throw;
          return Problem(409, "idempotency_in_flight", "Request in flight",
                         "A request with this Idempotency-Key is being processed; retry later.");
        }
      }
      claim.Commit();
    }
    auto release = [&] {
      c.Execute(
          "DELETE FROM idempotency_keys WHERE tenant = $1 AND idempotency_key = $2 AND "
          "state = 0",
          {tenant, std::string_view(key)});
    };
    HttpResponse response;
    bool completed = false;
    try {
      std::optional<store::Transaction> effect;
      if (effect_in_transaction) effect.emplace(c, store::TransactionMode::kWrite);
      response = handler(request, params, principal, c);
      if (!effect) effect.emplace(c, store::TransactionMode::kWrite);
      if (response.status < 500) {  // a server failure rolls the effect back and frees the key
        c.Execute(
            "UPDATE idempotency_keys SET state = 1, response_status = $3, "
            "response_content_type = $4, response_body = $5 WHERE tenant = $1 AND "
            "idempotency_key = $2 AND state = 0",
            {tenant, std::string_view(key), static_cast<int64_t>(response.status),
             std::string_view(response.content_type),
             store::Blob{box_.Seal(response.body, place)}});
        effect->Commit();
        completed = true;
      }
    } catch (...) {
      release();
      throw;
    }
    if (!completed) release();
    return response;
  };
}

}  // namespace cambista::api
