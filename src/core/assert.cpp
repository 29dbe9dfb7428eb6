#include "core/assert.hpp"

#include <cstdio>
#include <cstdlib>

namespace cambista::detail {

void CheckFailed(const char* expression, const char* file, int line) {
  std::fprintf(stderr, "cambista: invariant violated: %s at %s:%d\n", expression, file, line);
  std::fflush(stderr);
  std::abort();
}

}  // namespace cambista::detail
