/**
 * The dashboard: header, then one view: the desk (controls, portfolio, risk, live feed,
 * ticker view and movers), the orders blotter, the trade journal, the decisions explorer,
 * the watchlist editor, the settings or the backtests. The address's hash (`#journal`)
 * names the view, so it can be linked and survives a reload.
 */
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useCallback, useEffect, useLayoutEffect, useState } from "react";

import { api, keys } from "./api/client";
import { pollUnlessRefused } from "./lib/auth";
import { BacktestsView } from "./components/BacktestsView";
import { OptimizeView } from "./components/OptimizeView";
import { Controls } from "./components/Controls";
import { DecisionsView } from "./components/DecisionsView";
import { JournalView } from "./components/JournalView";
import { ManualDialog } from "./components/ManualDialog";
import { OrdersView } from "./components/OrdersView";
import { SettingsView } from "./components/SettingsView";
import { WatchlistView } from "./components/WatchlistView";
import { ExplainView } from "./components/ExplainView";
import { Header } from "./components/Header";
import { LiveFeed } from "./components/LiveFeed";
import { MoversPanel } from "./components/MoversPanel";
import { Notices } from "./components/Notices";
import { PortfolioPanel } from "./components/PortfolioPanel";
import { RiskPanel } from "./components/RiskPanel";
import { TickerView } from "./components/TickerView";
import { ViewTabs, viewFromHash, type View } from "./components/ViewTabs";
import type { ManualTarget } from "./lib/manual";
import {
  loadThemeChoice,
  otherTheme,
  resolveTheme,
  saveThemeChoice,
  systemPrefersDark,
  type Theme,
} from "./lib/theme";
import { StreamProvider, useStreamState } from "./state/liveStream";

const POLL_PORTFOLIO_MS = 15_000;
const POLL_MOVERS_MS = 30_000;
const POLL_EQUITY_MS = 60_000;
const EQUITY_POINTS = 1000;

function Dashboard({
  theme,
  onToggleTheme,
  onKeyChanged,
}: {
  theme: Theme;
  onToggleTheme: () => void;
  onKeyChanged: () => void;
}) {
  const stream = useStreamState();
  const [view, setView] = useState<View>(() => viewFromHash(window.location.hash));
  const [ticker, setTicker] = useState<string | null>(null);
  const [explainId, setExplainId] = useState<string | null>(null);
  const [manual, setManual] = useState<ManualTarget | null>(null);

  const config = useQuery({ queryKey: keys.config, queryFn: api.config, staleTime: 300_000 });
  const portfolio = useQuery({
    queryKey: keys.portfolio,
    queryFn: api.portfolio,
    refetchInterval: pollUnlessRefused(POLL_PORTFOLIO_MS),
  });
  const risk = useQuery({
    queryKey: keys.risk,
    queryFn: api.risk,
    refetchInterval: pollUnlessRefused(POLL_PORTFOLIO_MS),
  });
  const equity = useQuery({
    queryKey: keys.equity,
    queryFn: () => api.equityHistory(EQUITY_POINTS),
    refetchInterval: pollUnlessRefused(POLL_EQUITY_MS),
  });
  const movers = useQuery({
    queryKey: keys.movers,
    queryFn: () => api.movers(5),
    refetchInterval: pollUnlessRefused(POLL_MOVERS_MS),
  });

  // Open the largest position (or the day's most active ticker) until the trader picks one.
  const fallback =
    portfolio.data?.positions[0]?.ticker ?? movers.data?.most_active[0]?.ticker ?? null;
  const shown = ticker ?? fallback;
  useEffect(() => {
    const follow = (): void => setView(viewFromHash(window.location.hash));
    window.addEventListener("hashchange", follow);
    return () => window.removeEventListener("hashchange", follow);
  }, []);
  const openTicker = useCallback((t: string) => {
    setTicker(t);
    // Smooth unless the reader asked the system for less motion.
    const still = window.matchMedia?.("(prefers-reduced-motion: reduce)").matches ?? false;
    document
      .getElementById("ticker-title")
      ?.scrollIntoView({ behavior: still ? "auto" : "smooth", block: "start" });
  }, []);

  return (
    <>
      <Header
        portfolio={portfolio.data}
        config={config.data}
        status={stream.status}
        theme={theme}
        onToggleTheme={onToggleTheme}
      />
      <Notices />
      <ViewTabs view={view} />
      {view === "backtests" && <BacktestsView />}
      {view === "optimize" && <OptimizeView theme={theme} />}
      {view === "orders" && <OrdersView onOpenDecision={setExplainId} onManual={setManual} />}
      {view === "journal" && <JournalView onOpenDecision={setExplainId} />}
      {view === "decisions" && <DecisionsView onOpenDecision={setExplainId} />}
      {view === "watchlist" && <WatchlistView />}
      {view === "settings" && <SettingsView />}
      {view === "desk" && (
        <main className="grid">
          <div className="col col-main">
            {shown ? (
              <TickerView ticker={shown} onOpenTicker={openTicker} portfolio={portfolio.data} theme={theme} />
            ) : (
              <section className="panel">
                <h2 id="ticker-title">Ticker</h2>
                <p className="muted">Loading…</p>
              </section>
            )}
            <PortfolioPanel
              portfolio={portfolio.data}
              history={equity.data}
              theme={theme}
              onOpenTicker={openTicker}
              onManual={setManual}
            />
          </div>
          <div className="col col-side">
            <Controls tradingState={portfolio.data?.trading_state} onKeyChanged={onKeyChanged} />
            <RiskPanel risk={risk.data} />
            <LiveFeed items={stream.items} onOpenDecision={setExplainId} />
            <MoversPanel movers={movers.data} onOpenTicker={openTicker} />
          </div>
        </main>
      )}
      {explainId && <ExplainView decisionId={explainId} onClose={() => setExplainId(null)} />}
      {manual && <ManualDialog target={manual} onClose={() => setManual(null)} />}
    </>
  );
}

export function App() {
  const client = useQueryClient();
  const [keyVersion, setKeyVersion] = useState(0);
  const [theme, setTheme] = useState<Theme>(() => resolveTheme(loadThemeChoice(), systemPrefersDark()));

  // A layout effect runs before the charts' effects, which read the theme's CSS variables.
  useLayoutEffect(() => {
    document.documentElement.dataset.theme = theme;
  }, [theme]);

  const onKeyChanged = useCallback(() => {
    setKeyVersion((v) => v + 1);
    void client.invalidateQueries();
  }, [client]);

  const toggleTheme = useCallback(() => {
    setTheme((t) => {
      const next = otherTheme(t);
      saveThemeChoice(next);
      return next;
    });
  }, []);

  return (
    <StreamProvider keyVersion={keyVersion}>
      <Dashboard theme={theme} onToggleTheme={toggleTheme} onKeyChanged={onKeyChanged} />
    </StreamProvider>
  );
}
