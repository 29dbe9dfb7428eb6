// The simulators end to end over real HTTP: a real api::HttpServer on 127.0.0.1:0 serves a Router
// holding the Sandbox's routes, net::HttpClient calls them as an adapter would, and a second
// HttpServer receives and records the webhooks. Every gateway runs the same scenarios through a
// GatewayDriver that knows its paths, auth, payload shapes and units. Webhooks are awaited by
// polling with a generous deadline; nothing asserts on a fixed sleep.
#include "providers/atomopay/atomopay_simulator.hpp"
#include "providers/providers.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <atomic>
#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

#include "api/http_server.hpp"
#include "api/openapi.hpp"
#include "core/amount.hpp"
#include "core/clock.hpp"
#include "core/int128.hpp"
#include "http/router.hpp"
#include "net/http_client.hpp"
#include "pix/br_code.hpp"
#include "response_recording.hpp"
#include "sandbox_fixture.hpp"
#include "security/hmac.hpp"

namespace cambista::sandbox {
namespace {

using namespace test_support;  // NOLINT: the shared fixture helpers

using http::HttpRequest;
using http::HttpResponse;
using net::ClientRequest;
using net::ClientResponse;

// What a status query or a webhook says of a charge, in the gateway's own words and units.
struct Reported {
  std::string id;
  std::string status;
  std::string amount;  // the JSON number's text
};

// Where a payload names the charge, its status and its amount.
struct Paths {
  std::string id;
  std::string status;
  std::string amount;
};

Reported Read(const JsonNode& body, const Paths& paths) {
  return Reported{Text(body, paths.id), Text(body, paths.status), Text(body, paths.amount)};
}

class SandboxTest;

// One gateway as an adapter sees it.
struct GatewayDriver {
  std::string name;
  std::string currency;      // BRL | VES
  bool minor_units = false;  // centavos as integers, else major units as numbers
  std::string minimum;       // the smallest accepted amount ("0.50"); "0.01" when no stated minimum
  // Words for pending, paid, failed, expired, refunded.
  std::string pending, paid, failed, expired, refunded;
  Paths webhook;  // where a webhook names the charge, its status and amount
  Paths status_query;
  // The status query's word for a webhook's word, where they differ (BuhoPago's query describes
  // the payment link: active, used, expired).
  std::map<std::string, std::string> query_words;
  // Where the status query reports a paid amount, when not at status_query.amount.
  std::string query_paid_amount;
  // Creates a charge of `amount` notifying `webhook_url`; authenticated unless `auth` is false.
  std::function<ClientResponse(SandboxTest&, const Amount& amount, const std::string& webhook_url,
                               bool auth)>
      create;
  int created_status = 200;
  // From the creation response: the id the control API and webhooks use, and the BR Code.
  std::function<std::string(const JsonNode&)> created_id;
  std::function<std::string(const JsonNode&)> created_pix_code;
  std::string qr_base64_path;  // where the creation response has qr_code_base64; "" when none
  // The gateway's status query; nullopt when it has none (WiinPay).
  std::function<std::optional<ClientResponse>(SandboxTest&, const std::string& id)> status;
};

// Test names and failure messages show the gateway's name, not the driver's bytes.
void PrintTo(const GatewayDriver& driver, std::ostream* out) {
  *out << driver.name;
}

// The amount as the gateway writes it: "1050" or "10.5".
std::string Units(const GatewayDriver& driver, const Amount& amount) {
  return driver.minor_units ? ToDecimal(amount.minor()) : amount.ToDecimalString();
}

class SandboxTest : public ::testing::Test {
 protected:
  void SetUp() override { Start(SandboxOptions()); }
  void TearDown() override { StopAll(); }

  void Start(SandboxOptions options, int io_threads = 2) {
    options.http = &client_;
    options.clock = &clock_;
    options.webhook_retry_delay_ms = 20;
    sandbox_ = std::make_unique<Sandbox>(std::move(options));
    router_ = std::make_unique<http::Router>();
    recorder_ = cambista::testing::RecordResponsesIfAsked(*router_);
    sandbox_->AddRoutes(*router_);
    // A route on the simulators' own server, to show webhooks may target that same server.
    router_->Add("POST", "/self-hook", http::RouteDoc{"test receiver", "public"},
                 [this](const HttpRequest& request, const http::PathParams&) {
                   std::lock_guard lock(self_mutex_);
                   self_hooks_.push_back(request.body);
                   return Reply(200);
                 });
    server_ = std::make_unique<api::HttpServer>(
        LocalServer(io_threads),
        [this](const HttpRequest& request) { return router_->Handle(request); });
    server_->Start();
  }
  void StopAll() {
    if (server_) server_->Stop(1'000);
    if (sandbox_) sandbox_->Stop();
    server_.reset();
    sandbox_.reset();
  }

 public:
  std::string Url(std::string_view path) const {
    return "http://127.0.0.1:" + std::to_string(server_->port()) + std::string(path);
  }
  ClientResponse Send(std::string method, std::string_view path, std::string body = "",
                      std::vector<std::pair<std::string, std::string>> headers = {}) {
    ClientRequest request;
    request.method = std::move(method);
    request.url = Url(path);
    request.body = std::move(body);
    request.headers = std::move(headers);
    if (!request.body.empty()) request.headers.emplace_back("Content-Type", "application/json");
    auto response = client_.Send(request);
    if (!response.ok()) {
      ADD_FAILURE() << "HTTP to the sandbox failed: " << response.error().message;
      return ClientResponse();
    }
    return std::move(response).value();
  }
  ClientResponse Post(std::string_view path, std::string body,
                      std::vector<std::pair<std::string, std::string>> headers = {}) {
    return Send("POST", path, std::move(body), std::move(headers));
  }
  ClientResponse Get(std::string_view path,
                     std::vector<std::pair<std::string, std::string>> headers = {}) {
    return Send("GET", path, "", std::move(headers));
  }
  // The control API: POST /sandbox/<gateway>/charges/{id}/<action>.
  ClientResponse Control(const GatewayDriver& driver, const std::string& id,
                         std::string_view action, std::string body = "") {
    return Post("/sandbox/" + driver.name + "/charges/" + id + "/" + std::string(action),
                std::move(body));
  }
  JsonNode View(const GatewayDriver& driver, const std::string& id) {
    const ClientResponse response = Get("/sandbox/" + driver.name + "/charges/" + id);
    EXPECT_EQ(response.status, 200) << response.body;
    return ParseJson(response.body);
  }

  // SyncPay's token exchange with the sandbox credentials.
  std::string SyncPayToken() {
    const auto credentials = SandboxCredentials("syncpay");
    const ClientResponse response =
        Post("/sandbox/syncpay/api/partner/v1/auth-token",
             R"({"client_id":")" + credentials.at("client_id") + R"(","client_secret":")" +
                 credentials.at("client_secret") + R"("})");
    EXPECT_EQ(response.status, 200) << response.body;
    return Text(ParseJson(response.body), "access_token");
  }

