// Heleket (Cryptomus-compatible) payouts, as PROVIDERS.md documents them. Every request is a POST
// with headers merchant: <uuid> and sign: md5(base64(body) + payout_api_key):
//   POST /v1/payout {amount (string), currency, order_id, address, is_subtract, network,
//        url_callback, priority} -> {state: 0, result: payout}; the same order_id again answers
//        the payout it already names
//   POST /v1/payout/info {uuid | order_id} -> {state: 0, result: payout}; 404 when unknown
//   POST /v1/payout/list?cursor= {date_from?} -> {state: 0, result {items, paginate}}, newest first
//   POST /v1/balance -> {state: 0, result [{balance {merchant [{uuid, balance, currency_code}],
//        user []}}]}
//   payout: {uuid, order_id, amount, commission, currency, network, address, txid, status,
//            is_final, balance, message, created_at}; amounts as strings with 8 decimals
//   callback: {type: "payout", uuid, order_id, amount, commission, is_final, status, txid,
//             network (lower case), currency, sign}
// Errors: {state: 1, message} (401 forged merchant or sign, 404, 5xx by fault) and 422
// {state: 1, message, errors {field: [text]}}.
#include "providers/heleket/heleket_simulator.hpp"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "core/ascii.hpp"
#include "http/json_input.hpp"
#include "http/json_schema.hpp"
#include "http/problem.hpp"
#include "http/query.hpp"
#include "payouts/destination.hpp"
#include "providers/heleket/heleket_sign.hpp"
#include "providers/simulator_kit/gateway_simulator.hpp"
#include "providers/simulator_kit/webhook_sender.hpp"
#include "security/hmac.hpp"
#include "security/md5.hpp"

namespace cambista::sandbox {
namespace {

constexpr std::string_view kPrefix = "/sandbox/heleket";
constexpr int kHeleketDecimals = 8;
constexpr size_t kOrderIdCharsMax = 128;
constexpr size_t kTextCharsMax = 255;
constexpr int64_t kDelayMsMax = 600'000;
// A fault for the next create of an order_id that has none of its own (not a valid order_id).
constexpr std::string_view kAnyOrderId = "*";
constexpr int64_t kDeliveriesMax = 2;
constexpr int64_t kPageSizeMax = 100;
constexpr int64_t kDefaultAutoSettleMs = 2'000;
constexpr int64_t kDefaultPageSize = 15;
constexpr size_t kPayoutsMax = 10'000;  // past it the oldest is forgotten
constexpr size_t kTxidHexChars = 64;

struct Currency {
  std::string_view code;
  int scale;
  std::string_view balance;  // the sandbox's starting balance
  // Commission per network, in the currency.
  std::vector<std::pair<payouts::Network, std::string_view>> commissions;
};

const std::vector<Currency>& Currencies() {
  using N = payouts::Network;
  static const std::vector<Currency> currencies = {
      {"USDT",
       6,
       "100000",
       {{N::kTron, "1"}, {N::kEth, "5"}, {N::kPolygon, "0.5"}, {N::kBsc, "0.3"}}},
      {"TRX", 6, "100000", {{N::kTron, "1"}}},
      {"ETH", 18, "100", {{N::kEth, "0.001"}}},
  };
  return currencies;
}

const Currency* FindCurrency(std::string_view code) {
  for (const Currency& currency : Currencies()) {
    if (EqualsIgnoringAsciiCase(currency.code, code)) return &currency;
  }
  return nullptr;
}

Asset AssetOf(const Currency& currency) {
  return Asset::Make(currency.code, currency.scale).value();
}

// Heleket writes amounts with 8 decimals ("10.50000000"); amounts held here never have more.
std::string Heleket8(const Amount& amount) {
  std::string text = amount.ToString();
  const int scale = amount.asset().scale();
  if (scale == 0) return text + "." + std::string(kHeleketDecimals, '0');
  if (scale < kHeleketDecimals) return text + std::string(kHeleketDecimals - scale, '0');
  return text.substr(0, text.size() - static_cast<size_t>(scale - kHeleketDecimals));
}

std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return out;
}

bool IsFinalWord(std::string_view status) {
  return status == "paid" || status == "fail" || status == "cancel" || status == "system_fail";
}

http::HttpResponse StateError(int status, std::string_view message) {
  return JsonResponse(status, "{\"state\":1,\"message\":" + http::JsonString(message) + "}");
}

http::HttpResponse Invalid(std::string_view field, std::string_view message) {
  return JsonResponse(422, "{\"state\":1,\"message\":" + http::JsonString(message) +
                               ",\"errors\":{" + http::JsonString(field) + ":[" +
                               http::JsonString(message) + "]}}");
}

// Runs tasks after a delay on one thread (real time); Stop drops what is still waiting.
class Timers {
 public:
  Timers() : thread_([this] { Run(); }) {}
  ~Timers() { Stop(); }

  void Schedule(int64_t delay_ms, std::function<void()> task) {
    const auto due = std::chrono::steady_clock::now() +
                     std::chrono::milliseconds(std::max<int64_t>(delay_ms, 0));
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return;
      tasks_.emplace(std::pair{due, next_++}, std::move(task));
    }
    wake_.notify_one();
  }

  void Stop() {
    std::map<std::pair<std::chrono::steady_clock::time_point, uint64_t>, std::function<void()>>
        dropped;
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
      dropped.swap(tasks_);
    }
    wake_.notify_one();
    if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
    dropped.clear();  // outside the lock: a dropped Respond answers on its own
  }

 private:
  void Run() {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
      if (tasks_.empty()) {
        wake_.wait(lock);
        continue;
      }
      const auto due = tasks_.begin()->first.first;
      if (std::chrono::steady_clock::now() < due) {
        wake_.wait_until(lock, due);
        continue;
      }
      std::function<void()> task = std::move(tasks_.begin()->second);
      tasks_.erase(tasks_.begin());
      lock.unlock();
      try {
        task();
      } catch (const std::exception&) {  // nothing may escape this thread
      }
      lock.lock();
    }
  }

  std::mutex mutex_;
  std::condition_variable wake_;
  std::map<std::pair<std::chrono::steady_clock::time_point, uint64_t>, std::function<void()>>
      tasks_;
  uint64_t next_ = 0;
  bool stopping_ = false;
  std::thread thread_;
};

struct CallbackRecord {
  uint64_t id = 0;
  std::string status;
  bool is_final = false;
  std::string outcome = "queued";
  int attempts = 0;
  std::optional<int> response_status;
  std::string error;
};

struct Payout {
  Payout(const Amount& amount_in, const Amount& commission_in)
      : amount(amount_in), commission(commission_in) {}

