// The Binance P2P advert search, simulated under /sandbox/binance_p2p/ (the real shape: the top of
// binance_p2p_source.hpp):
//   POST /sandbox/binance_p2p/bapi/c2c/v2/friendly/c2c/adv/search {asset, fiat, tradeType, page,
//        rows, ...}: adverts generated around the simulator's price of the pair, in Binance's
//        order (BUY: asks, cheapest first; SELL: bids, dearest first). Per side, for a price P
//        (the ask for BUY, the bid for SELL) and a step s (a twentieth of the spread):
//          17 ordinary adverts at P-2s .. P+14s (BUY; mirrored for SELL), so that the median of
//             the best five is exactly P;
//           2 promoted adverts (privilegeType 1) better than the best ordinary one, and
//           1 outlier far away (half the ask, twice the bid) on the good side,
//        which a reader that skipped the filters would take for the best prices.
//        A pair it has no price for answers no adverts; page 2 and on are empty.
// Its control routes (the simulator kit's rate book): GET /rates, PUT /rates/{pair} {bid, ask},
// POST /fail (503 from now on), POST /recover.
#pragma once

#include <memory>

#include "core/clock.hpp"
#include "http/router.hpp"
#include "providers/simulator_kit/rate_book.hpp"

namespace cambista::sandbox {

class BinanceP2pSimulator {
 public:
  BinanceP2pSimulator() = default;
  BinanceP2pSimulator(const BinanceP2pSimulator&) = delete;
  BinanceP2pSimulator& operator=(const BinanceP2pSimulator&) = delete;

  // The search and the control routes, all public; the simulator must outlive the router's use.
  void AddRoutes(http::Router& router);
  SimulatedRateBook& book() { return book_; }

 private:
  http::HttpResponse Search(const http::HttpRequest& request) const;

  SimulatedRateBook book_;
};

}  // namespace cambista::sandbox
