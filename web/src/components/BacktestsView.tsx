/**
 * Backtests: start one on the service's data, follow the runs (summary against the
 * buy-and-hold benchmark) and read a finished run's report in a sandboxed frame.
 */
import { useQuery } from "@tanstack/react-query";

import { api, keys, type BacktestRun, type BacktestRunsPage } from "../api/client";
import {
  DEFAULT_FORM,
  backtestRequest,
  excessReturn,
  runTickers,
  signedPct,
  type BacktestFormValues,
} from "../lib/backtests";
import { DASH, formatMoney } from "../lib/format";
import {
  ReportFrame,
  RunFormFooter,
  RunPeriod,
  RunScopeFields,
  RunStatus,
  RunsTable,
  type RunsTableProps,
  useRunList,
  useRunForm,
} from "./RunParts";

function tone(value: number | null | undefined): string {
  if (value === null || value === undefined || value === 0) return "flat";
  return value > 0 ? "gain" : "loss";
}

export function BacktestForm({ onStarted }: { onStarted: (run: BacktestRun) => void }) {
  const { values, set, problem, start, submit } = useRunForm({
    initial: DEFAULT_FORM,
    toRequest: backtestRequest,
    startRun: api.startBacktest,
    listKey: keys.backtests,
    onStarted,
  });
  return (
    <form className="backtest-form" onSubmit={submit} aria-labelledby="backtest-form-title" noValidate>
      <h2 id="backtest-form-title">New backtest</h2>
      <RunScopeFields prefix="bt" values={values} set={set} placeholder="AAPL, MSFT" />
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
      <RunFormFooter
        prefix="bt"
        label="Run backtest"
        pending={start.isPending}
        problem={problem}
        error={start.error}
      />
    </form>
  );
}

const RUN_COLUMNS = [
  { label: "Tickers" },
  { label: "Period" },
  { label: "Strategy" },
  { label: "Status" },
  { label: "Return", num: true },
  { label: "Buy & hold", num: true },
  { label: "CAGR", num: true },
  { label: "Sharpe", num: true },
  { label: "Max DD", num: true },
  { label: "Trades", num: true },
];

function RunCells({ run }: { run: BacktestRun }) {
  const s = run.summary;
  const excess = excessReturn(run);
  return (
    <>
      <td>{runTickers(run)}</td>
      <RunPeriod run={run} />
      <td>{run.params.strategy}</td>
      <td>
        <RunStatus run={run} title={run.error ? `${run.error.code}: ${run.error.message}` : undefined} />
      </td>
      <td
        className={`num tone-${tone(s?.total_return)}`}
        data-testid="bt-total-return"
        title={excess === null ? undefined : `${signedPct(excess)} vs buy & hold`}
      >
        {signedPct(s?.total_return)}
      </td>
      <td className={`num tone-${tone(s?.benchmark_total_return)}`}>{signedPct(s?.benchmark_total_return)}</td>
      <td className="num">{signedPct(s?.cagr)}</td>
      <td className="num">{s?.sharpe?.toFixed(2) ?? DASH}</td>
      <td className="num">{s?.max_drawdown == null ? DASH : `${(s.max_drawdown * 100).toFixed(2)}%`}</td>
      <td className="num">{s?.trades ?? DASH}</td>
    </>
  );
}

export function BacktestRunsTable(props: RunsTableProps<BacktestRunsPage>) {
  return (
    <RunsTable
      {...props}
      prefix="bt"
      caption="Backtest runs, newest first"
      columns={RUN_COLUMNS}
      empty="No backtest yet."
      cells={(run) => <RunCells run={run} />}
    />
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
      <ReportFrame
        report={report}
        testId="bt-report"
        title={`Backtest report ${run.params.start} to ${run.params.end}`}
      />
    </>
  );
}

export function BacktestsView() {
  const { runs, items, shownId, setSelected } = useRunList(keys.backtests, () => api.backtests(50));
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
