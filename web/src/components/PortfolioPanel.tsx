/** The portfolio: cash, buying power, the positions table and the equity curve. */
import type { EquityHistory, Portfolio } from "../api/client";
import {
  formatMoney,
  formatPct,
  formatFillPrice,
  formatPrice,
  formatSignedMoney,
  pnlTone,
} from "../lib/format";
import type { ManualTarget } from "../lib/manual";
import type { Theme } from "../lib/theme";
import { EquityCurve } from "./EquityCurve";

interface Props {
  portfolio: Portfolio | undefined;
  history: EquityHistory | undefined;
  theme: Theme;
  onOpenTicker: (ticker: string) => void;
  /** Open a manual action's dialog (close, partial close, move stop). */
  onManual?: (target: ManualTarget) => void;
}

export function PortfolioPanel({ portfolio, history, theme, onOpenTicker, onManual }: Props) {
  const positions = portfolio?.positions ?? [];
  return (
    <section className="panel portfolio" aria-labelledby="portfolio-title">
      <h2 id="portfolio-title">Portfolio</h2>
      <dl className="figures">
        <div>
          <dt>Cash</dt>
          <dd data-testid="cash">{formatMoney(portfolio?.cash)}</dd>
        </div>
        <div>
          <dt>Buying power</dt>
          <dd data-testid="buying-power">{formatMoney(portfolio?.buying_power)}</dd>
        </div>
        <div>
          <dt>High-water mark</dt>
          <dd>{formatMoney(portfolio?.high_water_mark)}</dd>
        </div>
      </dl>
      <div className="table-scroll">
        <table data-testid="positions-table">
          <caption className="sr-only">Open positions</caption>
          <thead>
            <tr>
              <th scope="col">Ticker</th>
              {onManual && <th scope="col">Manual</th>}
              <th scope="col" className="num">Qty</th>
              <th scope="col" className="num">Avg price</th>
              <th scope="col" className="num">Last</th>
              <th scope="col" className="num">Market value</th>
              <th scope="col" className="num">Unrealised P&amp;L</th>
              <th scope="col" className="num">% equity</th>
              <th scope="col">Sector</th>
              <th scope="col" className="num">Stop</th>
            </tr>
          </thead>
          <tbody>
            {positions.length === 0 ? (
              <tr>
                <td colSpan={onManual ? 10 : 9} className="muted">
                  {portfolio ? "No open positions." : "Loading…"}
                </td>
              </tr>
            ) : (
              positions.map((p) => (
                <tr key={p.ticker}>
                  <th scope="row">
                    <button type="button" className="link" onClick={() => onOpenTicker(p.ticker)}>
                      {p.ticker}
                    </button>
                  </th>
                  {onManual && (
                    <td className="row-actions">
                      <button
                        type="button"
                        data-testid="position-close"
                        aria-label={`Close ${p.ticker}`}
                        onClick={() => onManual({ kind: "close", ticker: p.ticker, qty: p.qty })}
                      >
                        Close
                      </button>
                      <button
                        type="button"
                        data-testid="position-partial"
                        aria-label={`Close part of ${p.ticker}`}
                        onClick={() => onManual({ kind: "partial", ticker: p.ticker, qty: p.qty })}
                      >
                        Part
                      </button>
                      <button
                        type="button"
                        data-testid="position-stop"
                        aria-label={`Move the stop of ${p.ticker}`}
                        onClick={() =>
                          onManual({
                            kind: "stop",
                            ticker: p.ticker,
                            stopPrice: p.stop_price,
                            marketPrice: p.market_price,
                          })
                        }
                      >
                        Stop
                      </button>
                    </td>
                  )}
                  <td className="num">{p.qty}</td>
                  <td className="num">{formatFillPrice(p.avg_price)}</td>
                  <td className="num">{formatPrice(p.market_price)}</td>
                  <td className="num">{formatMoney(p.market_value)}</td>
                  <td className={`num tone-${pnlTone(p.unrealized_pnl)}`}>
                    {formatSignedMoney(p.unrealized_pnl)}
                  </td>
                  <td className="num">{formatPct(p.pct_of_equity)}</td>
                  <td>{p.sector ?? "—"}</td>
                  <td className="num">{formatPrice(p.stop_price)}</td>
                </tr>
              ))
            )}
          </tbody>
        </table>
      </div>
      <EquityCurve history={history} theme={theme} />
    </section>
  );
}
