// `cambista demo`: the desk's main flows end to end against a server in sandbox mode, over its HTTP
// API only (app/demo_flows.hpp): a customer, then (a) USDT bought with BRL through a PIX gateway,
// (b) USDT bought with VES through BuhoPago, (c) a trade whose charge expires, (d) a trade whose
// payout fails and is refunded to a PIX key; each step printed as it happens, then the ledger
// summary and `ledger verify`.
//
// The server is embedded by default (this process runs `serve --sandbox` on --db, a temporary
// SQLite file unless given, and --listen, a free loopback port unless given) with an admin key for
// the tenant `default` made here; or it is a running one (--url, with --key: an admin key, or one
// with customers, quotes, trades, payouts and ledger scopes). `ledger verify` reads the database:
// the embedded one's, or --db's beside --url; with --url alone it is skipped, and said so.
//
// --serve keeps the embedded server running after the flows, until SIGINT or SIGTERM, and prints
// its API key and curl calls for a quote and a trade (what `./dev run` shows).
//
// Exit 0 when every flow ended in its expected state and the verification passed (or was
// skipped); 1 otherwise; 2 for bad options or a server that did not start.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace cambista::app {

struct DemoOptions {
  std::optional<std::string> url;           // a running server instead of the embedded one
  std::optional<std::string> key;           // its API key (required with url)
  std::optional<std::string> database_url;  // embedded: its database; with url: for the audit
  std::optional<std::string> listen;        // embedded: HOST:PORT (default 127.0.0.1:0)
  bool serve = false;
  // Embedded: revoke the key whose prefix this file holds (a previous run's), then write the new
  // key's prefix into it, so that only the last run's key works.
  std::optional<std::string> key_prefix_file;
  int64_t flow_timeout_ms = 60'000;
};

int RunDemo(const DemoOptions& options);

}  // namespace cambista::app
