// A PSP's PIX send API in Efí's shape, as PROVIDERS.md documents it (simplified where noted):
//   POST /oauth/token (Authorization: Basic base64(client_id:client_secret))
//        {grant_type: "client_credentials"} -> {access_token, token_type: "Bearer", expires_in,
//        scope}
//   PUT  /v3/gn/pix/{idEnvio} {valor: "12.34", pagador {chave, infoPagador?}, favorecido {chave}}
//        -> 201 send (status EM_PROCESSAMENTO); the same idEnvio again -> 200, the send it names
//   GET  /v2/gn/pix/enviados/id-envio/{idEnvio} -> send; 404 when unknown
//   GET  /v2/gn/pix/enviados?inicio=<RFC 3339>&fim=<RFC 3339>&paginacao.paginaAtual=<0-based>
//        &paginacao.itensPorPagina=<n>? -> {parametros {inicio, fim, paginacao {paginaAtual,
//        itensPorPagina, quantidadeDePaginas, quantidadeTotalDeItens}}, pix: [send]}, oldest first
//   GET  /v2/gn/saldo -> {saldo: "123.45"}
//   send: {idEnvio, e2eId, valor, chave (the payee's), status, horario {solicitacao, liquidacao?},
//          motivo? (NAO_REALIZADO)}; webhook: POST {pix: [send]}, unsigned
// Every call but the token exchange carries Authorization: Bearer <access_token>. Errors:
// {nome, mensagem} (400 json_invalido, 401 nao_autorizado, 404 envio_nao_encontrado, 4xx/5xx by
// fault).
#include "providers/pixout/pixout_simulator.hpp"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "core/ascii.hpp"
#include "core/int128.hpp"
#include "http/json_input.hpp"
#include "http/json_schema.hpp"
#include "http/problem.hpp"
#include "http/query.hpp"
#include "pix/pix_key.hpp"
#include "providers/simulator_kit/gateway_simulator.hpp"
#include "providers/simulator_kit/webhook_sender.hpp"
#include "security/hmac.hpp"

namespace cambista::sandbox {
namespace {

constexpr std::string_view kPrefix = "/sandbox/pixout";
constexpr size_t kIdEnvioCharsMax = 35;
constexpr size_t kKeyCharsMax = 77;  // the longest PIX key (an e-mail)
constexpr size_t kTextCharsMax = 140;
constexpr size_t kUrlCharsMax = 2048;
constexpr int64_t kDelayMsMax = 600'000;
constexpr int64_t kDeliveriesMax = 2;
constexpr int64_t kPageSizeMax = 1000;
constexpr int64_t kDefaultAutoSettleMs = 2'000;
constexpr int64_t kDefaultPageSize = 100;
constexpr int64_t kDefaultTokenLifetimeS = 3'600;
constexpr int64_t kTokenLifetimeSMax = 86'400;
constexpr std::string_view kDefaultBalance = "100000.00";
constexpr size_t kSendsMax = 10'000;  // past it the oldest is forgotten
constexpr size_t kTokensMax = 1'000;  // live tokens kept; past it the oldest is forgotten
constexpr std::string_view kScope = "gn.pix.send.read gn.pix.send.write gn.balance.read";
constexpr std::string_view kProcessing = "EM_PROCESSAMENTO";
constexpr std::string_view kDone = "REALIZADO";
constexpr std::string_view kNotDone = "NAO_REALIZADO";
constexpr std::string_view kUnknownKey = "chave inexistente";
constexpr std::string_view kNoFunds = "saldo insuficiente";
constexpr std::string_view kDefaultMotivo = "recusado pelo PSP do recebedor";

// {nome, mensagem}: how the PSP answers errors.
http::HttpResponse PspError(int status, std::string_view nome, std::string_view mensagem) {
  return JsonResponse(status, "{\"nome\":" + http::JsonString(nome) +
                                  ",\"mensagem\":" + http::JsonString(mensagem) + "}");
}
http::HttpResponse Unauthorized() {
  return PspError(401, "nao_autorizado", "Token de acesso inválido ou expirado.");
}
http::HttpResponse Invalid(std::string_view mensagem) {
  return PspError(400, "json_invalido", mensagem);
}

bool IsAlphanumeric(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  });
}

std::string JsonBool(bool value) {
  return value ? "true" : "false";
}

// Runs tasks after a delay on one thread (real time); Stop drops what is still waiting. (The same
// as the Heleket simulator's: each simulator owns its timers, so stopping one stops only its own.)
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

struct WebhookRecord {
  uint64_t id = 0;
  std::string status;
  std::string outcome = "queued";
  int attempts = 0;
  std::optional<int> response_status;
  std::string error;
};

struct Send {
  explicit Send(const Amount& amount_in) : amount(amount_in) {}

  uint64_t sequence = 0;
  std::string id_envio;
  std::string e2e_id;
  Amount amount;
  std::string payer_key;
  std::string payee_key;
  std::string info_pagador;
  std::string status = std::string(kProcessing);
  std::string motivo;
  std::string webhook_url;
  int64_t create_requests = 1;
  int64_t requested_at_ms = 0;
  std::optional<int64_t> settled_at_ms;
  int64_t updated_at_ms = 0;
  std::vector<WebhookRecord> webhooks;
};

struct Fault {
  int64_t create_status = 0;
  int64_t answer_delay_ms = 0;
  bool webhook_before_answer = false;
};

// How a send ends (control action or timer).
struct Move {
  std::string status;
  std::string motivo;
  int64_t deliveries = 1;
  int64_t delay_ms = 0;
  bool out_of_order = false;
};

// A create request, validated.
struct NewSend {
  explicit NewSend(const Amount& amount_in) : amount(amount_in) {}
  Amount amount;
  std::string payer_key;
  std::string payee_key;
  std::string info_pagador;
};

// valor: a string of digits, '.', exactly two decimals, positive (the PSP's own rule).
Result<Amount, http::HttpResponse> ReadValor(const JsonNode& body) {
  const JsonNode* node = body.Find("valor");
  if (node == nullptr || !node->IsString()) {
    return Failure{Invalid("O campo valor é obrigatório e deve ser uma string.")};
  }
  const std::string_view text = node->text();
  const size_t point = text.find('.');
  const bool shape = point != std::string_view::npos && point > 0 && point <= 10 &&
                     text.size() == point + 3 &&
                     std::all_of(text.begin(), text.end(),
                                 [](char c) { return (c >= '0' && c <= '9') || c == '.'; }) &&
                     text.find('.', point + 1) == std::string_view::npos;
  const auto refused = [] {
    return Invalid("O campo valor deve ser um decimal positivo com duas casas (\"12.34\").");
  };
  if (!shape) return Failure{refused()};
  auto amount = Amount::Parse(text, Brl());
  if (!amount.ok() || !amount.value().IsPositive()) return Failure{refused()};
  return amount.value();
}

