import { describe, expect, it } from "vitest";

import {
  DEFAULT_OPTIMIZE_FORM,
  bestSoFar,
  importanceBars,
  oosEquity,
  optimizationRequest,
  paretoPoints,
  progressShare,
  type FoldDoc,
} from "./optimizations";

const trials = [
  { trial: 2, params: {}, values: { sharpe: 0.4, max_drawdown: 0.1 } },
  { trial: 0, params: {}, values: { sharpe: 0.5, max_drawdown: 0.2 } },
  { trial: 1, params: {}, values: { sharpe: -0.1, max_drawdown: 0.05 } },
  { trial: 3, params: {}, values: { sharpe: 0.9, max_drawdown: 0.3 } },
];

describe("optimisation form values", () => {
  it("builds a request from tickers, or from all of them", () => {
    const req = optimizationRequest({ ...DEFAULT_OPTIMIZE_FORM, tickers: "aapl msft,aapl" });
    expect(req).toMatchObject({
      strategy: "rules",
      tickers: ["AAPL", "MSFT"],
      objectives: ["sharpe"],
      trials: 20,
      folds: 3,
      seed: 0,
      walk_forward: true,
    });
    const all = optimizationRequest({ ...DEFAULT_OPTIMIZE_FORM, allTickers: true });
    expect(all).toMatchObject({ universe: "all" });
    expect(all).not.toHaveProperty("tickers");
  });

  it("says what is wrong before asking the service", () => {
    const f = DEFAULT_OPTIMIZE_FORM;
    expect(optimizationRequest({ ...f, tickers: " ; " })).toMatch(/ticker/);
    expect(optimizationRequest({ ...f, end: f.start })).toMatch(/after/);
    expect(optimizationRequest({ ...f, objectives: [] })).toMatch(/objective/);
    expect(optimizationRequest({ ...f, trials: "501" })).toMatch(/1 to 500/);
    expect(optimizationRequest({ ...f, trials: "2.5" })).toMatch(/1 to 500/);
    expect(optimizationRequest({ ...f, folds: "0" })).toMatch(/1 to 10/);
    expect(optimizationRequest({ ...f, seed: "-1" })).toMatch(/seed/);
  });
});

describe("optimisation chart data", () => {
  it("keeps the best value so far in trial order, lower is better for drawdown", () => {
    expect(bestSoFar(trials, "sharpe").map((p) => p.best)).toEqual([0.5, 0.5, 0.5, 0.9]);
    expect(bestSoFar(trials, "max_drawdown").map((p) => p.best)).toEqual([0.2, 0.05, 0.05, 0.05]);
    expect(bestSoFar(trials, "cagr")).toEqual([]);
  });

  it("marks the Pareto front among every trial's two objectives", () => {
    const fold = { trials, pareto_front: [{ trial: 1, values: {} }, { trial: 3, values: {} }] };
    const points = paretoPoints(fold as unknown as FoldDoc, ["sharpe", "max_drawdown"]);
    expect(points).toHaveLength(4);
    expect(points.filter((p) => p.front).map((p) => p.trial)).toEqual([1, 3]);
    expect(paretoPoints(fold as unknown as FoldDoc, ["sharpe"])).toEqual([]);
  });

  it("turns importances into shares, largest first, and nothing when there are none", () => {
    expect(importanceBars({ a: 1, b: 3 })).toEqual([
      { name: "b", share: 0.75 },
      { name: "a", share: 0.25 },
    ]);
    expect(importanceBars({})).toEqual([]);
    expect(importanceBars(undefined)).toEqual([]);
  });

  it("reads the stitched equity and the progress share", () => {
    const doc = {
      config: { objectives: ["sharpe"] },
      folds: [],
      overfitting: { warnings: [] },
      out_of_sample: { days: [{ date: "2024-01-02", equity: "100000.00" }] },
    };
    expect(oosEquity(doc)).toEqual([{ time: "2024-01-02", value: 100000 }]);
    expect(oosEquity(undefined)).toEqual([]);
    expect(progressShare({ done: 3, total: 12 })).toBe(0.25);
    expect(progressShare(null)).toBe(0);
  });
});
