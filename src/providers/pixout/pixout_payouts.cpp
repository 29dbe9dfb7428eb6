#include "providers/pixout/pixout_payouts.hpp"
#include "providers/payout_gateway_error.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <utility>

#include "core/ascii.hpp"
#include "core/clock.hpp"
#include "pix/pix_key.hpp"
#include "security/hmac.hpp"

namespace cambista::payouts {
namespace {

// --- The PSP's API shape (Efí's): every path and field name, in one place -----------------------
// Source: PROVIDERS.md ("PIX payouts: a PSP's send API (Efí's shape)"), simplified where noted.
// POST /oauth/token, Authorization: Basic base64(client_id:client_secret),
//   {grant_type: "client_credentials"} -> {access_token, token_type, expires_in (s), scope}.
constexpr std::string_view kTokenPath = "/oauth/token";
constexpr std::string_view kGrantTypeField = "grant_type";
constexpr std::string_view kClientCredentials = "client_credentials";
constexpr std::string_view kAccessTokenField = "access_token";
constexpr std::string_view kExpiresInField = "expires_in";
// Every other call carries Authorization: Bearer <access_token>.
// PUT /v3/gn/pix/{idEnvio} {valor: "12.34", pagador {chave, infoPagador}, favorecido {chave}}
//   -> send. Idempotent by idEnvio: the same idEnvio again answers the send it names.
constexpr std::string_view kSendPath = "/v3/gn/pix/";
constexpr std::string_view kCallbackUrlHeader = "X-Callback-Url";  // sandbox extension
constexpr std::string_view kPagadorField = "pagador";
constexpr std::string_view kInfoPagadorField = "infoPagador";
constexpr std::string_view kFavorecidoField = "favorecido";
// A send (the create's answer, GET's, a list item, a webhook item), one shape everywhere:
//   {idEnvio, e2eId, valor, chave (the payee's key), status, horario {solicitacao, liquidacao?},
//    motivo? (why NAO_REALIZADO)}.
constexpr std::string_view kIdEnvioField = "idEnvio";
constexpr std::string_view kE2eIdField = "e2eId";
constexpr std::string_view kValorField = "valor";
constexpr std::string_view kChaveField = "chave";
constexpr std::string_view kStatusField = "status";
constexpr std::string_view kHorarioField = "horario";
constexpr std::string_view kMotivoField = "motivo";
// GET /v2/gn/pix/enviados/id-envio/{idEnvio} -> send; 404 when the PSP holds none.
constexpr std::string_view kSentByIdPath = "/v2/gn/pix/enviados/id-envio/";
// GET /v2/gn/pix/enviados?inicio=<RFC 3339>&fim=<RFC 3339>&paginacao.paginaAtual=<0-based>
//   -> {parametros {inicio, fim, paginacao {paginaAtual, itensPorPagina, quantidadeDePaginas,
//       quantidadeTotalDeItens}}, pix: [send]}, oldest first.
constexpr std::string_view kSentPath = "/v2/gn/pix/enviados";
constexpr std::string_view kParametrosField = "parametros";
constexpr std::string_view kPaginacaoField = "paginacao";
constexpr std::string_view kPaginaAtualField = "paginaAtual";
constexpr std::string_view kQuantidadeDePaginasField = "quantidadeDePaginas";
// GET /v2/gn/saldo -> {saldo: "123.45"}: what the account can still send.
constexpr std::string_view kBalancePath = "/v2/gn/saldo";
constexpr std::string_view kSaldoField = "saldo";
// Webhook: POST to the registered URL, {pix: [send, ...]}, unsigned. A PIX received posts
// {pix: [{endToEndId, txid, valor, horario, ...}]} to the same URL.
constexpr std::string_view kPixField = "pix";
constexpr std::string_view kTxidField = "txid";
struct StatusWord {
  std::string_view word;
  ProviderPayoutStatus status;
};
constexpr StatusWord kStatuses[] = {
    {"EM_PROCESSAMENTO", ProviderPayoutStatus::kProcessing},
    {"REALIZADO", ProviderPayoutStatus::kPaid},
    {"NAO_REALIZADO", ProviderPayoutStatus::kFailed},
};
constexpr std::string_view kClientIdCredential = "client_id";
constexpr std::string_view kClientSecretCredential = "client_secret";
constexpr std::string_view kPayerKeyCredential = "payer_key";
// -------------------------------------------------------------------------------------------------

constexpr std::string_view kMinimum = "0.01";
constexpr std::string_view kMaximum = "1000000.00";
constexpr int64_t kTokenLifetimeDefaultS = 3600;
constexpr int64_t kTokenLifetimeMaxS = 7 * 24 * 3600;
// Exchange again this long before the token expires (a call in flight must not carry a token that
// dies on the way), or at half its life for very short-lived tokens.
constexpr int64_t kTokenRefreshMarginMs = 60'000;

using Kind = ProviderError::Kind;
using payins::BrlAsset;
using payins::JsonDocument;
using payins::JsonFieldError;
using payins::JsonNode;
using payins::JsonObject;

std::optional<ProviderPayoutStatus> MapStatus(std::string_view raw) {
  for (const StatusWord& entry : kStatuses) {
    if (EqualsIgnoringAsciiCase(entry.word, raw)) return entry.status;
  }
  return std::nullopt;
}

bool IsIdEnvio(std::string_view text) {
  return !text.empty() && text.size() <= PixoutPayouts::kReferenceCharsMax &&
         std::all_of(text.begin(), text.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
         });
}

// "2026-05-01T12:00:00.123Z" of `unix_ms` (before 1970: the epoch).
std::string Rfc3339Ms(int64_t unix_ms) {
  using namespace std::chrono;
  const sys_time<milliseconds> at{milliseconds{std::max<int64_t>(unix_ms, 0)}};
  const sys_days day = floor<days>(at);
  const year_month_day date{day};
  const hh_mm_ss time{at - day};
  char text[40];
  std::snprintf(text, sizeof text, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ",
                static_cast<int>(date.year()), static_cast<unsigned>(date.month()),
                static_cast<unsigned>(date.day()), static_cast<int>(time.hours().count()),
                static_cast<int>(time.minutes().count()), static_cast<int>(time.seconds().count()),
                static_cast<int>(time.subseconds().count()));
  return text;
}

JsonFieldError FieldError(const JsonObject& object, std::string_view key, std::string_view what) {
  const std::string field = object.FieldPath(key);
  return JsonFieldError{field, field + " " + std::string(what)};
}

// A send, field by field (the create's answer, GET's, a list item or a webhook item).
Result<ProviderPayout, JsonFieldError> ReadSend(const JsonObject& object) {
  ProviderPayout payout;
  auto id_envio = object.RequiredString(kIdEnvioField, payins::kProviderIdBytesMax);
  if (!id_envio.ok()) return Failure{id_envio.error()};
  if (id_envio.value().empty()) return Failure{FieldError(object, kIdEnvioField, "is empty")};
  payout.reference = std::move(id_envio).value();
  auto e2e_id = object.RequiredId(kE2eIdField);
  if (!e2e_id.ok()) return Failure{e2e_id.error()};
  payout.provider_id = e2e_id.value();
  payout.txid = std::move(e2e_id).value();
  auto valor = object.RequiredAmount(kValorField, BrlAsset(), payins::AmountUnits::kMajor);
  if (!valor.ok()) return Failure{valor.error()};
  payout.amount = valor.value();
  auto status = object.RequiredString(kStatusField, payins::kProviderIdBytesMax);
  if (!status.ok()) return Failure{status.error()};
  const auto mapped = MapStatus(status.value());
  if (!mapped)
    return Failure{FieldError(object, kStatusField, "is not a status the PSP documents")};
  payout.status = *mapped;
  payout.is_final = *mapped != ProviderPayoutStatus::kProcessing;
  payout.raw_status = std::move(status).value();
  auto chave = object.OptionalString(kChaveField, payins::kProviderIdBytesMax);
  if (!chave.ok()) return Failure{chave.error()};
  auto horario = object.OptionalObject(kHorarioField);
  if (!horario.ok()) return Failure{horario.error()};
  auto motivo = object.OptionalString(kMotivoField, payins::kProviderMessageBytesMax);
  if (!motivo.ok()) return Failure{motivo.error()};
  payout.reason = motivo.value().value_or("");
  return payout;
}

// "<page>.<fim in epoch ms>"; nullopt for anything else.
struct ListCursor {
  int64_t page = 0;
  int64_t until_ms = 0;
};
std::optional<ListCursor> ParseCursor(std::string_view cursor) {
  const size_t dot = cursor.find('.');
  if (dot == std::string_view::npos) return std::nullopt;
  ListCursor parsed;
  const auto read = [](std::string_view text, int64_t& out) {
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), out);
    return !text.empty() && error == std::errc() && end == text.data() + text.size() && out >= 0;
  };
  if (!read(cursor.substr(0, dot), parsed.page) || !read(cursor.substr(dot + 1), parsed.until_ms)) {
    return std::nullopt;
  }
  return parsed;
}