// The string `chave` of the object member `owner`; the error names both.
Result<std::string, http::HttpResponse> ReadChave(const JsonNode& body, std::string_view owner) {
  const JsonNode* object = body.Find(owner);
  if (object == nullptr || !object->IsObject()) {
    return Failure{
        Invalid("O campo " + std::string(owner) + " é obrigatório e deve ser um objeto.")};
  }
  const auto chave = StringMember(*object, "chave");
  if (!chave || chave->empty() || CharCount(*chave) > kKeyCharsMax) {
    return Failure{
        Invalid("O campo " + std::string(owner) + ".chave é obrigatório (uma chave PIX).")};
  }
  return *chave;
}

Result<NewSend, http::HttpResponse> ReadCreate(const JsonNode& body) {
  auto valor = ReadValor(body);
  if (!valor.ok()) return Failure{valor.error()};
  NewSend send(valor.value());
  auto payer = ReadChave(body, "pagador");
  if (!payer.ok()) return Failure{payer.error()};
  send.payer_key = std::move(payer).value();
  if (!SecretMatches(send.payer_key, kSandboxPixoutPayerKey)) {
    return Failure{Invalid("A chave do pagador não pertence à conta autenticada.")};
  }
  if (CheckKind(*body.Find("pagador"), "infoPagador", JsonNode::Kind::kString)) {
    return Failure{Invalid("O campo pagador.infoPagador deve ser uma string.")};
  }
  send.info_pagador = StringMember(*body.Find("pagador"), "infoPagador").value_or("");
  if (CharCount(send.info_pagador) > kTextCharsMax) {
    return Failure{Invalid("O campo pagador.infoPagador tem no máximo 140 caracteres.")};
  }
  if (const JsonNode* payee = body.Find("favorecido");
      payee != nullptr && payee->IsObject() && payee->Find("contaBanco") != nullptr) {
    return Failure{Invalid("O simulador envia apenas para chaves PIX (favorecido.chave).")};
  }
  auto payee = ReadChave(body, "favorecido");
  if (!payee.ok()) return Failure{payee.error()};
  send.payee_key = std::move(payee).value();
  return send;
}

// Why the PSP cannot deliver to `key` (its DICT lookup), or nullopt.
std::optional<std::string_view> KeyProblem(std::string_view key) {
  if (!pix::ClassifyPixKey(key).ok()) return kUnknownKey;
  std::string lower(key);
  std::transform(lower.begin(), lower.end(), lower.begin(), AsciiLower);
  if (lower.find("invalid") != std::string::npos) return kUnknownKey;
  return std::nullopt;
}

// The PSP's send object, with `status` (the send's own unless a stale one is asked for).
std::string SendJson(const Send& send, std::string_view status) {
  const bool own = status == send.status;
  std::string body =
      "{\"idEnvio\":" + http::JsonString(send.id_envio) +
      ",\"e2eId\":" + http::JsonString(send.e2e_id) +
      ",\"valor\":" + http::JsonString(send.amount.ToString()) +
      ",\"chave\":" + http::JsonString(send.payee_key) + ",\"status\":" + http::JsonString(status) +
      ",\"horario\":{\"solicitacao\":" + http::JsonString(Rfc3339(send.requested_at_ms));
  if (own && send.settled_at_ms) {
    body += ",\"liquidacao\":" + http::JsonString(Rfc3339(*send.settled_at_ms));
  }
  body += "}";
  if (own && !send.motivo.empty()) body += ",\"motivo\":" + http::JsonString(send.motivo);
  return body + "}";
}

// The simulator's view of a send (control API).
std::string ViewJson(const Send& send) {
  std::string body = "{\"idEnvio\":" + http::JsonString(send.id_envio) +
                     ",\"e2eId\":" + http::JsonString(send.e2e_id) +
                     ",\"valor\":" + http::JsonString(send.amount.ToString()) +
                     ",\"chave\":" + http::JsonString(send.payee_key) +
                     ",\"pagador_chave\":" + http::JsonString(send.payer_key) +
                     ",\"info_pagador\":" + JsonStringOrNull(send.info_pagador) +
                     ",\"status\":" + http::JsonString(send.status) +
                     ",\"motivo\":" + JsonStringOrNull(send.motivo) +
                     ",\"webhook_url\":" + JsonStringOrNull(send.webhook_url) +
                     ",\"create_requests\":" + std::to_string(send.create_requests) +
                     ",\"requested_at_ms\":" + std::to_string(send.requested_at_ms) +
                     ",\"updated_at_ms\":" + std::to_string(send.updated_at_ms) + ",\"webhooks\":[";
  bool first = true;
  for (const WebhookRecord& record : send.webhooks) {
    body += (first ? "" : ",");
    first = false;
    body += "{\"status\":" + http::JsonString(record.status) +
            ",\"outcome\":" + http::JsonString(record.outcome) +
            ",\"attempts\":" + std::to_string(record.attempts) + ",\"response_status\":" +
            (record.response_status ? std::to_string(*record.response_status) : "null") +
            ",\"error\":" + JsonStringOrNull(record.error) + "}";
  }
  return body + "]}";
}

