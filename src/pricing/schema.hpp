// The pricing module's migrations, for app/modules.cpp (store/migrations.hpp applies them).
#pragma once

#include <span>

#include "store/migrations.hpp"

namespace cambista::pricing {

std::span<const store::Migration> Migrations();

}  // namespace cambista::pricing