CallbackRejection MalformedCallback(const JsonFieldError& error) {
  return CallbackRejection{CallbackRejection::Kind::kMalformed, error.field, error.message};
}

}  // namespace

ProviderDescription PixoutPayouts::Description() {
  return ProviderDescription{
      .name = std::string(kName),
      .display_name = "PIX payouts (PSP send API)",
      .required_credentials = {std::string(kClientIdCredential),
                               std::string(kClientSecretCredential),
                               std::string(kPayerKeyCredential)},
      .routes = {PayoutRoute{std::string(BrlAsset().code()),
                             DestinationKind::kPixKey,
                             {},
                             Amount::Parse(kMinimum, BrlAsset()).value(),
                             Amount::Parse(kMaximum, BrlAsset()).value()}},
      .signs_callbacks = false,
      .can_cancel = false,
  };
}

Result<std::unique_ptr<PixoutPayouts>, ProviderError> PixoutPayouts::Create(
    const Credentials& credentials, const ProviderContext& context) {
  const auto credential = [&](std::string_view name) -> std::string_view {
    const auto found = credentials.find(name);
    return found == credentials.end() ? std::string_view() : std::string_view(found->second);
  };
  const std::string_view client_id = credential(kClientIdCredential);
  const std::string_view client_secret = credential(kClientSecretCredential);
  const std::string_view payer_key = credential(kPayerKeyCredential);
  if (client_id.empty() || client_secret.empty() || payer_key.empty()) {
    return Failure{
        ProviderError{Kind::kInvalidRequest,
                      "pixout needs the credentials client_id, client_secret and payer_key"}};
  }
  if (client_id.find(':') != std::string_view::npos) {
    // HTTP Basic cannot carry it: the PSP would read another client id.
    return Failure{ProviderError{Kind::kInvalidRequest, "pixout client_id must not contain ':'"}};
  }
  if (!pix::ClassifyPixKey(payer_key).ok()) {
    return Failure{ProviderError{Kind::kInvalidRequest, "pixout payer_key must be a PIX key"}};
  }
  if (context.http == nullptr || context.clock == nullptr || context.base_url.empty()) {
    return Failure{ProviderError{Kind::kInvalidRequest,
                                 "pixout needs an HTTP client, a clock and a base URL"}};
  }
  return std::unique_ptr<PixoutPayouts>(new PixoutPayouts(
      context, std::string(client_id), std::string(client_secret), std::string(payer_key)));
}

