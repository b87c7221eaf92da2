/**
 * The watchlist editor (GET/PUT /api/watchlist): add a ticker (checked against the market,
 * its name shown), remove, move up or down (the scan order), save; the autopilot's next
 * scan uses what is saved.
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useReducer, useState } from "react";

import { api, keys } from "../api/client";
import { describeError } from "../lib/auth";
import { cleanTicker, emptyWatchlist, isDirty, MAX_WATCHLIST, watchlistReducer } from "../lib/watchlistEdit";

export function WatchlistView() {
  const client = useQueryClient();
  const saved = useQuery({ queryKey: keys.watchlist, queryFn: api.watchlist });
  const [state, dispatch] = useReducer(watchlistReducer, emptyWatchlist);
  const [draft, setDraft] = useState("");
  const [problem, setProblem] = useState<string | null>(null);

  useEffect(() => {
    if (saved.data) dispatch({ type: "load", items: saved.data.items });
  }, [saved.data]);

  const add = useMutation({
    mutationFn: (ticker: string) => api.tickerInfo(ticker),
    onSuccess: (info) => {
      dispatch({ type: "add", item: info });
      setDraft("");
      setProblem(null);
    },
    onError: (e) => setProblem(describeError(e).text),
  });
  const save = useMutation({
    mutationFn: () => api.saveWatchlist(state.items.map((i) => i.ticker)),
    onSuccess: (data) => {
      setProblem(null);
      client.setQueryData(keys.watchlist, data);
      void client.invalidateQueries({ queryKey: keys.settings });
    },
    onError: (e) => setProblem(describeError(e).text),
  });

  const onAdd = (): void => {
    const t = cleanTicker(draft);
    if (t === null) return setProblem("A ticker is 1 to 5 letters, optionally a class (BRK.B).");
    if (state.items.some((i) => i.ticker === t)) return setProblem(`${t} is already on the list.`);
    if (state.items.length >= MAX_WATCHLIST) return setProblem(`At most ${MAX_WATCHLIST} tickers.`);
    add.mutate(t);
  };
  const dirty = isDirty(state);

  return (
    <main className="view" aria-labelledby="watchlist-title">
      <section className="panel narrow">
        <h2 id="watchlist-title">Watchlist</h2>
        <p className="muted">The autopilot scans these tickers, in this order; the next scan uses the saved list.</p>
        <form
          className="filters"
          onSubmit={(e) => {
            e.preventDefault();
            onAdd();
          }}
        >
          <label>
            Add ticker
            <input
              data-testid="watchlist-input"
              value={draft}
              maxLength={7}
              autoComplete="off"
              onChange={(e) => {
                setDraft(e.target.value);
                setProblem(null);
              }}
            />
          </label>
          <button type="submit" data-testid="watchlist-add" disabled={add.isPending}>
            Add
          </button>
        </form>
        {problem && (
          <p role="alert" className="tone-loss" data-testid="watchlist-problem">
            {problem}
          </p>
        )}
        <ol className="watchlist" data-testid="watchlist">
          {state.items.map((item, i) => (
            <li key={item.ticker} data-testid="watchlist-item" data-ticker={item.ticker}>
              <span className="wl-ticker">{item.ticker}</span>
              <span className="wl-name">{item.name}</span>
              <span className="wl-actions">
                <button
                  type="button"
                  aria-label={`Move ${item.ticker} up`}
                  disabled={i === 0}
                  onClick={() => dispatch({ type: "move", ticker: item.ticker, by: -1 })}
                >
                  ↑
                </button>
                <button
                  type="button"
                  aria-label={`Move ${item.ticker} down`}
                  disabled={i === state.items.length - 1}
                  onClick={() => dispatch({ type: "move", ticker: item.ticker, by: 1 })}
                >
                  ↓
                </button>
                <button
                  type="button"
                  aria-label={`Remove ${item.ticker}`}
                  data-testid="watchlist-remove"
                  onClick={() => dispatch({ type: "remove", ticker: item.ticker })}
                >
                  ✕
                </button>
              </span>
            </li>
          ))}
        </ol>
        <div className="dialog-actions">
          <button
            type="button"
            disabled={!dirty}
            onClick={() => saved.data && dispatch({ type: "load", items: saved.data.items })}
          >
            Undo changes
          </button>
          <button
            type="button"
            className="primary"
            data-testid="watchlist-save"
            disabled={!dirty || save.isPending || state.items.length === 0}
            onClick={() => save.mutate()}
          >
            {save.isPending ? "Saving…" : "Save watchlist"}
          </button>
        </div>
        {save.isSuccess && !dirty && (
          <p role="status" className="muted" data-testid="watchlist-saved">
            Saved: the next scan decides these {state.items.length} tickers.
          </p>
        )}
      </section>
    </main>
  );
}
