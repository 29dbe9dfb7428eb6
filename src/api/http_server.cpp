#include "api/http_server.hpp"

#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include "api/problem.hpp"

namespace cambista::api {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;

std::string_view HttpRequest::Header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (beast::iequals(key, name)) return value;
  }
  return {};
}

struct HttpServer::State {
  HttpServerOptions options;
  HttpHandler handler;
  asio::io_context io;
  tcp::acceptor acceptor{io};
  std::vector<std::thread> threads;
  std::atomic<bool> stopping{false};
  std::atomic<uint16_t> port{0};

  // Open connections, so Stop() can wait for requests in flight and close idle ones.
  std::mutex sessions_mutex;
  std::condition_variable sessions_idle;
  int busy_sessions = 0;  // reading a request body or running a handler or writing
  std::vector<std::weak_ptr<beast::tcp_stream>> streams;

  asio::awaitable<void> Accept();
  asio::awaitable<void> Serve(std::shared_ptr<beast::tcp_stream> stream);
};

namespace {

http::response<http::string_body> ToBeast(const HttpResponse& response, unsigned version,
                                          bool keep_alive) {
  http::response<http::string_body> out{static_cast<http::status>(response.status), version};
  out.set(http::field::server, "cambista");
  out.set(http::field::content_type, response.content_type);
  for (const auto& [name, value] : response.headers) out.insert(name, value);
  out.body() = response.body;
  out.keep_alive(keep_alive);
  out.prepare_payload();
  return out;
}

HttpResponse RefusalFor(const beast::error_code& error) {
  if (error == http::error::body_limit) {
    return Problem(413, "payload_too_large", "Request body too large",
                   "The request body is larger than the server accepts.");
  }
  if (error == http::error::header_limit) {
    return Problem(431, "headers_too_large", "Request headers too large",
                   "The request headers are larger than the server accepts.");
  }
  return Problem(400, "invalid_request", "Malformed HTTP request",
                 "The request could not be parsed as HTTP/1.1.");
}

}  // namespace

asio::awaitable<void> HttpServer::State::Accept() {
  for (;;) {
    // Each connection runs on its own strand, so Stop() can close it from another thread safely.
    auto [error, socket] =
        co_await acceptor.async_accept(asio::make_strand(io), asio::as_tuple(asio::use_awaitable));
    if (error) {
      if (stopping || error == asio::error::operation_aborted) co_return;
      continue;  // e.g. too many open files: keep serving the connections we have
    }
    auto stream = std::make_shared<beast::tcp_stream>(std::move(socket));
    {
      std::lock_guard lock(sessions_mutex);
      std::erase_if(streams, [](const auto& weak) { return weak.expired(); });
      streams.push_back(stream);
    }
    asio::co_spawn(stream->get_executor(), Serve(stream), asio::detached);
  }
}

