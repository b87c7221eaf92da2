/** The risk panel: every limit with its current value as a bar, and today's denials by code. */
import type { Risk } from "../api/client";
import { DASH, formatPct, gaugeLevel, gaugeRatio, toNumber } from "../lib/format";

interface GaugeProps {
  label: string;
  value: string | null | undefined;
  limit: string | null | undefined;
  /** How to print value and limit (percent by default). */
  unit?: "pct" | "plain";
  testId?: string;
}

function show(value: string | null | undefined, unit: "pct" | "plain"): string {
  if (unit === "pct") return formatPct(value);
  const n = toNumber(value);
  return n === null ? DASH : n.toFixed(2);
}

/** One limit as a horizontal bar: value against limit, coloured ok / warn / breach. */
export function Gauge({ label, value, limit, unit = "pct", testId }: GaugeProps) {
  const ratio = gaugeRatio(value, limit);
  const level = gaugeLevel(ratio);
  const text = `${show(value, unit)} of ${show(limit, unit)}`;
  return (
    <div className={`gauge gauge-${level}`} data-testid={testId}>
      <div className="gauge-head">
        <span className="gauge-label">{label}</span>
        <span className="gauge-value">{value === null || value === undefined ? "unknown" : text}</span>
      </div>
      <div
        className="gauge-track"
        role="meter"
        aria-label={label}
        aria-valuemin={0}
        aria-valuemax={toNumber(limit) ?? 0}
        aria-valuenow={toNumber(value) ?? 0}
        aria-valuetext={value === null || value === undefined ? "unknown" : text}
      >
        <div className="gauge-fill" style={{ width: `${Math.round((ratio ?? 0) * 100)}%` }} />
      </div>
    </div>
  );
}

/** Turn a limit kept as a fraction ("0.05") into the percent string the gauges print ("5.00"). */
export function fractionToPct(value: unknown): string | null {
  const n = toNumber(typeof value === "string" || typeof value === "number" ? value : null);
  return n === null ? null : (n * 100).toFixed(2);
}

export function RiskPanel({ risk }: { risk: Risk | undefined }) {
  if (!risk) {
    return (
      <section className="panel" data-testid="risk-panel" aria-labelledby="risk-title">
        <h2 id="risk-title">Risk</h2>
        <p className="muted">Loading risk…</p>
      </section>
    );
  }
  const tickerLimit = fractionToPct(risk.limits.max_ticker_pct);
  const sectorLimit = fractionToPct(risk.limits.max_sector_pct);
  const denials = Object.entries(risk.denials_today).sort((a, b) => b[1] - a[1]);
  return (
    <section className="panel" data-testid="risk-panel" aria-labelledby="risk-title">
      <h2 id="risk-title">Risk</h2>
      <div className="gauges">
        <Gauge
          label="Drawdown from high-water mark"
          value={risk.drawdown_pct}
          limit={risk.max_drawdown_pct}
          testId="gauge-drawdown"
        />
        <Gauge
          label="Day loss"
          value={risk.day_loss_pct}
          limit={risk.max_daily_loss_pct}
          testId="gauge-day-loss"
        />
        <Gauge
          label="Largest position"
          value={risk.largest_position_pct ?? "0"}
          limit={tickerLimit}
          testId="gauge-largest-position"
        />
        <Gauge label="VIX" value={risk.vix} limit={risk.max_vix} unit="plain" testId="gauge-vix" />
      </div>
      <h3>Sectors</h3>
      {risk.sectors.length === 0 ? (
        <p className="muted">No sector exposure (limit {formatPct(sectorLimit)} each).</p>
      ) : (
        <div className="gauges">
          {risk.sectors.map((s) => (
            <Gauge
              key={s.sector ?? "Unknown"}
              label={s.sector ?? "Unknown"}
              value={s.pct_of_equity}
              limit={s.limit_pct}
            />
          ))}
        </div>
      )}
      <h3 title="Each denial counts under the failed checks of its first failing stage: desk, then market, then trade.">
        Denials today
      </h3>
      {denials.length === 0 ? (
        <p className="muted">No denials today.</p>
      ) : (
        <ul className="denials" aria-label="Denials today by code">
          {denials.map(([code, count]) => (
            <li key={code}>
              <span className="code">{code}</span>
              <span className="count">{count}</span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