// "2026-05-01T12:00:00Z", "...T12:00:00.123Z" or with an offset "+03:00" / "-03:00": Unix ms, or
// nullopt for another shape. Percent-encoded ':' and '+' are read too.
std::optional<int64_t> ParseRfc3339(std::string_view raw) {
  std::string text;
  for (size_t i = 0; i < raw.size(); ++i) {
    const std::string_view escape = raw.substr(i, 3);
    if (escape == "%3A" || escape == "%3a" || escape == "%2B" || escape == "%2b") {
      text += escape[1] == '3' ? ':' : '+';
      i += 2;
    } else {
      text += raw[i];
    }
  }
  int year = 0;
  unsigned month = 0, day = 0, hour = 0, minute = 0, second = 0;
  int consumed = 0;
  if (std::sscanf(text.c_str(), "%4d-%2u-%2uT%2u:%2u:%2u%n", &year, &month, &day, &hour, &minute,
                  &second, &consumed) != 6 ||
      consumed != 19) {
    return std::nullopt;
  }
  std::string_view rest = std::string_view(text).substr(19);
  int64_t millis = 0;
  if (rest.starts_with('.')) {
    size_t digits = 1;
    while (digits < rest.size() && rest[digits] >= '0' && rest[digits] <= '9') ++digits;
    if (digits == 1) return std::nullopt;
    const std::string fraction = std::string(rest.substr(1, std::min<size_t>(digits - 1, 3)));
    millis = std::stoll(fraction + std::string(3 - fraction.size(), '0'));
    rest = rest.substr(digits);
  }
  int64_t offset_ms = 0;
  if (rest.size() == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':') {
    unsigned offset_hours = 0, offset_minutes = 0;
    if (std::sscanf(std::string(rest.substr(1)).c_str(), "%2u:%2u", &offset_hours,
                    &offset_minutes) != 2) {
      return std::nullopt;
    }
    offset_ms = (rest[0] == '+' ? 1 : -1) * int64_t{offset_hours * 60 + offset_minutes} * 60'000;
  } else if (rest != "Z") {
    return std::nullopt;
  }
  using namespace std::chrono;
  const year_month_day date{std::chrono::year{year}, std::chrono::month{month},
                            std::chrono::day{day}};
  if (!date.ok() || hour > 23 || minute > 59 || second > 59) return std::nullopt;
  const auto at = sys_days{date} + hours{hour} + minutes{minute} + seconds{second};
  return duration_cast<milliseconds>(at.time_since_epoch()).count() + millis - offset_ms;
}

}  // namespace

SandboxCredentialMap PixoutSandboxCredentials() {
  return {{"client_id", std::string(kSandboxPixoutClientId)},
          {"client_secret", std::string(kSandboxPixoutClientSecret)},
          {"payer_key", std::string(kSandboxPixoutPayerKey)}};
}

struct PixoutSimulator::Impl {
  Impl(const Clock& clock_in, WebhookSender& sender_in)
      : clock(clock_in),
        sender(sender_in),
        balance(Amount::Parse(kDefaultBalance, Brl()).value()) {}

  // A token this simulator issued and that has not expired.
  bool Authorized(const http::HttpRequest& request) {
    const std::string_view token = BearerToken(request);
    if (token.empty()) return false;
    std::lock_guard lock(mutex);
    const auto found = tokens.find(token);
    return found != tokens.end() && clock.NowMs() < found->second;
  }

  Send* FindLocked(std::string_view id_envio) {
    const auto found = by_id_envio.find(id_envio);
    return found == by_id_envio.end() ? nullptr : &sends.at(found->second);
  }

  // Queues `copies` webhooks saying `send` is in `status`, recorded on the send; `after` runs once
  // the last copy's delivery has ended (delivered or given up).
  void QueueWebhooksLocked(Send& send, std::string_view status, int64_t copies, int64_t delay_ms,
                           std::function<void()> after = {}) {
    // `after` never runs here: the caller holds `mutex`, which `after` may take.
    if (send.webhook_url.empty() || copies == 0) {
      if (after) timers.Schedule(0, std::move(after));
      return;
    }
    const OutgoingWebhook webhook{
        send.webhook_url, {}, "{\"pix\":[" + SendJson(send, status) + "]}", send.id_envio};
    for (int64_t copy = 0; copy < copies; ++copy) {
      const uint64_t record = next_webhook++;
      send.webhooks.push_back(
          WebhookRecord{record, std::string(status), "queued", 0, std::nullopt, ""});
      const bool last = copy + 1 == copies;
      auto on_attempt = [this, sequence = send.sequence, record,
                         after = last ? after : nullptr](const WebhookAttempt& attempt) {
        RecordAttempt(sequence, record, attempt);
        if (attempt.final && after) after();
      };
      if (!sender.Enqueue(webhook, delay_ms, on_attempt)) {
        send.webhooks.back().outcome = "failed";
        send.webhooks.back().error = "not queued: the sandbox is stopping or its queue is full";
        if (last && after) timers.Schedule(0, after);
      }
    }
  }

  void RecordAttempt(uint64_t sequence, uint64_t record, const WebhookAttempt& attempt) {
    std::lock_guard lock(mutex);
    const auto found = sends.find(sequence);
    if (found == sends.end()) return;
    for (WebhookRecord& webhook : found->second.webhooks) {
      if (webhook.id != record) continue;
      webhook.attempts = attempt.attempt;
      webhook.response_status = attempt.response_status;
      webhook.error = attempt.error;
      webhook.outcome = attempt.delivered ? "delivered" : attempt.final ? "failed" : "queued";
    }
  }

  // Ends the send (still EM_PROCESSAMENTO) and sends its webhooks; what a send that ends
  // NAO_REALIZADO had taken returns to the balance.
  void ApplyLocked(Send& send, const Move& move, std::function<void()> after = {}) {
    send.status = move.status;
    send.motivo = move.motivo;
    send.updated_at_ms = clock.NowMs();
    if (move.status == kDone) send.settled_at_ms = send.updated_at_ms;
    if (move.status == kNotDone) balance = balance.Add(send.amount).value();
    QueueWebhooksLocked(send, move.status, move.deliveries, move.delay_ms,
                        move.out_of_order ? nullptr : std::move(after));
    // The stale one goes after: queued later with the same delay, sent in queue order.
    if (move.out_of_order) {
      QueueWebhooksLocked(send, kProcessing, 1, move.delay_ms, std::move(after));
    }
  }

  // Settles the send REALIZADO after `delay_ms`, unless it has ended meanwhile.
  void ScheduleSettle(const std::string& id_envio, int64_t delay_ms) {
    timers.Schedule(delay_ms, [this, id_envio] {
      std::lock_guard lock(mutex);
      Send* send = FindLocked(id_envio);
      if (send != nullptr && send->status == kProcessing) {
        ApplyLocked(*send, Move{std::string(kDone), "", 1, 0, false});
      }
    });
  }

