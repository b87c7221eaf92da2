/** The header: trading state, data source, broker, stream status, equity, day P&L, drawdown. */
import type { Config, Portfolio } from "../api/client";
import { DASH, formatMoney, formatPct, formatSignedMoney, pnlTone } from "../lib/format";
import type { ConnectionStatus } from "../lib/stream";
import type { Theme } from "../lib/theme";

const SOURCE_LABELS: Record<string, string> = {
  simulated: "SIMULATED MARKET",
  csv: "CSV MARKET DATA",
  yahoo: "YAHOO MARKET DATA",
  alpaca: "ALPACA MARKET DATA",
};

const BROKER_LABELS: Record<string, string> = {
  simulated: "SIMULATED BROKER",
  alpaca: "ALPACA PAPER",
};

/** Return the data-source badge text for a market provider name. */
export function sourceLabel(provider: string | undefined): string {
  if (!provider) return DASH;
  return SOURCE_LABELS[provider] ?? `${provider.toUpperCase()} MARKET DATA`;
}

/** Return the broker badge text for a broker name. */
export function brokerLabel(broker: string | undefined): string {
  if (!broker) return DASH;
  return BROKER_LABELS[broker] ?? broker.toUpperCase();
}

interface Props {
  portfolio: Portfolio | undefined;
  config: Config | undefined;
  status: ConnectionStatus;
  theme: Theme;
  onToggleTheme: () => void;
}

export function Header({ portfolio, config, status, theme, onToggleTheme }: Props) {
  const state = portfolio?.trading_state;
  return (
    <header className="app-header">
      <div className="brand">
        <span className="brand-name">swingdesk</span>
        <span
          className={`badge state state-${(state ?? "unknown").toLowerCase()}`}
          data-testid="trading-state"
          aria-label={`Trading state ${state ?? "unknown"}`}
        >
          {state ?? DASH}
        </span>
        <span
          className={`badge source source-${config?.market_provider ?? "unknown"}`}
          data-testid="data-source-badge"
          title="Where prices come from"
        >
          {sourceLabel(config?.market_provider)}
        </span>
        <span className="badge broker" data-testid="broker-badge" title="Who holds the account">
          {brokerLabel(config?.broker)}
        </span>
        <span
          className={`badge stream stream-${status}`}
          title="Live stream connection"
          aria-label={`Live stream ${status}`}
        >
          <span className="dot" aria-hidden="true" />
          <span data-testid="stream-status">{status}</span>
        </span>
      </div>
      <dl className="header-figures">
        <div>
          <dt>Equity</dt>
          <dd data-testid="equity">{formatMoney(portfolio?.equity)}</dd>
        </div>
        <div>
          <dt>Day P&amp;L</dt>
          <dd data-testid="day-pnl" className={`tone-${pnlTone(portfolio?.day_pnl)}`}>
            {formatSignedMoney(portfolio?.day_pnl)}
          </dd>
        </div>
        <div>
          <dt>Drawdown</dt>
          <dd data-testid="drawdown">{formatPct(portfolio?.drawdown_pct)}</dd>
        </div>
      </dl>
      <button
        type="button"
        className="ghost theme-toggle"
        data-testid="theme-toggle"
        onClick={onToggleTheme}
        aria-label={`Switch to ${theme === "dark" ? "light" : "dark"} theme`}
      >
        {theme === "dark" ? "☀ Light" : "☾ Dark"}
      </button>
    </header>
  );
}
