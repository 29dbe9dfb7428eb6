#include "events/webhook_endpoints.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <utility>

#include "response_recording.hpp"
#include "test_database.hpp"

namespace cambista::events {
namespace {

using namespace cambista::api;

// The routes of events/webhook_endpoints.cpp on a real database, called through a Router. Host
// names resolve through the machine's resolver: `localhost` is 127.0.0.1 by /etc/hosts, and
// `.invalid` never resolves (RFC 6761); no test sends anything to a public address.
class WebhookEndpointsTest : public cambista::testing::DatabaseTest {
 protected:
  void SetUp() override {
    DatabaseTest::SetUp();
    if (IsSkipped()) return;
    keys_ = std::make_unique<ApiKeyStore>(db(), clock_, kMasterKey, DeriveApiKeyPepper(kMasterKey));
    gate_ = std::make_unique<AuthGate>(AuthGate{*keys_, limiter_, limiter_});
    idempotency_ = std::make_unique<Idempotency>(db(), clock_, box_);
    recorder_ = cambista::testing::RecordResponsesIfAsked(strict_);
    lenient_.RecordResponses(recorder_.get());
    AddWebhookEndpointRoutes(strict_, *gate_, *idempotency_, box_, db(), clock_, 3,
                             /*allow_private_addresses=*/false);
    AddWebhookEndpointRoutes(lenient_, *gate_, *idempotency_, box_, db(), clock_, 3,
                             /*allow_private_addresses=*/true);
    key_ = keys_->Create("acme", ScopeSet{Scope::kWebhooksWrite});
  }

  http::HttpResponse Register(http::Router& router, std::string_view url,
                              std::string idempotency_key,
                              std::string_view event_types = R"(["test.ping"])") {
    http::HttpRequest request;
    request.method = "POST";
    request.path = "/v1/webhook-endpoints";
    request.remote_address = "127.0.0.1";
    request.headers = {{"Authorization", "Bearer " + key_},
                       {"Idempotency-Key", std::move(idempotency_key)}};
    request.body =
        "{\"url\":\"" + std::string(url) + "\",\"event_types\":" + std::string(event_types) + "}";
    return router.Handle(request);
  }

  http::HttpResponse Get(std::string path) {
    http::HttpRequest request;
    request.method = "GET";
    request.path = std::move(path);
    request.remote_address = "127.0.0.1";
    request.headers = {{"Authorization", "Bearer " + key_}};
    return strict_.Handle(request);
  }

  int64_t EndpointCount() {
    int64_t count = 0;
    db().Connect()->Query("SELECT count(*) FROM webhook_endpoints", {},
                          [&](const store::Row& row) { count = row.Int64(0); });
    return count;
  }

  static std::string IdOf(const http::HttpResponse& response) {
    const size_t at = response.body.find("\"id\":\"we_");
    return at == std::string::npos ? "" : response.body.substr(at + 6, 27);
  }