  uint64_t sequence = 0;
  std::string uuid;
  std::string order_id;
  Amount amount;
  Amount commission;
  payouts::Network network = payouts::Network::kTron;
  std::string address;
  std::string url_callback;
  std::string txid;
  std::string status = "process";
  std::string message;
  bool is_final = false;
  bool is_subtract = false;
  int64_t create_requests = 1;
  int64_t created_at_ms = 0;
  int64_t updated_at_ms = 0;
  std::vector<CallbackRecord> callbacks;
};

struct Fault {
  int64_t create_status = 0;
  int64_t answer_delay_ms = 0;
  bool callback_before_answer = false;
  std::string finish_status;
  int64_t finish_after_ms = 0;
  int64_t deliveries = 1;
  bool out_of_order = false;
};

// How a payout moves (control action, fault or timer).
struct Move {
  std::string status;
  bool is_final = true;
  std::string message;
  int64_t deliveries = 1;
  int64_t delay_ms = 0;
  bool out_of_order = false;
};

}  // namespace

SandboxCredentialMap HeleketSandboxCredentials() {
  return {{"merchant", std::string(kSandboxHeleketMerchant)},
          {"payout_api_key", std::string(kSandboxHeleketPayoutApiKey)}};
}

namespace {

// A create request, validated.
struct NewPayout {
  explicit NewPayout(const Amount& amount_in) : amount(amount_in) {}
  Amount amount;
  const Currency* currency = nullptr;
  payouts::Network network = payouts::Network::kTron;
  std::string order_id;
  std::string address;
  std::string url_callback;
  bool is_subtract = false;
};

bool IsAlphaDash(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
  });
}

// amount: a decimal string (or number) in the currency, positive, at most 8 decimals.
Result<Amount, http::HttpResponse> ReadCreateAmount(const JsonNode& body,
                                                    const Currency& currency) {
  const JsonNode* node = body.Find("amount");
  if (node == nullptr || !(node->IsString() || node->IsNumber())) {
    return Failure{Invalid("amount", "The amount field is required.")};
  }
  const std::string_view text = node->text();
  const size_t point = text.find('.');
  std::string_view fraction = point == std::string_view::npos ? "" : text.substr(point + 1);
  while (!fraction.empty() && fraction.back() == '0') fraction.remove_suffix(1);
  auto amount = payins::ReadProviderAmount(text, node->IsString(), AssetOf(currency),
                                           payins::AmountUnits::kMajor);
  if (!amount.ok() || !amount.value().IsPositive() || fraction.size() > kHeleketDecimals) {
    return Failure{Invalid("amount",
                           "The amount must be a positive number with at most 8 "
                           "decimals.")};
  }
  return amount.value();
}

// is_subtract: true/false, or 0/1 as a number or a string (PHP reads all of them).
Result<bool, http::HttpResponse> ReadIsSubtract(const JsonNode& body) {
  const JsonNode* node = body.Find("is_subtract");
  if (node == nullptr || node->IsNull()) return false;
  if (node->kind() == JsonNode::Kind::kBool) return node->bool_value();
  if ((node->IsString() || node->IsNumber()) && (node->text() == "0" || node->text() == "1")) {
    return node->text() == "1";
  }
  return Failure{Invalid("is_subtract", "The is_subtract field must be true or false.")};
}

Result<NewPayout, http::HttpResponse> ReadCreate(const JsonNode& body) {
  for (const std::string_view field :
       {"currency", "order_id", "address", "network", "url_callback", "priority"}) {
    if (auto wrong = CheckKind(body, field, JsonNode::Kind::kString)) {
      return Failure{Invalid(field, "The " + *wrong + ".")};
    }
  }
  const Currency* currency = FindCurrency(StringMember(body, "currency").value_or(""));
  if (currency == nullptr) return Failure{Invalid("currency", "The selected currency is invalid.")};
  auto amount = ReadCreateAmount(body, *currency);
  if (!amount.ok()) return Failure{amount.error()};
  NewPayout payout(amount.value());
  payout.currency = currency;
  payout.order_id = StringMember(body, "order_id").value_or("");
  if (payout.order_id.empty() || payout.order_id.size() > kOrderIdCharsMax ||
      !IsAlphaDash(payout.order_id)) {
    return Failure{Invalid("order_id", "The order_id must be 1 to 128 letters, digits, - or _.")};
  }
  payout.address = StringMember(body, "address").value_or("");
  if (payout.address.empty() || CharCount(payout.address) > kTextCharsMax) {
    return Failure{Invalid("address", "The address field is required.")};
  }
  const auto network = payouts::ParseNetwork(StringMember(body, "network").value_or(""));
  const auto served = std::find_if(currency->commissions.begin(), currency->commissions.end(),
                                   [&](const auto& entry) { return entry.first == network; });
  if (!network || served == currency->commissions.end()) {
    return Failure{Invalid("network", "The selected network is invalid for this currency.")};
  }
  payout.network = *network;
  payout.url_callback = StringMember(body, "url_callback").value_or("");
  if (!payout.url_callback.empty() && !payout.url_callback.starts_with("http://") &&
      !payout.url_callback.starts_with("https://")) {
    return Failure{Invalid("url_callback", "The url_callback must be a valid URL.")};
  }
  auto is_subtract = ReadIsSubtract(body);
  if (!is_subtract.ok()) return Failure{is_subtract.error()};
  payout.is_subtract = is_subtract.value();
  return payout;
}

Amount CommissionOf(const NewPayout& payout) {
  for (const auto& [network, commission] : payout.currency->commissions) {
    if (network == payout.network) return Amount::Parse(commission, payout.amount.asset()).value();
  }
  return Amount::Zero(payout.amount.asset());
}

// {state: 0, result: ...}.
http::HttpResponse Ok(std::string result) {
  return JsonResponse(200, "{\"state\":0,\"result\":" + result + "}");
}

std::string JsonBool(bool value) {
  return value ? "true" : "false";
}

// The callback Heleket sends about `payout` in `status`, signed.
std::string CallbackBody(const Payout& payout, std::string_view status, bool is_final) {
  using payouts::HeleketPhpString;
  const std::string unsigned_json =
      "{\"type\":\"payout\",\"uuid\":" + HeleketPhpString(payout.uuid) +
      ",\"order_id\":" + HeleketPhpString(payout.order_id) +
      ",\"amount\":" + HeleketPhpString(Heleket8(payout.amount)) +
      ",\"commission\":" + HeleketPhpString(Heleket8(payout.commission)) +
      ",\"is_final\":" + JsonBool(is_final) + ",\"status\":" + HeleketPhpString(status) +
      ",\"txid\":" + (payout.txid.empty() ? "null" : HeleketPhpString(payout.txid)) +
      ",\"network\":" + HeleketPhpString(Lower(payouts::NetworkName(payout.network))) +
      ",\"currency\":" + HeleketPhpString(payout.amount.asset().code()) + "}";
  return payouts::HeleketSignCallback(unsigned_json, kSandboxHeleketPayoutApiKey);
}

