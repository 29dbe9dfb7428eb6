#include "app/demo_flows.hpp"

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

#include "payins/provider_json.hpp"
#include "security/hmac.hpp"

namespace cambista::app {
namespace {

constexpr std::string_view kTronAddress = "TNPeeaaFB7K9cmo4uQpcU32zGK8G1NYqeL";
constexpr std::string_view kRefundPixKey = "ana@example.com";
constexpr int64_t kPollIntervalMs = 100;
constexpr size_t kCodeCharsShown = 40;

struct SandboxRate {
  std::string_view pair;
  std::string_view bid;
  std::string_view ask;
};
constexpr SandboxRate kRates[] = {{"USDT-BRL", "5.40", "5.50"}, {"USDT-VES", "36.00", "36.50"}};

// The trade's statuses in the order a trade passes them; a trade never goes back. Each status's
// rank tells which ends it can still reach.
int Rank(std::string_view status) {
  if (status == "AWAITING_PAYMENT") return 0;
  if (status == "PAYMENT_CONFIRMED") return 1;
  if (status == "PAYOUT_PENDING") return 2;
  if (status == "REFUND_PENDING") return 3;
  return 4;  // an end: COMPLETED, REFUNDED, EXPIRED, CANCELLED, or MANUAL_REVIEW (people decide)
}

// Whether a trade in `status` may still end in `wanted`.
bool CanReach(std::string_view status, std::string_view wanted) {
  if (status == wanted) return true;
  if (wanted == "EXPIRED") return status == "AWAITING_PAYMENT";
  if (wanted == "COMPLETED") return Rank(status) <= 2;
  if (wanted == "REFUNDED") return Rank(status) <= 3;
  return Rank(status) < 4;
}

std::string Shorten(const std::string& text, size_t chars) {
  return text.size() <= chars ? text : text.substr(0, chars) + "...";
}

std::string TronDestination() {
  return R"({"kind":"crypto_address","network":"TRON","address":")" + std::string(kTronAddress) +
         R"("})";
}

}  // namespace

DemoFlows::DemoFlows(ApiClient& api, std::string customer, int64_t flow_timeout_ms)
    : api_(api),
      customer_(std::move(customer)),
      flow_timeout_ms_(flow_timeout_ms),
      run_(HexEncode(RandomBytes(6))) {}

void DemoFlows::Fail(char tag, const std::string& why) {
  std::printf("[%c] FAILED: %s\n", tag, why.c_str());
  std::fflush(stdout);
}

std::string DemoFlows::Elapsed() const {
  const int64_t tenths = (NowUs() - flow_started_us_) / 100'000;
  return std::to_string(tenths / 10) + "." + std::to_string(tenths % 10) + " s";
}

bool DemoFlows::Prepare() {
  const ApiReply customer =
      api_.Send("PUT", "/v1/customers/" + customer_, R"({"name":"Ana Demo","kyc_level":1})");
  if (!customer.ok()) {
    Fail('-', "customer " + customer_ + ": " + customer.Describe());
    return false;
  }
  std::printf("[setup] customer %s (KYC level 1)\n", customer_.c_str());
  for (const SandboxRate& rate : kRates) {
    const ApiReply set = api_.Send(
        "PUT", "/sandbox/rates/" + std::string(rate.pair),
        R"({"bid":")" + std::string(rate.bid) + R"(","ask":")" + std::string(rate.ask) + R"("})",
        "", false);
    if (!set.ok()) {
      Fail('-', "the sandbox rate feed (PUT /sandbox/rates/" + std::string(rate.pair) +
                    "): " + set.Describe() +
                    (set.status == 404 ? " (is the server running with --sandbox?)" : ""));
      return false;
    }
    std::printf("[setup] sandbox rate %.*s bid %.*s ask %.*s\n", static_cast<int>(rate.pair.size()),
                rate.pair.data(), static_cast<int>(rate.bid.size()), rate.bid.data(),
                static_cast<int>(rate.ask.size()), rate.ask.data());
  }
  std::fflush(stdout);
  return true;
}

std::optional<std::string> DemoFlows::Quote(char tag, std::string_view from,
                                            std::string_view amount) {
  const ApiReply quote = api_.Send(
      "POST", "/v1/quotes",
      R"({"from_asset":")" + std::string(from) + R"(","to_asset":"USDT","amount":")" +
          std::string(amount) + R"(","amount_side":"spend","customer":")" + customer_ + R"("})");
  if (quote.status != 201) {
    Fail(tag, "quote: " + quote.Describe());
    return std::nullopt;
  }
  std::printf("[%c] quote %s %s -> %s USDT at %s (%s)\n", tag, quote.Field("amount_in").c_str(),
              quote.Field("from_asset").c_str(), quote.Field("amount_out").c_str(),
              quote.Field("rate").c_str(), quote.Field("id").c_str());
  std::fflush(stdout);
  return quote.Field("id");
}

