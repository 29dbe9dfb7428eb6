// `cambista reconcile --db URL --provider P --url URL [--since 2d]`: our records at a provider
// against the provider's own, each mismatch printed as one JSON line on stdout
// (events/reconciliation_mismatch.hpp); nothing is changed.
//   - A payout provider (heleket, pixout, buhopago): our payouts against its list
//     (payouts/reconciliation.hpp). Its credentials come from the environment, never the command
//     line: CAMBISTA_<PROVIDER>_<CREDENTIAL>, e.g. CAMBISTA_HELEKET_MERCHANT and
//     CAMBISTA_HELEKET_PAYOUT_API_KEY.
//   - A pay-in gateway (syncpay, pushinpay, ...; buhopago with --charges, its name being a payout
//     provider's too): each of our charges there against the gateway's
//     status API, with each tenant's own credentials, opened with the database's master key (as
//     `serve` finds it: --config, --master-key-file, CAMBISTA_SECURITY_MASTER_KEY)
//     (payins/reconciliation.hpp).
// Exit 0: no mismatch; 1: some; 2: the provider or the database could not be read.
#pragma once

#include <optional>
#include <string>

#include "app/config.hpp"

namespace cambista::app {

struct ReconcileFlags {
  std::string database_url;
  std::string provider;
  std::string url;           // the provider's API root (the sandbox's /sandbox/<provider> too)
  std::string since = "2d";  // how far back: a number and s, m, h, d or w
  bool charges = false;      // the gateway's charges, even where the name is a payout provider's
  std::optional<std::string> config_file;
  std::optional<std::string> master_key_file;
};

// `config` (the command's configuration, with its database URL) finds the master key.
int RunReconcile(const ReconcileFlags& flags, const Config& config);

}  // namespace cambista::app
