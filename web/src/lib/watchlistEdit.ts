/**
 * The watchlist editor's state: the tickers in scan order with their names, edited locally
 * (add, remove, move up or down) until the trader saves them with PUT /api/watchlist.
 */
import type { TickerInfo } from "../api/client";

export const MAX_WATCHLIST = 100;
/** The tickers the desk accepts (the API's TICKER_PATTERN, trimmed). */
export const TICKER_RE = /^[A-Za-z]{1,5}(\.[A-Za-z])?$/;

export interface WatchlistState {
  items: TickerInfo[];
  saved: string[];
}

export type WatchlistAction =
  | { type: "load"; items: TickerInfo[] }
  | { type: "add"; item: TickerInfo }
  | { type: "remove"; ticker: string }
  | { type: "move"; ticker: string; by: -1 | 1 };

export const emptyWatchlist: WatchlistState = { items: [], saved: [] };

/** Return the ticker as the desk spells it, or null when it cannot be one. */
export function cleanTicker(raw: string): string | null {
  const t = raw.trim().toUpperCase();
  return TICKER_RE.test(t) ? t : null;
}

/** Say whether the list differs from what the server last saved. */
export function isDirty(state: WatchlistState): boolean {
  const now = state.items.map((i) => i.ticker);
  return now.length !== state.saved.length || now.some((t, i) => t !== state.saved[i]);
}

/** The watchlist editor's reducer. */
export function watchlistReducer(state: WatchlistState, action: WatchlistAction): WatchlistState {
  switch (action.type) {
    case "load":
      return { items: action.items, saved: action.items.map((i) => i.ticker) };
    case "add":
      if (state.items.some((i) => i.ticker === action.item.ticker)) return state;
      if (state.items.length >= MAX_WATCHLIST) return state;
      return { ...state, items: [...state.items, action.item] };
    case "remove":
      return { ...state, items: state.items.filter((i) => i.ticker !== action.ticker) };
    case "move": {
      const from = state.items.findIndex((i) => i.ticker === action.ticker);
      const to = from + action.by;
      if (from < 0 || to < 0 || to >= state.items.length) return state;
      const items = [...state.items];
      const [moved] = items.splice(from, 1);
      if (moved) items.splice(to, 0, moved);
      return { ...state, items };
    }
  }
}
