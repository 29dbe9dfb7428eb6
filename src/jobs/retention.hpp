// Retention: a periodic job that purges what the desk no longer needs once it is older than the
// configured number of days (retention.days, 30 by default): finished jobs, delivered events and
// their delivery attempts, raw webhook bodies. Each module says what of its own may go by adding a
// PurgeRule (a table, its time column, the condition a row must meet); this file knows none of
// their tables but the jobs table, so modules depend on jobs and never the other way round.
//
// A run purges in bounded statements (batch_rows rows each, one short transaction apiece), taking
// the rules in turn, and yields between statements as the job queue asks (job_queue.hpp, "Working
// in batches"), so a month of backlog never holds a worker for long. A rule either deletes its
// rows or blanks one column of them (the raw body goes, the row and its outcome stay for the
// audit).
//
// Metrics: cambista_table_rows{table} (a gauge read at scrape time with count(*) on each table
// under retention: exact, and bounded by the retention itself) and
// cambista_retention_purged_rows_total{table} (rows deleted or blanked by this process).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/clock.hpp"
#include "jobs/job.hpp"
#include "jobs/job_queue.hpp"
#include "obs/metrics.hpp"
#include "store/database.hpp"

namespace cambista::jobs {

inline constexpr int64_t kRetentionDaysDefault = 30;
inline constexpr int64_t kRetentionDaysMin = 1;
inline constexpr int64_t kRetentionDaysMax = 3'650;
inline constexpr int64_t kPurgeBatchRowsDefault = 2'000;
inline constexpr int64_t kRetentionIntervalMsDefault = 3'600'000;
inline constexpr std::string_view kRetentionJobKind = "retention.purge";

enum class PurgeAction {
  kDeleteRow,
  // The column is set to the empty value of its type ('' or zero bytes); the row stays. Rows whose
  // column is empty already are not purgeable again. Give the table a partial index
  // `ON t (time_column) WHERE length(blank_column) > 0` (written just so: SQLite matches it by its
  // text), so that a run does not read again every row it blanked before.
  kBlankColumn,
};

// Which rows of one table may go. Names are SQL identifiers written in code, never input.
struct PurgeRule {
  std::string table;        // also the `table` label of the metrics
  std::string key_column;   // unique (e.g. the primary key): batches are picked by it
  std::string time_column;  // milliseconds since the epoch; purgeable once older than the cutoff
  // More that a row must meet, as SQL valid on both backends over the table's columns (they may
  // be qualified by the table's name); empty for none. Say what must stay, e.g. "state IN (2, 3)".
  std::string condition;
  PurgeAction action = PurgeAction::kDeleteRow;
  std::string blank_column;  // kBlankColumn only
};

// Done and dead jobs; ready and running ones are never purged, whatever their age.
PurgeRule FinishedJobsRule();

struct RetentionOptions {
  int64_t days = kRetentionDaysDefault;  // kRetentionDaysMin..kRetentionDaysMax
  int64_t batch_rows = kPurgeBatchRowsDefault;
  // Statements per run at most, whatever ShouldYield says; then the job continues later.
  int batches_per_run_max = 50;
};

class Retention {
 public:
  Retention(const Clock& clock, RetentionOptions options = {});

  // Before the job first runs (rules are read without a lock). CHECKs the identifiers.
  void AddRule(PurgeRule rule);
  const std::vector<PurgeRule>& rules() const { return rules_; }

  // Rows older than this are purgeable.
  int64_t CutoffMs() const;
  // One statement: purges at most batch_rows rows of rules()[rule] older than cutoff_ms; returns
  // how many.
  int64_t PurgeBatch(store::Connection& connection, size_t rule, int64_t cutoff_ms);
  // The handler of kRetentionJobKind: one batch of each unfinished rule in turn until every rule
  // is through (Done) or the run should yield (Continue).
  JobOutcome Run(const JobContext& context);

  // The two metric families above. Once, before scrapes; `database` must outlive the registry's
  // use of it.
  obs::MetricsStatus RegisterMetrics(obs::MetricsRegistry& metrics, store::Database& database);
  // Rows of each table under retention, by count(*) (tables in rule order, each once).
  std::vector<std::pair<std::string, int64_t>> CountRows(store::Connection& connection) const;

 private:
  const Clock& clock_;
  const RetentionOptions options_;
  std::vector<PurgeRule> rules_;
  std::vector<std::string> purge_sql_;  // per rule, built once
  obs::CounterFamily* purged_ = nullptr;
};

// Registers Retention::Run as kRetentionJobKind and its schedule ("retention"), every interval_ms.
// `retention` must outlive the queue's workers.
void InstallRetention(JobQueue& queue, Retention& retention,
                      int64_t interval_ms = kRetentionIntervalMsDefault);

}  // namespace cambista::jobs
