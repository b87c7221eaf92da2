/**
 * Optimize: start a walk-forward study of a strategy's parameters, follow its progress, and
 * read the result: best-so-far (one objective) or the Pareto front (several), parameter
 * importance and the stitched out-of-sample equity curve.
 */
import { useQuery } from "@tanstack/react-query";

import { api, keys, type OptimizationRun, type OptimizationRunsPage } from "../api/client";
import { signedPct } from "../lib/backtests";
import { DASH } from "../lib/format";
import {
  DEFAULT_OPTIMIZE_FORM,
  OBJECTIVES,
  optimizationRequest,
  progressShare,
  type Objective,
  type OptimizationDoc,
  type OptimizeFormValues,
} from "../lib/optimizations";
import type { Theme } from "../lib/theme";
import { BestSoFarChart, ImportanceBars, OosEquityChart, ParetoChart } from "./OptimizeCharts";
import {
  ReportFrame,
  RunFormFooter,
  RunPeriod,
  RunScopeFields,
  RunStatus,
  RunsTable,
  type RunsTableProps,
  describeError,
  pollWhile,
  useRunForm,
  useRunList,
} from "./RunParts";

export function OptimizeForm({ onStarted }: { onStarted: (run: OptimizationRun) => void }) {
  const { values, set, problem, start, submit } = useRunForm({
    initial: DEFAULT_OPTIMIZE_FORM,
    toRequest: optimizationRequest,
    startRun: api.startOptimization,
    listKey: keys.optimizations,
    onStarted,
  });
  const toggle = (name: Objective, on: boolean): void =>
    set("objectives", on ? [...values.objectives, name] : values.objectives.filter((o) => o !== name));
  const text = (key: "trials" | "folds" | "seed", label: string) => (
    <label className="field">
      <span>{label}</span>
      <input
        type="text"
        data-testid={`opt-${key}`}
        value={values[key]}
        onChange={(e) => set(key, e.target.value)}
        autoComplete="off"
      />
    </label>
  );
  return (
    <form className="backtest-form" onSubmit={submit} aria-labelledby="opt-form-title" noValidate>
      <h2 id="opt-form-title">New optimisation</h2>
      <RunScopeFields prefix="opt" values={values} set={set} />
      <label className="field">
        <span>Strategy</span>
        <select data-testid="opt-strategy" value={values.strategy} onChange={(e) => set("strategy", e.target.value)}>
          <option value="rules">Rules (the desk's analyst)</option>
          <option value="crossover">SMA crossover</option>
        </select>
      </label>
      {text("trials", "Trials per fold")}
      {text("folds", "Walk-forward folds")}
      <label className="field">
        <span>Windows</span>
        <select
          data-testid="opt-mode"
          value={values.mode}
          onChange={(e) => set("mode", e.target.value as OptimizeFormValues["mode"])}
        >
          <option value="rolling">Rolling</option>
          <option value="anchored">Anchored</option>
        </select>
      </label>
      {text("seed", "Seed")}
      <fieldset className="field field-wide opt-objectives">
        <legend>Objectives (several: a Pareto front)</legend>
        {OBJECTIVES.map((o) => (
          <label key={o.name} className="field-check">
            <input
              type="checkbox"
              data-testid={`opt-objective-${o.name}`}
              checked={values.objectives.includes(o.name)}
              onChange={(e) => toggle(o.name, e.target.checked)}
            />
            <span>{o.label}</span>
          </label>
        ))}
      </fieldset>
      <RunFormFooter
        prefix="opt"
        label="Optimise"
        pending={start.isPending}
        problem={problem}
        error={start.error}
      />
    </form>
  );
}

function runTickers(run: OptimizationRun): string {
  if (run.params.universe === "all") return "all";
  const list = run.params.tickers ?? [];
  return list.length <= 4 ? list.join(", ") : `${list.length} tickers`;
}

const RUN_COLUMNS = [
  { label: "Strategy" },
  { label: "Tickers" },
  { label: "Period" },
  { label: "Objectives" },
  { label: "Status" },
  { label: "Trials", num: true },
  { label: "OOS return", num: true },
  { label: "OOS Sharpe", num: true },
];

function RunCells({ run }: { run: OptimizationRun }) {
  return (
    <>
      <td>{run.params.strategy}</td>
      <td>{runTickers(run)}</td>
      <RunPeriod run={run} />
      <td>{run.params.objectives.join(", ")}</td>
      <td>
        <RunStatus run={run} />
      </td>
      <td className="num">{run.progress ? `${run.progress.done}/${run.progress.total}` : DASH}</td>
      <td className="num">{signedPct(run.summary?.oos_total_return)}</td>
      <td className="num">{run.summary?.oos_sharpe?.toFixed(2) ?? DASH}</td>
    </>
  );
}

export function OptimizationRunsTable(props: RunsTableProps<OptimizationRunsPage>) {
  return (
    <RunsTable
      {...props}
      prefix="opt"
      caption="Optimisation runs, newest first"
      columns={RUN_COLUMNS}
      empty="No optimisation yet."
      cells={(run) => <RunCells run={run} />}
    />
  );
}

export function OptimizationProgressBar({ run }: { run: OptimizationRun }) {
  const p = run.progress;
  const share = progressShare(p);
  return (
    <div className="opt-progress" data-testid="opt-progress">
      <progress
        max={1}
        value={share}
        aria-label={`${p?.done ?? 0} of ${p?.total ?? "?"} trials`}
      />
      <span>
        {p ? `${p.done} / ${p.total} trials` : "starting…"}
        {p?.best != null && ` · best so far ${p.best.toFixed(3)} (in sample)`}
      </span>
    </div>
  );
}

export function OptimizationResult({ doc, theme }: { doc: OptimizationDoc; theme: Theme }) {
  const objectives = doc.config.objectives;
  const multi = objectives.length > 1;
  return (
    <div className="opt-result" data-testid="opt-result">
      {doc.overfitting.warnings.map((w) => (
        <p key={w} className="warn-text">
          {w}
        </p>
      ))}
      <OosEquityChart doc={doc} theme={theme} />
      <h3>{multi ? "Pareto front (in sample) per fold" : `Best ${objectives[0]} so far per fold`}</h3>
      <div className="opt-folds">
        {doc.folds.map((f) => (
          <figure key={f.index} className="opt-fold">
            <figcaption>
              Fold {f.index}: {f.in_sample.join(" → ")}
            </figcaption>
            {multi ? (
              <ParetoChart fold={f} objectives={objectives} />
            ) : (
              <BestSoFarChart trials={f.trials ?? []} objective={objectives[0] ?? "sharpe"} />
            )}
          </figure>
        ))}
      </div>
      <h3>Parameter importance (mean over folds)</h3>
      <ImportanceBars importance={doc.param_importance} />
    </div>
  );
}

export function OptimizationReport({ runId }: { runId: string }) {
  const report = useQuery({
    queryKey: keys.optimizationReport(runId),
    queryFn: () => api.optimizationReport(runId),
    staleTime: Infinity,
  });
  return <ReportFrame report={report} testId="opt-report" title="Optimisation report" />;
}

export function OptimizationDetail({ runId, theme }: { runId: string; theme: Theme }) {
  const detail = useQuery({
    queryKey: keys.optimization(runId),
    queryFn: () => api.optimization(runId),
    // Only a running study changes: a finished one is not polled at all.
    refetchInterval: (query) => (query.state.data?.status === "running" ? pollWhile(true, query) : false),
  });
  const run = detail.data;
  if (!run) return <p className="muted">{detail.error ? describeError(detail.error) : "Loading…"}</p>;
  if (run.status === "failed") {
    return (
      <p className="error-text" data-testid="opt-failed">
        {run.error ? `${run.error.code}: ${run.error.message}` : "The optimisation failed."}
      </p>
    );
  }
  return (
    <>
      <OptimizationProgressBar run={run} />
      {run.status === "done" && run.result ? (
        <>
          <OptimizationResult doc={run.result as unknown as OptimizationDoc} theme={theme} />
          <h3>Report</h3>
          <OptimizationReport runId={run.run_id} />
        </>
      ) : (
        <p className="muted" aria-live="polite">
          Running… the result appears here when every fold has its trials.
        </p>
      )}
    </>
  );
}

export function OptimizeView({ theme }: { theme: Theme }) {
  const { runs, shownId, setSelected } = useRunList(keys.optimizations, () => api.optimizations(50));
  return (
    <main className="backtests optimize">
      <section className="panel">
        <OptimizeForm onStarted={(run) => setSelected(run.run_id)} />
      </section>
      <section className="panel" aria-labelledby="opt-runs-title">
        <h2 id="opt-runs-title">Studies</h2>
        <OptimizationRunsTable page={runs.data} selected={shownId} onSelect={setSelected} />
      </section>
      <section className="panel" aria-labelledby="opt-detail-title">
        <h2 id="opt-detail-title">Result</h2>
        {shownId ? (
          <OptimizationDetail key={shownId} runId={shownId} theme={theme} />
        ) : (
          <p className="muted">Start a study, or pick one.</p>
        )}
      </section>
    </main>
  );
}