PixoutPayouts::PixoutPayouts(const ProviderContext& context, std::string client_id,
                             std::string client_secret, std::string payer_key)
    : description_(Description()),
      client_id_(std::move(client_id)),
      client_secret_(std::move(client_secret)),
      payer_key_(std::move(payer_key)),
      http_(
          payins::GatewayContext{context.http, context.clock, context.base_url, context.timeout_ms},
          std::string(kName), {client_id_, client_secret_}) {}

ProviderError PixoutPayouts::Error(Kind kind, std::string_view operation,
                                   std::string_view what) const {
  return ProviderError{kind,
                       std::string(kName) + " " + std::string(operation) + " " + std::string(what)};
}

ProviderError PixoutPayouts::BadResponse(std::string_view operation,
                                         const JsonFieldError& error) const {
  return FromGatewayError(http_.BadResponse(operation, error));
}

Result<std::string, ProviderError> PixoutPayouts::Token(const std::string& stale) {
  std::lock_guard lock(token_mutex_);
  const int64_t now_ms = http_.context().clock->NowMs();
  if (!token_.empty() && token_ != stale && now_ms < token_refresh_at_ms_) return token_;
  net::ClientRequest request;
  request.method = "POST";
  request.url = http_.Url(kTokenPath);
  request.headers.emplace_back("Authorization",
                               "Basic " + Base64Encode(client_id_ + ":" + client_secret_));
  request.body = payins::JsonBodyWriter().String(kGrantTypeField, kClientCredentials).Finish();
  auto document = http_.Call(std::move(request), "token exchange");
  token_.clear();
  if (!document.ok()) return Failure{FromGatewayError(document.error())};
  const JsonObject root = document.value().RootObject().value();
  auto token = root.RequiredString(kAccessTokenField);
  if (!token.ok()) return Failure{BadResponse("token exchange", token.error())};
  if (token.value().empty()) {
    return Failure{BadResponse("token exchange", FieldError(root, kAccessTokenField, "is empty"))};
  }
  auto lifetime_s = root.OptionalInteger(kExpiresInField);
  if (!lifetime_s.ok()) return Failure{BadResponse("token exchange", lifetime_s.error())};
  const int64_t lifetime_ms =
      std::clamp<int64_t>(lifetime_s.value().value_or(kTokenLifetimeDefaultS), 1,
                          kTokenLifetimeMaxS) *
      1000;
  token_ = std::move(token).value();
  token_refresh_at_ms_ = now_ms + lifetime_ms - std::min(kTokenRefreshMarginMs, lifetime_ms / 2);
  return token_;
}

