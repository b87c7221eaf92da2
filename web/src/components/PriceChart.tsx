/** Daily candles with SMA-20/50, volume, entry/exit markers and the stop line. */
import {
  CandlestickSeries,
  HistogramSeries,
  LineSeries,
  LineStyle,
  createChart,
  createSeriesMarkers,
} from "lightweight-charts";
import { useEffect, useMemo, useRef } from "react";

import type { MarketHistory, Order } from "../api/client";
import { priceSeries, tradeMarkers } from "../lib/chartData";
import { toNumber } from "../lib/format";
import type { Theme } from "../lib/theme";
import { baseChartOptions, chartColors } from "./chartTheme";

interface Props {
  history: MarketHistory | undefined;
  orders: Order[];
  stopPrice: string | null;
  theme: Theme;
}

export function PriceChart({ history, orders, stopPrice, theme }: Props) {
  const box = useRef<HTMLDivElement>(null);
  const series = useMemo(() => priceSeries(history?.bars ?? []), [history]);
  const markers = useMemo(
    () => tradeMarkers(orders, new Set(series.candles.map((c) => c.time))),
    [orders, series],
  );
  const stop = toNumber(stopPrice);

  useEffect(() => {
    const el = box.current;
    if (!el || series.candles.length === 0) return;
    const c = chartColors();
    const chart = createChart(el, {
      ...baseChartOptions(c),
      // Room right of the last bar, so today's marker is not under the price labels.
      timeScale: { borderColor: c.grid, rightOffset: 4 },
    });
    const candles = chart.addSeries(CandlestickSeries, {
      upColor: c.gain,
      downColor: c.loss,
      borderVisible: false,
      wickUpColor: c.gain,
      wickDownColor: c.loss,
    });
    candles.setData(series.candles);
    const sma = (color: string, title: string) =>
      chart.addSeries(LineSeries, {
        color,
        lineWidth: 2,
        title,
        priceLineVisible: false,
        lastValueVisible: false,
        crosshairMarkerVisible: false,
      });
    sma(c.accent, "SMA 20").setData(series.sma20);
    sma(c.accent2, "SMA 50").setData(series.sma50);
    const volume = chart.addSeries(HistogramSeries, {
      priceFormat: { type: "volume" },
      priceScaleId: "volume",
      lastValueVisible: false,
      priceLineVisible: false,
    });
    chart.priceScale("volume").applyOptions({ scaleMargins: { top: 0.8, bottom: 0 } });
    candles.priceScale().applyOptions({ scaleMargins: { top: 0.05, bottom: 0.25 } });
    volume.setData(
      series.volume.map((v) => ({
        time: v.time,
        value: v.value,
        color: `${v.up ? c.gain : c.loss}66`,
      })),
    );
    createSeriesMarkers(
      candles,
      markers.map((m) => ({
        time: m.time,
        position: m.side === "buy" ? ("belowBar" as const) : ("aboveBar" as const),
        shape: m.side === "buy" ? ("arrowUp" as const) : ("arrowDown" as const),
        color: m.side === "buy" ? c.gain : c.loss,
        text: m.text,
      })),
    );
    if (stop !== null) {
      candles.createPriceLine({
        price: stop,
        color: c.stop,
        lineWidth: 1,
        lineStyle: LineStyle.Dashed,
        axisLabelVisible: true,
        title: "stop",
      });
    }
    chart.timeScale().fitContent();
    return () => chart.remove();
  }, [series, markers, stop, theme]);

  return (
    <figure className="chart-figure" data-testid="price-chart">
      <figcaption>
        {history ? `${history.ticker} daily · ${history.source}` : "Price"}
        <span className="legend">
          <span className="swatch sma20" /> SMA 20 <span className="swatch sma50" /> SMA 50
          {stop !== null && (
            <>
              {" "}
              <span className="swatch stop" /> stop
            </>
          )}
        </span>
      </figcaption>
      {series.candles.length === 0 ? (
        <p className="muted">{history ? "No bars for this ticker." : "Loading prices…"}</p>
      ) : (
        <div
          ref={box}
          className="chart chart-large"
          role="img"
          aria-label={`${history?.ticker ?? ""} daily candles with SMA 20 and 50, volume and trades`}
        />
      )}
    </figure>
  );
}
