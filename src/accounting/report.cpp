#include "accounting/report.hpp"

#include <algorithm>
#include <vector>

#include "accounting/chart.hpp"
#include "ledger/ledger_store.hpp"

namespace cambista::accounting {
namespace {

using Row = std::vector<std::string>;

// Columns padded to their widest cell, two spaces apart; numbers (the columns in `right`) aligned
// right.
std::string Table(const std::vector<Row>& rows, const std::vector<bool>& right) {
  std::vector<size_t> widths(right.size(), 0);
  for (const Row& row : rows) {
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  std::string out;
  for (const Row& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      const std::string padding(widths[i] - row[i].size(), ' ');
      if (i > 0) line += "  ";
      line += right[i] ? padding + row[i] : row[i] + (i + 1 < row.size() ? padding : "");
    }
    out += line + "\n";
  }
  return out;
}

std::string_view SideName(NormalSide side) {
  switch (side) {
    case NormalSide::kDebit:
      return "debit";
    case NormalSide::kCredit:
      return "credit";
    case NormalSide::kNone:
      return "none";
  }
  return "";
}

std::string KindsTable() {
  std::vector<Row> rows = {{"kind", "code", "side", "qualifier", "stands for"}};
  for (const KindInfo& info : AllKinds()) {
    rows.push_back({std::string(info.name), std::to_string(info.code),
                    std::string(SideName(info.side)),
                    info.qualifier.empty() ? "-" : std::string(info.qualifier),
                    std::string(info.description)});
  }
  return Table(rows, {false, true, false, false, false});
}

}  // namespace

std::string ChartReport(store::Connection& connection, std::optional<std::string_view> tenant,
                        const AssetRegistry& assets) {
  std::vector<Row> rows = {
      {"tenant", "kind", "qualifier", "currency", "posted", "pending", "available", "account_id"}};
  for (const ChartEntry& entry : ReadChart(connection, tenant)) {
    const auto account = ledger::LedgerStore::FindAccount(connection, entry.account_id);
    const Balances b = account ? BalancesOf(*account) : Balances{};
    rows.push_back({entry.tenant.empty() ? "(none)" : entry.tenant, entry.kind,
                    entry.qualifier.empty() ? "-" : entry.qualifier, entry.currency,
                    DecimalText(assets, entry.currency, b.posted),
                    DecimalText(assets, entry.currency, b.pending),
                    DecimalText(assets, entry.currency, b.available), ToHex32(entry.account_id)});
  }
  std::string out = "Kinds of account\n" + KindsTable() + "\n";
  out += "Accounts (" + std::to_string(rows.size() - 1) + ")" +
         (tenant ? " of tenant " + std::string(*tenant) : std::string()) + "\n";
  return out + Table(rows, {false, false, false, false, true, true, true, false});
}

}  // namespace cambista::accounting