  http::HttpResponse HandleToken(const http::HttpRequest& request);
  http::HttpResponse HandleCreate(const http::HttpRequest& request, const std::string& id_envio);
  Send& AddSendLocked(const std::string& id_envio, const NewSend& fields,
                      const std::string& webhook_url);
  http::HttpResponse Answer(const std::string& id_envio, std::string body, const Fault& fault);
  http::HttpResponse HandleFetch(const http::HttpRequest& request, const std::string& id_envio);
  http::HttpResponse HandleList(const http::HttpRequest& request);
  http::HttpResponse HandleBalance(const http::HttpRequest& request);
  http::HttpResponse HandleMove(const std::string& id_envio, std::string_view status,
                                const http::HttpRequest& request);
  http::HttpResponse HandleFault(const http::HttpRequest& request);
  http::HttpResponse HandleSettings(const http::HttpRequest& request);
  std::string SettingsJsonLocked() const;
  void AddTokenAndSendRoutes(http::Router& router);
  void AddReadRoutes(http::Router& router);
  void AddControlRoutes(http::Router& router);
  void AddFaultAndSettingsRoutes(http::Router& router);

  const Clock& clock;
  WebhookSender& sender;
  std::mutex mutex;
  std::map<uint64_t, Send> sends;  // by sequence: creation order
  std::map<std::string, uint64_t, std::less<>> by_id_envio;
  std::map<std::string, int64_t, std::less<>> tokens;  // token -> expires at (ms)
  std::map<std::string, Fault, std::less<>> faults;    // by idEnvio, used once
  Amount balance;
  std::string webhook_url;  // the registered one: the last X-Callback-Url, or set
  int64_t auto_settle_ms = kDefaultAutoSettleMs;
  int64_t page_size = kDefaultPageSize;
  int64_t token_lifetime_s = kDefaultTokenLifetimeS;
  int64_t tokens_issued = 0;
  uint64_t next_sequence = 1;
  uint64_t next_webhook = 1;
  Timers timers;  // last: destroyed (stopped) first, before what its tasks use
};

http::HttpResponse PixoutSimulator::Impl::HandleToken(const http::HttpRequest& request) {
  const std::string_view header = request.Header("Authorization");
  constexpr std::string_view kBasic = "Basic ";
  const bool basic = header.size() > kBasic.size() &&
                     EqualsIgnoringAsciiCase(header.substr(0, kBasic.size()), kBasic);
  auto decoded = Base64Decode(basic ? header.substr(kBasic.size()) : std::string_view("!"));
  const std::string expected =
      std::string(kSandboxPixoutClientId) + ":" + std::string(kSandboxPixoutClientSecret);
  if (!decoded.ok() || !SecretMatches(decoded.value(), expected)) {
    return PspError(401, "nao_autorizado", "Credenciais do cliente inválidas.");
  }
  auto parsed = ParseObjectBody(request.body);
  if (!parsed.ok()) return Invalid(parsed.error());
  if (StringMember(parsed.value().root(), "grant_type") != "client_credentials") {
    return Invalid("O campo grant_type deve ser client_credentials.");
  }
  const std::string token = NewHexId("sandbox_pixout_", 48);
  std::lock_guard lock(mutex);
  const int64_t now_ms = clock.NowMs();
  std::erase_if(tokens, [now_ms](const auto& item) { return item.second <= now_ms; });
  if (tokens.size() >= kTokensMax) {
    tokens.erase(std::min_element(tokens.begin(), tokens.end(), [](const auto& a, const auto& b) {
      return a.second < b.second;
    }));
  }
  tokens.emplace(token, now_ms + token_lifetime_s * 1000);
  ++tokens_issued;
  return JsonResponse(
      200, "{\"access_token\":" + http::JsonString(token) +
               ",\"token_type\":\"Bearer\",\"expires_in\":" + std::to_string(token_lifetime_s) +
               ",\"scope\":" + http::JsonString(kScope) + "}");
}

Send& PixoutSimulator::Impl::AddSendLocked(const std::string& id_envio, const NewSend& fields,
                                           const std::string& url) {
  Send send(fields.amount);
  send.sequence = next_sequence++;
  send.id_envio = id_envio;
  send.e2e_id = NewEndToEndId(clock.NowMs());
  send.payer_key = fields.payer_key;
  send.payee_key = fields.payee_key;
  send.info_pagador = fields.info_pagador;
  send.webhook_url = url;
  send.requested_at_ms = send.updated_at_ms = clock.NowMs();
  // The PSP looks the key up (DICT) and checks the balance at once; either failure ends the send
  // NAO_REALIZADO, never an HTTP error.
  if (const auto problem = KeyProblem(fields.payee_key)) {
    send.status = std::string(kNotDone);
    send.motivo = std::string(*problem);
  } else if (fields.amount > balance) {
    send.status = std::string(kNotDone);
    send.motivo = std::string(kNoFunds);
  } else {
    balance = balance.Subtract(fields.amount).value();
  }
  if (sends.size() >= kSendsMax) {
    by_id_envio.erase(sends.begin()->second.id_envio);
    sends.erase(sends.begin());
  }
  by_id_envio.emplace(send.id_envio, send.sequence);
  return sends.emplace(send.sequence, std::move(send)).first->second;
}

http::HttpResponse PixoutSimulator::Impl::HandleCreate(const http::HttpRequest& request,
                                                       const std::string& id_envio) {
  if (!Authorized(request)) return Unauthorized();
  if (id_envio.size() > kIdEnvioCharsMax || !IsAlphanumeric(id_envio)) {
    return Invalid("O idEnvio deve ter de 1 a 35 caracteres de [a-zA-Z0-9].");
  }
  auto parsed = ParseObjectBody(request.body);
  if (!parsed.ok()) return Invalid(parsed.error());
  auto fields = ReadCreate(parsed.value().root());
  if (!fields.ok()) return fields.error();
  const std::string given_url(request.Header("X-Callback-Url"));
  if (!given_url.empty() &&
      (given_url.size() > kUrlCharsMax ||
       !(given_url.starts_with("http://") || given_url.starts_with("https://")))) {
    return Invalid("O cabeçalho X-Callback-Url deve ser uma URL http(s).");
  }
  std::lock_guard lock(mutex);
  if (!given_url.empty()) webhook_url = given_url;  // registered for sends that come without one
  if (Send* existing = FindLocked(id_envio)) {
    ++existing->create_requests;  // idempotent: the send this idEnvio already names
    return JsonResponse(200, SendJson(*existing, existing->status));
  }
  Fault fault;
  if (const auto found = faults.find(id_envio); found != faults.end()) {
    fault = found->second;
    faults.erase(found);
  }
  if (fault.create_status != 0) {
    return PspError(static_cast<int>(fault.create_status), "erro_simulado",
                    "Falha simulada: nada foi registrado.");
  }
  Send& send = AddSendLocked(id_envio, fields.value(), webhook_url);
  // The create answers what the PSP documents for a new send: EM_PROCESSAMENTO.
  std::string answer = SendJson(send, kProcessing);
  const bool failed = send.status == kNotDone;
  if (fault.webhook_before_answer) return Answer(id_envio, std::move(answer), fault);
  if (failed) {
    QueueWebhooksLocked(send, send.status, 1, 0);
  } else if (auto_settle_ms > 0) {
    ScheduleSettle(id_envio, auto_settle_ms);
  }
  if (fault.answer_delay_ms == 0) return JsonResponse(201, std::move(answer));
  return Answer(id_envio, std::move(answer), fault);
}

