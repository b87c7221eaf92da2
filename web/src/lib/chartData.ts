/**
 * API data -> chart series data (pure, so it is tested without a canvas). Charts need
 * strictly increasing times; daily bars use the session date, intraday marks Unix seconds.
 */
import type { Bar, Order } from "../api/client";
import { exchangeDate, formatFillPrice, toNumber } from "./format";

export interface Candle {
  time: string;
  open: number;
  high: number;
  low: number;
  close: number;
}

export interface LinePoint<T = string> {
  time: T;
  value: number;
}

export interface VolumePoint {
  time: string;
  value: number;
  up: boolean;
}

export interface TradeMarker {
  time: string;
  side: "buy" | "sell";
  text: string;
}

export interface PriceSeries {
  candles: Candle[];
  sma20: LinePoint[];
  sma50: LinePoint[];
  volume: VolumePoint[];
}

/** Split daily bars into candles, SMA lines and volume bars, skipping incomplete bars. */
export function priceSeries(bars: Bar[]): PriceSeries {
  const out: PriceSeries = { candles: [], sma20: [], sma50: [], volume: [] };
  let lastTime = "";
  for (const b of bars) {
    if (b.date <= lastTime) continue; // keep times strictly increasing
    const { open, high, low, close } = b;
    if (open === null || high === null || low === null || close === null) continue;
    lastTime = b.date;
    out.candles.push({ time: b.date, open, high, low, close });
    if (b.sma_20 !== null) out.sma20.push({ time: b.date, value: b.sma_20 });
    if (b.sma_50 !== null) out.sma50.push({ time: b.date, value: b.sma_50 });
    if (b.volume !== null) out.volume.push({ time: b.date, value: b.volume, up: close >= open });
  }
  return out;
}

/**
 * Return entry/exit markers for filled orders, placed on the session day of the fill and
 * only where the chart has a bar (a marker off the chart would be dropped anyway).
 */
export function tradeMarkers(orders: Order[], barDates: Set<string>): TradeMarker[] {
  const markers: TradeMarker[] = [];
  for (const o of orders) {
    const qty = toNumber(o.filled_qty);
    if (!qty || !o.filled_avg_price) continue;
    const day = exchangeDate(o.updated_at);
    if (!day || !barDates.has(day)) continue;
    const side = o.side === "buy" ? "buy" : "sell";
    markers.push({
      time: day,
      side,
      text: `${side === "buy" ? "Buy" : "Sell"} ${o.filled_qty} @ ${formatFillPrice(o.filled_avg_price)}`,
    });
  }
  return markers.sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
}

/** Return the equity curve as (Unix seconds, equity), one point per second, oldest first. */
export function equitySeries(points: { ts: string; equity: string }[]): LinePoint<number>[] {
  const bySecond = new Map<number, number>();
  for (const p of points) {
    const ms = Date.parse(p.ts);
    const value = toNumber(p.equity);
    if (Number.isNaN(ms) || value === null) continue;
    bySecond.set(Math.floor(ms / 1000), value); // the later mark of a second wins
  }
  return [...bySecond.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([time, value]) => ({ time, value }));
}