  // Creates a charge through `driver` and returns its id, failing the test on any error.
  std::string CreateCharge(const GatewayDriver& driver, const Amount& amount,
                           const std::string& webhook_url) {
    const ClientResponse response = driver.create(*this, amount, webhook_url, true);
    EXPECT_EQ(response.status, driver.created_status) << response.body;
    return driver.created_id(ParseJson(response.body));
  }

  // Webhooks the receiver got about `id`, once there are at least `count` of them.
  std::vector<JsonNode> AwaitWebhooks(const GatewayDriver& driver, const std::string& id,
                                      size_t count) {
    const bool arrived =
        WaitFor([&] { return receiver_.For(driver.webhook.id, id).size() >= count; });
    EXPECT_TRUE(arrived) << count << " webhook(s) about " << id << " did not arrive";
    std::vector<JsonNode> bodies;
    for (const HttpRequest& request : receiver_.For(driver.webhook.id, id)) {
      bodies.push_back(ParseJson(request.body));
    }
    return bodies;
  }

  // Waits until the simulator has recorded every webhook about `id` as delivered or failed.
  void AwaitDeliveriesSettled(const GatewayDriver& driver, const std::string& id) {
    EXPECT_TRUE(WaitFor([&] {
      const JsonNode view = View(driver, id);
      for (const JsonNode& webhook : At(view, "webhooks").items()) {
        if (Text(webhook, "outcome") == "queued") return false;
      }
      return true;
    }));
  }

  std::string HookUrl(const GatewayDriver& driver) const {
    return receiver_.Url("/webhooks/" + driver.name + "/default");
  }

  ManualClock clock_;
  net::HttpClient client_;
  Receiver receiver_;
  std::unique_ptr<Sandbox> sandbox_;
  std::unique_ptr<api::ResponseRecorder> recorder_;  // outlives the router's server
  std::unique_ptr<http::Router> router_;
  std::unique_ptr<api::HttpServer> server_;
  std::mutex self_mutex_;
  std::vector<std::string> self_hooks_;
};

// --- the six gateways as their adapters call them ----------------------------------------------

using Headers = std::vector<std::pair<std::string, std::string>>;

Headers Bearer(std::string_view token) {
  return {{"Authorization", "Bearer " + std::string(token)}};
}

std::vector<GatewayDriver> Drivers() {
  std::vector<GatewayDriver> drivers;

  GatewayDriver syncpay;
  syncpay.name = "syncpay";
  syncpay.currency = "BRL";
  syncpay.minor_units = false;
  syncpay.minimum = "0.01";
  syncpay.pending = "pending";
  syncpay.paid = "completed";
  syncpay.failed = "failed";
  syncpay.expired = "failed";
  syncpay.refunded = "refunded";
  syncpay.create = [](SandboxTest& test, const Amount& amount, const std::string& url, bool auth) {
    return test.Post("/sandbox/syncpay/api/partner/v1/cash-in",
                     R"({"amount":)" + amount.ToDecimalString() +
                         R"(,"description":"Pedido 1","webhook_url":")" + url +
                         R"(","external_reference":"chg_1","client":{"name":"Ana","cpf":)"
                         R"("12345678909","email":"ana@example.com","phone":"11999999999"},)"
                         R"("split":[{"percentage":10,"user_id":"u1"}]})",
                     auth ? Bearer(test.SyncPayToken()) : Headers{});
  };
  syncpay.created_status = 200;
  syncpay.created_id = [](const JsonNode& body) { return Text(body, "identifier"); };
  syncpay.created_pix_code = [](const JsonNode& body) { return Text(body, "pix_code"); };
  syncpay.status = [](SandboxTest& test, const std::string& id) {
    return std::optional(
        test.Get("/sandbox/syncpay/api/partner/v1/transaction/" + id, Bearer(test.SyncPayToken())));
  };
  syncpay.webhook = Paths{"data.id", "data.status", "data.amount"};
  syncpay.status_query = syncpay.webhook;
  drivers.push_back(syncpay);