// A deferred answer to a create: after the send's final webhook was delivered, after a delay, or
// both.
http::HttpResponse PixoutSimulator::Impl::Answer(const std::string& id_envio, std::string body,
                                                 const Fault& fault) {
  return http::Defer([this, id_envio, body = std::move(body), fault](http::Respond respond) {
    // Each step runs on the timer thread or the sender's, never under `mutex` when it takes it.
    auto answer = [body, respond = std::move(respond)] { respond(JsonResponse(201, body)); };
    const int64_t delay_ms = fault.answer_delay_ms;
    auto later = [this, delay_ms, answer = std::move(answer)]() mutable {
      if (delay_ms == 0) return answer();
      timers.Schedule(delay_ms, std::move(answer));
    };
    if (!fault.webhook_before_answer) return later();
    timers.Schedule(0, [this, id_envio, later = std::move(later)]() mutable {
      std::lock_guard lock(mutex);
      Send* send = FindLocked(id_envio);
      if (send == nullptr) return timers.Schedule(0, std::move(later));
      if (send->status == kProcessing) {
        ApplyLocked(*send, Move{std::string(kDone), "", 1, 0, false}, std::move(later));
      } else {
        QueueWebhooksLocked(*send, send->status, 1, 0, std::move(later));
      }
    });
  });
}

http::HttpResponse PixoutSimulator::Impl::HandleFetch(const http::HttpRequest& request,
                                                      const std::string& id_envio) {
  if (!Authorized(request)) return Unauthorized();
  std::lock_guard lock(mutex);
  const Send* send = FindLocked(id_envio);
  if (send == nullptr) {
    return PspError(404, "envio_nao_encontrado", "Nenhum envio com este idEnvio.");
  }
  return JsonResponse(200, SendJson(*send, send->status));
}

http::HttpResponse PixoutSimulator::Impl::HandleList(const http::HttpRequest& request) {
  if (!Authorized(request)) return Unauthorized();
  const auto inicio = ParseRfc3339(http::QueryValue(request.query, "inicio").value_or(""));
  const auto fim = ParseRfc3339(http::QueryValue(request.query, "fim").value_or(""));
  if (!inicio || !fim || *fim < *inicio) {
    return Invalid("Os parâmetros inicio e fim (RFC 3339, inicio <= fim) são obrigatórios.");
  }
  const auto number = [&](std::string_view name, int64_t fallback, int64_t low, int64_t high) {
    const auto text = http::QueryValue(request.query, name);
    if (!text) return std::optional<int64_t>(fallback);
    const auto value = ParseI128Decimal(*text);
    if (!value || *value < low || *value > high) return std::optional<int64_t>();
    return std::optional<int64_t>(static_cast<int64_t>(*value));
  };
  std::unique_lock lock(mutex);
  const auto page = number("paginacao.paginaAtual", 0, 0, 1'000'000);
  const auto size = number("paginacao.itensPorPagina", page_size, 1, kPageSizeMax);
  if (!page || !size) return Invalid("A paginação pedida é inválida.");
  std::vector<const Send*> matching;
  for (const auto& [sequence, send] : sends) {
    if (send.requested_at_ms >= *inicio && send.requested_at_ms <= *fim) matching.push_back(&send);
  }
  const int64_t total = static_cast<int64_t>(matching.size());
  const int64_t pages = (total + *size - 1) / *size;
  std::string items;
  for (int64_t i = *page * *size; i < std::min(total, (*page + 1) * *size); ++i) {
    const Send& send = *matching[static_cast<size_t>(i)];
    items += (items.empty() ? "" : ",") + SendJson(send, send.status);
  }
  return JsonResponse(200, "{\"parametros\":{\"inicio\":" + http::JsonString(Rfc3339(*inicio)) +
                               ",\"fim\":" + http::JsonString(Rfc3339(*fim)) +
                               ",\"paginacao\":{\"paginaAtual\":" + std::to_string(*page) +
                               ",\"itensPorPagina\":" + std::to_string(*size) +
                               ",\"quantidadeDePaginas\":" + std::to_string(pages) +
                               ",\"quantidadeTotalDeItens\":" + std::to_string(total) +
                               "}},\"pix\":[" + items + "]}");
}

http::HttpResponse PixoutSimulator::Impl::HandleBalance(const http::HttpRequest& request) {
  if (!Authorized(request)) return Unauthorized();
  std::lock_guard lock(mutex);
  return JsonResponse(200, "{\"saldo\":" + http::JsonString(balance.ToString()) + "}");
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
  auto motivo = read.OptionalString("motivo", kTextCharsMax);
  if (!motivo.ok()) return http::ToProblem(motivo.error());
  if (auto unknown = read.RejectUnknownFields()) return http::ToProblem(*unknown);
  if (motivo.value() && move.status != kNotDone) {
    return http::ToProblem(
        http::InputError{"invalid_request", "motivo", "\"motivo\" is for nao_realizado only."});
  }
  move.deliveries = deliveries.value().value_or(move.deliveries);
  move.delay_ms = delay.value().value_or(0);
  move.out_of_order = out_of_order.value().value_or(false);
  move.motivo = motivo.value().value_or(move.motivo);
  return std::nullopt;
}

// What a create may be made to answer (each documented on the route).
constexpr int64_t kFaultStatuses[] = {400, 403, 409, 422, 429, 500, 502, 503};

