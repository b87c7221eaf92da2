import { describe, expect, it } from "vitest";

import type { Bar, Order } from "../api/client";
import { equitySeries, priceSeries, tradeMarkers } from "./chartData";

function bar(date: string, close: number | null, open = 100): Bar {
  return { date, open, high: 110, low: 90, close, volume: 1000, sma_20: close === null ? null : 101, sma_50: null };
}

function order(side: string, updated: string, filled: string, price: string | null): Order {
  return {
    client_order_id: `o-${side}-${updated}`,
    broker_order_id: null,
    decision_id: null,
    ticker: "AAPL",
    side,
    intent: side === "buy" ? "BUY_TO_OPEN" : "SELL_TO_CLOSE",
    qty: "8",
    type: "market",
    time_in_force: "day",
    stop_price: null,
    status: filled === "0" ? "held" : "filled",
    filled_qty: filled,
    filled_avg_price: price,
    external: false,
    error_code: null,
    message: null,
    created_at: updated,
    updated_at: updated,
  };
}

describe("chart data", () => {
  it("skips incomplete and out-of-order bars and colours volume by direction", () => {
    const s = priceSeries([bar("2026-11-20", 105), bar("2026-11-21", null), bar("2026-11-19", 1), bar("2026-11-23", 95)]);
    expect(s.candles.map((c) => c.time)).toEqual(["2026-11-20", "2026-11-23"]);
    expect(s.volume.map((v) => v.up)).toEqual([true, false]);
    expect(s.sma20).toHaveLength(2);
    expect(s.sma50).toHaveLength(0);
  });

  it("marks filled entries and exits on their session day, only where a bar exists", () => {
    const dates = new Set(["2026-11-20", "2026-11-24"]);
    const markers = tradeMarkers(
      [
        order("sell", "2026-11-24T18:00:00Z", "8", "620.1"),
        order("buy", "2026-11-20T15:00:00Z", "8", "610.8081"),
        order("sell", "2026-11-24T18:00:00Z", "0", null), // a held stop: no marker
        order("buy", "2026-11-01T15:00:00Z", "5", "500"), // off the chart
      ],
      dates,
    );
    expect(markers).toEqual([
      { time: "2026-11-20", side: "buy", text: "Buy 8 @ 610.8081" },
      { time: "2026-11-24", side: "sell", text: "Sell 8 @ 620.10" },
    ]);
  });

  it("turns equity marks into one increasing point per second", () => {
    const pts = equitySeries([
      { ts: "2026-11-24T16:25:00.900Z", equity: "100010.00" },
      { ts: "2026-11-24T16:24:00Z", equity: "100000.00" },
      { ts: "2026-11-24T16:25:00.100Z", equity: "100005.00" },
      { ts: "bad", equity: "1" },
    ]);
    expect(pts.map((p) => p.value)).toEqual([100000, 100005]);
    expect(pts[0]!.time).toBeLessThan(pts[1]!.time);
  });
});