  GatewayDriver pushinpay;
  pushinpay.name = "pushinpay";
  pushinpay.currency = "BRL";
  pushinpay.minor_units = true;
  pushinpay.minimum = "0.50";
  pushinpay.pending = "created";
  pushinpay.paid = "paid";
  pushinpay.failed = "canceled";
  pushinpay.expired = "canceled";
  pushinpay.refunded = "refunded";
  pushinpay.create = [](SandboxTest& test, const Amount& amount, const std::string& url,
                        bool auth) {
    return test.Post("/sandbox/pushinpay/api/pix/cashIn",
                     R"({"value":)" + ToDecimal(amount.minor()) + R"(,"webhook_url":")" + url +
                         R"(","split_rules":[{"value":10,"account_id":"acc-1"}]})",
                     auth ? Bearer(SandboxCredentials("pushinpay").at("api_key")) : Headers{});
  };
  pushinpay.created_status = 200;
  pushinpay.created_id = [](const JsonNode& body) { return Text(body, "id"); };
  pushinpay.created_pix_code = [](const JsonNode& body) { return Text(body, "qr_code"); };
  pushinpay.qr_base64_path = "qr_code_base64";
  pushinpay.status = [](SandboxTest& test, const std::string& id) {
    test.clock_.AdvanceMs(61'000);  // PushinPay allows one status query a minute per transaction
    return std::optional(test.Get("/sandbox/pushinpay/api/transactions/" + id,
                                  Bearer(SandboxCredentials("pushinpay").at("api_key"))));
  };
  pushinpay.webhook = Paths{"id", "status", "value"};
  pushinpay.status_query = pushinpay.webhook;
  drivers.push_back(pushinpay);

  GatewayDriver paradise;
  paradise.name = "paradise";
  paradise.currency = "BRL";
  paradise.minor_units = true;
  paradise.minimum = "0.01";
  paradise.pending = "pending";
  paradise.paid = "paid";
  paradise.failed = "failed";
  paradise.expired = "expired";
  paradise.refunded = "refunded";
  paradise.create = [](SandboxTest& test, const Amount& amount, const std::string& url, bool auth) {
    const auto credentials = SandboxCredentials("paradise");
    return test.Post("/sandbox/paradise/api/v1/transaction.php",
                     R"({"amount":)" + ToDecimal(amount.minor()) +
                         R"(,"description":"Pedido 1","reference":"chg_1","productHash":")" +
                         credentials.at("product_hash") +
                         R"(","customer":{"name":"Ana","email":"ana@example.com",)"
                         R"("document":"12345678909","phone":"11999999999"},"postback_url":")" +
                         url + R"("})",
                     auth ? Headers{{"X-API-Key", credentials.at("api_key")}} : Headers{});
  };
  paradise.created_status = 200;
  paradise.created_id = [](const JsonNode& body) { return Text(body, "transaction.id"); };
  paradise.created_pix_code = [](const JsonNode& body) {
    return Text(body, "transaction.qr_code");
  };
  paradise.qr_base64_path = "transaction.qr_code_base64";
  paradise.status = [](SandboxTest& test, const std::string& id) {
    return std::optional(
        test.Get("/sandbox/paradise/api/v1/check_status.php?hash=" + id,
                 Headers{{"X-API-Key", SandboxCredentials("paradise").at("api_key")}}));
  };
  paradise.webhook = Paths{"id", "payment_status", "amount"};
  paradise.status_query = paradise.webhook;
  drivers.push_back(paradise);

  GatewayDriver wiinpay;
  wiinpay.name = "wiinpay";
  wiinpay.currency = "BRL";
  wiinpay.minor_units = false;
  wiinpay.minimum = "3.00";
  wiinpay.pending = "pending";
  wiinpay.paid = "paid";
  wiinpay.failed = "failed";
  wiinpay.expired = "expired";
  wiinpay.refunded = "refunded";
  wiinpay.create = [](SandboxTest& test, const Amount& amount, const std::string& url, bool auth) {
    const std::string key = auth ? SandboxCredentials("wiinpay").at("api_key") : "wrong-key";
    return test.Post("/sandbox/wiinpay/payment/create",
                     R"({"api_key":")" + key + R"(","value":)" + amount.ToDecimalString() +
                         R"(,"name":"Ana","email":"ana@example.com","description":"Pedido 1",)"
                         R"("webhook_url":")" +
                         url + R"(","metadata":{"reference":"chg_1"}})");
  };
  wiinpay.created_status = 201;
  wiinpay.created_id = [](const JsonNode& body) { return Text(body, "id"); };
  wiinpay.created_pix_code = [](const JsonNode& body) { return Text(body, "qr_code"); };
  wiinpay.qr_base64_path = "qr_code_base64";
  wiinpay.status = [](SandboxTest&, const std::string&) { return std::optional<ClientResponse>(); };
  wiinpay.webhook = Paths{"id", "status", "value"};
  wiinpay.status_query = wiinpay.webhook;
  drivers.push_back(wiinpay);

  GatewayDriver atomopay;
  atomopay.name = "atomopay";
  atomopay.currency = "BRL";
  atomopay.minor_units = true;
  atomopay.minimum = "0.50";
  atomopay.pending = "waiting_payment";
  atomopay.paid = "paid";
  atomopay.failed = "refused";
  atomopay.expired = "expired";
  atomopay.refunded = "refunded";
  atomopay.create = [](SandboxTest& test, const Amount& amount, const std::string& url, bool auth) {
    const std::string token = auth ? SandboxCredentials("atomopay").at("api_token") : "wrong";
    return test.Post("/sandbox/atomopay/api/public/v1/transactions?api_token=" + token,
                     R"({"amount":)" + ToDecimal(amount.minor()) +
                         R"(,"payment_method":"pix","offer_hash":"off1","customer":{"name":"Ana",)"
                         R"("email":"ana@example.com","phone_number":"11999999999",)"
                         R"("document":"12345678909"},"cart":[{"product_hash":"prod1",)"
                         R"("title":"Pedido 1","price":)" +
                         ToDecimal(amount.minor()) +
                         R"(,"quantity":1,"operation_type":1,"tangible":false}],)"
                         R"("postback_url":")" +
                         url + R"(","reference":"chg_1"})");
  };
  atomopay.created_status = 201;
  // The adapter names an ÁtomoPay charge by its hash (what the status query takes).
  atomopay.created_id = [](const JsonNode& body) { return Text(body, "hash"); };
  atomopay.created_pix_code = [](const JsonNode& body) { return Text(body, "pix.pix_qr_code"); };
  atomopay.qr_base64_path = "pix.qr_code_base64";
  atomopay.status = [](SandboxTest& test, const std::string& id) {
    return std::optional(test.Get("/sandbox/atomopay/api/public/v1/transactions/" + id +
                                  "?api_token=" + SandboxCredentials("atomopay").at("api_token")));
  };
  atomopay.webhook = Paths{"hash", "payment_status", "amount"};
  atomopay.status_query = atomopay.webhook;
  drivers.push_back(atomopay);

  GatewayDriver buhopago;
  buhopago.name = "buhopago";
  buhopago.currency = "VES";
  buhopago.minor_units = false;
  buhopago.minimum = "0.01";
  buhopago.pending = "pending";
  buhopago.paid = "completed";
  buhopago.failed = "failed";
  buhopago.expired = "expired";
  buhopago.refunded = "refunded";
  buhopago.create = [](SandboxTest& test, const Amount& amount, const std::string& url, bool auth) {
    return test.Post("/sandbox/buhopago/payment-links",
                     R"({"amount":)" + amount.ToDecimalString() +
                         R"(,"currency":"VES","description":"Pedido 1","webhook_url":")" + url +
                         R"(","reference_id":"chg_1"})",
                     auth ? Bearer(SandboxCredentials("buhopago").at("api_key")) : Headers{});
  };
  buhopago.created_status = 201;
  buhopago.created_id = [](const JsonNode& body) { return Text(body, "id"); };
  buhopago.created_pix_code = [](const JsonNode&) { return std::string(); };
  buhopago.status = [](SandboxTest& test, const std::string& id) {
    return std::optional(test.Get("/sandbox/buhopago/payment-links/" + id,
                                  Bearer(SandboxCredentials("buhopago").at("api_key"))));
  };
  buhopago.webhook = Paths{"data.payment_link_id", "data.status", "data.amount"};
  buhopago.status_query = Paths{"id", "status", "amount"};
  buhopago.query_words = {{"pending", "active"},
                          {"completed", "used"},
                          {"failed", "active"},
                          {"expired", "expired"},
                          {"refunded", "used"}};
  buhopago.query_paid_amount = "total_collected";
  drivers.push_back(buhopago);

  return drivers;
}

