// The outside providers as a module (module/module.hpp). Its configuration sections: [gateways]
// (each pay-in gateway's API root: atomopay_url, buhopago_url = "https://api.buhopago.com",
// paradise_url, pushinpay_url, syncpay_url, wiinpay_url; empty: not configured, so creating a
// charge there fails with a clear error) and [gateway_fees] (what a gateway keeps of a payment
// where its answers do not say, payins/fees.hpp: "5% + 16% tax"; default buhopago "5% + 16% tax",
// the others "0%"). Install() fills the payins::GatewayCatalog the pay-ins build on: every
// adapter, each gateway's URL and fees; in sandbox mode every gateway is its simulator, answering
// under /sandbox/<gateway>/ on the server's own listener, and the payouts' provider directory
// (payouts::ProviderDirectory) holds each payout adapter (Heleket, pixout, BuhoPago credits) at its
// simulator. Outside the sandbox the directory holds the providers configured in
// [payouts.providers.<name>] (configured_payout_providers.hpp: url in the file, credentials in
// CAMBISTA_<NAME>_<CREDENTIAL>); none configured, there is none, and a payout finds no provider.
#pragma once

#include "module/module.hpp"

namespace cambista::providers {

extern const module::Module kModule;

}  // namespace cambista::providers