asio::awaitable<void> HttpServer::State::Serve(std::shared_ptr<beast::tcp_stream> stream) {
  beast::flat_buffer buffer;
  std::string remote;
  {
    beast::error_code ignored;
    const auto endpoint = stream->socket().remote_endpoint(ignored);
    if (!ignored) remote = endpoint.address().to_string();
  }
  const auto timeout = std::chrono::milliseconds(options.request_timeout_ms);
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(options.header_bytes_max));
    parser.body_limit(static_cast<std::uint64_t>(options.body_bytes_max));
    // An idle keep-alive connection waits at most one request timeout for its next request.
    stream->expires_after(timeout);
    auto [read_error, bytes] = co_await http::async_read_header(
        *stream, buffer, parser, asio::as_tuple(asio::use_awaitable));
    (void)bytes;
    if (read_error == http::error::end_of_stream || read_error == asio::error::operation_aborted ||
        read_error == beast::error::timeout || read_error == asio::error::connection_reset ||
        read_error == asio::error::eof) {
      break;
    }
    {
      std::lock_guard lock(sessions_mutex);
      ++busy_sessions;
    }
    bool keep_alive = false;
    HttpResponse response;
    unsigned version = 11;
    if (!read_error) {
      auto [body_error, body_bytes] =
          co_await http::async_read(*stream, buffer, parser, asio::as_tuple(asio::use_awaitable));
      (void)body_bytes;
      read_error = body_error;
    }
    if (read_error) {
      response = RefusalFor(read_error);
    } else {
      auto& message = parser.get();
      version = message.version();
      HttpRequest request;
      request.method = std::string(message.method_string());
      request.target = std::string(message.target());
      const size_t question = request.target.find('?');
      request.path = request.target.substr(0, question);
      if (question != std::string::npos) request.query = request.target.substr(question + 1);
      for (const auto& field : message) {
        request.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
      }
      request.body = std::move(message.body());
      request.remote_address = remote;
      keep_alive = message.keep_alive() && !stopping;
      try {
        response = handler(request);
      } catch (const std::exception&) {
        response = Problem(500, "internal_error", "Internal error",
                           "The server failed to handle the request; it was logged.");
      }
    }
    auto out = ToBeast(response, version, keep_alive);
    stream->expires_after(timeout);
    auto [write_error, written] =
        co_await http::async_write(*stream, out, asio::as_tuple(asio::use_awaitable));
    (void)written;
    {
      std::lock_guard lock(sessions_mutex);
      --busy_sessions;
    }
    sessions_idle.notify_all();
    if (write_error || !keep_alive) break;
  }
  beast::error_code ignored;
  stream->socket().shutdown(tcp::socket::shutdown_both, ignored);
  stream->socket().close(ignored);
}

HttpServer::HttpServer(HttpServerOptions options, HttpHandler handler)
    : state_(std::make_unique<State>()) {
  state_->options = std::move(options);
  state_->handler = std::move(handler);
}

HttpServer::~HttpServer() {
  Stop(0);
}

void HttpServer::Start() {
  State& s = *state_;
  beast::error_code error;
  const auto address = asio::ip::make_address(s.options.host, error);
  if (error)
    throw std::runtime_error("cannot listen on '" + s.options.host + "': not an IP address");
  const tcp::endpoint endpoint(address, s.options.port);
  s.acceptor.open(endpoint.protocol(), error);
  if (!error) s.acceptor.set_option(asio::socket_base::reuse_address(true), error);
  if (!error) s.acceptor.bind(endpoint, error);
  if (!error) s.acceptor.listen(asio::socket_base::max_listen_connections, error);
  if (error) {
    throw std::runtime_error("cannot listen on " + s.options.host + ":" +
                             std::to_string(s.options.port) + ": " + error.message());
  }
  s.port = s.acceptor.local_endpoint().port();
  asio::co_spawn(s.io, s.Accept(), asio::detached);
  for (int i = 0; i < std::max(1, s.options.io_threads); ++i) {
    s.threads.emplace_back([&s] { s.io.run(); });
  }
}

uint16_t HttpServer::port() const {
  return state_->port;
}

void HttpServer::Stop(int64_t grace_ms) {
  State& s = *state_;
  if (s.threads.empty() || s.stopping.exchange(true)) return;
  asio::post(s.io, [&s] {
    beast::error_code ignored;
    s.acceptor.close(ignored);
  });
  {
    // Requests in flight finish (their responses say Connection: close) within the grace period.
    std::unique_lock lock(s.sessions_mutex);
    s.sessions_idle.wait_for(lock, std::chrono::milliseconds(grace_ms),
                             [&s] { return s.busy_sessions == 0; });
    for (auto& weak : s.streams) {
      if (auto stream = weak.lock()) {
        asio::post(stream->get_executor(), [stream] {
          beast::error_code ignored;
          stream->socket().close(ignored);
        });
      }
    }
  }
  s.io.stop();
  for (auto& thread : s.threads) thread.join();
  s.threads.clear();
}

}  // namespace cambista::api
