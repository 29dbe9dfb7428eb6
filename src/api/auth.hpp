// Authentication and authorization of routes: `Authorization: Bearer cmb_...` is checked against
// the key store; no valid key is 401 `unauthorized` (with WWW-Authenticate), a valid key without
// the route's scope is 403 `forbidden`. `admin` holds every scope.
#pragma once

#include <functional>
#include <optional>

#include "api/api_key_store.hpp"
#include "api/router.hpp"

namespace cambista::api {

using AuthorizedHandler =
    std::function<HttpResponse(const HttpRequest&, const PathParams&, const Principal&)>;

// `scope` nullopt: any valid key.
RouteHandler RequireKey(ApiKeyStore& keys, std::optional<Scope> scope, AuthorizedHandler handler);

}  // namespace cambista::api