Result<std::pair<std::string, Fault>, http::HttpResponse> ReadFault(std::string_view body) {
  auto reader = http::JsonObjectReader::Parse(body);
  if (!reader.ok()) return Failure{http::ToProblem(reader.error())};
  http::JsonObjectReader& read = reader.value();
  auto id_envio = read.RequiredString("idEnvio", kIdEnvioCharsMax);
  if (!id_envio.ok()) return Failure{http::ToProblem(id_envio.error())};
  auto create_status = read.OptionalInteger("create_status", 400, 599);
  if (!create_status.ok()) return Failure{http::ToProblem(create_status.error())};
  auto answer_delay = read.OptionalInteger("answer_delay_ms", 0, kDelayMsMax);
  if (!answer_delay.ok()) return Failure{http::ToProblem(answer_delay.error())};
  auto before = read.OptionalBool("webhook_before_answer");
  if (!before.ok()) return Failure{http::ToProblem(before.error())};
  if (auto unknown = read.RejectUnknownFields()) return Failure{http::ToProblem(*unknown)};
  if (id_envio.value().empty() || !IsAlphanumeric(id_envio.value())) {
    return Failure{http::ToProblem(http::InputError{
        "invalid_request", "idEnvio", "\"idEnvio\" must be 1 to 35 characters of [a-zA-Z0-9]."})};
  }
  Fault fault;
  fault.create_status = create_status.value().value_or(0);
  if (fault.create_status != 0 && std::find(std::begin(kFaultStatuses), std::end(kFaultStatuses),
                                            fault.create_status) == std::end(kFaultStatuses)) {
    return Failure{http::ToProblem(
        http::InputError{"invalid_request", "create_status",
                         "\"create_status\" must be 400, 403, 409, 422, 429, 500, 502 or 503."})};
  }
  fault.answer_delay_ms = answer_delay.value().value_or(0);
  fault.webhook_before_answer = before.value().value_or(false);
  return std::pair{std::move(id_envio).value(), fault};
}

std::string FaultJson(const std::string& id_envio, const Fault& fault) {
  return "{\"idEnvio\":" + http::JsonString(id_envio) +
         ",\"create_status\":" + std::to_string(fault.create_status) +
         ",\"answer_delay_ms\":" + std::to_string(fault.answer_delay_ms) +
         ",\"webhook_before_answer\":" + JsonBool(fault.webhook_before_answer) + "}";
}

}  // namespace

http::HttpResponse PixoutSimulator::Impl::HandleMove(const std::string& id_envio,
                                                     std::string_view status,
                                                     const http::HttpRequest& request) {
  Move move;
  move.status = std::string(status);
  if (status == kNotDone) move.motivo = std::string(kDefaultMotivo);
  if (auto refused = ReadMove(request.body, move)) return *refused;
  std::lock_guard lock(mutex);
  Send* send = FindLocked(id_envio);
  if (send == nullptr) {
    return http::Problem(404, "not_found", "Not found", "No pixout send " + id_envio + ".");
  }
  if (send->status != kProcessing) {
    return http::Problem(409, "invalid_transition", "Invalid transition",
                         "The send is final (" + send->status + ").");
  }
  ApplyLocked(*send, move);
  return JsonResponse(200, ViewJson(*send));
}

http::HttpResponse PixoutSimulator::Impl::HandleFault(const http::HttpRequest& request) {
  auto fault = ReadFault(request.body);
  if (!fault.ok()) return fault.error();
  std::lock_guard lock(mutex);
  faults[fault.value().first] = fault.value().second;
  return JsonResponse(200, FaultJson(fault.value().first, fault.value().second));
}

std::string PixoutSimulator::Impl::SettingsJsonLocked() const {
  return "{\"auto_settle_ms\":" + std::to_string(auto_settle_ms) +
         ",\"page_size\":" + std::to_string(page_size) +
         ",\"balance\":" + http::JsonString(balance.ToString()) +
         ",\"token_lifetime_s\":" + std::to_string(token_lifetime_s) +
         ",\"tokens_issued\":" + std::to_string(tokens_issued) +
         ",\"webhook_url\":" + JsonStringOrNull(webhook_url) + "}";
}

http::HttpResponse PixoutSimulator::Impl::HandleSettings(const http::HttpRequest& request) {
  if (request.method != "POST" || IsBlank(request.body)) {
    std::lock_guard lock(mutex);
    return JsonResponse(200, SettingsJsonLocked());
  }
  auto reader = http::JsonObjectReader::Parse(request.body);
  if (!reader.ok()) return http::ToProblem(reader.error());
  http::JsonObjectReader& read = reader.value();
  auto settle = read.OptionalInteger("auto_settle_ms", 0, kDelayMsMax);
  if (!settle.ok()) return http::ToProblem(settle.error());
  auto size = read.OptionalInteger("page_size", 1, kPageSizeMax);
  if (!size.ok()) return http::ToProblem(size.error());
  auto lifetime = read.OptionalInteger("token_lifetime_s", 1, kTokenLifetimeSMax);
  if (!lifetime.ok()) return http::ToProblem(lifetime.error());
  auto balance_text = read.OptionalString("balance", kTextCharsMax);
  if (!balance_text.ok()) return http::ToProblem(balance_text.error());
  auto url = read.OptionalString("webhook_url", kUrlCharsMax);
  if (!url.ok()) return http::ToProblem(url.error());
  auto revoke = read.OptionalBool("revoke_tokens");
  if (!revoke.ok()) return http::ToProblem(revoke.error());
  if (auto unknown = read.RejectUnknownFields()) return http::ToProblem(*unknown);
  std::optional<Amount> amount;
  if (balance_text.value()) {
    auto parsed = Amount::Parse(*balance_text.value(), Brl());
    if (!parsed.ok() || parsed.value().IsNegative()) {
      return http::ToProblem(http::InputError{"invalid_request", "balance",
                                              "\"balance\" must be a decimal string of reais."});
    }
    amount = parsed.value();
  }
  if (url.value() && !url.value()->empty() && !url.value()->starts_with("http://") &&
      !url.value()->starts_with("https://")) {
    return http::ToProblem(
        http::InputError{"invalid_request", "webhook_url", "\"webhook_url\" must be http(s)."});
  }
  std::lock_guard lock(mutex);
  if (settle.value()) auto_settle_ms = *settle.value();
  if (size.value()) page_size = *size.value();
  if (lifetime.value()) token_lifetime_s = *lifetime.value();
  if (amount) balance = *amount;
  if (url.value()) webhook_url = *url.value();
  if (revoke.value().value_or(false)) tokens.clear();  // as a PSP may, before they expire
  return JsonResponse(200, SettingsJsonLocked());
}

