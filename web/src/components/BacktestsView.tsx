/**
 * Backtests: start one on the service's data, follow the runs (summary against the
 * buy-and-hold benchmark) and read a finished run's report in a sandboxed frame.
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";

import { api, keys, type BacktestRun, type BacktestRunsPage } from "../api/client";
import { pollUnlessRefused } from "../lib/auth";
import {
  DEFAULT_FORM,
  backtestRequest,
  excessReturn,
  runTickers,
  signedPct,
  type BacktestFormValues,
} from "../lib/backtests";
import { DASH, formatMoney } from "../lib/format";

const POLL_RUNNING_MS = 1_500;
const POLL_IDLE_MS = 30_000;

function tone(value: number | null | undefined): string {
  if (value === null || value === undefined || value === 0) return "flat";
  return value > 0 ? "gain" : "loss";
}

export function BacktestForm({ onStarted }: { onStarted: (run: BacktestRun) => void }) {
  const client = useQueryClient();
  const [values, setValues] = useState<BacktestFormValues>(DEFAULT_FORM);
  const [problem, setProblem] = useState<string | null>(null);
  const start = useMutation({
    mutationFn: api.startBacktest,
    onSuccess: (run) => {
      onStarted(run);
      void client.invalidateQueries({ queryKey: keys.backtests });
    },
  });
  const set = <K extends keyof BacktestFormValues>(key: K, value: BacktestFormValues[K]): void =>
    setValues((v) => ({ ...v, [key]: value }));
  const submit = (e: FormEvent): void => {
    e.preventDefault();
    const request = backtestRequest(values);
    if (typeof request === "string") {
      setProblem(request);
      return;
    }
    setProblem(null);
    start.mutate(request);
  };
  return (
    <form className="backtest-form" onSubmit={submit} aria-labelledby="backtest-form-title" noValidate>
      <h2 id="backtest-form-title">New backtest</h2>
      <label className="field field-wide">
        <span>Tickers</span>
        <input
          data-testid="bt-tickers"
          value={values.tickers}
          disabled={values.allTickers}
          onChange={(e) => set("tickers", e.target.value)}
          placeholder="AAPL, MSFT"
          autoComplete="off"
        />
      </label>
      <label className="field field-check">
        <input
          type="checkbox"
          data-testid="bt-all"
          checked={values.allTickers}
          onChange={(e) => set("allTickers", e.target.checked)}
        />
        <span>All tickers of the data</span>
      </label>
      <label className="field">
        <span>Start</span>
        <input
          type="date"
          data-testid="bt-start"
          value={values.start}
          onChange={(e) => set("start", e.target.value)}
        />
      </label>
      <label className="field">
        <span>End</span>
        <input
          type="date"
          data-testid="bt-end"
          value={values.end}
          onChange={(e) => set("end", e.target.value)}
        />
      </label>
      <label className="field">
        <span>Strategy</span>
        <select
          data-testid="bt-strategy"
          value={values.strategy}
          onChange={(e) => set("strategy", e.target.value as BacktestFormValues["strategy"])}
        >
          <option value="rules">Rules (the desk's analyst)</option>
          <option value="crossover">SMA-20/50 crossover</option>
        </select>
      </label>
      <label className="field">
        <span>Initial cash (USD)</span>
        <input
          inputMode="decimal"
          data-testid="bt-cash"
          value={values.initialCash}
          onChange={(e) => set("initialCash", e.target.value)}
        />
      </label>
      <div className="field field-submit">
        <button type="submit" className="primary" data-testid="bt-run" disabled={start.isPending}>
          {start.isPending ? "Starting…" : "Run backtest"}
        </button>
      </div>
      {(problem || start.error) && (
        <p className="error-text field-wide" role="alert" data-testid="bt-error">
          {problem ?? describe(start.error)}
        </p>
      )}
    </form>
  );
}

function describe(error: unknown): string {
  const e = error as { code?: string; message?: string } | null;
  return e?.code ? `${e.code}: ${e.message ?? ""}` : String(error);
}

export function BacktestRunsTable({
  page,
  selected,
  onSelect,
}: {
  page: BacktestRunsPage | undefined;
  selected: string | null;
  onSelect: (runId: string) => void;
}) {
  const runs = page?.items ?? [];
  return (
    <div className="table-scroll">
      <table data-testid="bt-runs" className="bt-runs">
        <caption className="sr-only">Backtest runs, newest first</caption>
        <thead>
          <tr>
            <th scope="col">Started</th>
            <th scope="col">Tickers</th>
            <th scope="col">Period</th>
            <th scope="col">Strategy</th>
            <th scope="col">Status</th>
            <th scope="col" className="num">Return</th>
            <th scope="col" className="num">Buy &amp; hold</th>
            <th scope="col" className="num">CAGR</th>
            <th scope="col" className="num">Sharpe</th>
            <th scope="col" className="num">Max DD</th>
            <th scope="col" className="num">Trades</th>
          </tr>
        </thead>
        <tbody>
          {runs.length === 0 ? (
            <tr>
              <td colSpan={11} className="muted">
                {page ? "No backtest yet." : "Loading…"}
              </td>
            </tr>
          ) : (
            runs.map((run) => {
              const s = run.summary;
              const excess = excessReturn(run);
              return (
                <tr
                  key={run.run_id}
                  data-testid="bt-run-row"
                  data-status={run.status}
                  className={run.run_id === selected ? "selected" : undefined}
                  aria-selected={run.run_id === selected}
                >
                  <th scope="row">
                    <button type="button" className="link" onClick={() => onSelect(run.run_id)}>
                      {run.created_at.slice(0, 19).replace("T", " ")}
                    </button>
                  </th>
                  <td>{runTickers(run)}</td>
                  <td>
                    {run.params.start} → {run.params.end}
                  </td>
                  <td>{run.params.strategy}</td>
                  <td>
                    <span
                      className={`badge bt-status bt-${run.status}`}
                      title={run.error ? `${run.error.code}: ${run.error.message}` : undefined}
                    >
                      {run.status === "failed" && run.error ? `failed: ${run.error.code}` : run.status}
                    </span>
                  </td>
                  <td
                    className={`num tone-${tone(s?.total_return)}`}
                    data-testid="bt-total-return"
                    title={excess === null ? undefined : `${signedPct(excess)} vs buy & hold`}
                  >
                    {signedPct(s?.total_return)}
                  </td>
                  <td className={`num tone-${tone(s?.benchmark_total_return)}`}>
                    {signedPct(s?.benchmark_total_return)}
                  </td>
                  <td className="num">{signedPct(s?.cagr)}</td>
                  <td className="num">{s?.sharpe?.toFixed(2) ?? DASH}</td>
                  <td className="num">{s?.max_drawdown == null ? DASH : `${(s.max_drawdown * 100).toFixed(2)}%`}</td>
                  <td className="num">{s?.trades ?? DASH}</td>
                </tr>
              );
            })
          )}
        </tbody>
      </table>
    </div>
  );
}

export function BacktestReport({ run }: { run: BacktestRun | undefined }) {
  const done = run?.status === "done";
  const report = useQuery({
    queryKey: keys.backtestReport(run?.run_id ?? ""),
    queryFn: () => api.backtestReport(run?.run_id ?? ""),
    enabled: done,
    staleTime: Infinity,
  });
  if (!run) {
    return <p className="muted">Pick a run to read its report.</p>;
  }
  if (run.status === "running") {
    return (
      <p className="muted" aria-live="polite" data-testid="bt-report-running">
        Running… the report appears here when the backtest ends.
      </p>
    );
  }
  if (run.status === "failed") {
    return (
      <p className="error-text" data-testid="bt-report-error">
        {run.error ? `${run.error.code}: ${run.error.message}` : "The backtest failed."}
      </p>
    );
  }
  const s = run.summary;
  return (
    <>
      <dl className="figures">
        <div>
          <dt>Final equity</dt>
          <dd>{formatMoney(s?.final_equity)}</dd>
        </div>
        <div>
          <dt>Return vs buy &amp; hold</dt>
          <dd className={`tone-${tone(excessReturn(run))}`}>{signedPct(excessReturn(run))}</dd>
        </div>
        <div>
          <dt>Skipped tickers</dt>
          <dd>{s?.skipped ?? DASH}</dd>
        </div>
      </dl>
      {report.data !== undefined ? (
        // No allow-* token: the report runs no script, submits nothing and stays opaque.
        <iframe
          className="bt-report"
          data-testid="bt-report"
          title={`Backtest report ${run.params.start} to ${run.params.end}`}
          sandbox=""
          referrerPolicy="no-referrer"
          srcDoc={report.data}
        />
      ) : (
        <p className="muted">{report.error ? describe(report.error) : "Loading the report…"}</p>
      )}
    </>
  );
}

export function BacktestsView() {
  const [selected, setSelected] = useState<string | null>(null);
  const runs = useQuery({
    queryKey: keys.backtests,
    queryFn: () => api.backtests(50),
    refetchInterval: (query) => {
      const base = pollUnlessRefused(POLL_IDLE_MS)(query);
      if (base === false) return false;
      return query.state.data?.items.some((r) => r.status === "running") ? POLL_RUNNING_MS : base;
    },
  });
  const items = runs.data?.items ?? [];
  const shownId = selected ?? items[0]?.run_id ?? null;
  const shown = items.find((r) => r.run_id === shownId);
  return (
    <main className="backtests">
      <section className="panel">
        <BacktestForm onStarted={(run) => setSelected(run.run_id)} />
      </section>
      <section className="panel" aria-labelledby="bt-runs-title">
        <h2 id="bt-runs-title">Runs</h2>
        <BacktestRunsTable page={runs.data} selected={shownId} onSelect={setSelected} />
      </section>
      <section className="panel" aria-labelledby="bt-report-title">
        <h2 id="bt-report-title">Report</h2>
        <BacktestReport run={shown} />
      </section>
    </main>
  );
}
