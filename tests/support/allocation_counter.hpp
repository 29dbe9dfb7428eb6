// Counts calls of the global operator new on the calling thread, to prove hot paths do not
// allocate. Linking the cambista_allocation_counter library replaces the global allocation
// functions of the whole test binary (malloc/free underneath): link it only where that is wanted.
#pragma once

namespace cambista::testing_allocations {
long AllocationsOnThisThread();
}  // namespace cambista::testing_allocations