class EveryGateway : public SandboxTest, public ::testing::WithParamInterface<GatewayDriver> {
 protected:
  const GatewayDriver& driver() const { return GetParam(); }
  Amount Of(std::string_view text) const { return Money(text, driver().currency); }

  // The gateway's status query, when it has one, reports `status` and `amount`.
  void ExpectStatus(const std::string& id, const std::string& status, const Amount& amount) {
    const auto response = driver().status(*this, id);
    if (!response) return;  // WiinPay has no status query
    ASSERT_EQ(response->status, 200) << response->body;
    const JsonNode body = ParseJson(response->body);
    Reported reported = Read(body, driver().status_query);
    const auto word = driver().query_words.find(status);
    const std::string expected = word == driver().query_words.end() ? status : word->second;
    const bool settled = status == driver().paid || status == driver().refunded;
    if (settled && !driver().query_paid_amount.empty()) {
      reported.amount = Text(body, driver().query_paid_amount);
    }
    EXPECT_EQ(reported.id, id);
    EXPECT_EQ(reported.status, expected);
    EXPECT_EQ(reported.amount, Units(driver(), amount));
  }
};

TEST_P(EveryGateway, RefusesMissingOrWrongCredentials) {
  const ClientResponse response = driver().create(*this, Of("10.50"), HookUrl(driver()), false);
  EXPECT_EQ(response.status, 401) << response.body;
  const std::string id = CreateCharge(driver(), Of("10.50"), HookUrl(driver()));
  if (driver().name == "syncpay") {
    EXPECT_EQ(Get("/sandbox/syncpay/api/partner/v1/transaction/" + id, Bearer("forged")).status,
              401);
  } else if (driver().name == "pushinpay") {
    EXPECT_EQ(Get("/sandbox/pushinpay/api/transactions/" + id, Bearer("forged")).status, 401);
  } else if (driver().name == "paradise") {
    EXPECT_EQ(Get("/sandbox/paradise/api/v1/check_status.php?hash=" + id).status, 401);
  } else if (driver().name == "atomopay") {
    EXPECT_EQ(Get("/sandbox/atomopay/api/public/v1/transactions/" + id + "?api_token=x").status,
              401);
  } else if (driver().name == "buhopago") {
    EXPECT_EQ(Get("/sandbox/buhopago/payment-links/" + id).status, 401);
    EXPECT_EQ(Get("/sandbox/buhopago/api/v1/credits/capacity", Bearer("bp_test_other")).status,
              401);
  }
}

TEST_P(EveryGateway, CreateThenPayDeliversTheWebhookInTheGatewaysShapeAndUnits) {
  const Amount amount = Of("10.50");
  const ClientResponse created = driver().create(*this, amount, HookUrl(driver()), true);
  ASSERT_EQ(created.status, driver().created_status) << created.body;
  const JsonNode body = ParseJson(created.body);
  const std::string id = driver().created_id(body);
  ASSERT_FALSE(id.empty()) << created.body;
  ExpectStatus(id, driver().pending, amount);

  const ClientResponse paid = Control(driver(), id, "pay");
  ASSERT_EQ(paid.status, 200) << paid.body;
  EXPECT_EQ(Text(ParseJson(paid.body), "status"), "paid");
  EXPECT_EQ(Text(ParseJson(paid.body), "gateway_status"), driver().paid);

  const auto webhooks = AwaitWebhooks(driver(), id, 1);
  ASSERT_EQ(webhooks.size(), 1u);
  const Reported reported = Read(webhooks[0], driver().webhook);
  EXPECT_EQ(reported.id, id);
  EXPECT_EQ(reported.status, driver().paid);
  // Units exactly as the gateway writes them: "10.5" in reais or bolívares, 1050 in centavos.
  EXPECT_EQ(reported.amount, driver().minor_units ? "1050" : "10.5");
  EXPECT_TRUE(At(webhooks[0], driver().webhook.id).IsString());
  EXPECT_TRUE(At(webhooks[0], driver().webhook.amount).IsNumber());
  const auto requests = receiver_.For(driver().webhook.id, id);
  EXPECT_EQ(requests[0].path, "/webhooks/" + driver().name + "/default");
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(requests[0].Header("Content-Type"), "application/json");

  ExpectStatus(id, driver().paid, amount);
  AwaitDeliveriesSettled(driver(), id);
  const JsonNode view = View(driver(), id);
  ASSERT_EQ(At(view, "webhooks").items().size(), 1u);
  EXPECT_EQ(Text(At(view, "webhooks").items()[0], "outcome"), "delivered");
  EXPECT_EQ(Text(At(view, "webhooks").items()[0], "response_status"), "200");
  EXPECT_EQ(Text(view, "paid_amount"), "10.50");
  EXPECT_EQ(Text(view, "currency"), driver().currency);
}

TEST_P(EveryGateway, PaysADifferentAmount) {
  const std::string id = CreateCharge(driver(), Of("10.50"), HookUrl(driver()));
  const ClientResponse paid = Control(driver(), id, "pay", R"({"amount":"9.99"})");
  ASSERT_EQ(paid.status, 200) << paid.body;
  EXPECT_EQ(Text(ParseJson(paid.body), "paid_amount"), "9.99");
  EXPECT_EQ(Text(ParseJson(paid.body), "amount"), "10.50");
  const auto webhooks = AwaitWebhooks(driver(), id, 1);
  ASSERT_EQ(webhooks.size(), 1u);
  EXPECT_EQ(Read(webhooks[0], driver().webhook).amount, driver().minor_units ? "999" : "9.99");
  ExpectStatus(id, driver().paid, Of("9.99"));
}

TEST_P(EveryGateway, SendsNoWebhookOrTheSameOneTwice) {
  const std::string silent = CreateCharge(driver(), Of("20.00"), HookUrl(driver()));
  const std::string twice = CreateCharge(driver(), Of("21.00"), HookUrl(driver()));
  ASSERT_EQ(Control(driver(), silent, "pay", R"({"deliveries":0})").status, 200);
  ASSERT_EQ(Control(driver(), twice, "pay", R"({"deliveries":2})").status, 200);
  // One sender thread, in queue order: once both copies for `twice` arrived, anything queued for
  // `silent` before them would have arrived too.
  const auto webhooks = AwaitWebhooks(driver(), twice, 2);
  const auto requests = receiver_.For(driver().webhook.id, twice);
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].body, requests[1].body);  // byte for byte the same delivery
  EXPECT_EQ(Read(webhooks[1], driver().webhook).status, driver().paid);
  EXPECT_TRUE(receiver_.For(driver().webhook.id, silent).empty());
  EXPECT_TRUE(At(View(driver(), silent), "webhooks").items().empty());
  ExpectStatus(silent, driver().paid, Of("20.00"));
}

