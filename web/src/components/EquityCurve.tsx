/** The account's equity curve from stored marks (GET /api/equity-history), as an area chart. */
import { AreaSeries, createChart, type UTCTimestamp } from "lightweight-charts";
import { useEffect, useMemo, useRef } from "react";

import type { EquityHistory } from "../api/client";
import { equitySeries } from "../lib/chartData";
import type { Theme } from "../lib/theme";
import { baseChartOptions, chartColors } from "./chartTheme";

/** Fewer marks than this make no curve worth reading yet: the caption says "collecting". */
export const MIN_POINTS = 3;

export function EquityCurve({ history, theme }: { history: EquityHistory | undefined; theme: Theme }) {
  const box = useRef<HTMLDivElement>(null);
  const points = useMemo(() => equitySeries(history?.points ?? []), [history]);

  useEffect(() => {
    const el = box.current;
    if (!el || points.length === 0) return;
    const c = chartColors();
    const chart = createChart(el, {
      ...baseChartOptions(c),
      timeScale: { borderColor: c.grid, timeVisible: true, secondsVisible: false },
    });
    const series = chart.addSeries(AreaSeries, {
      lineColor: c.accent,
      topColor: `${c.accent}55`,
      bottomColor: `${c.accent}05`,
      lineWidth: 2,
      priceFormat: { type: "price", precision: 2, minMove: 0.01 },
    });
    series.setData(points.map((p) => ({ time: p.time as UTCTimestamp, value: p.value })));
    chart.timeScale().fitContent();
    return () => chart.remove();
  }, [points, theme]);

  return (
    <figure className="chart-figure" data-testid="equity-curve">
      <figcaption>
        Equity curve
        {points.length > 0 && points.length < MIN_POINTS && (
          <span className="muted" data-testid="equity-collecting">
            {" "}
            · collecting ({points.length} {points.length === 1 ? "mark" : "marks"} so far; one is stored every interval)
          </span>
        )}
      </figcaption>
      {points.length === 0 ? (
        <p className="muted" data-testid="equity-collecting">Collecting: no equity marks yet (one is stored every interval).</p>
      ) : (
        <div ref={box} className="chart chart-small" role="img" aria-label="Equity over time" />
      )}
    </figure>
  );
}