Result<JsonDocument, ProviderError> PixoutPayouts::Call(net::ClientRequest request,
                                                        std::string_view operation) {
  std::string stale;
  for (int attempt = 0;; ++attempt) {
    auto token = Token(stale);
    if (!token.ok()) return Failure{token.error()};
    net::ClientRequest attempt_request = request;
    attempt_request.headers.push_back(payins::BearerHeader(token.value()));
    auto response = http_.Send(std::move(attempt_request), operation);
    if (!response.ok()) return Failure{FromGatewayError(response.error())};
    // 401 with a token we believed valid: it was revoked or expired early; exchange once. A 401
    // created nothing, so sending a create again is safe (and idempotent by idEnvio anyway).
    if (response.value().status == 401 && attempt == 0) {
      stale = token.value();
      continue;
    }
    if (auto error = http_.HttpErrorFor(response.value(), operation)) {
      return Failure{FromGatewayError(*error)};
    }
    auto document = JsonDocument::Parse(response.value().body);
    if (!document.ok()) return Failure{BadResponse(operation, document.error())};
    if (auto root = document.value().RootObject(); !root.ok()) {
      return Failure{BadResponse(operation, root.error())};
    }
    return std::move(document).value();
  }
}

std::optional<ProviderError> PixoutPayouts::CheckRequest(const PayoutRequest& request) const {
  const auto refuse = [&](const std::string& what) {
    return Error(Kind::kInvalidRequest, "send", "refused: " + what);
  };
  if (!IsIdEnvio(request.reference)) {
    return refuse("the reference (idEnvio) must be 1 to 35 characters of [A-Za-z0-9]");
  }
  if (request.destination.kind != DestinationKind::kPixKey) {
    return refuse("pixout pays out to PIX keys only");
  }
  if (request.destination.key.empty()) return refuse("the PIX key is empty");
  const PayoutRoute& route = description_.routes.front();
  if (request.amount.asset() != BrlAsset()) {
    return refuse(std::string(request.amount.asset().code()) + " (scale " +
                  std::to_string(request.amount.asset().scale()) +
                  ") is not an asset pixout pays out");
  }
  if (request.amount < route.minimum) {
    return refuse("the amount " + request.amount.ToString() + " is below the minimum of " +
                  route.minimum.ToString());
  }
  if (request.amount > *route.maximum) {
    return refuse("the amount is above the maximum of " + route.maximum->ToString());
  }
  return std::nullopt;
}

