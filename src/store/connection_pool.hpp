// A small pool of open connections, so request handlers do not open a database connection per
// request (a SQLite open with its pragmas costs far more than the query). Thread-safe. A lease
// returns its connection when it ends, unless the caller discarded it after a connection error.
#pragma once

#include <memory>
#include <mutex>
#include <vector>

#include "store/database.hpp"

namespace cambista::store {

class ConnectionPool {
 public:
  explicit ConnectionPool(Database& database, size_t idle_max = 16)
      : database_(database), idle_max_(idle_max) {}

  class Lease {
   public:
    Lease(ConnectionPool& pool, std::unique_ptr<Connection> connection)
        : pool_(&pool), connection_(std::move(connection)) {}
    Lease(Lease&&) = default;
    Lease& operator=(Lease&&) = delete;
    Lease(const Lease&) = delete;
    ~Lease() {
      if (connection_) pool_->Release(std::move(connection_));
    }
    Connection& operator*() { return *connection_; }
    Connection* operator->() { return connection_.get(); }
    void Discard() { connection_.reset(); }  // after a connection error: do not reuse it

   private:
    ConnectionPool* pool_;
    std::unique_ptr<Connection> connection_;
  };

  // An idle connection, or a new one (Database::Connect may throw store::Error).
  Lease Acquire() {
    {
      std::lock_guard lock(mutex_);
      if (!idle_.empty()) {
        auto connection = std::move(idle_.back());
        idle_.pop_back();
        return Lease(*this, std::move(connection));
      }
    }
    return Lease(*this, database_.Connect());
  }

 private:
  void Release(std::unique_ptr<Connection> connection) {
    std::lock_guard lock(mutex_);
    if (idle_.size() < idle_max_) idle_.push_back(std::move(connection));
  }

  Database& database_;
  const size_t idle_max_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<Connection>> idle_;
};

}  // namespace cambista::store
