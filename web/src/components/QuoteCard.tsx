/** A ticker's quote: name, sector, price, day change and the 52-week range. */
import type { Quote } from "../api/client";
import {
  formatCompact,
  formatPrice,
  formatSignedFractionPct,
  gaugeRatio,
  pnlTone,
  toNumber,
} from "../lib/format";

export function QuoteCard({ quote, error }: { quote: Quote | undefined; error?: string | null }) {
  if (!quote) {
    return (
      <div className="quote-card" data-testid="quote-card">
        {error ? (
          <p className="error-text" role="alert">
            No quote: {error}
          </p>
        ) : (
          <p className="muted">Loading quote…</p>
        )}
      </div>
    );
  }
  const low = toNumber(quote.low_52w) ?? 0;
  const span = (toNumber(quote.high_52w) ?? 0) - low;
  const where = gaugeRatio((toNumber(quote.price) ?? 0) - low, span);
  return (
    <div className="quote-card" data-testid="quote-card">
      <div className="quote-head">
        <span className="quote-ticker">{quote.ticker}</span>
        <span className="quote-name">{quote.name ?? "—"}</span>
        <span className="quote-sector muted">{quote.sector ?? "—"}</span>
      </div>
      <div className="quote-price">
        <span className="price">{formatPrice(quote.price)}</span>
        <span className={`tone-${pnlTone(quote.day_change_pct)}`}>
          {formatSignedFractionPct(quote.day_change_pct)}
        </span>
        {quote.stale && <span className="badge warn">stale</span>}
        <span className="muted">{quote.market_open ? "market open" : "market closed"}</span>
      </div>
      <div className="range" aria-label="52-week range">
        <span>{formatPrice(quote.low_52w)}</span>
        <div className="range-track" role="img" aria-label={`price at ${Math.round((where ?? 0) * 100)}% of the 52-week range`}>
          <div className="range-dot" style={{ left: `${Math.round((where ?? 0) * 100)}%` }} />
        </div>
        <span>{formatPrice(quote.high_52w)}</span>
      </div>
      <p className="muted small">
        52-week range · volume {formatCompact(quote.volume)} · {quote.source}
      </p>
    </div>
  );
}
