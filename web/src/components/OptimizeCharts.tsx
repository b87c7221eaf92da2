/** The optimisation's charts: best-so-far per trial, the Pareto front, parameter importance
 * (small inline SVG: categorical axes lightweight-charts does not draw) and the stitched
 * walk-forward out-of-sample equity (lightweight-charts, as the desk's equity curve). */
import { AreaSeries, createChart } from "lightweight-charts";
import { useEffect, useMemo, useRef } from "react";

import { bestSoFar, importanceBars, oosEquity, paretoPoints } from "../lib/optimizations";
import type { FoldDoc, OptimizationDoc, TrialDoc } from "../lib/optimizations";
import type { Theme } from "../lib/theme";
import { baseChartOptions, chartColors } from "./chartTheme";

const W = 360;
const H = 180;
const PAD = 28;

function scale(values: number[], low: number, high: number): (v: number) => number {
  const min = Math.min(...values);
  const max = Math.max(...values);
  const span = max - min || 1;
  return (v) => low + ((v - min) / span) * (high - low);
}

export function BestSoFarChart({ trials, objective }: { trials: TrialDoc[]; objective: string }) {
  const points = useMemo(() => bestSoFar(trials, objective), [trials, objective]);
  const last = points[points.length - 1];
  if (last === undefined) return <p className="muted">No completed trial.</p>;
  const x = scale(points.map((_, i) => i), PAD, W - 8);
  const y = scale(points.flatMap((p) => [p.value, p.best]), H - PAD, 8);
  const line = points.map((p, i) => `${x(i).toFixed(1)},${y(p.best).toFixed(1)}`).join(" ");
  return (
    <svg
      viewBox={`0 0 ${W} ${H}`}
      className="opt-chart"
      role="img"
      data-testid="opt-best-so-far"
      aria-label={`Best ${objective} so far over ${points.length} trials: ${last.best.toFixed(3)}`}
    >
      {points.map((p, i) => (
        <circle key={p.trial} cx={x(i)} cy={y(p.value)} r={2.5} className="opt-dot" />
      ))}
      <polyline points={line} className="opt-line" fill="none" />
      <text x={PAD} y={H - 6} className="opt-axis">
        trials →
      </text>
      <text x={W - 8} y={H - 6} textAnchor="end" className="opt-axis">
        best {objective} {last.best.toFixed(3)}
      </text>
    </svg>
  );
}

export function ParetoChart({ fold, objectives }: { fold: FoldDoc; objectives: string[] }) {
  const points = useMemo(() => paretoPoints(fold, objectives), [fold, objectives]);
  if (points.length === 0) return <p className="muted">No completed trial.</p>;
  const x = scale(points.map((p) => p.x), PAD, W - 8);
  const y = scale(points.map((p) => p.y), H - PAD, 8);
  return (
    <svg
      viewBox={`0 0 ${W} ${H}`}
      className="opt-chart"
      role="img"
      data-testid="opt-pareto"
      aria-label={`${points.filter((p) => p.front).length} of ${points.length} trials on the Pareto front`}
    >
      {points.map((p) => (
        <circle
          key={p.trial}
          cx={x(p.x)}
          cy={y(p.y)}
          r={p.front ? 4 : 2.5}
          className={p.front ? "opt-front" : "opt-dot"}
          data-front={p.front}
        >
          <title>{`trial ${p.trial}: ${objectives[0]} ${p.x.toFixed(3)}, ${objectives[1]} ${p.y.toFixed(3)}`}</title>
        </circle>
      ))}
      <text x={PAD} y={H - 6} className="opt-axis">
        {objectives[0]} →
      </text>
      <text x={4} y={14} className="opt-axis">
        ↑ {objectives[1]}
      </text>
    </svg>
  );
}

export function ImportanceBars({ importance }: { importance: Record<string, number> | undefined }) {
  const bars = importanceBars(importance);
  if (bars.length === 0) {
    return (
      <p className="muted" data-testid="opt-importance-none">
        Not enough trials (or parameters) to rank the parameters.
      </p>
    );
  }
  return (
    <ul className="opt-importance" data-testid="opt-importance">
      {bars.map((b) => (
        <li key={b.name}>
          <span className="opt-importance-name">{b.name}</span>
          <span className="opt-importance-bar" style={{ width: `${(b.share * 100).toFixed(1)}%` }} />
          <span className="num">{(b.share * 100).toFixed(1)}%</span>
        </li>
      ))}
    </ul>
  );
}

export function OosEquityChart({ doc, theme }: { doc: OptimizationDoc | undefined; theme: Theme }) {
  const box = useRef<HTMLDivElement>(null);
  const points = useMemo(() => oosEquity(doc), [doc]);
  useEffect(() => {
    const el = box.current;
    if (!el || points.length === 0) return;
    const c = chartColors();
    const chart = createChart(el, baseChartOptions(c));
    const series = chart.addSeries(AreaSeries, {
      lineColor: c.accent,
      topColor: `${c.accent}55`,
      bottomColor: `${c.accent}05`,
      lineWidth: 2,
      priceFormat: { type: "price", precision: 2, minMove: 0.01 },
    });
    series.setData(points);
    chart.timeScale().fitContent();
    return () => chart.remove();
  }, [points, theme]);
  return (
    <figure className="chart-figure" data-testid="opt-oos-equity" data-points={points.length}>
      <figcaption>Walk-forward out-of-sample equity (stitched folds)</figcaption>
      {points.length === 0 ? (
        <p className="muted">No out-of-sample block (walk-forward was off).</p>
      ) : (
        <div ref={box} className="chart chart-small" role="img" aria-label="Out-of-sample equity over time" />
      )}
    </figure>
  );
}
