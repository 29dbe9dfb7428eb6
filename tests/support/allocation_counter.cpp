// Kept in its own translation unit so the replacements are never inlined into callers (g++ would
// then warn about free() on memory from operator new).
#include "allocation_counter.hpp"

#include <cstdlib>
#include <new>

namespace {
thread_local long allocations_on_this_thread = 0;
}  // namespace

void* operator new(std::size_t size) {
  ++allocations_on_this_thread;
  if (void* memory = std::malloc(size == 0 ? 1 : size)) return memory;
  throw std::bad_alloc();
}
void operator delete(void* memory) noexcept {
  std::free(memory);
}
void operator delete(void* memory, std::size_t) noexcept {
  std::free(memory);
}

namespace cambista::testing_allocations {
long AllocationsOnThisThread() {
  return allocations_on_this_thread;
}
}  // namespace cambista::testing_allocations