std::optional<ApiReply> DemoFlows::Trade(char tag, const std::string& quote_id,
                                         const std::string& extra) {
  const ApiReply trade = api_.Send("POST", "/v1/trades",
                                   R"({"quote_id":")" + quote_id + R"(","customer":")" + customer_ +
                                       R"(","destination":)" + TronDestination() + extra + "}",
                                   "demo-" + run_ + "-" + std::to_string(++idempotency_keys_));
  if (trade.status != 201) {
    Fail(tag, "trade: " + trade.Describe());
    return std::nullopt;
  }
  const std::string pix = trade.Field({"charge", "pix_code"});
  const std::string instructions = trade.Field({"charge", "payment_instructions"});
  const std::string how = !pix.empty() ? "PIX code " + Shorten(pix, kCodeCharsShown)
                          : !instructions.empty()
                              ? "instructions: " + Shorten(instructions, kCodeCharsShown)
                              : std::string("no payment details");
  std::printf("[%c] trade %s %s, charge %s at %s, %s\n", tag, trade.Field("id").c_str(),
              trade.Field("status").c_str(), trade.Field({"charge", "id"}).c_str(),
              trade.Field({"charge", "gateway"}).c_str(), how.c_str());
  std::fflush(stdout);
  return trade;
}

bool DemoFlows::ChargeAction(char tag, const ApiReply& trade, std::string_view action) {
  const std::string gateway = trade.Field({"charge", "gateway"});
  const std::string gateway_id = trade.Field({"charge", "gateway_charge_id"});
  if (gateway.empty() || gateway_id.empty()) {
    Fail(tag, "the trade has no charge at a gateway: " + Shorten(trade.body, 300));
    return false;
  }
  const ApiReply done = api_.Send(
      "POST", "/sandbox/" + gateway + "/charges/" + gateway_id + "/" + std::string(action), "", "",
      false);
  if (!done.ok()) {
    Fail(tag, std::string(action) + " at " + gateway + ": " + done.Describe());
    return false;
  }
  std::printf("[%c] %s at %s (sandbox)\n", tag, action == "pay" ? "paid" : "expired",
              gateway.c_str());
  std::fflush(stdout);
  return true;
}

