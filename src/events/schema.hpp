// The events tables' migrations, for app/modules.cpp (store/migrations.hpp applies them).
#pragma once

#include <span>

#include "store/migrations.hpp"

namespace cambista::events {

std::span<const store::Migration> Migrations();

}  // namespace cambista::events
