// The PIX payout PSP simulator (Efí's send API shape), answering under /sandbox/pixout/ (what it
// speaks: the top of pixout_simulator.cpp). It issues bearer tokens for HTTP Basic client
// credentials and refuses any other (forged or expired: 401 {nome, mensagem}), keeps one BRL
// balance, holds sends by idEnvio (a second PUT answers the first send), resolves the payee's key
// at once (a key that is not a PIX key, or that contains "invalid" in any case, ends the send
// NAO_REALIZADO "chave inexistente"; a send above the balance ends NAO_REALIZADO "saldo
// insuficiente": never an HTTP error), settles EM_PROCESSAMENTO -> REALIZADO by itself after
// `auto_settle_ms` (default 2 s; 0: only on command), and posts webhooks {"pix": [send]} through
// the Sandbox's webhook sender. mTLS is not simulated: plain HTTP on the sandbox's listener.
//
// The webhook URL: the real PSP has one per payer key, registered out of band. Here it comes from
// the X-Callback-Url header of a create (the adapter sends PayoutRequest.callback_url there): that
// send's webhooks go to it, and it becomes the registered URL for sends that come without one (also
// settable with POST /sandbox/pixout/settings {webhook_url}).
//
// A new send's create answer says EM_PROCESSAMENTO, as the PSP documents, even when the key or
// balance has already failed it: GET and the webhook tell the end.
//
// Its control API (problem+json errors, like the other simulators'):
//   GET  /sandbox/pixout/payouts              every send held, oldest first, with its webhooks
//   GET  /sandbox/pixout/payouts/{idEnvio}
//   POST /sandbox/pixout/payouts/{idEnvio}/{realizado|nao_realizado}
//        {deliveries 0..2 (1), delay_ms, out_of_order (a stale EM_PROCESSAMENTO webhook follows),
//         motivo (nao_realizado's reason)}
//   POST /sandbox/pixout/faults {idEnvio, create_status (answer 4xx/5xx, record nothing),
//        answer_delay_ms (record, then answer this late: past the client's deadline it is a timeout
//        after acceptance), webhook_before_answer (the send settles and its webhook is delivered
//        before the create is answered)}: applies to the next create of that idEnvio, once.
//   GET|POST /sandbox/pixout/settings {auto_settle_ms, page_size, balance, token_lifetime_s,
//        webhook_url, revoke_tokens (POST: every token issued so far is refused from now on)};
//        GET also tells tokens_issued.
#pragma once

#include <memory>
#include <string_view>

#include "core/clock.hpp"
#include "http/router.hpp"
#include "providers/simulator_kit/sandbox_options.hpp"

namespace cambista::sandbox {

class WebhookSender;

// What the simulator accepts: obviously fake values; the payer key is an e-mail PIX key.
inline constexpr std::string_view kSandboxPixoutClientId = "sandbox-pixout-client-id";
inline constexpr std::string_view kSandboxPixoutClientSecret = "sandbox-pixout-client-secret";
inline constexpr std::string_view kSandboxPixoutPayerKey = "pagamentos@sandbox.cambista.dev";
SandboxCredentialMap PixoutSandboxCredentials();  // client_id, client_secret, payer_key

class PixoutSimulator {
 public:
  // Starts its timer thread. `clock` dates sends and tokens; timers run in real time, as webhooks
  // do. `sender` must be stopped (WebhookSender::Stop) before the simulator is destroyed: its
  // reports of deliveries come back into the simulator (Sandbox::Stop does both).
  PixoutSimulator(const Clock& clock, WebhookSender& sender);
  ~PixoutSimulator();  // Stop()
  PixoutSimulator(const PixoutSimulator&) = delete;
  PixoutSimulator& operator=(const PixoutSimulator&) = delete;

  // The PSP's routes and the control API, all "public". Must outlive the router's use.
  void AddRoutes(http::Router& router);
  // Stops the timer thread: pending settlements are dropped and delayed answers are released
  // unanswered. Idempotent.
  void Stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace cambista::sandbox
