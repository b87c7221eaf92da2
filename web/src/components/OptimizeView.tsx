/**
 * Optimize: start a walk-forward study of a strategy's parameters, follow its progress, and
 * read the result: best-so-far (one objective) or the Pareto front (several), parameter
 * importance and the stitched out-of-sample equity curve.
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";

import { api, keys, type OptimizationRun, type OptimizationRunsPage } from "../api/client";
import { pollUnlessRefused } from "../lib/auth";
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

const POLL_RUNNING_MS = 1_500;
const POLL_IDLE_MS = 30_000;

function describe(error: unknown): string {
  const e = error as { code?: string; message?: string } | null;
  return e?.code ? `${e.code}: ${e.message ?? ""}` : String(error);
}

export function OptimizeForm({ onStarted }: { onStarted: (run: OptimizationRun) => void }) {
  const client = useQueryClient();
  const [values, setValues] = useState<OptimizeFormValues>(DEFAULT_OPTIMIZE_FORM);
  const [problem, setProblem] = useState<string | null>(null);
  const start = useMutation({
    mutationFn: api.startOptimization,
    onSuccess: (run) => {
      onStarted(run);
      void client.invalidateQueries({ queryKey: keys.optimizations });
    },
  });
  const set = <K extends keyof OptimizeFormValues>(key: K, value: OptimizeFormValues[K]): void =>
    setValues((v) => ({ ...v, [key]: value }));
  const toggle = (name: Objective, on: boolean): void =>
    set("objectives", on ? [...values.objectives, name] : values.objectives.filter((o) => o !== name));
  const submit = (e: FormEvent): void => {
    e.preventDefault();
    const request = optimizationRequest(values);
    if (typeof request === "string") {
      setProblem(request);
      return;
    }
    setProblem(null);
    start.mutate(request);
  };
  const text = (key: "tickers" | "start" | "end" | "trials" | "folds" | "seed", label: string, type = "text") => (
    <label className={key === "tickers" ? "field field-wide" : "field"}>
      <span>{label}</span>
      <input
        type={type}
        data-testid={`opt-${key}`}
        value={values[key]}
        disabled={key === "tickers" && values.allTickers}
        onChange={(e) => set(key, e.target.value)}
        autoComplete="off"
      />
    </label>
  );
  return (
    <form className="backtest-form" onSubmit={submit} aria-labelledby="opt-form-title" noValidate>
      <h2 id="opt-form-title">New optimisation</h2>
      {text("tickers", "Tickers")}
      <label className="field field-check">
        <input
          type="checkbox"
          data-testid="opt-all"
          checked={values.allTickers}
          onChange={(e) => set("allTickers", e.target.checked)}
        />
        <span>All tickers of the data</span>
      </label>
      {text("start", "Start", "date")}
      {text("end", "End", "date")}
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
      <div className="field field-submit">
        <button type="submit" className="primary" data-testid="opt-run" disabled={start.isPending}>
          {start.isPending ? "Starting…" : "Optimise"}
        </button>
      </div>
      {(problem || start.error) && (
        <p className="error-text field-wide" role="alert" data-testid="opt-error">
          {problem ?? describe(start.error)}
        </p>
      )}
    </form>
  );
}

function runTickers(run: OptimizationRun): string {
  if (run.params.universe === "all") return "all";
  const list = run.params.tickers ?? [];
  return list.length <= 4 ? list.join(", ") : `${list.length} tickers`;
}

export function OptimizationRunsTable({
  page,
  selected,
  onSelect,
}: {
  page: OptimizationRunsPage | undefined;
  selected: string | null;
  onSelect: (runId: string) => void;
}) {
  const runs = page?.items ?? [];
  return (
    <div className="table-scroll">
      <table data-testid="opt-runs" className="bt-runs">
        <caption className="sr-only">Optimisation runs, newest first</caption>
        <thead>
          <tr>
            <th scope="col">Started</th>
            <th scope="col">Strategy</th>
            <th scope="col">Tickers</th>
            <th scope="col">Period</th>
            <th scope="col">Objectives</th>
            <th scope="col">Status</th>
            <th scope="col" className="num">Trials</th>
            <th scope="col" className="num">OOS return</th>
            <th scope="col" className="num">OOS Sharpe</th>
          </tr>
        </thead>
        <tbody>
          {runs.length === 0 ? (
            <tr>
              <td colSpan={9} className="muted">
                {page ? "No optimisation yet." : "Loading…"}
              </td>
            </tr>
          ) : (
            runs.map((run) => (
              <tr
                key={run.run_id}
                data-testid="opt-run-row"
                data-status={run.status}
                className={run.run_id === selected ? "selected" : undefined}
                aria-selected={run.run_id === selected}
              >
                <th scope="row">
                  <button type="button" className="link" onClick={() => onSelect(run.run_id)}>
                    {run.created_at.slice(0, 19).replace("T", " ")}
                  </button>
                </th>
                <td>{run.params.strategy}</td>
                <td>{runTickers(run)}</td>
                <td>
                  {run.params.start} → {run.params.end}
                </td>
                <td>{run.params.objectives.join(", ")}</td>
                <td>
                  <span className={`badge bt-status bt-${run.status}`}>
                    {run.status === "failed" && run.error ? `failed: ${run.error.code}` : run.status}
                  </span>
                </td>
                <td className="num">{run.progress ? `${run.progress.done}/${run.progress.total}` : DASH}</td>
                <td className="num">{signedPct(run.summary?.oos_total_return)}</td>
                <td className="num">{run.summary?.oos_sharpe?.toFixed(2) ?? DASH}</td>
              </tr>
            ))
          )}
        </tbody>
      </table>
    </div>
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
  if (report.data === undefined) {
    return <p className="muted">{report.error ? describe(report.error) : "Loading the report…"}</p>;
  }
  // No allow-* token: the report runs no script, submits nothing and stays opaque.
  return (
    <iframe
      className="bt-report"
      data-testid="opt-report"
      title="Optimisation report"
      sandbox=""
      referrerPolicy="no-referrer"
      srcDoc={report.data}
    />
  );
}

export function OptimizationDetail({ runId, theme }: { runId: string; theme: Theme }) {
  const detail = useQuery({
    queryKey: keys.optimization(runId),
    queryFn: () => api.optimization(runId),
    refetchInterval: (query) => {
      const base = pollUnlessRefused(POLL_IDLE_MS)(query);
      if (base === false) return false;
      return query.state.data?.status === "running" ? POLL_RUNNING_MS : false;
    },
  });
  const run = detail.data;
  if (!run) return <p className="muted">{detail.error ? describe(detail.error) : "Loading…"}</p>;
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
  const [selected, setSelected] = useState<string | null>(null);
  const runs = useQuery({
    queryKey: keys.optimizations,
    queryFn: () => api.optimizations(50),
    refetchInterval: (query) => {
      const base = pollUnlessRefused(POLL_IDLE_MS)(query);
      if (base === false) return false;
      return query.state.data?.items.some((r) => r.status === "running") ? POLL_RUNNING_MS : base;
    },
  });
  const items = runs.data?.items ?? [];
  const shownId = selected ?? items[0]?.run_id ?? null;
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
