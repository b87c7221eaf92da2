import { describe, expect, it } from "vitest";

import type { DecisionSummary } from "../api/client";
import { calendarMonths } from "./calendar";
import { filterReducer, noFilters, toQuery } from "./decisionFilters";
import { formProblem, outcomeText, type ManualForm } from "./manual";
import { cleanTicker, emptyWatchlist, isDirty, watchlistReducer } from "./watchlistEdit";

const info = (ticker: string) => ({ ticker, name: `${ticker} Inc`, sector: null });

describe("watchlistReducer", () => {
  it("adds once, removes, moves within bounds and knows when the list is unsaved", () => {
    let s = watchlistReducer(emptyWatchlist, { type: "load", items: [info("AAPL"), info("MSFT")] });
    expect(isDirty(s)).toBe(false);
    s = watchlistReducer(s, { type: "add", item: info("NVDA") });
    expect(watchlistReducer(s, { type: "add", item: info("NVDA") })).toBe(s);
    s = watchlistReducer(s, { type: "move", ticker: "NVDA", by: -1 });
    expect(s.items.map((i) => i.ticker)).toEqual(["AAPL", "NVDA", "MSFT"]);
    expect(watchlistReducer(s, { type: "move", ticker: "AAPL", by: -1 })).toBe(s);
    s = watchlistReducer(s, { type: "remove", ticker: "AAPL" });
    expect(s.items.map((i) => i.ticker)).toEqual(["NVDA", "MSFT"]);
    expect(isDirty(s)).toBe(true);
  });

  it("cleans tickers as the desk spells them and refuses what cannot be one", () => {
    expect(cleanTicker(" brk.b ")).toBe("BRK.B");
    expect(cleanTicker("TOOLONG")).toBeNull();
    expect(cleanTicker("12")).toBeNull();
  });
});

describe("decision filters", () => {
  it("leave empty and malformed fields out of the query and start again on the first page", () => {
    let f = filterReducer(noFilters, { type: "page", offset: 50 });
    f = filterReducer(f, { type: "set", field: "ticker", value: " msft" });
    f = filterReducer(f, { type: "set", field: "verdict", value: "denied" });
    f = filterReducer(f, { type: "set", field: "code", value: "halted" });
    expect(f.offset).toBe(0);
    expect(toQuery(f, 10)).toEqual({ limit: 10, offset: 0, ticker: "MSFT", approved: false, code: "HALTED" });
    expect(toQuery({ ...noFilters, ticker: "m$", code: "no-dash" })).toEqual({ limit: 25, offset: 0 });
    expect(filterReducer(f, { type: "reset" })).toEqual(noFilters);
  });
});

describe("calendarMonths", () => {
  it("lays out weekdays Monday first with the P&L of days that had exits", () => {
    const [nov] = calendarMonths([{ date: "2026-11-24", pnl: "120.50", trades: 2 }]);
    expect(nov?.month).toBe("2026-11");
    // 2026-11-02 is a Monday: the first week starts full; the 24th is a Tuesday.
    expect(nov?.weeks[0]?.[0]?.date).toBe("2026-11-02");
    const tuesday = nov?.weeks.flat().find((c) => c?.date === "2026-11-24");
    expect(tuesday).toMatchObject({ pnl: "120.50", trades: 2, day: 24 });
    expect(nov?.weeks.flat().some((c) => c?.date === "2026-11-28")).toBe(false); // a Saturday
  });
});

describe("manual action forms", () => {
  const form = (patch: Partial<ManualForm>): ManualForm => ({
    reason: "why",
    qty: "",
    stopPrice: "",
    allowLoosen: false,
    ...patch,
  });

  it("require a reason, a partial size below the position and a tighter stop below the price", () => {
    expect(formProblem({ kind: "close", ticker: "A" }, form({ reason: " " }))).toMatch(/reason/);
    expect(formProblem({ kind: "close", ticker: "A" }, form({}))).toBeNull();
    const part = { kind: "partial" as const, ticker: "A", qty: "10" };
    expect(formProblem(part, form({ qty: "10" }))).toMatch(/whole position/);
    expect(formProblem(part, form({ qty: "2.5" }))).toMatch(/whole number/);
    expect(formProblem(part, form({ qty: "4" }))).toBeNull();
    const stop = { kind: "stop" as const, ticker: "A", stopPrice: "90", marketPrice: "100" };
    expect(formProblem(stop, form({ stopPrice: "85" }))).toMatch(/tighter/);
    expect(formProblem(stop, form({ stopPrice: "85", allowLoosen: true }))).toBeNull();
    expect(formProblem(stop, form({ stopPrice: "101" }))).toMatch(/below the market/);
    expect(formProblem(stop, form({ stopPrice: "95" }))).toBeNull();
  });

  it("say a denial with its codes", () => {
    const denied = {
      decision_id: "d",
      ticker: "A",
      status: "rejected",
      signal: null,
      risk: { approved: false, violations: [{ code: "HALTED" }], checks: [], shares: null, stop_price: null },
      order: null,
      error: null,
    } as DecisionSummary;
    expect(outcomeText(denied)).toEqual({ ok: false, text: "Denied: HALTED" });
    const done = { ...denied, status: "ordered", order: { client_order_id: "c", side: "sell", qty: "5", status: "filled", filled_qty: "5", filled_avg_price: "10" } } as DecisionSummary;
    expect(outcomeText(done)).toEqual({ ok: true, text: "Done (filled, filled 5)" });
  });
});