Result<ProviderPayout, ProviderError> PixoutPayouts::Create(const PayoutRequest& request) {
  if (auto refused = CheckRequest(request)) return Failure{*refused};
  const std::string pagador = payins::JsonBodyWriter()
                                  .String(kChaveField, payer_key_)
                                  .String(kInfoPagadorField, "Cambista payout " + request.reference)
                                  .Finish();
  const std::string favorecido =
      payins::JsonBodyWriter().String(kChaveField, request.destination.key).Finish();
  net::ClientRequest http_request;
  http_request.method = "PUT";
  http_request.url = http_.Url(std::string(kSendPath) + request.reference);
  http_request.body = payins::JsonBodyWriter()
                          .String(kValorField, request.amount.ToString())
                          .Raw(kPagadorField, pagador)
                          .Raw(kFavorecidoField, favorecido)
                          .Finish();
  if (!request.callback_url.empty()) {
    http_request.headers.emplace_back(kCallbackUrlHeader, request.callback_url);
  }
  auto document = Call(std::move(http_request), "send");
  if (!document.ok()) return Failure{document.error()};
  const JsonObject root = document.value().RootObject().value();
  auto payout = ReadSend(root);
  if (!payout.ok()) return Failure{BadResponse("send", payout.error())};
  if (payout.value().reference != request.reference) {
    return Failure{
        BadResponse("send", {std::string(kIdEnvioField), "idEnvio is not the one sent"})};
  }
  // Idempotent by idEnvio: an idEnvio used before answers with that send, whatever was asked.
  auto chave = root.OptionalString(kChaveField);
  const bool same_key = !chave.ok() || !chave.value() || *chave.value() == request.destination.key;
  if (payout.value().amount != request.amount || !same_key) {
    return Failure{Error(Kind::kRejected, "send",
                         "refused: the idEnvio already names a send with another amount or key")};
  }
  return std::move(payout).value();
}

Result<ProviderPayout, ProviderError> PixoutPayouts::Fetch(std::string_view reference) {
  if (!IsIdEnvio(reference)) {
    return Failure{Error(Kind::kInvalidRequest, "send status",
                         "needs an idEnvio of 1 to 35 characters of [A-Za-z0-9]")};
  }
  net::ClientRequest request;
  request.url = http_.Url(std::string(kSentByIdPath) + std::string(reference));
  auto document = Call(std::move(request), "send status");
  if (!document.ok()) {
    ProviderError error = document.error();
    // Only here does 404 mean what kNotFound says: the PSP holds no send with that idEnvio.
    if (error.kind == Kind::kRejected && error.http_status == 404) error.kind = Kind::kNotFound;
    return Failure{std::move(error)};
  }
  auto payout = ReadSend(document.value().RootObject().value());
  if (!payout.ok()) return Failure{BadResponse("send status", payout.error())};
  if (payout.value().reference != reference) {
    return Failure{BadResponse("send status",
                               {std::string(kIdEnvioField), "idEnvio is not the one asked for"})};
  }
  return std::move(payout).value();
}

Result<ProviderPayout, ProviderError> PixoutPayouts::Cancel(std::string_view) {
  return Failure{
      Error(Kind::kInvalidRequest, "cancel", "is not possible: a PIX send cannot be cancelled")};
}

Result<ProviderPayout, CallbackRejection> PixoutPayouts::ParseCallback(
    const CallbackRequest& request) const {
  using R = CallbackRejection::Kind;
  auto document = JsonDocument::Parse(request.body);
  if (!document.ok()) return Failure{MalformedCallback(document.error())};
  auto root = document.value().RootObject();
  if (!root.ok()) return Failure{MalformedCallback(root.error())};
  const JsonNode* items = root.value().node().Find(kPixField);
  const std::string field(kPixField);
  if (items == nullptr || items->IsNull()) {
    return Failure{CallbackRejection{R::kMalformed, field, "pix is missing"}};
  }
  if (!items->IsArray()) {
    return Failure{CallbackRejection{R::kMalformed, field, "pix must be an array"}};
  }
  if (items->size() == 0) return Failure{CallbackRejection{R::kMalformed, field, "pix is empty"}};
  // One payout per callback: the first item. The payouts service fetches the send anyway.
  const std::string path = field + "[0]";
  if (!items->child(0).IsObject()) {
    return Failure{CallbackRejection{R::kMalformed, path, path + " must be an object"}};
  }
  const JsonObject item(items->child(0), path);
  if (!item.Has(kIdEnvioField) && item.Has(kTxidField)) {
    return Failure{CallbackRejection{R::kIgnored, item.FieldPath(kIdEnvioField),
                                     "the callback is about a PIX received, not a send"}};
  }
  auto payout = ReadSend(item);
  if (!payout.ok()) return Failure{MalformedCallback(payout.error())};
  return std::move(payout).value();
}

