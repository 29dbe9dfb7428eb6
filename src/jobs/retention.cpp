#include "jobs/retention.hpp"

#include <algorithm>
#include <utility>

#include "core/assert.hpp"
#include "jobs/job_schedule.hpp"

namespace cambista::jobs {
namespace {

constexpr int64_t kDayMs = 86'400'000;

bool IsIdentifier(std::string_view name) {
  if (name.empty() || (name[0] >= '0' && name[0] <= '9')) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

// One statement for both backends: the purgeable rows are picked by key in a bounded subquery
// ($1 the cutoff, $2 the batch size), which SQLite (built without DELETE ... LIMIT) and PostgreSQL
// both accept.
std::string PurgeSql(const PurgeRule& rule) {
  std::string picked =
      "SELECT " + rule.key_column + " FROM " + rule.table + " WHERE " + rule.time_column + " < $1";
  if (rule.action == PurgeAction::kBlankColumn) {
    picked += " AND length(" + rule.blank_column + ") > 0";
  }
  if (!rule.condition.empty()) picked += " AND (" + rule.condition + ")";
  picked += " LIMIT $2";
  if (rule.action == PurgeAction::kDeleteRow) {
    return "DELETE FROM " + rule.table + " WHERE " + rule.key_column + " IN (" + picked + ")";
  }
  // substr(x, 1, 0) is the empty value of x's own type on both backends: '' for text, zero bytes
  // for a BLOB or bytea.
  return "UPDATE " + rule.table + " SET " + rule.blank_column + " = substr(" + rule.blank_column +
         ", 1, 0) WHERE " + rule.key_column + " IN (" + picked + ")";
}

}  // namespace

PurgeRule FinishedJobsRule() {
  PurgeRule rule;
  rule.table = "jobs";
  rule.key_column = "id";
  rule.time_column = "finished_at_ms";
  // Written as the partial index jobs_finished is, so that both planners use it.
  rule.condition = "state IN (2, 3)";
  return rule;
}

Retention::Retention(const Clock& clock, RetentionOptions options)
    : clock_(clock), options_(options) {
  CAMBISTA_CHECK(options_.days >= kRetentionDaysMin && options_.days <= kRetentionDaysMax);
  CAMBISTA_CHECK(options_.batch_rows >= 1);
  CAMBISTA_CHECK(options_.batches_per_run_max >= 1);
}

void Retention::AddRule(PurgeRule rule) {
  CAMBISTA_CHECK(IsIdentifier(rule.table));
  CAMBISTA_CHECK(IsIdentifier(rule.key_column));
  CAMBISTA_CHECK(IsIdentifier(rule.time_column));
  CAMBISTA_CHECK(rule.action == PurgeAction::kDeleteRow ? rule.blank_column.empty()
                                                        : IsIdentifier(rule.blank_column));
  purge_sql_.push_back(PurgeSql(rule));
  if (purged_ != nullptr) purged_->WithLabels({rule.table});  // a series from 0, before any purge
  rules_.push_back(std::move(rule));
}

int64_t Retention::CutoffMs() const {
  return clock_.NowMs() - options_.days * kDayMs;
}

int64_t Retention::PurgeBatch(store::Connection& connection, size_t rule, int64_t cutoff_ms) {
  CAMBISTA_CHECK(rule < rules_.size());
  const int64_t purged = connection.Execute(purge_sql_[rule], {cutoff_ms, options_.batch_rows});
  if (purged > 0 && purged_ != nullptr) purged_->WithLabels({rules_[rule].table}).Increment(purged);
  return purged;
}

JobOutcome Retention::Run(const JobContext& context) {
  const int64_t cutoff_ms = CutoffMs();
  std::vector<bool> through(rules_.size(), false);
  size_t rules_left = rules_.size();
  int batches = 0;
  while (rules_left > 0) {
    for (size_t i = 0; i < rules_.size(); ++i) {
      if (through[i]) continue;
      if (batches == options_.batches_per_run_max) return JobOutcome::Continue();
      if (batches > 0 && context.ShouldYield()) return JobOutcome::Continue();
      ++batches;
      if (PurgeBatch(context.connection, i, cutoff_ms) < options_.batch_rows) {
        through[i] = true;
        --rules_left;
      }
    }
  }
  return JobOutcome::Done();
}

std::vector<std::pair<std::string, int64_t>> Retention::CountRows(
    store::Connection& connection) const {
  std::vector<std::pair<std::string, int64_t>> counts;
  for (const PurgeRule& rule : rules_) {
    const bool counted = std::any_of(counts.begin(), counts.end(),
                                     [&](const auto& count) { return count.first == rule.table; });
    if (counted) continue;
    int64_t rows = 0;
    connection.Query("SELECT count(*) FROM " + rule.table, {},
                     [&](const store::Row& row) { rows = row.Int64(0); });
    counts.emplace_back(rule.table, rows);
  }
  return counts;
}

obs::MetricsStatus Retention::RegisterMetrics(obs::MetricsRegistry& metrics,
                                              store::Database& database) {
  auto purged =
      metrics.RegisterCounter("cambista_retention_purged_rows_total",
                              "Rows purged (deleted or blanked) by retention.", {"table"});
  if (!purged.ok()) return Failure(purged.error());
  purged_ = purged.value();
  for (const PurgeRule& rule : rules_) purged_->WithLabels({rule.table});
  return metrics.RegisterGaugeCollector(
      "cambista_table_rows", "Rows of each table under retention (count(*) at scrape).", {"table"},
      [this, &database](obs::GaugeCollectorSink& sink) {
        auto connection = database.Connect();
        for (const auto& [table, rows] : CountRows(*connection)) sink.Report({table}, rows);
      });
}

void InstallRetention(JobQueue& queue, Retention& retention, int64_t interval_ms) {
  queue.Register(std::string(kRetentionJobKind),
                 [&retention](const JobContext& context) { return retention.Run(context); });
  JobSchedule schedule;
  schedule.name = "retention";
  schedule.kind = std::string(kRetentionJobKind);
  schedule.payload = "{}";
  schedule.interval_ms = interval_ms;
  queue.AddSchedule(schedule);
}

}  // namespace cambista::jobs
