/**
 * The trade journal: closed round trips (entry and exit, P&L in dollars and in R, holding
 * days, exit reason) with totals, per-ticker and per-sector performance, and a calendar of
 * daily P&L. A trip opens the decision that closed it.
 */
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";

import { api, keys, type Tally } from "../api/client";
import { pollUnlessRefused } from "../lib/auth";
import { calendarMonths } from "../lib/calendar";
import { formatDateTime, formatFillPrice, formatPct, formatSignedMoney, pnlTone } from "../lib/format";

const REASONS: Record<string, string> = {
  stop: "stop",
  trend_exit: "trend exit",
  manual: "manual",
  partial: "partial",
  other: "other",
};

function TallyCells({ t }: { t: Tally }) {
  return (
    <>
      <td className="num">{t.trades}</td>
      <td className="num">{formatPct(t.win_rate_pct, 0)}</td>
      <td className={`num tone-${pnlTone(t.pnl)}`}>{formatSignedMoney(t.pnl)}</td>
      <td className="num">{t.avg_r ?? "—"}</td>
    </>
  );
}

function TallyTable({ title, rows, testId }: { title: string; rows: (Tally & { key: string })[]; testId: string }) {
  return (
    <div className="table-scroll">
      <table data-testid={testId}>
        <caption>{title}</caption>
        <thead>
          <tr>
            <th scope="col">{title.startsWith("By ticker") ? "Ticker" : "Sector"}</th>
            <th scope="col" className="num">Trades</th>
            <th scope="col" className="num">Win rate</th>
            <th scope="col" className="num">P&amp;L</th>
            <th scope="col" className="num">Avg R</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.key}>
              <th scope="row">{r.key}</th>
              <TallyCells t={r} />
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function DailyCalendar({ days }: { days: Parameters<typeof calendarMonths>[0] }) {
  const months = calendarMonths(days);
  if (months.length === 0) return <p className="muted">No closed trades yet.</p>;
  return (
    <div className="calendars" data-testid="pnl-calendar">
      {months.map((m) => (
        <table key={m.month} className="calendar">
          <caption>{m.month}</caption>
          <thead>
            <tr>
              {["Mon", "Tue", "Wed", "Thu", "Fri"].map((d) => (
                <th key={d} scope="col">
                  {d}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {m.weeks.map((w, i) => (
              <tr key={i}>
                {w.map((c, j) =>
                  c === null ? (
                    <td key={j} />
                  ) : (
                    <td
                      key={j}
                      className={c.pnl ? `cal-day tone-${pnlTone(c.pnl)}` : "cal-day"}
                      title={c.pnl ? `${c.date}: ${formatSignedMoney(c.pnl)} (${c.trades} trades)` : c.date}
                      data-date={c.date}
                    >
                      <span className="cal-num">{c.day}</span>
                      {c.pnl && <span className="cal-pnl">{formatSignedMoney(c.pnl)}</span>}
                    </td>
                  ),
                )}
              </tr>
            ))}
          </tbody>
        </table>
      ))}
    </div>
  );
}

export function JournalView({ onOpenDecision }: { onOpenDecision: (decisionId: string) => void }) {
  const [ticker, setTicker] = useState("");
  const clean = ticker.trim().toUpperCase();
  const filter = /^[A-Z]{1,5}(\.[A-Z])?$/.test(clean) ? clean : "";
  const journal = useQuery({
    queryKey: keys.journal(filter),
    queryFn: () => api.journal(filter),
    refetchInterval: pollUnlessRefused(30_000),
  });
  const j = journal.data;
  return (
    <main className="view" aria-labelledby="journal-title">
      <section className="panel">
        <h2 id="journal-title">Trade journal</h2>
        <form className="filters" onSubmit={(e) => e.preventDefault()} aria-label="Filter trades">
          <label>
            Ticker
            <input data-testid="journal-ticker" value={ticker} maxLength={7} onChange={(e) => setTicker(e.target.value)} />
          </label>
        </form>
        {j && (
          <dl className="figures" data-testid="journal-totals">
            <div>
              <dt>Closed trades</dt>
              <dd>{j.totals.trades}</dd>
            </div>
            <div>
              <dt>Win rate</dt>
              <dd>{formatPct(j.totals.win_rate_pct, 0)}</dd>
            </div>
            <div>
              <dt>Realised P&amp;L</dt>
              <dd className={`tone-${pnlTone(j.totals.pnl)}`}>{formatSignedMoney(j.totals.pnl)}</dd>
            </div>
            <div>
              <dt>Total R</dt>
              <dd>{j.totals.total_r}</dd>
            </div>
          </dl>
        )}
        <div className="table-scroll">
          <table data-testid="journal-table">
            <caption className="sr-only">Closed trades, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Closed</th>
                <th scope="col">Ticker</th>
                <th scope="col" className="num">Qty</th>
                <th scope="col" className="num">Entry</th>
                <th scope="col" className="num">Exit</th>
                <th scope="col" className="num">P&amp;L</th>
                <th scope="col" className="num">R</th>
                <th scope="col" className="num">Days</th>
                <th scope="col">Exit reason</th>
              </tr>
            </thead>
            <tbody>
              {(j?.trips.length ?? 0) === 0 && (
                <tr>
                  <td colSpan={9} className="muted">
                    {journal.isLoading ? "Loading…" : "No closed trades yet."}
                  </td>
                </tr>
              )}
              {j?.trips.map((t) => (
                <tr key={t.exit_client_order_id} data-testid="trip-row" data-reason={t.exit_reason}>
                  <td>
                    {t.exit_decision_id ? (
                      <button type="button" className="link" onClick={() => onOpenDecision(t.exit_decision_id as string)}>
                        {formatDateTime(t.closed_at)}
                      </button>
                    ) : (
                      formatDateTime(t.closed_at)
                    )}
                  </td>
                  <th scope="row">{t.ticker}</th>
                  <td className="num">{t.qty}</td>
                  <td className="num">{formatFillPrice(t.entry_price)}</td>
                  <td className="num">{formatFillPrice(t.exit_price)}</td>
                  <td className={`num tone-${pnlTone(t.pnl)}`}>{formatSignedMoney(t.pnl)}</td>
                  <td className="num">{t.r_multiple ?? "—"}</td>
                  <td className="num">{t.holding_days}</td>
                  <td>{REASONS[t.exit_reason] ?? t.exit_reason}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>
      {j && (
        <section className="panel" aria-labelledby="performance-title">
          <h2 id="performance-title">Performance</h2>
          <div className="two-col">
            <TallyTable title="By ticker" testId="by-ticker" rows={j.by_ticker.map((r) => ({ ...r, key: r.ticker }))} />
            <TallyTable title="By sector" testId="by-sector" rows={j.by_sector.map((r) => ({ ...r, key: r.sector }))} />
          </div>
          <h3>Daily P&amp;L</h3>
          <DailyCalendar days={j.daily} />
        </section>
      )}
    </main>
  );
}