namespace {

std::string SendSchema() {
  using namespace http::schema;
  return Object(
      {{"idEnvio", Text(kIdEnvioCharsMax)},
       {"e2eId", String()},
       {"valor", Described(Decimal(), "Reais with two decimals.")},
       {"chave", Described(String(), "The payee's PIX key.")},
       {"status", Enum({"EM_PROCESSAMENTO", "REALIZADO", "NAO_REALIZADO"})},
       {"horario", Object({{"solicitacao", DateTime()}, Optional("liquidacao", DateTime())})},
       Optional("motivo", Described(String(), "Why the send was NAO_REALIZADO."))});
}

std::string ErrorSchema() {
  using namespace http::schema;
  return Object({{"nome", String()}, {"mensagem", String()}});
}

std::vector<http::ResponseDoc> PspErrors(std::initializer_list<int> statuses) {
  std::vector<http::ResponseDoc> docs;
  for (const int status : statuses)
    docs.push_back(GatewayError(status, "The PSP's error", ErrorSchema()));
  return docs;
}

std::string ViewSchema() {
  using namespace http::schema;
  const std::string text = Nullable(String());
  return Object({{"idEnvio", String()},
                 {"e2eId", String()},
                 {"valor", Decimal()},
                 {"chave", String()},
                 {"pagador_chave", String()},
                 {"info_pagador", text},
                 {"status", Enum({"EM_PROCESSAMENTO", "REALIZADO", "NAO_REALIZADO"})},
                 {"motivo", text},
                 {"webhook_url", text},
                 {"create_requests",
                  Described(Integer(), "PUT /v3/gn/pix/{idEnvio} calls with this idEnvio")},
                 {"requested_at_ms", Integer()},
                 {"updated_at_ms", Integer()},
                 {"webhooks", ArrayOf(Object({{"status", String()},
                                              {"outcome", Enum({"queued", "delivered", "failed"})},
                                              {"attempts", Integer()},
                                              {"response_status", Nullable(Integer())},
                                              {"error", text}}))}});
}

const std::vector<http::HeaderDoc>& BearerHeaders() {
  static const std::vector<http::HeaderDoc> headers = {
      {"Authorization", "Bearer <access_token from POST /oauth/token>."}};
  return headers;
}

}  // namespace

void PixoutSimulator::Impl::AddTokenAndSendRoutes(http::Router& router) {
  using namespace http::schema;
  const std::string prefix(kPrefix);
  router.Add(
      "POST", prefix + "/oauth/token",
      http::RouteDoc{.summary = "Sandbox PIX PSP: exchange client credentials for a bearer "
                                "token.",
                     .access = "public",
                     .response_schema = Object({{"access_token", String()},
                                                {"token_type", Const("Bearer")},
                                                {"expires_in", Integer()},
                                                {"scope", String()}}),
                     .request_schema = OpenObject({{"grant_type", Const("client_credentials")}}),
                     .headers = {{"Authorization", "Basic base64(client_id:client_secret)."}},
                     .responses = PspErrors({400, 401})},
      [this](const http::HttpRequest& request, const http::PathParams&) {
        return HandleToken(request);
      });
  std::vector<http::HeaderDoc> create_headers = BearerHeaders();
  create_headers.push_back({"X-Callback-Url",
                            "Sandbox extension: where this send's webhooks go (the real PSP has "
                            "one URL per payer key, registered apart).",
                            false});
  std::vector<http::ResponseDoc> create_responses =
      PspErrors({400, 401, 403, 409, 422, 429, 500, 502, 503});
  create_responses.push_back(http::ResponseDoc{
      200, "The send this idEnvio already names, as it is now.", Ref("PixoutSend")});
  router.Add(
      "PUT", prefix + "/v3/gn/pix/{idEnvio}",
      http::RouteDoc{.summary = "Sandbox PIX PSP: send to a PIX key (idempotent by idEnvio).",
                     .access = "public",
                     .status = 201,
                     .response_schema = Ref("PixoutSend"),
                     .request_schema = OpenObject(
                         {{"valor", Decimal()},
                          {"pagador", OpenObject({{"chave", String()},
                                                  Optional("infoPagador", Text(kTextCharsMax))})},
                          {"favorecido", OpenObject({{"chave", String()}})}}),
                     .headers = create_headers,
                     .responses = create_responses},
      [this](const http::HttpRequest& request, const http::PathParams& params) {
        return HandleCreate(request, params.at("idEnvio"));
      });
}

void PixoutSimulator::Impl::AddReadRoutes(http::Router& router) {
  using namespace http::schema;
  const std::string prefix(kPrefix);
  router.Add("GET", prefix + "/v2/gn/pix/enviados/id-envio/{idEnvio}",
             http::RouteDoc{.summary = "Sandbox PIX PSP: a send by idEnvio.",
                            .access = "public",
                            .response_schema = Ref("PixoutSend"),
                            .headers = BearerHeaders(),
                            .responses = PspErrors({401, 404})},
             [this](const http::HttpRequest& request, const http::PathParams& params) {
               return HandleFetch(request, params.at("idEnvio"));
             });
  const std::string pagination = Object({{"paginaAtual", Integer()},
                                         {"itensPorPagina", Integer()},
                                         {"quantidadeDePaginas", Integer()},
                                         {"quantidadeTotalDeItens", Integer()}});
  router.Add(
      "GET", prefix + "/v2/gn/pix/enviados",
      http::RouteDoc{
          .summary = "Sandbox PIX PSP: sends requested between inicio and fim, oldest first.",
          .access = "public",
          .response_schema = Object(
              {{"parametros",
                Object({{"inicio", DateTime()}, {"fim", DateTime()}, {"paginacao", pagination}})},
               {"pix", ArrayOf(Ref("PixoutSend"))}}),
          .headers = BearerHeaders(),
          .query = {{"inicio", "RFC 3339, required."},
                    {"fim", "RFC 3339, required."},
                    {"paginacao.paginaAtual", "The page, from 0."},
                    {"paginacao.itensPorPagina", "Sends per page (the setting page_size)."}},
          .responses = PspErrors({400, 401})},
      [this](const http::HttpRequest& request, const http::PathParams&) {
        return HandleList(request);
      });
  router.Add("GET", prefix + "/v2/gn/saldo",
             http::RouteDoc{.summary = "Sandbox PIX PSP: the account's balance.",
                            .access = "public",
                            .response_schema = Object({{"saldo", Decimal()}}),
                            .headers = BearerHeaders(),
                            .responses = PspErrors({401})},
             [this](const http::HttpRequest& request, const http::PathParams&) {
               return HandleBalance(request);
             });
}