// The simulator's view of a payout (control API); money as decimal strings.
std::string ViewJson(const Payout& payout) {
  std::string body = "{\"order_id\":" + http::JsonString(payout.order_id) +
                     ",\"uuid\":" + http::JsonString(payout.uuid) +
                     ",\"status\":" + http::JsonString(payout.status) +
                     ",\"is_final\":" + JsonBool(payout.is_final) +
                     ",\"currency\":" + http::JsonString(payout.amount.asset().code()) +
                     ",\"network\":" + http::JsonString(payouts::NetworkName(payout.network)) +
                     ",\"address\":" + http::JsonString(payout.address) +
                     ",\"amount\":" + http::JsonString(payout.amount.ToString()) +
                     ",\"commission\":" + http::JsonString(payout.commission.ToString()) +
                     ",\"txid\":" + JsonStringOrNull(payout.txid) +
                     ",\"message\":" + JsonStringOrNull(payout.message) +
                     ",\"url_callback\":" + JsonStringOrNull(payout.url_callback) +
                     ",\"create_requests\":" + std::to_string(payout.create_requests) +
                     ",\"created_at_ms\":" + std::to_string(payout.created_at_ms) +
                     ",\"updated_at_ms\":" + std::to_string(payout.updated_at_ms) +
                     ",\"callbacks\":[";
  bool first = true;
  for (const CallbackRecord& record : payout.callbacks) {
    body += (first ? "" : ",");
    first = false;
    body += "{\"status\":" + http::JsonString(record.status) +
            ",\"is_final\":" + JsonBool(record.is_final) +
            ",\"outcome\":" + http::JsonString(record.outcome) +
            ",\"attempts\":" + std::to_string(record.attempts) + ",\"response_status\":" +
            (record.response_status ? std::to_string(*record.response_status) : "null") +
            ",\"error\":" + JsonStringOrNull(record.error) + "}";
  }
  return body + "]}";
}

}  // namespace

struct HeleketSimulator::Impl {
  Impl(const Clock& clock_in, WebhookSender& sender_in) : clock(clock_in), sender(sender_in) {
    for (const Currency& currency : Currencies()) {
      balances.emplace(std::string(currency.code),
                       Amount::Parse(currency.balance, AssetOf(currency)).value());
    }
  }

  // The merchant header names our merchant and sign is md5(base64(body) + key).
  static bool Authorized(const http::HttpRequest& request) {
    const bool merchant = SecretMatches(request.Header("merchant"), kSandboxHeleketMerchant);
    auto presented = HexDecode(request.Header("sign"));
    const std::string expected =
        Md5(Base64Encode(request.body) + std::string(kSandboxHeleketPayoutApiKey));
    const bool sign = presented.ok() && ConstantTimeEquals(presented.value(), expected);
    return merchant && sign;
  }

  Payout* FindLocked(std::string_view order_id_or_uuid) {
    for (const auto* index : {&by_order_id, &by_uuid}) {
      const auto found = index->find(order_id_or_uuid);
      if (found != index->end()) return &payouts.at(found->second);
    }
    return nullptr;
  }

  // Heleket's payout object.
  std::string ResultJsonLocked(const Payout& payout) const {
    using http::JsonString;
    const std::string_view code = payout.amount.asset().code();
    return "{\"uuid\":" + JsonString(payout.uuid) + ",\"order_id\":" + JsonString(payout.order_id) +
           ",\"amount\":" + JsonString(Heleket8(payout.amount)) +
           ",\"commission\":" + JsonString(Heleket8(payout.commission)) +
           ",\"currency\":" + JsonString(code) +
           ",\"network\":" + JsonString(payouts::NetworkName(payout.network)) +
           ",\"address\":" + JsonString(payout.address) +
           ",\"txid\":" + JsonStringOrNull(payout.txid) +
           ",\"status\":" + JsonString(payout.status) +
           ",\"is_final\":" + JsonBool(payout.is_final) +
           ",\"balance\":" + JsonString(Heleket8(balances.find(code)->second)) +
           ",\"message\":" + JsonStringOrNull(payout.message) +
           ",\"created_at\":" + JsonString(Rfc3339(payout.created_at_ms)) + "}";
  }

  // Queues `copies` callbacks saying `payout` is in `status`, recorded on the payout; `after`
  // runs once the last copy's delivery has ended (delivered or given up).
  void QueueCallbacksLocked(Payout& payout, const std::string& status, bool is_final,
                            int64_t copies, int64_t delay_ms, std::function<void()> after = {}) {
    // `after` never runs here: the caller holds `mutex`, which `after` may take.
    if (payout.url_callback.empty() || copies == 0) {
      if (after) timers.Schedule(0, std::move(after));
      return;
    }
    const OutgoingWebhook webhook{
        payout.url_callback, {}, CallbackBody(payout, status, is_final), payout.order_id};
    for (int64_t copy = 0; copy < copies; ++copy) {
      const uint64_t record = next_callback++;
      payout.callbacks.push_back(
          CallbackRecord{record, status, is_final, "queued", 0, std::nullopt, ""});
      const bool last = copy + 1 == copies;
      auto on_attempt = [this, sequence = payout.sequence, record,
                         after = last ? after : nullptr](const WebhookAttempt& attempt) {
        RecordAttempt(sequence, record, attempt);
        if (attempt.final && after) after();
      };
      if (!sender.Enqueue(webhook, delay_ms, on_attempt)) {
        payout.callbacks.back().outcome = "failed";
        payout.callbacks.back().error = "not queued: the sandbox is stopping or its queue is full";
        if (last && after) timers.Schedule(0, after);
      }
    }
  }

  void RecordAttempt(uint64_t sequence, uint64_t record, const WebhookAttempt& attempt) {
    std::lock_guard lock(mutex);
    const auto found = payouts.find(sequence);
    if (found == payouts.end()) return;
    for (CallbackRecord& callback : found->second.callbacks) {
      if (callback.id != record) continue;
      callback.attempts = attempt.attempt;
      callback.response_status = attempt.response_status;
      callback.error = attempt.error;
      callback.outcome = attempt.delivered ? "delivered" : attempt.final ? "failed" : "queued";
    }
  }

  // Moves the payout (not final yet) and sends its callbacks; what a payout that ends without
  // being paid had reserved returns to the balance.
  void ApplyLocked(Payout& payout, const Move& move) {
    payout.status = move.status;
    payout.is_final = move.is_final;
    payout.message = move.message;
    payout.updated_at_ms = clock.NowMs();
    if (move.status == "paid" && payout.txid.empty()) payout.txid = NewHexId("", kTxidHexChars);
    if (move.is_final && move.status != "paid") Refund(payout);
    QueueCallbacksLocked(payout, move.status, move.is_final, move.deliveries, move.delay_ms);
    // The stale one goes after: queued later with the same delay, sent in queue order.
    if (move.out_of_order) QueueCallbacksLocked(payout, "process", false, 1, move.delay_ms);
  }

