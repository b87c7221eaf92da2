/** Backtest form parsing and run labels, kept out of the components so they can be tested. */
import type { BacktestRequest, BacktestRun } from "../api/client";
import { DASH } from "./format";
import { scopeTickers, withScope } from "./runScope";

export interface BacktestFormValues {
  tickers: string;
  allTickers: boolean;
  start: string;
  end: string;
  strategy: "rules" | "crossover";
  initialCash: string;
}

export const DEFAULT_FORM: BacktestFormValues = {
  tickers: "AAPL, MSFT, NVDA",
  allTickers: false,
  start: "2023-01-03",
  end: "2024-12-31",
  strategy: "rules",
  initialCash: "100000",
};

/** Turn the form into a request, or say what is wrong with it (the service checks again). */
export function backtestRequest(v: BacktestFormValues): BacktestRequest | string {
  const tickers = scopeTickers(v);
  if (typeof tickers === "string") return tickers;
  if (v.end < v.start) return "The end date is before the start date.";
  const cash = Number(v.initialCash);
  if (!v.initialCash.trim() || !Number.isFinite(cash) || cash <= 0) {
    return "Initial cash must be a positive number.";
  }
  const base = {
    start: v.start,
    end: v.end,
    strategy: v.strategy,
    initial_cash: v.initialCash.trim(),
    slippage_bps: "5",
    commission: "0",
  };
  return withScope(base, v, tickers);
}

/** Say which tickers a run covered: "AAPL, MSFT", "all (505)" or "12 tickers". */
export function runTickers(run: BacktestRun): string {
  const p = run.params;
  if (p.universe === "all") {
    return run.summary ? `all (${run.summary.tickers})` : "all";
  }
  const list = p.tickers ?? [];
  return list.length <= 4 ? list.join(", ") : `${list.length} tickers`;
}

/** Format a fraction as a signed percentage ("+12.34%"), or a dash. */
export function signedPct(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return DASH;
  const text = `${Math.abs(value * 100).toFixed(2)}%`;
  if (text === "0.00%") return text;
  return `${value > 0 ? "+" : "−"}${text}`;
}

/** Return the strategy's total return minus the benchmark's, or null when either is missing. */
export function excessReturn(run: BacktestRun): number | null {
  const s = run.summary;
  if (!s || s.total_return === null || s.benchmark_total_return === null) return null;
  return s.total_return - s.benchmark_total_return;
}