  static constexpr std::string_view kMasterKey = "0123456789abcdef0123456789abcdef";
  ManualClock clock_;
  SecretBox box_ = MakeSecretBox(kMasterKey);
  TokenBucketLimiter limiter_{clock_, {1'000, 1'000}};
  std::unique_ptr<ApiKeyStore> keys_;
  std::unique_ptr<AuthGate> gate_;
  std::unique_ptr<Idempotency> idempotency_;
  std::unique_ptr<ResponseRecorder> recorder_;
  http::Router strict_;
  http::Router lenient_;
  std::string key_;
};

TEST_P(WebhookEndpointsTest, AHostResolvingToLoopbackIsRefusedAtRegistration) {
  const http::HttpResponse refused = Register(strict_, "http://localhost:9/hook", "k1");
  EXPECT_EQ(refused.status, 422) << refused.body;
  EXPECT_EQ(refused.content_type, "application/problem+json");
  EXPECT_NE(refused.body.find("\"code\":\"url_not_public\""), std::string::npos) << refused.body;
  EXPECT_NE(refused.body.find("the host localhost resolves to "), std::string::npos);
  // localhost is 127.0.0.1 and, where the resolver gives it, ::1: either is named.
  EXPECT_TRUE(refused.body.find("127.0.0.1") != std::string::npos ||
              refused.body.find("::1") != std::string::npos)
      << refused.body;
  EXPECT_EQ(EndpointCount(), 0);
  // Idempotent like any answer below 500: the same request with the same key replays it.
  const http::HttpResponse replayed = Register(strict_, "http://localhost:9/hook", "k1");
  EXPECT_EQ(replayed.status, 422);
  EXPECT_EQ(replayed.body, refused.body);
  EXPECT_NE(std::find(replayed.headers.begin(), replayed.headers.end(),
                      std::pair<std::string, std::string>("Idempotent-Replayed", "true")),
            replayed.headers.end());
}

TEST_P(WebhookEndpointsTest, ANameThatDoesNotResolveIsRefusedAtRegistration) {
  const http::HttpResponse refused = Register(strict_, "https://no-such-host.invalid/hook", "k1");
  EXPECT_EQ(refused.status, 422) << refused.body;
  EXPECT_NE(refused.body.find("\"code\":\"url_unresolvable\""), std::string::npos) << refused.body;
  EXPECT_NE(refused.body.find("no-such-host.invalid"), std::string::npos) << refused.body;
  EXPECT_EQ(refused.body.find("/hook"), std::string::npos);  // the path may carry a token
  EXPECT_EQ(EndpointCount(), 0);
}

TEST_P(WebhookEndpointsTest, MalformedRequestsAre400BeforeAnyAddressCheck) {
  EXPECT_EQ(Register(strict_, "http://localhost:9/hook", "k1", R"(["nope"])").status, 400);
  EXPECT_EQ(Register(strict_, "ftp://localhost/hook", "k2").status, 400);
  // An IP literal that is not public is refused as before, without a lookup.
  const http::HttpResponse literal = Register(strict_, "http://127.0.0.1:9/hook", "k3");
  EXPECT_EQ(literal.status, 400);
  EXPECT_NE(literal.body.find("public host"), std::string::npos) << literal.body;
}

TEST_P(WebhookEndpointsTest, APublicAddressIsAccepted) {
  // An IP literal resolves to itself; nothing is sent to it at registration.
  const http::HttpResponse created = Register(strict_, "https://1.1.1.1/hook", "k1");
  EXPECT_EQ(created.status, 201) << created.body;
  EXPECT_NE(created.body.find("whsec_"), std::string::npos);
  EXPECT_EQ(EndpointCount(), 1);
}

TEST_P(WebhookEndpointsTest, AllowPrivateAddressesLiftsBothChecks) {
  EXPECT_EQ(Register(lenient_, "http://localhost:9/hook", "k1").status, 201);
  EXPECT_EQ(Register(lenient_, "https://no-such-host.invalid/hook", "k2").status, 201);
  EXPECT_EQ(Register(lenient_, "http://127.0.0.1:9/hook", "k3").status, 201);
  EXPECT_EQ(EndpointCount(), 3);
}

TEST(EndpointAddressRefusalTest, AnyAddressThatIsNotPublicRefuses) {
  using Resolved = Result<net::ResolvedHost, net::HttpClientError>;
  EXPECT_FALSE(EndpointAddressRefusal(Resolved(net::ResolvedHost{
      "hooks.example.com", {"93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"}})));
  // One private address among public ones is enough: a delivery could be sent to it.
  const auto mixed = EndpointAddressRefusal(
      Resolved(net::ResolvedHost{"hooks.example.com", {"93.184.216.34", "10.0.0.5"}}));
  ASSERT_TRUE(mixed);
  EXPECT_EQ(mixed->status, 422);
  EXPECT_NE(mixed->body.find("the host hooks.example.com resolves to 10.0.0.5"), std::string::npos)
      << mixed->body;
  for (const char* address : {"169.254.169.254", "::ffff:127.0.0.1", "fd00::1", "100.64.0.1"}) {
    const auto refusal =
        EndpointAddressRefusal(Resolved(net::ResolvedHost{"h.example", {address}}));
    ASSERT_TRUE(refusal) << address;
    EXPECT_NE(refusal->body.find("url_not_public"), std::string::npos) << address;
  }
  const auto unresolvable = EndpointAddressRefusal(Resolved(Failure{net::HttpClientError{
      net::HttpClientError::Kind::kResolve, "https://x.example:443: cannot resolve the host"}}));
  ASSERT_TRUE(unresolvable);
  EXPECT_EQ(unresolvable->status, 422);
  EXPECT_NE(unresolvable->body.find("url_unresolvable"), std::string::npos);
}

// Each attempt as the deliverer records it (events/webhook_delivery.cpp): number, time, outcome,
// HTTP status, error text, duration and the next attempt, newest first.
TEST_P(WebhookEndpointsTest, DeliveriesShowEachAttemptWithItsError) {
  const http::HttpResponse created = Register(lenient_, "http://127.0.0.1:9/hook", "k1");
  ASSERT_EQ(created.status, 201);
  const std::string id = IdOf(created);
  auto connection = db().Connect();
  const std::string insert =
      "INSERT INTO webhook_attempts (endpoint_id, event_id, event_type, attempt, outcome, "
      "response_status, error, duration_ms, attempted_at_ms, next_attempt_at_ms) VALUES ($1, "
      "'evt_1', 'test.ping', $2, $3, $4, $5, $6, $7, $8)";
  connection->Execute(
      insert, {std::string_view(id), int64_t{1}, std::string_view("retrying"), store::Null{},
               std::string_view("http://127.0.0.1:9: connect: Connection refused"), int64_t{3},
               int64_t{1'000}, int64_t{6'000}});
  connection->Execute(
      insert, {std::string_view(id), int64_t{2}, std::string_view("succeeded"), int64_t{200},
               store::Null{}, int64_t{41}, int64_t{6'010}, store::Null{}});
  const http::HttpResponse deliveries = Get("/v1/webhook-endpoints/" + id + "/deliveries");
  ASSERT_EQ(deliveries.status, 200) << deliveries.body;
  const size_t second = deliveries.body.find(
      "\"event_id\":\"evt_1\",\"event_type\":\"test.ping\",\"attempt\":2,\"outcome\":"
      "\"succeeded\",\"response_status\":200,\"error\":null,\"duration_ms\":41,"
      "\"attempted_at_ms\":6010,\"next_attempt_at_ms\":null}");
  const size_t first = deliveries.body.find(
      "\"event_id\":\"evt_1\",\"event_type\":\"test.ping\",\"attempt\":1,\"outcome\":"
      "\"retrying\",\"response_status\":null,\"error\":\"http://127.0.0.1:9: connect: "
      "Connection refused\",\"duration_ms\":3,\"attempted_at_ms\":1000,"
      "\"next_attempt_at_ms\":6000}");
  ASSERT_NE(second, std::string::npos) << deliveries.body;
  ASSERT_NE(first, std::string::npos) << deliveries.body;
  EXPECT_LT(second, first);  // newest first
  EXPECT_EQ(Get("/v1/webhook-endpoints/we_nope/deliveries").status, 404);
}

INSTANTIATE_BACKENDS(WebhookEndpointsTest);

}  // namespace
}  // namespace cambista::events