  void Refund(const Payout& payout) {
    Amount& balance = balances.find(payout.amount.asset().code())->second;
    const Amount reserved =
        payout.is_subtract ? payout.amount : payout.amount.Add(payout.commission).value();
    balance = balance.Add(reserved).value();
  }

  // Ends the payout with `move` after `delay_ms`, unless it has ended meanwhile.
  void ScheduleFinish(const std::string& order_id, Move move, int64_t delay_ms) {
    timers.Schedule(delay_ms, [this, order_id, move = std::move(move)] {
      std::lock_guard lock(mutex);
      Payout* payout = FindLocked(order_id);
      if (payout != nullptr && !payout->is_final) ApplyLocked(*payout, move);
    });
  }

  http::HttpResponse HandleCreate(const http::HttpRequest& request);
  Payout& AddPayoutLocked(const NewPayout& fields);
  http::HttpResponse Answer(const std::string& order_id, const Fault& fault);
  http::HttpResponse HandleInfo(const http::HttpRequest& request);
  http::HttpResponse HandleList(const http::HttpRequest& request);
  http::HttpResponse HandleBalance(const http::HttpRequest& request);
  http::HttpResponse HandleMove(const std::string& order_id, std::string_view status,
                                const http::HttpRequest& request);
  http::HttpResponse HandleFault(const http::HttpRequest& request);
  http::HttpResponse HandleSettings(const http::HttpRequest& request);
  std::string SettingsJsonLocked() const;
  void AddHeleketRoutes(http::Router& router);
  void AddControlRoutes(http::Router& router);
  void AddFaultAndSettingsRoutes(http::Router& router);

  const Clock& clock;
  WebhookSender& sender;
  std::mutex mutex;
  std::map<uint64_t, Payout> payouts;  // by sequence: creation order
  std::map<std::string, uint64_t, std::less<>> by_order_id;
  std::map<std::string, uint64_t, std::less<>> by_uuid;
  std::map<std::string, Amount, std::less<>> balances;  // by currency code
  std::map<std::string, Fault, std::less<>> faults;     // by order_id, used once
  int64_t auto_settle_ms = kDefaultAutoSettleMs;
  int64_t page_size = kDefaultPageSize;
  uint64_t next_sequence = 1;
  uint64_t next_callback = 1;
  Timers timers;  // last: destroyed (stopped) first, before what its tasks use
};

Payout& HeleketSimulator::Impl::AddPayoutLocked(const NewPayout& fields) {
  Payout payout(fields.amount, CommissionOf(fields));
  payout.sequence = next_sequence++;
  payout.uuid = NewUuid();
  payout.order_id = fields.order_id;
  payout.network = fields.network;
  payout.address = fields.address;
  payout.url_callback = fields.url_callback;
  payout.is_subtract = fields.is_subtract;
  payout.created_at_ms = payout.updated_at_ms = clock.NowMs();
  Amount& balance = balances.find(fields.amount.asset().code())->second;
  const Amount needed =
      fields.is_subtract ? fields.amount : fields.amount.Add(payout.commission).value();
  if (needed > balance) {
    // Heleket's answer to a payout it cannot fund: a failed payout, not an HTTP error.
    payout.status = "fail";
    payout.is_final = true;
    payout.message = "Insufficient funds: the balance is " + Heleket8(balance) + " " +
                     std::string(fields.amount.asset().code()) + ", the payout needs " +
                     Heleket8(needed);
  } else {
    balance = balance.Subtract(needed).value();
  }
  if (payouts.size() >= kPayoutsMax) {
    const Payout& oldest = payouts.begin()->second;
    by_order_id.erase(oldest.order_id);
    by_uuid.erase(oldest.uuid);
    payouts.erase(payouts.begin());
  }
  by_order_id.emplace(payout.order_id, payout.sequence);
  by_uuid.emplace(payout.uuid, payout.sequence);
  return payouts.emplace(payout.sequence, std::move(payout)).first->second;
}

http::HttpResponse HeleketSimulator::Impl::HandleCreate(const http::HttpRequest& request) {
  if (!Authorized(request)) return StateError(401, "Invalid Sign");
  auto parsed = ParseObjectBody(request.body);
  if (!parsed.ok()) return StateError(400, parsed.error());
  auto fields = ReadCreate(parsed.value().root());
  if (!fields.ok()) return fields.error();
  std::lock_guard lock(mutex);
  if (Payout* existing = FindLocked(fields.value().order_id);
      existing != nullptr && existing->order_id == fields.value().order_id) {
    ++existing->create_requests;  // idempotent: the payout this order_id already names
    return Ok(ResultJsonLocked(*existing));
  }
  Fault fault;
  auto found = faults.find(fields.value().order_id);
  if (found == faults.end()) found = faults.find(kAnyOrderId);  // for an order_id not known yet
  if (found != faults.end()) {
    fault = found->second;
    faults.erase(found);
  }
  if (fault.create_status != 0) {
    return StateError(static_cast<int>(fault.create_status), "Server error");
  }
  Payout& payout = AddPayoutLocked(fields.value());
  if (payout.is_final) {
    QueueCallbacksLocked(payout, payout.status, true, 1, 0);
  } else if (!fault.finish_status.empty()) {
    Move move;
    move.status = fault.finish_status;
    move.is_final = IsFinalWord(fault.finish_status);
    move.message = fault.finish_status == "paid" ? "" : "The payout failed";
    move.deliveries = fault.deliveries;
    move.out_of_order = fault.out_of_order;
    ScheduleFinish(payout.order_id, std::move(move), fault.finish_after_ms);
  } else if (auto_settle_ms > 0) {
    Move move;
    move.status = "paid";
    ScheduleFinish(payout.order_id, std::move(move), auto_settle_ms);
  }
  if (!fault.callback_before_answer && fault.answer_delay_ms == 0) {
    return Ok(ResultJsonLocked(payout));
  }
  return Answer(payout.order_id, fault);
}

