// `cambista reconcile --db URL --provider P --url URL [--since 2d]`: our payouts at a payout
// provider against the provider's own list (payouts/reconciliation.hpp), each mismatch printed as
// one JSON line on stdout; nothing is changed. The provider's credentials come from the
// environment, never the command line: CAMBISTA_<PROVIDER>_<CREDENTIAL>, e.g.
// CAMBISTA_HELEKET_MERCHANT and CAMBISTA_HELEKET_PAYOUT_API_KEY. Exit 0: no mismatch; 1: some;
// 2: the provider or the database could not be read.
#pragma once

#include <string>

namespace cambista::app {

struct ReconcileFlags {
  std::string database_url;
  std::string provider;
  std::string url;           // the provider's API root (the sandbox's /sandbox/<provider> too)
  std::string since = "2d";  // how far back: a number and s, m, h, d or w
};

int RunReconcile(const ReconcileFlags& flags);

}  // namespace cambista::app
