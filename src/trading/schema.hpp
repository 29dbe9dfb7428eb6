// The trading module's migrations, for app/modules.cpp (store/migrations.hpp applies them).
#pragma once

#include <span>

#include "store/migrations.hpp"

namespace cambista::trading {

std::span<const store::Migration> Migrations();

}  // namespace cambista::trading