TEST_P(EveryGateway, OutOfOrderSendsAStalePendingAfterThePaidOne) {
  const std::string id = CreateCharge(driver(), Of("15.00"), HookUrl(driver()));
  ASSERT_EQ(Control(driver(), id, "pay", R"({"out_of_order":true})").status, 200);
  const auto webhooks = AwaitWebhooks(driver(), id, 2);
  ASSERT_EQ(webhooks.size(), 2u);
  EXPECT_EQ(Read(webhooks[0], driver().webhook).status, driver().paid);
  EXPECT_EQ(Read(webhooks[1], driver().webhook).status, driver().pending);
  EXPECT_EQ(Read(webhooks[1], driver().webhook).amount, Units(driver(), Of("15.00")));
  // The status query keeps telling the truth.
  ExpectStatus(id, driver().paid, Of("15.00"));
}

TEST_P(EveryGateway, FailsExpiresAndRefunds) {
  const std::string failed = CreateCharge(driver(), Of("30.00"), HookUrl(driver()));
  const std::string expired = CreateCharge(driver(), Of("31.00"), HookUrl(driver()));
  const std::string refunded = CreateCharge(driver(), Of("32.00"), HookUrl(driver()));
  ASSERT_EQ(Control(driver(), failed, "fail").status, 200);
  ASSERT_EQ(Control(driver(), expired, "expire").status, 200);
  ASSERT_EQ(Control(driver(), refunded, "pay").status, 200);
  ASSERT_EQ(Control(driver(), refunded, "refund").status, 200);

  EXPECT_EQ(Read(AwaitWebhooks(driver(), failed, 1)[0], driver().webhook).status, driver().failed);
  EXPECT_EQ(Read(AwaitWebhooks(driver(), expired, 1)[0], driver().webhook).status,
            driver().expired);
  const auto refund_hooks = AwaitWebhooks(driver(), refunded, 2);
  ASSERT_EQ(refund_hooks.size(), 2u);
  EXPECT_EQ(Read(refund_hooks[1], driver().webhook).status, driver().refunded);
  ExpectStatus(failed, driver().failed, Of("30.00"));
  ExpectStatus(expired, driver().expired, Of("31.00"));
  ExpectStatus(refunded, driver().refunded, Of("32.00"));
  EXPECT_EQ(Text(View(driver(), expired), "status"), "expired");
}

TEST_P(EveryGateway, AStatusOnlyMovesForwards) {
  const std::string id = CreateCharge(driver(), Of("12.00"), HookUrl(driver()));
  EXPECT_EQ(Control(driver(), id, "refund").status, 409);  // not paid yet
  ASSERT_EQ(Control(driver(), id, "expire").status, 200);
  for (std::string_view action : {"pay", "fail", "expire", "refund"}) {
    const ClientResponse refused = Control(driver(), id, action);
    EXPECT_EQ(refused.status, 409) << action;
    EXPECT_EQ(refused.Header("Content-Type"), "application/problem+json");
    EXPECT_EQ(Text(ParseJson(refused.body), "code"), "invalid_transition");
  }
  EXPECT_EQ(Text(View(driver(), id), "status"), "expired");
  ExpectStatus(id, driver().expired, Of("12.00"));

  const ClientResponse unknown = Control(driver(), "no-such-charge", "pay");
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(unknown.Header("Content-Type"), "application/problem+json");
  EXPECT_EQ(Text(ParseJson(unknown.body), "code"), "not_found");
  EXPECT_EQ(Get("/sandbox/" + driver().name + "/charges/no-such-charge").status, 404);
}

