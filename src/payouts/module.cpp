#include "payouts/module.hpp"

#include <memory>

#include "payouts/routes.hpp"
#include "payouts/schema.hpp"
#include "payouts/service.hpp"

namespace cambista::payouts {
namespace {

void Install(module::ModuleContext& context) {
  const module::ModuleContext::Services& services = context.services();
  PayoutService& payouts = context.Keep(std::make_unique<PayoutService>(
      services.database, services.ledger, services.chart, services.clock));
  context.Provide(payouts);
  AddPayoutRoutes(services.router, services.gate, services.idempotency, payouts, services.assets);
}

}  // namespace

const module::Module kModule{"payouts", Migrations, nullptr, Install};

}  // namespace cambista::payouts
