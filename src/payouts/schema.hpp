// The payouts module's migrations, for app/modules.cpp (store/migrations.hpp applies them).
#pragma once

#include <span>

#include "store/migrations.hpp"

namespace cambista::payouts {

std::span<const store::Migration> Migrations();

}  // namespace cambista::payouts