void PixoutSimulator::Impl::AddControlRoutes(http::Router& router) {
  using namespace http::schema;
  const std::string prefix(kPrefix);
  router.Add("GET", prefix + "/payouts",
             http::RouteDoc{.summary = "Sandbox control: every PIX send the pixout simulator "
                                       "holds, oldest first, with the webhooks it sent.",
                            .access = "public",
                            .response_schema = List(Ref("SandboxPixoutSend"))},
             [this](const http::HttpRequest&, const http::PathParams&) {
               std::lock_guard lock(mutex);
               std::string body;
               for (const auto& [sequence, send] : sends) {
                 body += (body.empty() ? "" : ",") + ViewJson(send);
               }
               return JsonResponse(200, "{\"data\":[" + body + "]}");
             });
  router.Add("GET", prefix + "/payouts/{idEnvio}",
             http::RouteDoc{.summary = "Sandbox control: one pixout send, by idEnvio.",
                            .access = "public",
                            .response_schema = Ref("SandboxPixoutSend"),
                            .errors = {{404, {"not_found"}}}},
             [this](const http::HttpRequest&, const http::PathParams& params) {
               std::lock_guard lock(mutex);
               const Send* send = FindLocked(params.at("idEnvio"));
               if (send == nullptr) {
                 return http::Problem(404, "not_found", "Not found",
                                      "No pixout send " + params.at("idEnvio") + ".");
               }
               return JsonResponse(200, ViewJson(*send));
             });
  const std::string move_schema = Object(
      {Optional("deliveries", Described(Integer(0, kDeliveriesMax), "Webhooks to send (1).")),
       Optional("delay_ms", Integer(0, kDelayMsMax)),
       Optional("out_of_order",
                Described(Boolean(), "Send a stale EM_PROCESSAMENTO webhook after this one.")),
       Optional("motivo", Described(Text(kTextCharsMax), "nao_realizado only: the reason."))});
  for (const auto& [path, status] :
       {std::pair<std::string_view, std::string_view>{"realizado", kDone},
        {"nao_realizado", kNotDone}}) {
    router.Add(
        "POST", prefix + "/payouts/{idEnvio}/" + std::string(path),
        http::RouteDoc{
            .summary = "Sandbox control (pixout): the send becomes " + std::string(status) + ".",
            .access = "public",
            .description = "Sends the webhook(s) as the PSP would.",
            .response_schema = Ref("SandboxPixoutSend"),
            .request_schema = move_schema,
            .request_optional = true,
            .errors = {{400, {"invalid_request"}},
                       {404, {"not_found"}},
                       {409, {"invalid_transition"}}}},
        [this, status = status](const http::HttpRequest& request, const http::PathParams& params) {
          return HandleMove(params.at("idEnvio"), status, request);
        });
  }
  AddFaultAndSettingsRoutes(router);
}

void PixoutSimulator::Impl::AddFaultAndSettingsRoutes(http::Router& router) {
  using namespace http::schema;
  const std::string prefix(kPrefix);
  const std::string fault =
      Object({{"idEnvio", Text(kIdEnvioCharsMax)},
              Optional("create_status",
                       Described(R"({"type":"integer","enum":[400,403,409,422,429,500,502,503]})",
                                 "Answer so; record nothing.")),
              Optional("answer_delay_ms",
                       Described(Integer(0, kDelayMsMax), "Record the send, answer this late.")),
              Optional("webhook_before_answer",
                       Described(Boolean(),
                                 "Settle the send and deliver its webhook before answering."))});
  router.Add("POST", prefix + "/faults",
             http::RouteDoc{.summary = "Sandbox control (pixout): a fault for the next create of "
                                       "an idEnvio, once.",
                            .access = "public",
                            .response_schema = Object({{"idEnvio", String()},
                                                       {"create_status", Integer()},
                                                       {"answer_delay_ms", Integer()},
                                                       {"webhook_before_answer", Boolean()}}),
                            .request_schema = fault,
                            .errors = {{400, {"invalid_request"}}}},
             [this](const http::HttpRequest& request, const http::PathParams&) {
               return HandleFault(request);
             });
  const std::string settings = Object({{"auto_settle_ms", Integer()},
                                       {"page_size", Integer()},
                                       {"balance", Decimal()},
                                       {"token_lifetime_s", Integer()},
                                       {"tokens_issued", Integer()},
                                       {"webhook_url", Nullable(String())}});
  const std::string change =
      Object({Optional("auto_settle_ms", Integer(0, kDelayMsMax)),
              Optional("page_size", Integer(1, kPageSizeMax)), Optional("balance", Decimal()),
              Optional("token_lifetime_s", Integer(1, kTokenLifetimeSMax)),
              Optional("webhook_url", Text(kUrlCharsMax))});
  const auto handler = [this](const http::HttpRequest& request, const http::PathParams&) {
    return HandleSettings(request);
  };
  router.Add("GET", prefix + "/settings",
             http::RouteDoc{.summary = "Sandbox control (pixout): the settings and balance.",
                            .access = "public",
                            .response_schema = settings},
             handler);
  router.Add("POST", prefix + "/settings",
             http::RouteDoc{.summary = "Sandbox control (pixout): change the settings.",
                            .access = "public",
                            .description = "auto_settle_ms 0 settles only on command; "
                                           "revoke_tokens true refuses every token issued so far.",
                            .response_schema = settings,
                            .request_schema = change,
                            .request_optional = true,
                            .errors = {{400, {"invalid_request"}}}},
             handler);
}

PixoutSimulator::PixoutSimulator(const Clock& clock, WebhookSender& sender)
    : impl_(std::make_unique<Impl>(clock, sender)) {}

PixoutSimulator::~PixoutSimulator() {
  Stop();
}

void PixoutSimulator::Stop() {
  impl_->timers.Stop();
}

void PixoutSimulator::AddRoutes(http::Router& router) {
  router.AddSchema("PixoutSend", SendSchema());
  router.AddSchema("SandboxPixoutSend", ViewSchema());
  impl_->AddTokenAndSendRoutes(router);
  impl_->AddReadRoutes(router);
  impl_->AddControlRoutes(router);
}

}  // namespace cambista::sandbox
