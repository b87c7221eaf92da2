/**
 * The decisions explorer: every decision with ticker, action, confidence, analyst, verdict,
 * denial codes and model cost; filtered (ticker, action, verdict, code, dates, analyst) and
 * paged by GET /api/decisions; a row opens the explain view.
 */
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useReducer } from "react";

import { api, keys } from "../api/client";
import { pollUnlessRefused } from "../lib/auth";
import { filterReducer, noFilters, PAGE_SIZE, toQuery, type DecisionFilters } from "../lib/decisionFilters";
import { formatDateTime } from "../lib/format";

type Field = Exclude<keyof DecisionFilters, "offset">;

function verdictText(approved: boolean | null, status: string): string {
  if (approved === true) return "approved";
  if (approved === false) return "denied";
  return status;
}

export function DecisionsView({ onOpenDecision }: { onOpenDecision: (decisionId: string) => void }) {
  const [filters, dispatch] = useReducer(filterReducer, noFilters);
  const query = toQuery(filters);
  const page = useQuery({
    queryKey: keys.decisions(query),
    queryFn: () => api.decisions(query),
    placeholderData: keepPreviousData,
    refetchInterval: pollUnlessRefused(30_000),
  });
  const set = (field: Field) => (e: { target: { value: string } }) =>
    dispatch({ type: "set", field, value: e.target.value });
  const items = page.data?.items ?? [];

  return (
    <main className="view" aria-labelledby="decisions-title">
      <section className="panel">
        <h2 id="decisions-title">Decisions</h2>
        <form className="filters" onSubmit={(e) => e.preventDefault()} aria-label="Filter decisions">
          <label>
            Ticker
            <input data-testid="filter-ticker" value={filters.ticker} maxLength={7} onChange={set("ticker")} />
          </label>
          <label>
            Action
            <select data-testid="filter-action" value={filters.action} onChange={set("action")}>
              <option value="">any</option>
              <option value="BUY">BUY</option>
              <option value="SELL">SELL</option>
              <option value="HOLD">HOLD</option>
            </select>
          </label>
          <label>
            Verdict
            <select data-testid="filter-verdict" value={filters.verdict} onChange={set("verdict")}>
              <option value="">any</option>
              <option value="approved">approved</option>
              <option value="denied">denied</option>
            </select>
          </label>
          <label>
            Denial code
            <input data-testid="filter-code" value={filters.code} maxLength={32} onChange={set("code")} />
          </label>
          <label>
            From
            <input type="date" data-testid="filter-since" value={filters.since} onChange={set("since")} />
          </label>
          <label>
            To
            <input type="date" data-testid="filter-until" value={filters.until} onChange={set("until")} />
          </label>
          <label>
            Analyst
            <select data-testid="filter-analyst" value={filters.analyst} onChange={set("analyst")}>
              <option value="">any</option>
              {(page.data?.analysts ?? []).map((a) => (
                <option key={a} value={a}>
                  {a}
                </option>
              ))}
            </select>
          </label>
          <button type="button" onClick={() => dispatch({ type: "reset" })}>
            Clear
          </button>
        </form>
        <div className="table-scroll">
          <table data-testid="decisions-table">
            <caption className="sr-only">Decisions, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Time</th>
                <th scope="col">Ticker</th>
                <th scope="col">Action</th>
                <th scope="col" className="num">Confidence</th>
                <th scope="col">Analyst</th>
                <th scope="col">Verdict</th>
                <th scope="col">Codes</th>
                <th scope="col" className="num">Cost</th>
              </tr>
            </thead>
            <tbody>
              {items.length === 0 && (
                <tr>
                  <td colSpan={8} className="muted">
                    {page.isLoading ? "Loading…" : "No decisions match."}
                  </td>
                </tr>
              )}
              {items.map((d) => (
                <tr key={d.decision_id} data-testid="decision-row" data-ticker={d.ticker}>
                  <td>
                    <button
                      type="button"
                      className="link"
                      title="Explain this decision"
                      onClick={() => onOpenDecision(d.decision_id)}
                    >
                      {formatDateTime(d.created_at)}
                    </button>
                  </td>
                  <th scope="row">{d.ticker}</th>
                  <td>
                    {d.action ?? "—"}
                    {d.manual && <span className="badge">manual</span>}
                  </td>
                  <td className="num">{d.confidence === null ? "—" : d.confidence.toFixed(2)}</td>
                  <td>{d.analyst ?? "—"}</td>
                  <td className={d.approved === false ? "tone-loss" : undefined}>{verdictText(d.approved, d.status)}</td>
                  <td data-testid="decision-codes">{d.denial_codes.join(", ") || d.error_code || "—"}</td>
                  <td className="num">{d.cost_usd === null ? "—" : `$${d.cost_usd}`}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <nav className="pager" aria-label="Pages">
          <button
            type="button"
            data-testid="page-prev"
            disabled={filters.offset === 0}
            onClick={() => dispatch({ type: "page", offset: filters.offset - PAGE_SIZE })}
          >
            Newer
          </button>
          <span className="muted">
            {items.length ? `${filters.offset + 1}–${filters.offset + items.length}` : ""}
          </span>
          <button
            type="button"
            data-testid="page-next"
            disabled={page.data?.next_offset == null}
            onClick={() => dispatch({ type: "page", offset: page.data?.next_offset ?? 0 })}
          >
            Older
          </button>
        </nav>
      </section>
    </main>
  );
}