TEST_P(EveryGateway, IssuesAValidBrCodeForTheAmount) {
  const ClientResponse created = driver().create(*this, Of("10.50"), HookUrl(driver()), true);
  ASSERT_EQ(created.status, driver().created_status) << created.body;
  const JsonNode body = ParseJson(created.body);
  const std::string id = driver().created_id(body);
  const std::string code = driver().created_pix_code(body);
  if (driver().currency == "VES") {
    EXPECT_TRUE(code.empty());
    EXPECT_EQ(Text(body, "url"), "https://sandbox.cambista.dev/buhopago/pay/" + id);
    return;
  }
  auto parsed = pix::ParseBrCode(code);
  ASSERT_TRUE(parsed.ok()) << parsed.error().field << ": " << parsed.error().message << " in "
                           << code;
  EXPECT_EQ(parsed->amount, Money("10.50"));
  EXPECT_TRUE(parsed->single_use);
  EXPECT_EQ(parsed->location_url, "sandbox.cambista.dev/" + driver().name + "/" + id);
  EXPECT_EQ(parsed->merchant_name, "CAMBISTA SANDBOX");
  EXPECT_EQ(parsed->merchant_city, "SAO PAULO");
  EXPECT_LE(parsed->txid.size(), 25u);
  EXPECT_FALSE(parsed->txid.empty());
  EXPECT_EQ(Text(View(driver(), id), "pix_code"), code);
  if (!driver().qr_base64_path.empty()) {
    auto png = Base64Decode(Text(body, driver().qr_base64_path));
    ASSERT_TRUE(png.ok());
    EXPECT_EQ(png->substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  }
}

TEST_P(EveryGateway, RefusesAmountsBelowTheMinimumAndMalformedBodies) {
  const Amount minimum = Of(driver().minimum);
  const Amount below = Amount(minimum.minor() - 1, minimum.asset());
  const ClientResponse refused = driver().create(*this, below, HookUrl(driver()), true);
  EXPECT_EQ(refused.status, 422) << refused.body;
  const ClientResponse accepted = driver().create(*this, minimum, HookUrl(driver()), true);
  EXPECT_EQ(accepted.status, driver().created_status) << accepted.body;

  // Control bodies are validated field by field.
  const std::string id = driver().created_id(ParseJson(accepted.body));
  for (const std::string body :
       {R"({"deliveries":3})", R"({"delay_ms":-1})", R"({"amount":9.99})", R"({"amount":"abc"})",
        R"({"amount":"0.00"})", R"({"colour":"red"})", "not json", R"({"out_of_order":"yes"})"}) {
    const ClientResponse response = Control(driver(), id, "pay", body);
    EXPECT_EQ(response.status, 400) << body << " -> " << response.body;
    EXPECT_EQ(response.Header("Content-Type"), "application/problem+json");
  }
  EXPECT_EQ(Control(driver(), id, "fail", R"({"amount":"1.00"})").status, 400);
  EXPECT_EQ(Text(View(driver(), id), "status"), "pending");
}

TEST_P(EveryGateway, HonoursTheDelay) {
  const std::string id = CreateCharge(driver(), Of("11.00"), HookUrl(driver()));
  const auto started = std::chrono::steady_clock::now();
  ASSERT_EQ(Control(driver(), id, "pay", R"({"delay_ms":300})").status, 200);
  AwaitWebhooks(driver(), id, 1);
  EXPECT_GE(std::chrono::steady_clock::now() - started, std::chrono::milliseconds(300));
}

INSTANTIATE_TEST_SUITE_P(Sandbox, EveryGateway, ::testing::ValuesIn(Drivers()),
                         [](const ::testing::TestParamInfo<GatewayDriver>& param_info) {
                           return param_info.param.name;
                         });

// --- one gateway at a time ------------------------------------------------------------------

GatewayDriver DriverFor(std::string_view name) {
  for (const GatewayDriver& driver : Drivers()) {
    if (driver.name == name) return driver;
  }
  ADD_FAILURE() << "no driver " << name;
  return GatewayDriver();
}

TEST_F(SandboxTest, BuhoPagoSignsEveryWebhookWithTheSecret) {
  const GatewayDriver buhopago = DriverFor("buhopago");
  const std::string id = CreateCharge(buhopago, Money("150.25", "VES"), HookUrl(buhopago));
  ASSERT_EQ(Control(buhopago, id, "pay", R"({"out_of_order":true})").status, 200);
  AwaitWebhooks(buhopago, id, 2);
  const auto requests = receiver_.For("data.payment_link_id", id);
  ASSERT_EQ(requests.size(), 2u);
  const std::string secret = SandboxCredentials("buhopago").at("webhook_secret");
  for (const HttpRequest& request : requests) {
    const std::string expected = HexEncode(HmacSha256(secret, request.body));
    EXPECT_EQ(request.Header("X-Signature"), expected);
  }
  const JsonNode completed = ParseJson(requests[0].body);
  EXPECT_EQ(Text(completed, "event"), "payment.completed");
  EXPECT_EQ(Text(completed, "data.reference_id"), "chg_1");
  EXPECT_EQ(Text(completed, "data.currency"), "VES");
  EXPECT_EQ(Text(completed, "data.amount"), "150.25");
  EXPECT_FALSE(Text(completed, "id").empty());
  EXPECT_EQ(Text(ParseJson(requests[1].body), "event"), "payment.pending");
}

TEST_F(SandboxTest, BuhoPagoSignsWithAConfiguredSecret) {
  StopAll();
  SandboxOptions options;
  options.buhopago_webhook_secret = "another-secret";
  Start(options);
  EXPECT_EQ(sandbox_->Credentials("buhopago").at("webhook_secret"), "another-secret");
  EXPECT_EQ(sandbox_->Credentials("syncpay"), SandboxCredentials("syncpay"));
  const GatewayDriver buhopago = DriverFor("buhopago");
  const std::string id = CreateCharge(buhopago, Money("10.00", "VES"), HookUrl(buhopago));
  ASSERT_EQ(Control(buhopago, id, "pay").status, 200);
  AwaitWebhooks(buhopago, id, 1);
  const HttpRequest request = receiver_.For("data.payment_link_id", id).at(0);
  EXPECT_EQ(request.Header("X-Signature"), HexEncode(HmacSha256("another-secret", request.body)));
}

TEST_F(SandboxTest, BuhoPagoCreditsTheCapacityOnceByIdempotencyKey) {
  const GatewayDriver buhopago = DriverFor("buhopago");
  const Headers auth = Bearer(SandboxCredentials("buhopago").at("api_key"));
  const auto capacity = [&] {
    const ClientResponse response = Get("/sandbox/buhopago/api/v1/credits/capacity", auth);
    EXPECT_EQ(response.status, 200) << response.body;
    return ParseJson(response.body);
  };
  EXPECT_EQ(Text(capacity(), "capacity.volume_available"), "0");

  const std::string paid = CreateCharge(buhopago, Money("1000.00", "VES"), "");
  const std::string unpaid = CreateCharge(buhopago, Money("500.00", "VES"), "");
  ASSERT_EQ(Control(buhopago, paid, "pay").status, 200);
  (void)unpaid;
  // 1000.00 received, 5% + 16% IVA on it (58.00) kept by BuhoPago.
  JsonNode volumes = capacity();
  EXPECT_EQ(Text(volumes, "capacity.volume_available"), "942");
  EXPECT_TRUE(At(volumes, "capacity.volume_available").IsNumber());
  EXPECT_EQ(Text(volumes, "capacity.volume_processed_total"), "1000");
  EXPECT_EQ(Text(volumes, "capacity.volume_credited_total"), "0");

  const std::string request =
      R"({"bank_account_id":"550e8400-e29b-41d4-a716-446655440000","amount":500.5,)"
      R"("concept":"Auto-retiro"})";
  Headers keyed = auth;
  keyed.emplace_back("Idempotency-Key", "sweep-1");
  const ClientResponse first = Post("/sandbox/buhopago/api/v1/credits/execute", request, keyed);
  ASSERT_EQ(first.status, 200) << first.body;
  const JsonNode credit = ParseJson(first.body);
  EXPECT_TRUE(At(credit, "success").bool_value());
  EXPECT_EQ(Text(credit, "status"), "APROBADA");
  EXPECT_EQ(Text(credit, "amount"), "500.5");
  const ClientResponse replay = Post("/sandbox/buhopago/api/v1/credits/execute", request, keyed);
  EXPECT_EQ(replay.status, 200);
  EXPECT_EQ(Text(ParseJson(replay.body), "transaction_id"), Text(credit, "transaction_id"));
  const ClientResponse reused = Post("/sandbox/buhopago/api/v1/credits/execute",
                                     R"({"bank_account_id":"b","amount":1,"concept":"x"})", keyed);
  EXPECT_EQ(reused.status, 409) << reused.body;

  volumes = capacity();
  EXPECT_EQ(Text(volumes, "capacity.volume_available"), "441.5");
  EXPECT_EQ(Text(volumes, "capacity.volume_credited_total"), "500.5");
  const ClientResponse too_much =
      Post("/sandbox/buhopago/api/v1/credits/execute",
           R"({"bank_account_id":"b","amount":441.51,"concept":"x"})", auth);
  EXPECT_EQ(too_much.status, 422) << too_much.body;
  EXPECT_EQ(Text(ParseJson(too_much.body), "error"), "insufficient_capacity");
  const ClientResponse all = Post("/sandbox/buhopago/api/v1/credits/execute",
                                  R"({"bank_account_id":"b","amount":441.5,"concept":"x"})", auth);
  EXPECT_EQ(all.status, 200) << all.body;
  EXPECT_EQ(Text(capacity(), "capacity.volume_available"), "0");
  EXPECT_EQ(Post("/sandbox/buhopago/api/v1/credits/execute",
                 R"({"bank_account_id":"b","amount":"1.00","concept":"x"})", auth)
                .status,
            422);  // a string where BuhoPago wants a number
}

TEST_F(SandboxTest, AtomoPayNamesTheProducerInEveryPayload) {
  const GatewayDriver atomopay = DriverFor("atomopay");
  const std::string token = SandboxCredentials("atomopay").at("api_token");
  const ClientResponse created = atomopay.create(*this, Money("10.00"), HookUrl(atomopay), true);
  ASSERT_EQ(created.status, 201) << created.body;
  const JsonNode body = ParseJson(created.body);
  EXPECT_EQ(Text(body, "producer.hash"), kSandboxAtomoPayProducerHash);
  const std::string id = Text(body, "id");
  const std::string hash = Text(body, "hash");
  ASSERT_FALSE(id.empty());
  ASSERT_FALSE(hash.empty());
  // The numeric id finds the same charge as the hash, in the control API and the status query.
  ASSERT_EQ(Control(atomopay, id, "pay").status, 200);
  const JsonNode webhook = AwaitWebhooks(atomopay, hash, 1).at(0);
  EXPECT_EQ(Text(webhook, "producer.hash"), kSandboxAtomoPayProducerHash);
  EXPECT_EQ(Text(webhook, "id"), id);
  EXPECT_EQ(Text(webhook, "reference"), "chg_1");
  const ClientResponse status =
      Get("/sandbox/atomopay/api/public/v1/transactions/" + id + "?api_token=" + token);
  EXPECT_EQ(Text(ParseJson(status.body), "payment_status"), "paid");
  EXPECT_EQ(atomopay.create(*this, Money("10.00"), "", true).status, 201);
  const ClientResponse card =
      Post("/sandbox/atomopay/api/public/v1/transactions?api_token=" + token,
           R"({"amount":1000,"payment_method":"credit_card"})");
  EXPECT_EQ(card.status, 422);
  // The credential check the adapter makes.
  EXPECT_EQ(
      Get("/sandbox/atomopay/api/public/v1/products?api_token=" + token + "&page=1&per_page=1")
          .status,
      200);
  EXPECT_EQ(Get("/sandbox/atomopay/api/public/v1/products?api_token=wrong").status, 401);
}

TEST_F(SandboxTest, SyncPayTokensExpireAfterAnHour) {
  const std::string token = SyncPayToken();
  ASSERT_FALSE(token.empty());
  const auto credentials = SandboxCredentials("syncpay");
  EXPECT_EQ(
      Post("/sandbox/syncpay/api/partner/v1/auth-token",
           R"({"client_id":")" + credentials.at("client_id") + R"(","client_secret":"wrong"})")
          .status,
      401);
  EXPECT_EQ(Post("/sandbox/syncpay/api/partner/v1/auth-token", R"({"client_id":"x"})").status, 422);
  const std::string body = R"({"amount":10.5,"webhook_url":"http://127.0.0.1:1/x"})";
  EXPECT_EQ(Post("/sandbox/syncpay/api/partner/v1/cash-in", body, Bearer(token)).status, 200);
  clock_.AdvanceMs(3'600'000);
  EXPECT_EQ(Post("/sandbox/syncpay/api/partner/v1/cash-in", body, Bearer(token)).status, 401);
  EXPECT_EQ(Post("/sandbox/syncpay/api/partner/v1/cash-in", body, Bearer(SyncPayToken())).status,
            200);
  // Reais with more decimals than BRL has are refused, never rounded.
  EXPECT_EQ(Post("/sandbox/syncpay/api/partner/v1/cash-in", R"({"amount":10.505})",
                 Bearer(SyncPayToken()))
                .status,
            422);
  EXPECT_EQ(Post("/sandbox/syncpay/api/partner/v1/cash-in", R"({"amount":"10.50"})",
                 Bearer(SyncPayToken()))
                .status,
            422);
}

// Text limits count characters, as the gateways' own (Laravel's max) do and as /openapi.json's
// maxLength says: 255 "Ñ" (510 bytes) are a description SyncPay takes; 256 are one too many.
TEST_F(SandboxTest, TextLimitsCountCharactersNotBytes) {
  std::string ene255;
  for (int i = 0; i < 255; ++i) ene255 += "\xc3\x91";
  const auto cash_in = [this](std::string_view description) {
    return Post("/sandbox/syncpay/api/partner/v1/cash-in",
                R"({"amount":10.5,"description":")" + std::string(description) + R"("})",
                Bearer(SyncPayToken()))
        .status;
  };
  EXPECT_EQ(cash_in(ene255), 200);
  EXPECT_EQ(cash_in(ene255 + "\xc3\x91"), 422);
  // BuhoPago's description: 3 to 200 characters.
  const auto link = [this](std::string_view description) {
    return Post("/sandbox/buhopago/payment-links",
                R"({"amount":150,"description":")" + std::string(description) + R"("})",
                Bearer(SandboxCredentials("buhopago").at("api_key")))
        .status;
  };
  EXPECT_EQ(link("\xc3\x91\xc3\x91\xc3\x91"), 201);  // 3 characters, 6 bytes
  EXPECT_EQ(link("\xc3\x91\xc3\x91"), 422);          // 2 characters, 4 bytes
}

TEST_F(SandboxTest, PushinPayAnswersOneStatusQueryAMinute) {
  const GatewayDriver pushinpay = DriverFor("pushinpay");
  const std::string id = CreateCharge(pushinpay, Money("1.00"), HookUrl(pushinpay));
  const Headers auth = Bearer(SandboxCredentials("pushinpay").at("api_key"));
  EXPECT_EQ(Get("/sandbox/pushinpay/api/transactions/" + id, auth).status, 200);
  clock_.AdvanceMs(30'000);
  const ClientResponse limited = Get("/sandbox/pushinpay/api/transactions/" + id, auth);
  EXPECT_EQ(limited.status, 429);
  EXPECT_EQ(limited.Header("Retry-After"), "30");
  clock_.AdvanceMs(30'000);
  EXPECT_EQ(Get("/sandbox/pushinpay/api/transactions/" + id, auth).status, 200);
  EXPECT_EQ(Get("/sandbox/pushinpay/api/transactions/unknown", auth).status, 404);
  EXPECT_EQ(pushinpay.create(*this, Money("0.49"), "", true).status, 422);
}

TEST_F(SandboxTest, RetriesAWebhookTheReceiverRefused) {
  const GatewayDriver paradise = DriverFor("paradise");
  const std::string id = CreateCharge(paradise, Money("5.00"), HookUrl(paradise));
  receiver_.QueueReplies({500, 503});
  ASSERT_EQ(Control(paradise, id, "pay").status, 200);
  EXPECT_TRUE(WaitFor([&] { return receiver_.For("id", id).size() == 3; }));
  AwaitDeliveriesSettled(paradise, id);
  const JsonNode record = Item(At(View(paradise, id), "webhooks"), 0);
  EXPECT_EQ(Text(record, "outcome"), "delivered");
  EXPECT_EQ(Text(record, "attempts"), "3");
}

TEST_F(SandboxTest, GivesUpOnAnUnreachableReceiverAndSaysSo) {
  const GatewayDriver wiinpay = DriverFor("wiinpay");
  // Port 1 on loopback: nothing listens there.
  const std::string id = CreateCharge(wiinpay, Money("5.00"), "http://127.0.0.1:1/hook");
  ASSERT_EQ(Control(wiinpay, id, "pay").status, 200);
  AwaitDeliveriesSettled(wiinpay, id);
  const JsonNode record = Item(At(View(wiinpay, id), "webhooks"), 0);
  EXPECT_EQ(Text(record, "outcome"), "failed");
  EXPECT_EQ(Text(record, "attempts"), "3");
  EXPECT_FALSE(Text(record, "error").empty());
}

TEST_F(SandboxTest, AWebhookToTheSameSingleThreadedServerDoesNotDeadlock) {
  StopAll();
  Start(SandboxOptions(), /*io_threads=*/1);
  const GatewayDriver syncpay = DriverFor("syncpay");
  const std::string id = CreateCharge(syncpay, Money("7.00"), Url("/self-hook"));
  ASSERT_EQ(Control(syncpay, id, "pay").status, 200);
  EXPECT_TRUE(WaitFor([&] {
    std::lock_guard lock(self_mutex_);
    return !self_hooks_.empty();
  }));
  std::lock_guard lock(self_mutex_);
  EXPECT_EQ(Text(ParseJson(self_hooks_.at(0)), "data.id"), id);
}

TEST_F(SandboxTest, StopDropsWebhooksNotYetDueAndReturnsPromptly) {
  const GatewayDriver pushinpay = DriverFor("pushinpay");
  const std::string id = CreateCharge(pushinpay, Money("5.00"), HookUrl(pushinpay));
  ASSERT_EQ(Control(pushinpay, id, "pay", R"({"delay_ms":600000})").status, 200);
  const auto started = std::chrono::steady_clock::now();
  server_->Stop(1'000);
  sandbox_->Stop();
  sandbox_->Stop();  // idempotent
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));
  EXPECT_TRUE(receiver_.For("id", id).empty());
}

TEST_F(SandboxTest, ListsAGatewaysChargesAndDocumentsEveryRoute) {
  const GatewayDriver wiinpay = DriverFor("wiinpay");
  const std::string first = CreateCharge(wiinpay, Money("5.00"), "");
  const std::string second = CreateCharge(wiinpay, Money("6.00"), "");
  const JsonNode list = ParseJson(Get("/sandbox/wiinpay/charges").body);
  ASSERT_EQ(At(list, "data").items().size(), 2u);
  EXPECT_EQ(Text(At(list, "data").items()[0], "id"), first);
  EXPECT_EQ(Text(At(list, "data").items()[1], "id"), second);
  EXPECT_TRUE(At(ParseJson(Get("/sandbox/paradise/charges").body), "data").items().empty());
  // A charge without a webhook URL still moves; nothing is sent.
  ASSERT_EQ(Control(wiinpay, first, "pay").status, 200);
  EXPECT_TRUE(At(View(wiinpay, first), "webhooks").items().empty());
  for (const http::Router::Route& route : router_->routes()) {
    EXPECT_EQ(route.doc.access, "public") << route.pattern;
    EXPECT_FALSE(route.doc.summary.empty()) << route.pattern;
  }
  // The whole OpenAPI document nests deeper than a provider payload may: read with Boost.JSON.
  const boost::json::value openapi = boost::json::parse(api::OpenApiDocument(*router_, "test"));
  const boost::json::object& paths = openapi.at("paths").as_object();
  EXPECT_TRUE(paths.contains("/sandbox/paradise/api/v1/check_status.php"));
  EXPECT_TRUE(paths.contains("/sandbox/buhopago/charges/{id}/refund"));
}

TEST_F(SandboxTest, CredentialsAreObviouslyFake) {
  ASSERT_EQ(SandboxGateways().size(), 6u);
  for (std::string_view gateway : SandboxGateways()) {
    const auto credentials = SandboxCredentials(gateway);
    EXPECT_FALSE(credentials.empty()) << gateway;
    for (const auto& [name, value] : credentials) {
      EXPECT_TRUE(value.find("sandbox") != std::string::npos) << gateway << " " << name;
    }
  }
  EXPECT_TRUE(SandboxCredentials("buhopago").at("api_key").starts_with("bp_test_"));
  EXPECT_TRUE(SandboxCredentials("nope").empty());
}

TEST_F(SandboxTest, ManyConcurrentPaymentsAllArrive) {
  const std::vector<GatewayDriver> drivers = Drivers();
  constexpr int kPerThread = 4;
  std::vector<std::thread> threads;
  std::mutex mutex;
  std::vector<std::pair<size_t, std::string>> paid;  // driver index, charge id
  for (size_t d = 0; d < drivers.size(); ++d) {
    threads.emplace_back([&, d] {
      for (int i = 0; i < kPerThread; ++i) {
        const std::string id =
            CreateCharge(drivers[d], Money("10.00", drivers[d].currency), HookUrl(drivers[d]));
        EXPECT_EQ(Control(drivers[d], id, "pay").status, 200);
        std::lock_guard lock(mutex);
        paid.emplace_back(d, id);
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  ASSERT_EQ(paid.size(), drivers.size() * kPerThread);
  for (const auto& [d, id] : paid) {
    EXPECT_EQ(AwaitWebhooks(drivers[d], id, 1).size(), 1u) << drivers[d].name;
  }
}

}  // namespace
}  // namespace cambista::sandbox