// A deferred answer to a create: after the `process` callback's delivery, after a delay, or both.
http::HttpResponse HeleketSimulator::Impl::Answer(const std::string& order_id, const Fault& fault) {
  return http::Defer([this, order_id, fault](http::Respond respond) {
    // Each step runs on the timer thread or the sender's, never under `mutex` when it takes it.
    auto answer = [this, order_id, respond = std::move(respond)] {
      http::HttpResponse response = StateError(500, "Server error");  // forgotten meanwhile
      {
        std::lock_guard lock(mutex);
        if (const Payout* payout = FindLocked(order_id)) response = Ok(ResultJsonLocked(*payout));
      }
      respond(std::move(response));
    };
    const int64_t delay_ms = fault.answer_delay_ms;
    auto later = [this, delay_ms, answer = std::move(answer)]() mutable {
      if (delay_ms == 0) return answer();
      timers.Schedule(delay_ms, std::move(answer));
    };
    if (!fault.callback_before_answer) return later();
    timers.Schedule(0, [this, order_id, later = std::move(later)]() mutable {
      std::lock_guard lock(mutex);
      Payout* payout = FindLocked(order_id);
      if (payout == nullptr) return timers.Schedule(0, std::move(later));
      QueueCallbacksLocked(*payout, "process", false, 1, 0, std::move(later));
    });
  });
}

namespace {

// "YYYY-MM-DD HH:MM:SS" (UTC) in Unix ms; nullopt for another shape.
std::optional<int64_t> ParseHeleketDate(std::string_view text) {
  int year = 0;
  unsigned month = 0, day = 0, hour = 0, minute = 0, second = 0;
  char tail = 0;
  if (text.size() != 19 || std::sscanf(std::string(text).c_str(), "%4d-%2u-%2u %2u:%2u:%2u%c",
                                       &year, &month, &day, &hour, &minute, &second, &tail) != 6) {
    return std::nullopt;
  }
  using namespace std::chrono;
  const year_month_day date{std::chrono::year{year}, std::chrono::month{month},
                            std::chrono::day{day}};
  if (!date.ok() || hour > 23 || minute > 59 || second > 59) return std::nullopt;
  const auto at = sys_days{date} + hours{hour} + minutes{minute} + seconds{second};
  return duration_cast<milliseconds>(at.time_since_epoch()).count();
}

}  // namespace

http::HttpResponse HeleketSimulator::Impl::HandleInfo(const http::HttpRequest& request) {
  if (!Authorized(request)) return StateError(401, "Invalid Sign");
  auto parsed = ParseObjectBody(request.body);
  if (!parsed.ok()) return StateError(400, parsed.error());
  const JsonNode& body = parsed.value().root();
  const auto uuid = StringMember(body, "uuid");
  const auto order_id = StringMember(body, "order_id");
  if (!uuid && !order_id) return Invalid("order_id", "The uuid or order_id field is required.");
  std::lock_guard lock(mutex);
  const Payout* payout = nullptr;
  if (uuid) {
    const auto found = by_uuid.find(*uuid);
    if (found != by_uuid.end()) payout = &payouts.at(found->second);
  } else {
    const auto found = by_order_id.find(*order_id);
    if (found != by_order_id.end()) payout = &payouts.at(found->second);
  }
  if (payout == nullptr) return StateError(404, "Payout not found");
  return Ok(ResultJsonLocked(*payout));
}

http::HttpResponse HeleketSimulator::Impl::HandleList(const http::HttpRequest& request) {
  if (!Authorized(request)) return StateError(401, "Invalid Sign");
  auto parsed = ParseObjectBody(request.body.empty() ? std::string_view("{}") : request.body);
  if (!parsed.ok()) return StateError(400, parsed.error());
  std::optional<int64_t> from_ms;
  if (const auto date_from = StringMember(parsed.value().root(), "date_from")) {
    from_ms = ParseHeleketDate(*date_from);
    if (!from_ms) return Invalid("date_from", "The date_from must be YYYY-MM-DD HH:MM:SS.");
  }
  uint64_t below = UINT64_MAX;  // the cursor: list payouts older than this sequence
  if (const auto cursor = http::QueryValue(request.query, "cursor"); cursor) {
    const auto parsed_cursor = ParseI128Decimal(cursor->starts_with("c") ? cursor->substr(1) : "");
    if (!parsed_cursor || *parsed_cursor <= 0) return StateError(422, "The cursor is invalid.");
    below = static_cast<uint64_t>(*parsed_cursor);
  }
  std::lock_guard lock(mutex);
  std::string items;
  int64_t count = 0;
  std::optional<uint64_t> next;
  for (auto it = payouts.rbegin(); it != payouts.rend(); ++it) {
    const Payout& payout = it->second;
    if (payout.sequence >= below || (from_ms && payout.created_at_ms < *from_ms)) continue;
    if (count == page_size) {
      next = payout.sequence + 1;
      break;
    }
    items += (count++ == 0 ? "" : ",") + ResultJsonLocked(payout);
  }
  const std::string next_cursor =
      next ? http::JsonString("c" + std::to_string(*next)) : std::string("null");
  return Ok("{\"items\":[" + items + "],\"paginate\":{\"count\":" + std::to_string(count) +
            ",\"hasPages\":" + JsonBool(next.has_value() || below != UINT64_MAX) +
            ",\"nextCursor\":" + next_cursor +
            ",\"previousCursor\":null,\"perPage\":" + std::to_string(page_size) + "}}");
}

http::HttpResponse HeleketSimulator::Impl::HandleBalance(const http::HttpRequest& request) {
  if (!Authorized(request)) return StateError(401, "Invalid Sign");
  std::lock_guard lock(mutex);
  std::string merchant;
  for (const auto& [code, balance] : balances) {
    merchant += (merchant.empty() ? "" : ",") + std::string("{\"uuid\":") +
                http::JsonString(NewUuid()) +
                ",\"balance\":" + http::JsonString(Heleket8(balance)) +
                ",\"currency_code\":" + http::JsonString(code) + "}";
  }
  return Ok("[{\"balance\":{\"merchant\":[" + merchant + "],\"user\":[]}}]");
}

