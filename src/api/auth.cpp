#include "api/auth.hpp"

#include "api/problem.hpp"

namespace cambista::api {

RouteHandler RequireKey(ApiKeyStore& keys, std::optional<Scope> scope, AuthorizedHandler handler) {
  return [&keys, scope, handler = std::move(handler)](const HttpRequest& request,
                                                      const PathParams& params) {
    constexpr std::string_view kBearer = "Bearer ";
    const std::string_view authorization = request.Header("Authorization");
    std::optional<Principal> principal;
    if (authorization.starts_with(kBearer)) {
      principal = keys.Authenticate(authorization.substr(kBearer.size()));
    }
    if (!principal) {
      HttpResponse response =
          Problem(401, "unauthorized", "Unauthorized",
                  "Send a valid API key as `Authorization: Bearer cmb_<prefix>_<secret>`.");
      response.headers.emplace_back("WWW-Authenticate", "Bearer");
      return response;
    }
    if (scope && !HasScope(principal->scopes, *scope)) {
      return Problem(403, "forbidden", "Forbidden",
                     "This API key lacks the scope " + std::string(ScopeName(*scope)) + ".");
    }
    return handler(request, params, *principal);
  };
}

}  // namespace cambista::api
