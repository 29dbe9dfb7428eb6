// The real pay-in adapters (providers/<gateway>/, built through the registry with the sandbox
// credentials) against the simulators over real HTTP, as `serve --sandbox` wires them: credential
// check, charge creation, status query, and every webhook the control API makes the simulator send,
// read back by the adapter's own ParseWebhook. A disagreement between an adapter and its simulator
// on a path, a field, a unit or a status word fails here.
#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "api/http_server.hpp"
#include "core/clock.hpp"
#include "http/router.hpp"
#include "net/http_client.hpp"
#include "payins/gateway.hpp"
#include "payins/registry.hpp"
#include "pix/br_code.hpp"
#include "providers/atomopay/atomopay_simulator.hpp"
#include "providers/buhopago/buhopago_gateway.hpp"
#include "providers/providers.hpp"
#include "sandbox_fixture.hpp"

namespace cambista::sandbox {
namespace {

using namespace test_support;  // NOLINT: the shared fixture helpers
using payins::GatewayStatus;

// How each adapter reads what its simulator sends: the status a webhook about each control action
// comes out as (nullopt: the adapter acknowledges and ignores that event), the status its status
// query reports after it, and whether the webhook echoes our reference.
struct Expectation {
  std::string gateway;
  std::string currency;
  std::optional<GatewayStatus> webhook_failed, webhook_expired, webhook_refunded, webhook_pending;
  GatewayStatus fetched_after_fail;
  bool echoes_reference;
};

void PrintTo(const Expectation& expectation, std::ostream* out) {
  *out << expectation.gateway;
}

std::vector<Expectation> Expectations() {
  using S = GatewayStatus;
  return {
      // SyncPay has no word for expired: an expired charge reports failed.
      {"syncpay", "BRL", S::kFailed, S::kFailed, S::kRefunded, S::kPending, S::kFailed, true},
      // PushinPay's only word for an unpaid end is `canceled`, which its adapter reads as expired.
      {"pushinpay", "BRL", S::kExpired, S::kExpired, S::kRefunded, S::kPending, S::kExpired, false},
      {"paradise", "BRL", S::kFailed, S::kExpired, S::kRefunded, S::kPending, S::kFailed, true},
      {"wiinpay", "BRL", S::kFailed, S::kExpired, S::kRefunded, S::kPending, S::kFailed, true},
      {"atomopay", "BRL", S::kFailed, S::kExpired, S::kRefunded, S::kPending, S::kFailed, true},
      // BuhoPago's adapter acts on payment.completed, .failed, .expired and .refunded (not
      // .pending); a failed payment leaves the link active (pending) for another try.
      {"buhopago", "VES", S::kFailed, S::kExpired, S::kRefunded, std::nullopt, S::kPending, true},
  };
}

class AdapterAgainstSimulator : public ::testing::TestWithParam<Expectation> {
 protected:
  void SetUp() override {
    SandboxOptions options;
    options.http = &client_;
    options.clock = &clock_;
    options.webhook_retry_delay_ms = 20;
    sandbox_ = std::make_unique<Sandbox>(options);
    sandbox_->AddRoutes(router_);
    server_ = std::make_unique<api::HttpServer>(
        LocalServer(), [this](const HttpRequest& request) { return router_.Handle(request); });
    server_->Start();
    payins::RegisterPayinGateways(registry_);
  }
  void TearDown() override {
    server_->Stop(1'000);
    sandbox_->Stop();
  }

  const std::string& name() const { return GetParam().gateway; }
  std::string BaseUrl() const {
    return "http://127.0.0.1:" + std::to_string(server_->port()) + "/sandbox/" + name();
  }
  payins::GatewayContext Context() const {
    payins::GatewayContext context;
    context.http = &client_;
    context.clock = &clock_;
    context.base_url = BaseUrl();
    return context;
  }
  payins::Credentials Credentials() const {
    const SandboxCredentialMap sandbox = sandbox_->Credentials(name());
    return payins::Credentials(sandbox.begin(), sandbox.end());
  }
  std::unique_ptr<payins::PayinGateway> Build(const payins::Credentials& credentials) {
    auto gateway = registry_.Build(name(), credentials, Context());
    EXPECT_TRUE(gateway.ok()) << gateway.error().code << " " << gateway.error().field << ": "
                              << gateway.error().message;
    return gateway.ok() ? std::move(gateway).value() : nullptr;
  }
  Amount Of(std::string_view text) const { return Money(text, GetParam().currency); }

  payins::CreateChargeRequest Request(const Amount& amount) const {
    return payins::CreateChargeRequest{
        .amount = amount,
        .description = "Pedido 1",
        .reference = "chg_1",
        .customer = {.name = "Ana Souza",
                     .document = "12345678909",
                     .email = "ana@example.com",
                     .phone = "11999999999"},
        .expires_in_seconds = 3600,
        .webhook_url = receiver_.Url("/webhooks/" + name() + "/default")};
  }

  // Moves the charge through the control API and returns the adapter's reading of the webhook
  // that results (the `index`-th one received about the charge).
  payins::WebhookEvent AwaitEvent(const payins::PayinGateway& gateway, const std::string& id,
                                  size_t index, bool expect_parsed = true) {
    std::vector<HttpRequest> webhooks;
    EXPECT_TRUE(WaitFor([&] {
      webhooks.clear();
      for (const HttpRequest& request : receiver_.Requests()) {
        if (request.body.find("\"" + id + "\"") != std::string::npos) webhooks.push_back(request);
      }
      return webhooks.size() > index;
    })) << "webhook "
        << index << " about " << id << " did not arrive";
    if (webhooks.size() <= index) return payins::WebhookEvent();
    const HttpRequest& webhook = webhooks[index];
    const payins::WebhookRequest request{webhook.body, webhook.headers};
    auto event = gateway.ParseWebhook(request);
    if (!expect_parsed) {
      EXPECT_FALSE(event.ok());
      if (!event.ok()) {
        EXPECT_EQ(event.error().kind, payins::WebhookRejection::Kind::kIgnored)
            << event.error().message;
      }
      return payins::WebhookEvent();
    }
    EXPECT_TRUE(event.ok()) << event.error().field << ": " << event.error().message << " in "
                            << webhook.body;
    return event.ok() ? std::move(event).value() : payins::WebhookEvent();
  }

  int Control(const std::string& id, std::string_view action, std::string body = "") {
    net::ClientRequest request;
    request.method = "POST";
    request.url = "http://127.0.0.1:" + std::to_string(server_->port()) + "/sandbox/" + name() +
                  "/charges/" + id + "/" + std::string(action);
    request.body = std::move(body);
    auto response = client_.Send(request);
    EXPECT_TRUE(response.ok());
    return response.ok() ? response.value().status : 0;
  }

  // PushinPay's adapter allows itself one status query a minute per transaction.
  void NextMinute() { clock_.AdvanceMs(61'000); }

  ManualClock clock_;
  net::HttpClient client_;
  Receiver receiver_;
  http::Router router_;
  std::unique_ptr<Sandbox> sandbox_;
  std::unique_ptr<api::HttpServer> server_;
  payins::GatewayRegistry registry_;
};

TEST_P(AdapterAgainstSimulator, ChecksCredentials) {
  auto good = Build(Credentials());
  ASSERT_NE(good, nullptr);
  const auto accepted = good->ValidateCredentials();
  EXPECT_FALSE(accepted.has_value()) << accepted->message;

  payins::Credentials wrong = Credentials();
  for (auto& [credential, value] : wrong) {
    value = credential == "api_key" && name() == "buhopago" ? "bp_test_wrong" : value + "-wrong";
  }
  auto bad = Build(wrong);
  ASSERT_NE(bad, nullptr);
  // WiinPay has no read-only call to check a key with: only its first charge tells.
  if (name() != "wiinpay") {
    const auto refused = bad->ValidateCredentials();
    ASSERT_TRUE(refused.has_value());
    EXPECT_EQ(refused->kind, payins::GatewayError::Kind::kAuth) << refused->message;
  }
  auto charge = bad->CreateCharge(Request(Of("10.50")));
  ASSERT_FALSE(charge.ok());
  EXPECT_EQ(charge.error().kind, payins::GatewayError::Kind::kAuth) << charge.error().message;
}

TEST_P(AdapterAgainstSimulator, CreatesFetchesAndReadsThePaidWebhook) {
  auto gateway = Build(Credentials());
  ASSERT_NE(gateway, nullptr);
  auto created = gateway->CreateCharge(Request(Of("10.50")));
  ASSERT_TRUE(created.ok()) << created.error().message;
  const std::string id = created->gateway_charge_id;
  ASSERT_FALSE(id.empty());
  EXPECT_EQ(created->status, GatewayStatus::kPending);
  if (GetParam().currency == "BRL") {
    auto code = pix::ParseBrCode(created->pix_code);
    ASSERT_TRUE(code.ok()) << code.error().message;
    EXPECT_EQ(code->amount, Of("10.50"));
    EXPECT_EQ(code->location_url, "sandbox.cambista.dev/" + name() + "/" + id);
  } else {
    EXPECT_EQ(created->payment_instructions, "https://sandbox.cambista.dev/buhopago/pay/" + id);
  }
  if (name() == "atomopay") {
    EXPECT_EQ(created->tenant_hint, kSandboxAtomoPayProducerHash);
    EXPECT_FALSE(created->provider_hash.empty());
  }

  const bool fetches = gateway->Describe().can_fetch_status;  // WiinPay has no status API
  if (fetches) {
    auto pending = gateway->FetchStatus(id);
    ASSERT_TRUE(pending.ok()) << pending.error().message;
    EXPECT_EQ(pending->status, GatewayStatus::kPending);
  }

  ASSERT_EQ(Control(id, "pay", R"({"amount":"9.99"})"), 200);
  const payins::WebhookEvent event = AwaitEvent(*gateway, id, 0);
  EXPECT_EQ(event.status, GatewayStatus::kPaid);
  EXPECT_EQ(event.amount, Of("9.99"));
  EXPECT_EQ(event.gateway_charge_id, id);
  EXPECT_FALSE(event.event_id.empty());
  if (GetParam().echoes_reference) {
    EXPECT_EQ(event.reference, "chg_1");
  }
  if (name() == "atomopay") {
    EXPECT_EQ(event.tenant_hint, kSandboxAtomoPayProducerHash);
  }
  if (name() == "pushinpay" || name() == "wiinpay") {
    EXPECT_EQ(event.payer_name, "SANDBOX PAYER");
    EXPECT_EQ(event.payer_document, "12345678909");
  }

  if (!fetches) return;
  NextMinute();
  auto paid = gateway->FetchStatus(id);
  ASSERT_TRUE(paid.ok()) << paid.error().message;
  EXPECT_EQ(paid->status, GatewayStatus::kPaid);
  EXPECT_EQ(paid->amount, Of("9.99"));
}

TEST_P(AdapterAgainstSimulator, ReadsEveryOtherWebhookTheSimulatorSends) {
  auto gateway = Build(Credentials());
  ASSERT_NE(gateway, nullptr);
  const auto create = [&](std::string_view amount) {
    auto created = gateway->CreateCharge(Request(Of(amount)));
    EXPECT_TRUE(created.ok()) << created.error().message;
    return created.ok() ? created->gateway_charge_id : std::string("missing");
  };
  const auto expect = [&](const std::string& id, size_t index,
                          const std::optional<GatewayStatus>& status) {
    const payins::WebhookEvent event = AwaitEvent(*gateway, id, index, status.has_value());
    if (status) {
      EXPECT_EQ(event.status, *status) << id << " webhook " << index;
    }
  };

  const std::string failed = create("30.00");
  ASSERT_EQ(Control(failed, "fail"), 200);
  expect(failed, 0, GetParam().webhook_failed);
  if (gateway->Describe().can_fetch_status) {
    auto after_fail = gateway->FetchStatus(failed);
    ASSERT_TRUE(after_fail.ok()) << after_fail.error().message;
    EXPECT_EQ(after_fail->status, GetParam().fetched_after_fail);
  }

  const std::string expired = create("31.00");
  ASSERT_EQ(Control(expired, "expire"), 200);
  expect(expired, 0, GetParam().webhook_expired);

  const std::string refunded = create("32.00");
  ASSERT_EQ(Control(refunded, "pay", R"({"out_of_order":true})"), 200);
  expect(refunded, 0, GatewayStatus::kPaid);
  expect(refunded, 1, GetParam().webhook_pending);  // the stale one, after the paid one
  ASSERT_EQ(Control(refunded, "refund"), 200);
  expect(refunded, 2, GetParam().webhook_refunded);
}

TEST_P(AdapterAgainstSimulator, AgreesOnTheMinimum) {
  auto gateway = Build(Credentials());
  ASSERT_NE(gateway, nullptr);
  const Amount minimum = gateway->Describe().minimum;
  // The adapter refuses below its minimum without a call; the simulator accepts the minimum.
  auto below = gateway->CreateCharge(Request(Amount(minimum.minor() - 1, minimum.asset())));
  ASSERT_FALSE(below.ok());
  EXPECT_EQ(below.error().kind, payins::GatewayError::Kind::kInvalidRequest);
  auto at = gateway->CreateCharge(Request(minimum));
  EXPECT_TRUE(at.ok()) << at.error().message;
}

INSTANTIATE_TEST_SUITE_P(Sandbox, AdapterAgainstSimulator, ::testing::ValuesIn(Expectations()),
                         [](const ::testing::TestParamInfo<Expectation>& param_info) {
                           return param_info.param.gateway;
                         });

TEST(BuhoPagoAdapterAgainstSimulator, SweepsTheCapacityOnce) {
  ManualClock clock;
  net::HttpClient client;
  SandboxOptions options;
  options.http = &client;
  options.clock = &clock;
  Sandbox sandbox(options);
  http::Router router;
  sandbox.AddRoutes(router);
  api::HttpServer server(LocalServer(),
                         [&router](const HttpRequest& request) { return router.Handle(request); });
  server.Start();
  payins::GatewayContext context;
  context.http = &client;
  context.clock = &clock;
  context.base_url = "http://127.0.0.1:" + std::to_string(server.port()) + "/sandbox/buhopago";
  const SandboxCredentialMap credentials = sandbox.Credentials("buhopago");
  auto gateway = payins::BuhoPagoGateway::CreateTyped(
      payins::Credentials(credentials.begin(), credentials.end()), context);
  ASSERT_TRUE(gateway.ok()) << gateway.error().message;

  const payins::CreateChargeRequest request{.amount = Money("1000.00", "VES"),
                                            .description = "Recarga",
                                            .reference = "",
                                            .customer = {},
                                            .expires_in_seconds = 3600,
                                            .webhook_url = ""};
  auto link = gateway.value()->CreateCharge(request);
  ASSERT_TRUE(link.ok()) << link.error().message;
  net::ClientRequest pay;
  pay.method = "POST";
  pay.url = "http://127.0.0.1:" + std::to_string(server.port()) + "/sandbox/buhopago/charges/" +
            link->gateway_charge_id + "/pay";
  ASSERT_EQ(client.Send(pay).value().status, 200);

  auto capacity = gateway.value()->Capacity();
  ASSERT_TRUE(capacity.ok()) << capacity.error().message;
  EXPECT_EQ(capacity->volume_processed_total, Money("1000.00", "VES"));
  EXPECT_EQ(capacity->volume_available, Money("942.00", "VES"));  // less 5% + 16% IVA on it
  auto credit =
      gateway.value()->ExecuteCredit("550e8400-e29b-41d4-a716-446655440000",
                                     capacity->volume_available, "Auto-retiro", "sweep-2024-05-01");
  ASSERT_TRUE(credit.ok()) << credit.error().message;
  EXPECT_TRUE(credit->approved);
  EXPECT_EQ(credit->amount, Money("942.00", "VES"));
  // A retry with the same key is the same credit, not a second one.
  auto retry =
      gateway.value()->ExecuteCredit("550e8400-e29b-41d4-a716-446655440000", Money("942.00", "VES"),
                                     "Auto-retiro", "sweep-2024-05-01");
  ASSERT_TRUE(retry.ok()) << retry.error().message;
  EXPECT_EQ(retry->transaction_id, credit->transaction_id);
  auto after = gateway.value()->Capacity();
  ASSERT_TRUE(after.ok());
  EXPECT_TRUE(after->volume_available.IsZero());
  EXPECT_EQ(after->volume_credited_total, Money("942.00", "VES"));
  server.Stop(1'000);
  sandbox.Stop();
}

}  // namespace
}  // namespace cambista::sandbox