namespace {

bool IsBlank(std::string_view body) {
  return body.find_first_not_of(" \t\r\n") == std::string_view::npos;
}

// Reads the optional body of a control action into `move`.
std::optional<http::HttpResponse> ReadMove(std::string_view body, Move& move) {
  if (IsBlank(body)) return std::nullopt;
  auto reader = http::JsonObjectReader::Parse(body);
  if (!reader.ok()) return http::ToProblem(reader.error());
  http::JsonObjectReader& read = reader.value();
  auto deliveries = read.OptionalInteger("deliveries", 0, kDeliveriesMax);
  if (!deliveries.ok()) return http::ToProblem(deliveries.error());
  auto delay = read.OptionalInteger("delay_ms", 0, kDelayMsMax);
  if (!delay.ok()) return http::ToProblem(delay.error());
  auto out_of_order = read.OptionalBool("out_of_order");
  if (!out_of_order.ok()) return http::ToProblem(out_of_order.error());
  auto is_final = read.OptionalBool("is_final");
  if (!is_final.ok()) return http::ToProblem(is_final.error());
  auto message = read.OptionalString("message", kTextCharsMax);
  if (!message.ok()) return http::ToProblem(message.error());
  if (auto unknown = read.RejectUnknownFields()) return http::ToProblem(*unknown);
  move.deliveries = deliveries.value().value_or(move.deliveries);
  move.delay_ms = delay.value().value_or(0);
  move.out_of_order = out_of_order.value().value_or(false);
  move.is_final = is_final.value().value_or(move.is_final);
  move.message = message.value().value_or(move.message);
  return std::nullopt;
}

// What a create may be made to answer (each documented on the route).
constexpr int64_t kFaultStatuses[] = {400, 409, 429, 500, 502, 503};
constexpr std::string_view kFinishStatuses[] = {"paid", "fail", "cancel", "system_fail"};

Result<std::pair<std::string, Fault>, http::HttpResponse> ReadFault(std::string_view body) {
  auto reader = http::JsonObjectReader::Parse(body);
  if (!reader.ok()) return Failure{http::ToProblem(reader.error())};
  http::JsonObjectReader& read = reader.value();
  auto order_id = read.RequiredString("order_id", kOrderIdCharsMax);
  if (!order_id.ok()) return Failure{http::ToProblem(order_id.error())};
  auto create_status = read.OptionalInteger("create_status", 400, 599);
  auto answer_delay = read.OptionalInteger("answer_delay_ms", 0, kDelayMsMax);
  auto before = read.OptionalBool("callback_before_answer");
  auto finish_after = read.OptionalInteger("finish_after_ms", 0, kDelayMsMax);
  auto deliveries = read.OptionalInteger("deliveries", 0, kDeliveriesMax);
  auto out_of_order = read.OptionalBool("out_of_order");
  for (const auto* error : {create_status.ok() ? nullptr : &create_status.error(),
                            answer_delay.ok() ? nullptr : &answer_delay.error(),
                            before.ok() ? nullptr : &before.error(),
                            finish_after.ok() ? nullptr : &finish_after.error(),
                            deliveries.ok() ? nullptr : &deliveries.error(),
                            out_of_order.ok() ? nullptr : &out_of_order.error()}) {
    if (error != nullptr) return Failure{http::ToProblem(*error)};
  }
  Fault fault;
  if (auto finish = read.OptionalString("finish_status", kTextCharsMax); !finish.ok()) {
    return Failure{http::ToProblem(finish.error())};
  } else if (finish.value()) {
    if (std::find(std::begin(kFinishStatuses), std::end(kFinishStatuses), *finish.value()) ==
        std::end(kFinishStatuses)) {
      return Failure{http::ToProblem(
          http::InputError{"invalid_request", "finish_status",
                           "\"finish_status\" must be paid, fail, cancel or system_fail."})};
    }
    fault.finish_status = *finish.value();
  }
  if (auto unknown = read.RejectUnknownFields()) return Failure{http::ToProblem(*unknown)};
  fault.create_status = create_status.value().value_or(0);
  if (fault.create_status != 0 && std::find(std::begin(kFaultStatuses), std::end(kFaultStatuses),
                                            fault.create_status) == std::end(kFaultStatuses)) {
    return Failure{http::ToProblem(
        http::InputError{"invalid_request", "create_status",
                         "\"create_status\" must be 400, 409, 429, 500, 502 or 503."})};
  }
  fault.answer_delay_ms = answer_delay.value().value_or(0);
  fault.callback_before_answer = before.value().value_or(false);
  fault.finish_after_ms = finish_after.value().value_or(0);
  fault.deliveries = deliveries.value().value_or(1);
  fault.out_of_order = out_of_order.value().value_or(false);
  return std::pair{std::move(order_id).value(), fault};
}

std::string FaultJson(const std::string& order_id, const Fault& fault) {
  return "{\"order_id\":" + http::JsonString(order_id) +
         ",\"create_status\":" + std::to_string(fault.create_status) +
         ",\"answer_delay_ms\":" + std::to_string(fault.answer_delay_ms) +
         ",\"callback_before_answer\":" + JsonBool(fault.callback_before_answer) +
         ",\"finish_status\":" + JsonStringOrNull(fault.finish_status) +
         ",\"finish_after_ms\":" + std::to_string(fault.finish_after_ms) +
         ",\"deliveries\":" + std::to_string(fault.deliveries) +
         ",\"out_of_order\":" + JsonBool(fault.out_of_order) + "}";
}

}  // namespace

http::HttpResponse HeleketSimulator::Impl::HandleMove(const std::string& order_id,
                                                      std::string_view status,
                                                      const http::HttpRequest& request) {
  Move move;
  move.status = std::string(status);
  move.is_final = status != "check";
  if (status == "fail" || status == "system_fail") move.message = "The payout failed";
  if (auto refused = ReadMove(request.body, move)) return *refused;
  std::lock_guard lock(mutex);
  Payout* payout = FindLocked(order_id);
  if (payout == nullptr) {
    return http::Problem(404, "not_found", "Not found", "No heleket payout " + order_id + ".");
  }
  if (payout->is_final) {
    return http::Problem(409, "invalid_transition", "Invalid transition",
                         "The payout is final (" + payout->status + ").");
  }
  ApplyLocked(*payout, move);
  return JsonResponse(200, ViewJson(*payout));
}

http::HttpResponse HeleketSimulator::Impl::HandleFault(const http::HttpRequest& request) {
  auto fault = ReadFault(request.body);
  if (!fault.ok()) return fault.error();
  std::lock_guard lock(mutex);
  faults[fault.value().first] = fault.value().second;
  return JsonResponse(200, FaultJson(fault.value().first, fault.value().second));
}

std::string HeleketSimulator::Impl::SettingsJsonLocked() const {
  std::string body = "{\"auto_settle_ms\":" + std::to_string(auto_settle_ms) +
                     ",\"page_size\":" + std::to_string(page_size) + ",\"balances\":{";
  bool first = true;
  for (const auto& [code, balance] : balances) {
    body +=
        (first ? "" : ",") + http::JsonString(code) + ":" + http::JsonString(balance.ToString());
    first = false;
  }
  return body + "}}";
}

