// The api tables' migrations, for app/modules.cpp (store/migrations.hpp applies them).
#pragma once

#include <span>

#include "store/migrations.hpp"

namespace cambista::api {

std::span<const store::Migration> Migrations();

}  // namespace cambista::api
