/** The tickers-and-period part every run form has (backtests, optimisations), and its parsing. */

/** The fields every run form has. */
export interface ScopeValues {
  tickers: string;
  allTickers: boolean;
  start: string;
  end: string;
}

/** Return the form's distinct tickers, upper-cased, or what is wrong with the tickers or dates. */
export function scopeTickers(v: ScopeValues): string[] | string {
  const tickers = v.tickers
    .split(/[\s,;]+/)
    .map((t) => t.trim().toUpperCase())
    .filter((t) => t !== "");
  if (!v.allTickers && tickers.length === 0) return "Enter at least one ticker, or pick all.";
  if (!v.start || !v.end) return "Enter a start and an end date.";
  return [...new Set(tickers)];
}

/** Add what the run covers to a request: every ticker of the data, or the ones given. */
export function withScope<B extends object>(
  base: B,
  v: ScopeValues,
  tickers: string[],
): (B & { universe: "all" }) | (B & { tickers: string[] }) {
  return v.allTickers ? { ...base, universe: "all" as const } : { ...base, tickers };
}