http::HttpResponse HeleketSimulator::Impl::HandleSettings(const http::HttpRequest& request) {
  std::optional<int64_t> settle, size;
  std::optional<std::string> currency, balance;
  if (request.method == "POST" && !IsBlank(request.body)) {
    auto reader = http::JsonObjectReader::Parse(request.body);
    if (!reader.ok()) return http::ToProblem(reader.error());
    auto settle_read = reader.value().OptionalInteger("auto_settle_ms", 0, kDelayMsMax);
    if (!settle_read.ok()) return http::ToProblem(settle_read.error());
    auto size_read = reader.value().OptionalInteger("page_size", 1, kPageSizeMax);
    if (!size_read.ok()) return http::ToProblem(size_read.error());
    auto currency_read = reader.value().OptionalString("currency", kTextCharsMax);
    if (!currency_read.ok()) return http::ToProblem(currency_read.error());
    auto balance_read = reader.value().OptionalString("balance", kTextCharsMax);
    if (!balance_read.ok()) return http::ToProblem(balance_read.error());
    if (auto unknown = reader.value().RejectUnknownFields()) return http::ToProblem(*unknown);
    settle = settle_read.value();
    size = size_read.value();
    currency = currency_read.value();
    balance = balance_read.value();
  }
  const Currency* found = currency ? FindCurrency(*currency) : nullptr;
  std::optional<Amount> amount;
  if (found && balance) {
    auto parsed = Amount::Parse(*balance, AssetOf(*found));
    if (parsed.ok() && !parsed.value().IsNegative()) amount = parsed.value();
  }
  if (currency.has_value() != balance.has_value() || (currency && !amount)) {
    return http::ToProblem(http::InputError{
        "invalid_request", "balance",
        "\"currency\" (USDT, TRX or ETH) and \"balance\" (a decimal string) go together."});
  }
  std::lock_guard lock(mutex);
  if (settle) auto_settle_ms = *settle;
  if (size) page_size = *size;
  if (amount) balances.find(found->code)->second = *amount;
  return JsonResponse(200, SettingsJsonLocked());
}

namespace {

std::string PayoutSchema() {
  using namespace http::schema;
  return Object({{"uuid", String()},
                 {"order_id", String()},
                 {"amount", Described(Decimal(), "8 decimals")},
                 {"commission", Decimal()},
                 {"currency", Enum({"USDT", "TRX", "ETH"})},
                 {"network", Enum({"TRON", "ETH", "POLYGON", "BSC"})},
                 {"address", String()},
                 {"txid", Nullable(String())},
                 {"status", Enum({"process", "check", "paid", "fail", "cancel", "system_fail"})},
                 {"is_final", Boolean()},
                 {"balance", Described(Decimal(), "the merchant's balance in the currency")},
                 {"message", Nullable(String())},
                 {"created_at", DateTime()}});
}

std::string ErrorSchema() {
  using namespace http::schema;
  return Object({{"state", R"({"const":1})"}, {"message", String()}});
}

std::vector<http::ResponseDoc> HeleketErrors(std::initializer_list<int> statuses) {
  using namespace http::schema;
  std::vector<http::ResponseDoc> docs;
  for (const int status : statuses) {
    docs.push_back(GatewayError(status, "Heleket's error", ErrorSchema()));
  }
  docs.push_back(GatewayError(422, "Heleket's validation error",
                              Object({{"state", R"({"const":1})"},
                                      {"message", String()},
                                      {"errors", MapOf(ArrayOf(String()))}})));
  return docs;
}

std::string ViewSchema() {
  using namespace http::schema;
  const std::string text = Nullable(String());
  return Object(
      {{"order_id", String()},
       {"uuid", String()},
       {"status", Enum({"process", "check", "paid", "fail", "cancel", "system_fail"})},
       {"is_final", Boolean()},
       {"currency", Enum({"USDT", "TRX", "ETH"})},
       {"network", Enum({"TRON", "ETH", "POLYGON", "BSC"})},
       {"address", String()},
       {"amount", Decimal()},
       {"commission", Decimal()},
       {"txid", text},
       {"message", text},
       {"url_callback", text},
       {"create_requests", Described(Integer(), "POST /v1/payout calls with this order_id")},
       {"created_at_ms", Integer()},
       {"updated_at_ms", Integer()},
       {"callbacks", ArrayOf(Object({{"status", String()},
                                     {"is_final", Boolean()},
                                     {"outcome", Enum({"queued", "delivered", "failed"})},
                                     {"attempts", Integer()},
                                     {"response_status", Nullable(Integer())},
                                     {"error", text}}))}});
}

const std::vector<http::HeaderDoc>& SignedHeaders() {
  static const std::vector<http::HeaderDoc> headers = {
      {"merchant", "The merchant's uuid."},
      {"sign", "Lower-hex md5(base64(raw body) + payout API key)."}};
  return headers;
}

}  // namespace

void HeleketSimulator::Impl::AddHeleketRoutes(http::Router& router) {
  using namespace http::schema;
  const std::string prefix(kPrefix);
  const auto ok = [](std::string result) {
    return Object({{"state", R"({"const":0})"}, {"result", std::move(result)}});
  };
  router.Add("POST", prefix + "/v1/payout",
             http::RouteDoc{.summary = "Sandbox Heleket: create a payout (idempotent by order_id).",
                            .access = "public",
                            .response_schema = ok(Ref("HeleketPayout")),
                            .request_schema = OpenObject({{"amount", Decimal()},
                                                          {"currency", String()},
                                                          {"order_id", String()},
                                                          {"address", String()},
                                                          {"network", String()},
                                                          Optional("is_subtract", Boolean()),
                                                          Optional("url_callback", String()),
                                                          Optional("priority", String())}),
                            .headers = SignedHeaders(),
                            .responses = HeleketErrors({400, 401, 409, 429, 500, 502, 503})},
             [this](const http::HttpRequest& request, const http::PathParams&) {
               return HandleCreate(request);
             });
  router.Add("POST", prefix + "/v1/payout/info",
             http::RouteDoc{.summary = "Sandbox Heleket: a payout by uuid or order_id.",
                            .access = "public",
                            .response_schema = ok(Ref("HeleketPayout")),
                            .request_schema = OpenObject(
                                {Optional("uuid", String()), Optional("order_id", String())}),
                            .headers = SignedHeaders(),
                            .responses = HeleketErrors({400, 401, 404})},
             [this](const http::HttpRequest& request, const http::PathParams&) {
               return HandleInfo(request);
             });
  router.Add("POST", prefix + "/v1/payout/list",
             http::RouteDoc{.summary = "Sandbox Heleket: payouts, newest first, a page at a time.",
                            .access = "public",
                            .response_schema =
                                ok(Object({{"items", ArrayOf(Ref("HeleketPayout"))},
                                           {"paginate", Object({{"count", Integer()},
                                                                {"hasPages", Boolean()},
                                                                {"nextCursor", Nullable(String())},
                                                                {"previousCursor", Null()},
                                                                {"perPage", Integer()}})}})),
                            .request_schema = OpenObject({Optional("date_from", String())}),
                            .request_optional = true,
                            .headers = SignedHeaders(),
                            .query = {{"cursor", "The previous page's nextCursor."}},
                            .responses = HeleketErrors({400, 401})},
             [this](const http::HttpRequest& request, const http::PathParams&) {
               return HandleList(request);
             });
  const std::string wallet =
      Object({{"uuid", String()}, {"balance", Decimal()}, {"currency_code", String()}});
  router.Add(
      "POST", prefix + "/v1/balance",
      http::RouteDoc{
          .summary = "Sandbox Heleket: the merchant's balances.",
          .access = "public",
          .response_schema = ok(ArrayOf(Object(
              {{"balance", Object({{"merchant", ArrayOf(wallet)}, {"user", ArrayOf(wallet)}})}}))),
          .headers = SignedHeaders(),
          .responses = {GatewayError(401, "Heleket's error", ErrorSchema())}},
      [this](const http::HttpRequest& request, const http::PathParams&) {
        return HandleBalance(request);
      });
}

