/**
 * What the backtests and the optimisations views share: the run form's state and its
 * tickers-and-period fields, the list of runs (polled while one is running) and its table,
 * and the sandboxed frame of a finished run's report.
 */
import { useMutation, useQuery, useQueryClient, type UseQueryResult } from "@tanstack/react-query";
import { type FormEvent, type ReactNode, useState } from "react";

import { pollUnlessRefused } from "../lib/auth";
import type { ScopeValues } from "../lib/runScope";

const POLL_RUNNING_MS = 1_500;
const POLL_IDLE_MS = 30_000;

/** Poll a run every 1.5 s while it runs, else as rarely as an idle list (never when refused). */
export function pollWhile(running: boolean, query: { state: { error: unknown } }): number | false {
  const base = pollUnlessRefused(POLL_IDLE_MS)(query);
  if (base === false) return false;
  return running ? POLL_RUNNING_MS : base;
}

/** Say what a failed request said: "CODE: message", or the error as text. */
export function describeError(error: unknown): string {
  const e = error as { code?: string; message?: string } | null;
  return e?.code ? `${e.code}: ${e.message ?? ""}` : String(error);
}

/** The fields every run has that the shared parts show. */
export interface RunLike {
  run_id: string;
  status: "running" | "done" | "failed";
  created_at: string;
  error: { code: string; message: string } | null;
  params: { start: string; end: string };
}

/** The runs of a list, newest first, and which one is shown (the picked one, else the newest). */
export function useRunList<Page extends { items: RunLike[] }>(
  queryKey: readonly string[],
  fetchRuns: () => Promise<Page>,
) {
  const [selected, setSelected] = useState<string | null>(null);
  const runs = useQuery({
    queryKey,
    queryFn: fetchRuns,
    refetchInterval: (query) =>
      pollWhile(query.state.data?.items.some((r) => r.status === "running") ?? false, query),
  });
  const items: Page["items"] = runs.data?.items ?? [];
  const shownId = selected ?? items[0]?.run_id ?? null;
  return { runs, items, shownId, setSelected };
}

/** A run form's values, its local problem, and the mutation that starts the run. */
export function useRunForm<V, Req, Run>({
  initial,
  toRequest,
  startRun,
  listKey,
  onStarted,
}: {
  initial: V;
  toRequest: (values: V) => Req | string;
  startRun: (request: Req) => Promise<Run>;
  listKey: readonly string[];
  onStarted: (run: Run) => void;
}) {
  const client = useQueryClient();
  const [values, setValues] = useState<V>(initial);
  const [problem, setProblem] = useState<string | null>(null);
  const start = useMutation({
    mutationFn: startRun,
    onSuccess: (run) => {
      onStarted(run);
      void client.invalidateQueries({ queryKey: listKey });
    },
  });
  const set = <K extends keyof V>(key: K, value: V[K]): void => setValues((v) => ({ ...v, [key]: value }));
  const submit = (e: FormEvent): void => {
    e.preventDefault();
    const request = toRequest(values);
    if (typeof request === "string") {
      setProblem(request);
      return;
    }
    setProblem(null);
    start.mutate(request);
  };
  return { values, set, problem, start, submit };
}

/** The tickers (or all of them) and the period of a run; test ids are ``{prefix}-tickers`` etc. */
export function RunScopeFields<V extends ScopeValues>({
  prefix,
  values,
  set,
  placeholder,
}: {
  prefix: string;
  values: V;
  set: <K extends keyof V>(key: K, value: V[K]) => void;
  placeholder?: string;
}) {
  return (
    <>
      <label className="field field-wide">
        <span>Tickers</span>
        <input
          data-testid={`${prefix}-tickers`}
          value={values.tickers}
          disabled={values.allTickers}
          onChange={(e) => set("tickers", e.target.value as V["tickers"])}
          placeholder={placeholder}
          autoComplete="off"
        />
      </label>
      <label className="field field-check">
        <input
          type="checkbox"
          data-testid={`${prefix}-all`}
          checked={values.allTickers}
          onChange={(e) => set("allTickers", e.target.checked as V["allTickers"])}
        />
        <span>All tickers of the data</span>
      </label>
      <label className="field">
        <span>Start</span>
        <input
          type="date"
          data-testid={`${prefix}-start`}
          value={values.start}
          onChange={(e) => set("start", e.target.value as V["start"])}
        />
      </label>
      <label className="field">
        <span>End</span>
        <input
          type="date"
          data-testid={`${prefix}-end`}
          value={values.end}
          onChange={(e) => set("end", e.target.value as V["end"])}
        />
      </label>
    </>
  );
}

