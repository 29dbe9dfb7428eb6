// libFuzzer target: SyncPay (the data{...} wrapper, reais) webhooks, ParseWebhook on arbitrary
// bytes. The properties are in providers/webhook_fuzz.hpp.
#include <cstddef>
#include <cstdint>

#include "providers/webhook_fuzz.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  cambista::payins::fuzzing::FuzzWebhook("syncpay", data, size);
  return 0;
}