void HeleketSimulator::Impl::AddControlRoutes(http::Router& router) {
  using namespace http::schema;
  const std::string prefix = std::string(kPrefix);
  router.Add("GET", prefix + "/payouts",
             http::RouteDoc{.summary = "Sandbox control: every Heleket payout the simulator "
                                       "holds, oldest first, with the callbacks it sent.",
                            .access = "public",
                            .response_schema = List(Ref("SandboxHeleketPayout"))},
             [this](const http::HttpRequest&, const http::PathParams&) {
               std::lock_guard lock(mutex);
               std::string body;
               for (const auto& [sequence, payout] : payouts) {
                 body += (body.empty() ? "" : ",") + ViewJson(payout);
               }
               return JsonResponse(200, "{\"data\":[" + body + "]}");
             });
  router.Add("GET", prefix + "/payouts/{order_id}",
             http::RouteDoc{.summary = "Sandbox control: one Heleket payout, by order_id or uuid.",
                            .access = "public",
                            .response_schema = Ref("SandboxHeleketPayout"),
                            .errors = {{404, {"not_found"}}}},
             [this](const http::HttpRequest&, const http::PathParams& params) {
               std::lock_guard lock(mutex);
               const Payout* payout = FindLocked(params.at("order_id"));
               if (payout == nullptr) {
                 return http::Problem(404, "not_found", "Not found",
                                      "No heleket payout " + params.at("order_id") + ".");
               }
               return JsonResponse(200, ViewJson(*payout));
             });
  const std::string move_schema = Object(
      {Optional("deliveries", Described(Integer(0, kDeliveriesMax), "Callbacks to send (1).")),
       Optional("delay_ms", Integer(0, kDelayMsMax)),
       Optional("out_of_order",
                Described(Boolean(), "Send a stale process callback after this one.")),
       Optional("is_final", Described(Boolean(), "true, except for check.")),
       Optional("message", Text(kTextCharsMax))});
  for (const std::string_view status : {"check", "paid", "fail", "cancel", "system_fail"}) {
    router.Add("POST", prefix + "/payouts/{order_id}/" + std::string(status),
               http::RouteDoc{.summary = "Sandbox control (heleket): the payout becomes " +
                                         std::string(status) + ".",
                              .access = "public",
                              .description = "Sends the callback(s) as Heleket would.",
                              .response_schema = Ref("SandboxHeleketPayout"),
                              .request_schema = move_schema,
                              .request_optional = true,
                              .errors = {{400, {"invalid_request"}},
                                         {404, {"not_found"}},
                                         {409, {"invalid_transition"}}}},
               [this, status](const http::HttpRequest& request, const http::PathParams& params) {
                 return HandleMove(params.at("order_id"), status, request);
               });
  }
  AddFaultAndSettingsRoutes(router);
}

void HeleketSimulator::Impl::AddFaultAndSettingsRoutes(http::Router& router) {
  using namespace http::schema;
  const std::string prefix = std::string(kPrefix);
  const std::string fault_schema = Object(
      {{"order_id", Text(kOrderIdCharsMax)},
       Optional("create_status", Described(R"({"type":"integer","enum":[400,409,429,500,502,503]})",
                                           "Answer so; record nothing.")),
       Optional("answer_delay_ms",
                Described(Integer(0, kDelayMsMax), "Record the payout, answer this late.")),
       Optional("callback_before_answer",
                Described(Boolean(), "Deliver the process callback before answering.")),
       Optional("finish_status", Enum({"paid", "fail", "cancel", "system_fail"})),
       Optional("finish_after_ms", Integer(0, kDelayMsMax)),
       Optional("deliveries", Integer(0, kDeliveriesMax)),
       Optional("out_of_order", Boolean())});
  router.Add("POST", prefix + "/faults",
             http::RouteDoc{.summary = "Sandbox control (heleket): a fault for the next create "
                                       "of an order_id, once.",
                            .access = "public",
                            .response_schema = Object({{"order_id", String()},
                                                       {"create_status", Integer()},
                                                       {"answer_delay_ms", Integer()},
                                                       {"callback_before_answer", Boolean()},
                                                       {"finish_status", Nullable(String())},
                                                       {"finish_after_ms", Integer()},
                                                       {"deliveries", Integer()},
                                                       {"out_of_order", Boolean()}}),
                            .request_schema = fault_schema,
                            .errors = {{400, {"invalid_request"}}}},
             [this](const http::HttpRequest& request, const http::PathParams&) {
               return HandleFault(request);
             });
  const std::string settings = Object(
      {{"auto_settle_ms", Integer()}, {"page_size", Integer()}, {"balances", MapOf(Decimal())}});
  for (const std::string_view method : {"GET", "POST"}) {
    const bool post = method == "POST";
    router.Add(
        std::string(method), prefix + "/settings",
        http::RouteDoc{
            .summary = post ? "Sandbox control (heleket): change the settings."
                            : "Sandbox control (heleket): the settings and balances.",
            .access = "public",
            .description = post ? "auto_settle_ms 0 settles only on command; currency "
                                  "and balance set one balance."
                                : "",
            .response_schema = settings,
            .request_schema = post ? Object({Optional("auto_settle_ms", Integer(0, kDelayMsMax)),
                                             Optional("page_size", Integer(1, kPageSizeMax)),
                                             Optional("currency", Enum({"USDT", "TRX", "ETH"})),
                                             Optional("balance", Decimal())})
                                   : std::string(),
            .request_optional = post,
            .errors =
                post ? std::vector<std::pair<int, std::vector<std::string>>>{{400,
                                                                              {"invalid_request"}}}
                     : std::vector<std::pair<int, std::vector<std::string>>>{}},
        [this](const http::HttpRequest& request, const http::PathParams&) {
          return HandleSettings(request);
        });
  }
}

HeleketSimulator::HeleketSimulator(const Clock& clock, WebhookSender& sender)
    : impl_(std::make_unique<Impl>(clock, sender)) {}

HeleketSimulator::~HeleketSimulator() {
  Stop();
}

void HeleketSimulator::Stop() {
  impl_->timers.Stop();
}

void HeleketSimulator::AddRoutes(http::Router& router) {
  router.AddSchema("HeleketPayout", PayoutSchema());
  router.AddSchema("SandboxHeleketPayout", ViewSchema());
  impl_->AddHeleketRoutes(router);
  impl_->AddControlRoutes(router);
}

}  // namespace cambista::sandbox
