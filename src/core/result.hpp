// Result<T, E>: a value or an expected error, for outcomes that are not exceptional.
//
// g++ 12 has no std::expected; this is the small subset we use. Expected outcomes (insufficient
// funds, invalid amount, ...) travel as values; exceptions are kept for I/O failures and bugs.
#pragma once

#include <utility>
#include <variant>

#include "core/assert.hpp"

namespace cambista {

template <class E>
struct Failure {
  // A constructor, not an aggregate: clang 14 (the fuzz build) has no parenthesized aggregate
  // initialization, and `Failure(error)` is how we write it.
  Failure(E failure) : error(std::move(failure)) {}  // NOLINT: implicit
  E error;
};
template <class E>
Failure(E) -> Failure<E>;

template <class T, class E>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit
  template <class F>
  Result(Failure<F> failure)  // NOLINT: implicit
      : state_(std::in_place_index<1>, E(std::move(failure.error))) {}

  bool ok() const { return state_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & {
    CAMBISTA_CHECK(ok());
    return std::get<0>(state_);
  }
  const T& value() const& {
    CAMBISTA_CHECK(ok());
    return std::get<0>(state_);
  }
  T&& value() && {
    CAMBISTA_CHECK(ok());
    return std::get<0>(std::move(state_));
  }
  const E& error() const {
    CAMBISTA_CHECK(!ok());
    return std::get<1>(state_);
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, E> state_;
};

}  // namespace cambista
