// The outside providers, listed in one place: every provider's payin gateway adapter, for the
// registry the composition root fills (RegisterPayinGateways), and every provider's simulator, for
// `cambista serve --sandbox` and the tests (Sandbox). Each provider has its own folder,
// providers/<name>/: adapter, simulator, golden fixtures and fuzz target; the simulators share
// providers/simulator_kit/ and see HTTP only through http/.
//
// The sandbox: each simulator answers under /sandbox/<gateway>/ on the API's own listener and
// speaks that gateway's real API (paths, auth, payload shapes, units, minimum, error answers), so
// the real adapters run their real HTTP client code against it with base_url
// http://<host>:<port>/sandbox/<gateway>. Charges live in memory.
//
// A control API, the same for every gateway, moves a charge the way a payer or the gateway would:
//   POST /sandbox/<gateway>/charges/{id}/pay     {"amount":"9.99"} pays a different amount
//   POST /sandbox/<gateway>/charges/{id}/fail | /expire | /refund
//   GET  /sandbox/<gateway>/charges/{id}         the simulator's state, with every webhook sent
//   GET  /sandbox/<gateway>/charges              all of the gateway's charges
// with knobs in the POST body: "deliveries" 0, 1 (default) or 2 (the same webhook twice),
// "delay_ms" (sent late), and for pay "out_of_order": true (a stale pending webhook follows the
// paid one), "payer_name" and "payer_document". {id} is the gateway's id or, where it has one, its
// hash. A status only moves forwards (pending -> paid | failed | expired, paid -> refunded;
// anything else is 409 invalid_transition); an unknown charge is 404. Webhooks go, in the gateway's
// shape, to the URL the adapter gave at creation, from a background thread (never from the request
// handler: the target is often this same server), retried a few times when refused. Expiry is
// explicit (/expire): a charge's expires_at is reported, not enforced.
//
// Gateways: syncpay, pushinpay, paradise, wiinpay, atomopay (PIX, BRL) and buhopago (VES payment
// links and the credits API). Beside them, not pay-in gateways, the payout simulators with their
// own control APIs: Heleket (providers/heleket/heleket_simulator.hpp) under /sandbox/heleket/ and a
// PSP's PIX send API (providers/pixout/pixout_simulator.hpp) under /sandbox/pixout/.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "http/router.hpp"
#include "providers/simulator_kit/sandbox_options.hpp"

namespace cambista::payins {

class GatewayRegistry;

// The six adapters: syncpay, pushinpay, paradise, wiinpay, atomopay (BRL, PIX) and buhopago (VES).
void RegisterPayinGateways(GatewayRegistry& registry);

}  // namespace cambista::payins

namespace cambista::sandbox {

class ChargeBook;
class GatewaySimulator;
class HeleketSimulator;
class PixoutSimulator;
class WebhookSender;
struct SimulatedCharge;
struct SimulatorContext;
enum class ChargeState : uint8_t;

// The gateways simulated, in a fixed order.
std::span<const std::string_view> SandboxGateways();

// The credentials the simulator of `gateway` accepts: what the tenant `default` gets in sandbox
// mode. Obviously fake values ("sandbox-syncpay-client-id", BuhoPago "bp_test_..."); the BuhoPago
// webhook_secret is kSandboxBuhoPagoWebhookSecret; "heleket" gives its merchant and
// payout_api_key, "pixout" its client_id, client_secret and payer_key. Empty for an unknown
// gateway.
SandboxCredentialMap SandboxCredentials(std::string_view gateway);

class Sandbox {
 public:
  // Starts the webhook thread.
  explicit Sandbox(SandboxOptions options);
  ~Sandbox();  // Stop()
  Sandbox(const Sandbox&) = delete;
  Sandbox& operator=(const Sandbox&) = delete;

  // Adds every simulator's routes and the control API (all "public"). The Sandbox must outlive the
  // router's use.
  void AddRoutes(http::Router& router);
  // The credentials to configure for `gateway` (SandboxCredentials, with this sandbox's BuhoPago
  // webhook secret).
  SandboxCredentialMap Credentials(std::string_view gateway) const;
  // Stops the webhook thread (webhooks not yet sent are dropped). Call once the server no longer
  // takes requests; idempotent.
  void Stop();

 private:
  // POST /sandbox/<gateway>/charges/{id}/<action>: moves the charge to `to` and queues webhooks.
  http::HttpResponse Control(GatewaySimulator& gateway, const std::string& id, ChargeState to,
                             const http::HttpRequest& request);
  // Queues `copies` of the webhook saying the charge is in `state`, recording each on the charge.
  void SendWebhook(const GatewaySimulator& gateway, const SimulatedCharge& charge,
                   ChargeState state, int64_t delay_ms, int64_t copies);

  const SandboxOptions options_;
  std::unique_ptr<ChargeBook> charges_;
  std::unique_ptr<SimulatorContext> context_;
  std::unique_ptr<WebhookSender> sender_;
  std::vector<std::unique_ptr<GatewaySimulator>> simulators_;
  std::unique_ptr<HeleketSimulator> heleket_;  // after sender_: destroyed first
  std::unique_ptr<PixoutSimulator> pixout_;    // after sender_: destroyed first
};

}  // namespace cambista::sandbox
