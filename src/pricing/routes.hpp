// The pricing module's HTTP side.
//
//   GET /v1/rates (any valid API key): every configured pair's reference rate, live or stale
//       {"data":[{pair, bid, ask, mid, source, observed_at, age_ms, status}],
//        "unavailable":[{pair, reason}],
//        "sources":[{name, state, failures, dropped, dropped_pairs, last_error}]}
//
// and in `serve --sandbox` the sandbox market's control API (public, like every simulator's):
//   GET  /sandbox/rates                  the sandbox feed's book and whether it runs
//   PUT  /sandbox/rates/{pair}           {"bid":"5.40","ask":"5.46"}: every sandbox source of the
//        pair moves there (the feed and the providers' simulators), the pair is polled, and the
//        answer tells the reference rate that poll made
//   POST /sandbox/rates/stop | /start    the sandbox's sources fail like dead feeds / answer again;
//        every pair is polled before the answer
// {pair} is written "USDT-BRL" in a path.
#pragma once

#include "api/auth.hpp"
#include "http/router.hpp"
#include "pricing/poller.hpp"
#include "pricing/sandbox_feed.hpp"
#include "pricing/service.hpp"

namespace cambista::pricing {

void AddRateRoutes(http::Router& router, api::AuthGate& gate, const RateBook& book);

// `market` may be null (only the feed moves then). Everything must outlive the router's use.
void AddSandboxRateRoutes(http::Router& router, RateBook& book, SandboxFeed& feed,
                          SandboxMarket* market, RatePoller& poller);

}  // namespace cambista::pricing