std::optional<ApiReply> DemoFlows::WaitFor(char tag, const std::string& trade_id,
                                           std::string_view status) {
  const int64_t deadline_us = flow_started_us_ + flow_timeout_ms_ * 1'000;
  std::string seen = "AWAITING_PAYMENT";
  for (;;) {
    ApiReply trade = api_.Get("/v1/trades/" + trade_id);
    const std::string now = trade.Field("status");
    if (!trade.ok()) {
      Fail(tag, "GET /v1/trades/" + trade_id + ": " + trade.Describe());
      return std::nullopt;
    }
    if (now == status) return trade;  // the caller says how it ended
    if (now != seen) {
      seen = now;
      const bool paying = now == "PAYOUT_PENDING" || now == "REFUND_PENDING";
      std::printf("[%c] %s%s\n", tag, now.c_str(),
                  paying ? (", payout " + trade.Field("payout_id")).c_str() : "");
      std::fflush(stdout);
    }
    if (!CanReach(now, status)) {
      const std::string reason = trade.Field("reason");
      Fail(tag, "ended " + now + ", not " + std::string(status) +
                    (reason.empty() ? "" : " (" + reason + ")"));
      return std::nullopt;
    }
    if (NowUs() > deadline_us) {
      Fail(tag, "still " + now + " after " + std::to_string(flow_timeout_ms_ / 1'000) +
                    " s (wanted " + std::string(status) + ")");
      return std::nullopt;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(kPollIntervalMs));
  }
}

std::optional<ApiReply> DemoFlows::Run(char tag, std::string_view from, std::string_view amount,
                                       const std::string& extra, std::string_view action,
                                       std::string_view status) {
  flow_started_us_ = NowUs();
  const auto quote = Quote(tag, from, amount);
  if (!quote) return std::nullopt;
  const auto trade = Trade(tag, *quote, extra);
  if (!trade || !ChargeAction(tag, *trade, action)) return std::nullopt;
  return WaitFor(tag, trade->Field("id"), status);
}

std::string DemoFlows::PayoutSummary(const std::string& payout_id) {
  const ApiReply payout = api_.Get("/v1/payouts/" + payout_id);
  if (!payout.ok()) return "payout " + payout_id + " (" + payout.Describe() + ")";
  const std::string kind = payout.Field({"destination", "kind"});
  const std::string to = kind == "pix_key" ? "PIX key " + payout.Field({"destination", "key"})
                                           : payout.Field({"destination", "address"});
  return "payout " + payout_id + " " + payout.Field("status") + " (" + payout.Field("amount") +
         " " + payout.Field("asset") + " to " + to + " via " + payout.Field("provider") + ")";
}

bool DemoFlows::BuyUsdtWithBrl() {
  const auto done = Run('a', "BRL", "100.00", "", "pay", "COMPLETED");
  if (!done) return false;
  std::printf("[a] COMPLETED in %s: %s\n", Elapsed().c_str(),
              PayoutSummary(done->Field("payout_id")).c_str());
  std::fflush(stdout);
  return true;
}

bool DemoFlows::BuyUsdtWithVes() {
  const auto done = Run('b', "VES", "1000.00", "", "pay", "COMPLETED");
  if (!done) return false;
  std::printf("[b] COMPLETED in %s: %s\n", Elapsed().c_str(),
              PayoutSummary(done->Field("payout_id")).c_str());
  std::fflush(stdout);
  return true;
}

bool DemoFlows::TradeThatExpires() {
  const auto done = Run('c', "BRL", "50.00", "", "expire", "EXPIRED");
  if (!done) return false;
  std::printf("[c] EXPIRED in %s: charge %s %s, nothing paid out\n", Elapsed().c_str(),
              done->Field({"charge", "id"}).c_str(), done->Field({"charge", "status"}).c_str());
  std::fflush(stdout);
  return true;
}

bool DemoFlows::PayoutFailsAndIsRefunded() {
  // The next payout Heleket is asked to make fails for good, as soon as it is taken.
  const ApiReply fault =
      api_.Send("POST", "/sandbox/heleket/faults",
                R"({"order_id":"*","finish_status":"fail","finish_after_ms":0})", "", false);
  if (!fault.ok()) {
    Fail('d', "the Heleket simulator's fault: " + fault.Describe());
    return false;
  }
  std::printf("[d] Heleket will fail the next payout (sandbox fault)\n");
  const std::string refund =
      R"(,"refund_destination":{"kind":"pix_key","key":")" + std::string(kRefundPixKey) + R"("})";
  const auto done = Run('d', "BRL", "80.00", refund, "pay", "REFUNDED");
  if (!done) return false;
  const ApiReply failed = api_.Get("/v1/payouts/" + done->Field("payout_id"));
  std::printf("[d] REFUNDED in %s: payout %s %s, refund %s\n", Elapsed().c_str(),
              done->Field("payout_id").c_str(), failed.Field("status").c_str(),
              PayoutSummary(done->Field("refund_payout_id")).c_str());
  std::fflush(stdout);
  return true;
}

bool DemoFlows::PrintLedger() {
  const ApiReply balances = api_.Get("/v1/balances");
  auto document = payins::JsonDocument::Parse(balances.body);
  const payins::JsonNode* data =
      balances.ok() && document.ok() ? document.value().root().Find("data") : nullptr;
  if (data == nullptr || !data->IsArray()) {
    std::printf("ledger: cannot read GET /v1/balances: %s\n", balances.Describe().c_str());
    return false;
  }
  const auto text = [](const payins::JsonNode& node, std::string_view name) {
    const payins::JsonNode* member = node.Find(name);
    return member != nullptr && member->IsString() ? std::string(member->text()) : std::string();
  };
  std::printf("ledger: the tenant's accounts that hold something (posted; pending holds):\n");
  for (const payins::JsonNode& account : data->items()) {
    const std::string kind = text(account, "kind");
    const std::string qualifier = text(account, "qualifier");
    if (kind == "customer" && !qualifier.starts_with(customer_)) continue;  // earlier runs'
    const std::string posted = text(account, "posted");
    const std::string pending = text(account, "pending");
    if (posted.find_first_not_of("0.-") == std::string::npos &&
        pending.find_first_not_of("0.-") == std::string::npos) {
      continue;
    }
    const std::string name = qualifier.empty() ? kind : kind + ":" + qualifier;
    std::printf("  %-40s %-5s %22s%s\n", name.c_str(), text(account, "currency").c_str(),
                posted.c_str(),
                pending.find_first_not_of("0.-") == std::string::npos
                    ? ""
                    : ("  (pending " + pending + ")").c_str());
  }
  std::fflush(stdout);
  return true;
}

}  // namespace cambista::app
