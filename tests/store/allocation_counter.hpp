// Counts calls of the global operator new on the calling thread. Linking allocation_counter.cpp
// replaces the global allocation functions of the whole test binary (malloc/free underneath).
#pragma once

namespace cambista::store::testing_allocations {
long AllocationsOnThisThread();
}  // namespace cambista::store::testing_allocations
