/** The day's movers (gainers, losers, most active), refreshed every 30 s. */
import type { Movers, Quote } from "../api/client";
import {
  formatCompact,
  formatMoney,
  formatSignedFractionPct,
  formatTime,
  pnlTone,
} from "../lib/format";

function MoverList({
  title,
  quotes,
  onOpenTicker,
  showVolume,
}: {
  title: string;
  quotes: readonly Quote[];
  onOpenTicker: (ticker: string) => void;
  showVolume?: boolean;
}) {
  return (
    <div className="mover-list">
      <h3>{title}</h3>
      {quotes.length === 0 ? (
        <p className="muted">None.</p>
      ) : (
        <ul className="plain">
          {quotes.map((q) => (
            <li key={q.ticker}>
              <button
                type="button"
                className="mover"
                data-testid="mover"
                onClick={() => onOpenTicker(q.ticker)}
                aria-label={`Open ${q.ticker} in the ticker view`}
              >
                <span className="mover-ticker">{q.ticker}</span>
                <span className="num">{formatMoney(q.price)}</span>
                <span className={`num tone-${pnlTone(q.day_change_pct)}`}>
                  {formatSignedFractionPct(q.day_change_pct)}
                </span>
                {showVolume && <span className="num muted">{formatCompact(q.volume)}</span>}
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

export function MoversPanel({
  movers,
  onOpenTicker,
}: {
  movers: Movers | undefined;
  onOpenTicker: (ticker: string) => void;
}) {
  return (
    <section className="panel" data-testid="movers" aria-labelledby="movers-title">
      <h2 id="movers-title">
        Market movers{" "}
        {movers && <span className="muted small">as of {formatTime(movers.as_of)}</span>}
      </h2>
      {!movers ? (
        <p className="muted">Loading movers…</p>
      ) : (
        <div className="movers-grid">
          <MoverList title="Gainers" quotes={movers.gainers} onOpenTicker={onOpenTicker} />
          <MoverList title="Losers" quotes={movers.losers} onOpenTicker={onOpenTicker} />
          <MoverList
            title="Most active"
            quotes={movers.most_active}
            onOpenTicker={onOpenTicker}
            showVolume
          />
        </div>
      )}
    </section>
  );
}