/** The submit button and, below it, what is wrong (locally, or the service's answer). */
export function RunFormFooter({
  prefix,
  label,
  pending,
  problem,
  error,
}: {
  prefix: string;
  label: string;
  pending: boolean;
  problem: string | null;
  error: unknown;
}) {
  return (
    <>
      <div className="field field-submit">
        <button type="submit" className="primary" data-testid={`${prefix}-run`} disabled={pending}>
          {pending ? "Starting…" : label}
        </button>
      </div>
      {(problem || error) && (
        <p className="error-text field-wide" role="alert" data-testid={`${prefix}-error`}>
          {problem ?? describeError(error)}
        </p>
      )}
    </>
  );
}

/** A run's status as a badge: "failed: CODE" when it failed. */
export function RunStatus({ run, title }: { run: RunLike; title?: string }) {
  return (
    <span className={`badge bt-status bt-${run.status}`} title={title}>
      {run.status === "failed" && run.error ? `failed: ${run.error.code}` : run.status}
    </span>
  );
}

/** A run's period, "start → end". */
export function RunPeriod({ run }: { run: RunLike }) {
  return (
    <td>
      {run.params.start} → {run.params.end}
    </td>
  );
}

/** What a view gives its table of runs: a page of them (undefined while loading) and the pick. */
export interface RunsTableProps<Page> {
  page: Page | undefined;
  selected: string | null;
  onSelect: (runId: string) => void;
}

/** The table of runs, newest first: each row opens its run from the started time. */
export function RunsTable<R extends RunLike>({
  prefix,
  caption,
  columns,
  empty,
  page,
  selected,
  onSelect,
  cells,
}: RunsTableProps<{ items: R[] }> & {
  prefix: string;
  caption: string;
  columns: { label: ReactNode; num?: boolean }[];
  empty: string;
  cells: (run: R) => ReactNode;
}) {
  const runs = page?.items ?? [];
  return (
    <div className="table-scroll">
      <table data-testid={`${prefix}-runs`} className="bt-runs">
        <caption className="sr-only">{caption}</caption>
        <thead>
          <tr>
            <th scope="col">Started</th>
            {columns.map((c, i) => (
              <th key={i} scope="col" className={c.num ? "num" : undefined}>
                {c.label}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {runs.length === 0 ? (
            <tr>
              <td colSpan={columns.length + 1} className="muted">
                {page ? empty : "Loading…"}
              </td>
            </tr>
          ) : (
            runs.map((run) => (
              <tr
                key={run.run_id}
                data-testid={`${prefix}-run-row`}
                data-status={run.status}
                className={run.run_id === selected ? "selected" : undefined}
                aria-selected={run.run_id === selected}
              >
                <th scope="row">
                  <button type="button" className="link" onClick={() => onSelect(run.run_id)}>
                    {run.created_at.slice(0, 19).replace("T", " ")}
                  </button>
                </th>
                {cells(run)}
              </tr>
            ))
          )}
        </tbody>
      </table>
    </div>
  );
}

/** A finished run's HTML report in a frame, or why it is not there (yet). */
export function ReportFrame({
  report,
  testId,
  title,
}: {
  report: UseQueryResult<string>;
  testId: string;
  title: string;
}) {
  if (report.data === undefined) {
    return <p className="muted">{report.error ? describeError(report.error) : "Loading the report…"}</p>;
  }
  // No allow-* token: the report runs no script, submits nothing and stays opaque.
  return (
    <iframe
      className="bt-report"
      data-testid={testId}
      title={title}
      sandbox=""
      referrerPolicy="no-referrer"
      srcDoc={report.data}
    />
  );
}
