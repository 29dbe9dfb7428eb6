// Assertions. CAMBISTA_CHECK is always on and guards invariants that protect money (a batch whose
// debits equal its credits, a state transition that is allowed). CAMBISTA_ASSERT is for debug
// builds. Neither is ever used on user or provider input: that is validation and returns an error.
#pragma once

namespace cambista::detail {
[[noreturn]] void CheckFailed(const char* expression, const char* file, int line);
}  // namespace cambista::detail

#define CAMBISTA_CHECK(expression)                                      \
  do {                                                                  \
    if (!(expression)) [[unlikely]]                                     \
      ::cambista::detail::CheckFailed(#expression, __FILE__, __LINE__); \
  } while (false)

#ifdef NDEBUG
#define CAMBISTA_ASSERT(expression) \
  do {                              \
  } while (false)
#else
#define CAMBISTA_ASSERT(expression) CAMBISTA_CHECK(expression)
#endif
