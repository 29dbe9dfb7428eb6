// The PostgreSQL adapter of the store port (libpq, text results). Statements are prepared once per
// connection under generated names and cached by their SQL text; the server's NOTICE messages are
// dropped. Every connection sets application_name=cambista, connect_timeout and statement_timeout
// from Options (a URL's own application_name/connect_timeout win).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "store/database.hpp"

namespace cambista::store::postgres {

// Checks the URL's syntax (no connection is made here) and returns the database.
std::unique_ptr<Database> OpenPostgresDatabase(std::string url, const Options& options);

// The URL with the password of its user info and any password= parameter replaced by "***".
std::string RedactUrl(std::string_view url);

}  // namespace cambista::store::postgres
