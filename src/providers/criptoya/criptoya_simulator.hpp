// CriptoYa, simulated under /sandbox/criptoya/ (the real shape: the top of criptoya_source.hpp):
//   GET /sandbox/criptoya/api/{coin}/{fiat}/{volume}: per exchange {ask, totalAsk, bid, totalBid,
//       time} around the simulator's price of the pair (bid B, ask A, step s a twentieth of the
//       spread): five fresh exchanges at (B, A), (B-s, A+s), (B+s, A-s), (B-2s, A+2s), (B+2s,
//       A-2s), whose medians are exactly B and A; one with no offers (zeros); and one a day stale
//       with twice the prices, which a reader that skipped the freshness rule would let in. Prices
//       as JSON numbers, times in Unix seconds on the server's clock. 404 {"error"} for a pair it
//       has no price for.
// Its control routes (the simulator kit's rate book): GET /rates, PUT /rates/{pair} {bid, ask},
// POST /fail (503 from now on), POST /recover.
#pragma once

#include "core/clock.hpp"
#include "http/router.hpp"
#include "providers/simulator_kit/rate_book.hpp"

namespace cambista::sandbox {

class CriptoyaSimulator {
 public:
  explicit CriptoyaSimulator(const Clock& clock) : clock_(clock) {}
  CriptoyaSimulator(const CriptoyaSimulator&) = delete;
  CriptoyaSimulator& operator=(const CriptoyaSimulator&) = delete;

  // The API and the control routes, all public; the simulator must outlive the router's use.
  void AddRoutes(http::Router& router);
  SimulatedRateBook& book() { return book_; }

 private:
  http::HttpResponse Quotes(const http::PathParams& params) const;

  const Clock& clock_;
  SimulatedRateBook book_;
};

}  // namespace cambista::sandbox
