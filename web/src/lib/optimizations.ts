/** Optimisation form parsing and the result document's chart data, kept out of the
 * components so they can be tested. */
import type { OptimizationRequest } from "../api/client";
import { scopeTickers, withScope } from "./runScope";

export type Objective = "sharpe" | "sortino" | "cagr" | "max_drawdown" | "profit_factor";

export const OBJECTIVES: { name: Objective; label: string; minimize: boolean }[] = [
  { name: "sharpe", label: "Sharpe", minimize: false },
  { name: "sortino", label: "Sortino", minimize: false },
  { name: "cagr", label: "CAGR", minimize: false },
  { name: "max_drawdown", label: "Max drawdown", minimize: true },
  { name: "profit_factor", label: "Profit factor", minimize: false },
];

export interface OptimizeFormValues {
  strategy: string;
  tickers: string;
  allTickers: boolean;
  start: string;
  end: string;
  objectives: Objective[];
  trials: string;
  folds: string;
  mode: "rolling" | "anchored";
  seed: string;
}

export const DEFAULT_OPTIMIZE_FORM: OptimizeFormValues = {
  strategy: "rules",
  tickers: "AAPL, MSFT",
  allTickers: false,
  start: "2022-01-03",
  end: "2024-12-31",
  objectives: ["sharpe"],
  trials: "20",
  folds: "3",
  mode: "rolling",
  seed: "0",
};

function wholeIn(text: string, low: number, high: number): number | null {
  if (!/^\d+$/.test(text.trim())) return null;
  const n = Number(text);
  return n >= low && n <= high ? n : null;
}

/** Turn the form into a request, or say what is wrong with it (the service checks again). */
export function optimizationRequest(v: OptimizeFormValues): OptimizationRequest | string {
  const tickers = scopeTickers(v);
  if (typeof tickers === "string") return tickers;
  if (v.end <= v.start) return "The end date must be after the start date.";
  if (v.objectives.length === 0) return "Pick at least one objective.";
  const trials = wholeIn(v.trials, 1, 500);
  if (trials === null) return "Trials per fold must be a whole number from 1 to 500.";
  const folds = wholeIn(v.folds, 1, 10);
  if (folds === null) return "Folds must be a whole number from 1 to 10.";
  const seed = wholeIn(v.seed, 0, 2 ** 31 - 1);
  if (seed === null) return "The seed must be a whole number, 0 or more.";
  const base = {
    strategy: v.strategy.trim() || "rules",
    start: v.start,
    end: v.end,
    objectives: v.objectives,
    trials,
    folds,
    mode: v.mode,
    seed,
    is_ratio: 3,
    walk_forward: true,
    initial_cash: "100000",
    slippage_bps: "5",
    commission: "0",
  };
  return withScope(base, v, tickers);
}

/** One completed trial of a fold, as the result document lists it. */
export interface TrialDoc {
  trial: number;
  params: Record<string, unknown>;
  values: Record<string, number>;
}

/** The parts of a fold the view shows. */
export interface FoldDoc {
  index: number;
  in_sample: string[];
  out_of_sample: string[] | null;
  trials?: TrialDoc[];
  best_params: Record<string, unknown>;
  pareto_front?: { trial: number; values: Record<string, number> }[];
  param_importance: Record<string, number>;
  in_sample_sharpe: number;
  out_of_sample_sharpe?: number;
}

/** The parts of the optimisation's report document the view shows. */
export interface OptimizationDoc {
  config: { objectives: string[] };
  folds: FoldDoc[];
  out_of_sample?: { days: { date: string; equity: string }[] };
  param_importance?: Record<string, number>;
  overfitting: { warnings: string[] };
}

function minimized(objective: string): boolean {
  return OBJECTIVES.find((o) => o.name === objective)?.minimize ?? false;
}

/** Return each trial's value of ``objective`` and the best value so far, in trial order. */
export function bestSoFar(
  trials: TrialDoc[],
  objective: string,
): { trial: number; value: number; best: number }[] {
  const sign = minimized(objective) ? -1 : 1;
  const out: { trial: number; value: number; best: number }[] = [];
  let best: number | null = null;
  for (const t of [...trials].sort((a, b) => a.trial - b.trial)) {
    const value = t.values[objective];
    if (value === undefined || !Number.isFinite(value)) continue;
    if (best === null || sign * value > sign * best) best = value;
    out.push({ trial: t.trial, value, best });
  }
  return out;
}

/** Return every trial as a point of the first two objectives, those on the front marked. */
export function paretoPoints(
  fold: FoldDoc,
  objectives: string[],
): { trial: number; x: number; y: number; front: boolean }[] {
  const [ox, oy] = objectives;
  if (ox === undefined || oy === undefined) return [];
  const front = new Set((fold.pareto_front ?? []).map((p) => p.trial));
  const out: { trial: number; x: number; y: number; front: boolean }[] = [];
  for (const t of fold.trials ?? []) {
    const x = t.values[ox];
    const y = t.values[oy];
    if (x === undefined || y === undefined || !Number.isFinite(x) || !Number.isFinite(y)) continue;
    out.push({ trial: t.trial, x, y, front: front.has(t.trial) });
  }
  return out;
}

/** Return the parameter importances, largest first, as shares that add up to one. */
export function importanceBars(importance: Record<string, number> | undefined): {
  name: string;
  share: number;
}[] {
  const entries = Object.entries(importance ?? {}).filter(([, v]) => Number.isFinite(v) && v >= 0);
  const total = entries.reduce((s, [, v]) => s + v, 0);
  if (total <= 0) return [];
  return entries
    .map(([name, v]) => ({ name, share: v / total }))
    .sort((a, b) => b.share - a.share || a.name.localeCompare(b.name));
}

/** Return the stitched out-of-sample equity as chart points (day, value). */
export function oosEquity(doc: OptimizationDoc | undefined): { time: string; value: number }[] {
  return (doc?.out_of_sample?.days ?? []).map((d) => ({ time: d.date, value: Number(d.equity) }));
}

/** Return "done / total" trials as a fraction from 0 to 1. */
export function progressShare(progress: { done: number; total: number } | null | undefined): number {
  if (!progress || progress.total <= 0) return 0;
  return Math.min(1, Math.max(0, progress.done / progress.total));
}
