/** The ticker view: open a symbol, see its quote and chart, and run an analysis live. */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";

import { api, keys, type DecisionSummary, type Portfolio } from "../api/client";
import { describeError } from "../lib/auth";
import { isPlausibleTicker, normalizeTicker } from "../lib/format";
import { pipelineStages } from "../lib/pipeline";
import type { Theme } from "../lib/theme";
import { useStreamState } from "../state/liveStream";
import { FundamentalsCard } from "./FundamentalsCard";
import { NewsCard } from "./NewsCard";
import { PipelineStages } from "./PipelineStages";
import { PriceChart } from "./PriceChart";
import { QuoteCard } from "./QuoteCard";

const CHART_DAYS = 180;

interface Props {
  ticker: string;
  onOpenTicker: (ticker: string) => void;
  portfolio: Portfolio | undefined;
  theme: Theme;
}

export function TickerView({ ticker, onOpenTicker, portfolio, theme }: Props) {
  const client = useQueryClient();
  const [draft, setDraft] = useState(ticker);
  const [hint, setHint] = useState<string | null>(null);
  const { traces } = useStreamState();
  // A new ticker from outside resets the field (during render, not in an effect: no extra pass).
  const [shownTicker, setShownTicker] = useState(ticker);
  if (shownTicker !== ticker) {
    setShownTicker(ticker);
    setDraft(ticker);
  }

  const quote = useQuery({ queryKey: keys.quote(ticker), queryFn: () => api.quote(ticker) });
  const history = useQuery({
    queryKey: keys.history(ticker),
    queryFn: () => api.marketHistory(ticker, CHART_DAYS),
  });
  const orders = useQuery({ queryKey: keys.orders(ticker), queryFn: () => api.orders(ticker) });
  const news = useQuery({ queryKey: keys.news(ticker), queryFn: () => api.news(ticker) });
  const fundamentals = useQuery({
    queryKey: keys.fundamentals(ticker),
    queryFn: () => api.fundamentals(ticker),
  });

  const trigger = useMutation<DecisionSummary, unknown, string>({
    mutationFn: (t) => api.trigger(t),
    onSettled: () => {
      void client.invalidateQueries({ queryKey: keys.orders(ticker) });
      void client.invalidateQueries({ queryKey: keys.portfolio });
      void client.invalidateQueries({ queryKey: keys.risk });
    },
  });
  // A new ticker starts a new analysis panel.
  const { reset } = trigger;
  useEffect(() => reset(), [ticker, reset]);

  const summary = trigger.data ?? null;
  const stages = pipelineStages({
    running: trigger.isPending,
    summary,
    trace: summary ? traces[summary.decision_id] : undefined,
    requestError: trigger.isError ? describeError(trigger.error).text : null,
  });
  const position = portfolio?.positions.find((p) => p.ticker === ticker);

  const open = (): void => {
    const t = normalizeTicker(draft);
    if (!isPlausibleTicker(t)) {
      setHint("Type a ticker symbol, e.g. AAPL.");
      return;
    }
    setHint(null);
    onOpenTicker(t);
  };

  return (
    <section className="panel ticker-view" aria-labelledby="ticker-title">
      <div className="ticker-bar">
        <h2 id="ticker-title">Ticker</h2>
        <form
          className="ticker-form"
          onSubmit={(e) => {
            e.preventDefault();
            open();
          }}
        >
          <label htmlFor="ticker-input" className="sr-only">
            Ticker symbol
          </label>
          <input
            id="ticker-input"
            data-testid="ticker-input"
            value={draft}
            onChange={(e) => setDraft(e.target.value)}
            autoComplete="off"
            spellCheck={false}
            maxLength={16}
            placeholder="AAPL"
            aria-describedby={hint ? "ticker-hint" : undefined}
          />
          <button type="submit" data-testid="open-ticker">
            Open
          </button>
        </form>
        <button
          type="button"
          className="primary"
          data-testid="run-analysis"
          disabled={trigger.isPending}
          onClick={() => trigger.mutate(ticker)}
        >
          {trigger.isPending ? "Running…" : `Run analysis on ${ticker}`}
        </button>
      </div>
      {hint && (
        <p id="ticker-hint" className="error-text" role="alert">
          {hint}
        </p>
      )}
      <PipelineStages stages={stages} decisionId={summary?.decision_id ?? null} />
      <div className="ticker-body">
        <QuoteCard quote={quote.data} error={quote.error ? describeError(quote.error).text : null} />
        <PriceChart
          history={history.data}
          orders={orders.data?.items ?? []}
          stopPrice={position?.stop_price ?? null}
          theme={theme}
        />
        <div className="context-cards">
          <NewsCard news={news.data} error={news.error ? describeError(news.error).text : null} />
          <FundamentalsCard
            data={fundamentals.data}
            error={fundamentals.error ? describeError(fundamentals.error).text : null}
          />
        </div>
      </div>
    </section>
  );
}