Result<std::vector<ProviderCapacity>, ProviderError> PixoutPayouts::ReadCapacity() {
  net::ClientRequest request;
  request.url = http_.Url(kBalancePath);
  auto document = Call(std::move(request), "balance");
  if (!document.ok()) return Failure{document.error()};
  auto saldo = document.value().RootObject().value().RequiredAmount(kSaldoField, BrlAsset(),
                                                                    payins::AmountUnits::kMajor);
  if (!saldo.ok()) return Failure{BadResponse("balance", saldo.error())};
  return std::vector<ProviderCapacity>{
      ProviderCapacity{std::string(BrlAsset().code()), saldo.value(), std::nullopt, std::nullopt}};
}

Result<PayoutPage, ProviderError> PixoutPayouts::List(int64_t since_ms, std::string_view cursor) {
  // The window ends now, and never before it starts (the PSP refuses fim < inicio).
  ListCursor at{0, std::max(http_.context().clock->NowMs(), since_ms)};
  if (!cursor.empty()) {
    const auto parsed = ParseCursor(cursor);
    if (!parsed) return Failure{Error(Kind::kInvalidRequest, "list", "was given a bad cursor")};
    at = *parsed;
  }
  net::ClientRequest request;
  // The times are [0-9:.TZ-] only: a query needs no escaping for them.
  request.url = http_.Url(std::string(kSentPath) + "?inicio=" + Rfc3339Ms(since_ms) +
                          "&fim=" + Rfc3339Ms(at.until_ms) +
                          "&paginacao.paginaAtual=" + std::to_string(at.page));
  auto document = Call(std::move(request), "list");
  if (!document.ok()) return Failure{document.error()};
  const JsonObject root = document.value().RootObject().value();
  auto parametros = root.RequiredObject(kParametrosField);
  if (!parametros.ok()) return Failure{BadResponse("list", parametros.error())};
  auto paginacao = parametros.value().RequiredObject(kPaginacaoField);
  if (!paginacao.ok()) return Failure{BadResponse("list", paginacao.error())};
  auto page = paginacao.value().RequiredInteger(kPaginaAtualField);
  if (!page.ok()) return Failure{BadResponse("list", page.error())};
  if (page.value() != at.page) {
    return Failure{BadResponse(
        "list", FieldError(paginacao.value(), kPaginaAtualField, "is not the page asked for"))};
  }
  auto pages = paginacao.value().RequiredInteger(kQuantidadeDePaginasField);
  if (!pages.ok()) return Failure{BadResponse("list", pages.error())};
  const JsonNode* items = root.node().Find(kPixField);
  if (items == nullptr || !items->IsArray()) {
    return Failure{BadResponse("list", {std::string(kPixField), "pix must be an array"})};
  }
  PayoutPage result;
  for (size_t i = 0; i < items->size(); ++i) {
    const std::string path = std::string(kPixField) + "[" + std::to_string(i) + "]";
    if (!items->child(i).IsObject()) {
      return Failure{BadResponse("list", {path, path + " must be an object"})};
    }
    auto payout = ReadSend(JsonObject(items->child(i), path));
    if (!payout.ok()) return Failure{BadResponse("list", payout.error())};
    result.payouts.push_back(std::move(payout).value());
  }
  if (at.page + 1 < pages.value()) {
    result.next_cursor = std::to_string(at.page + 1) + "." + std::to_string(at.until_ms);
  }
  return result;
}

}  // namespace cambista::payouts
