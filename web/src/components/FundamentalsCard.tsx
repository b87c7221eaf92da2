/** A ticker's fundamentals as known today: valuation, profitability, balance sheet. */
import type { FundamentalsResponse } from "../api/client";
import { DASH, formatCompact, formatFractionPct, toNumber } from "../lib/format";

interface Props {
  data: FundamentalsResponse | undefined;
  error?: string | null;
}

function ratio(value: string | null): string {
  const n = toNumber(value);
  return n === null ? DASH : n.toFixed(2);
}

export function FundamentalsCard({ data, error }: Props) {
  const f = data?.fundamentals ?? null;
  return (
    <div className="context-card fundamentals-card" data-testid="fundamentals-card">
      <div className="context-head">
        <h3>Fundamentals</h3>
        {f && (
          <span className="muted small">
            as of {f.as_of} · {f.source}
          </span>
        )}
      </div>
      {!data ? (
        error ? (
          <p className="error-text" role="alert">
            No fundamentals: {error}
          </p>
        ) : (
          <p className="muted">Loading fundamentals…</p>
        )
      ) : !f ? (
        <p className="muted" data-testid="fundamentals-missing">
          No fundamentals from this source.
        </p>
      ) : (
        <dl className="fundamentals-figures">
          <dt>Market cap</dt>
          <dd>{f.market_cap_usd === null ? DASH : `$${formatCompact(f.market_cap_usd)}`}</dd>
          <dt>P/E (trailing / forward)</dt>
          <dd>
            {ratio(f.trailing_pe)} / {ratio(f.forward_pe)}
          </dd>
          <dt>Price / book</dt>
          <dd>{ratio(f.price_to_book)}</dd>
          <dt>Profit margin</dt>
          <dd>{formatFractionPct(f.profit_margin_pct)}</dd>
          <dt>Revenue growth</dt>
          <dd>{formatFractionPct(f.revenue_growth_pct)}</dd>
          <dt>Debt / equity</dt>
          <dd>{ratio(f.debt_to_equity)}</dd>
          <dt>Dividend yield</dt>
          <dd>{formatFractionPct(f.dividend_yield_pct, 2)}</dd>
          <dt>Beta</dt>
          <dd>{ratio(f.beta)}</dd>
          <dt>Short interest</dt>
          <dd>{formatFractionPct(f.short_interest_pct)} of float</dd>
        </dl>
      )}
    </div>
  );
}
