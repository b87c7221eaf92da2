import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { cleanup, fireEvent, render, screen, waitFor } from "@testing-library/react";
import type { ReactNode } from "react";
import { afterEach, describe, expect, it, vi } from "vitest";

import type { OptimizationRun } from "../api/client";
import type { OptimizationDoc } from "../lib/optimizations";
import { OptimizationProgressBar, OptimizationResult, OptimizeForm } from "./OptimizeView";
import { viewFromHash } from "./ViewTabs";

const chart = vi.hoisted(() => ({ setData: vi.fn() }));

vi.mock("lightweight-charts", async (original) => {
  const real = await original<typeof import("lightweight-charts")>();
  return {
    ...real,
    createChart: () => ({
      addSeries: () => ({ setData: chart.setData }),
      timeScale: () => ({ fitContent: vi.fn() }),
      remove: vi.fn(),
    }),
  };
});

const api = vi.hoisted(() => ({ startOptimization: vi.fn(), optimizations: vi.fn() }));

vi.mock("../api/client", async (original) => {
  const real = await original<typeof import("../api/client")>();
  return { ...real, api: { ...real.api, ...api } };
});

afterEach(() => {
  cleanup();
  vi.resetAllMocks();
});

function withQueries(ui: ReactNode) {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  return render(<QueryClientProvider client={client}>{ui}</QueryClientProvider>);
}

function doc(objectives: string[]): OptimizationDoc {
  const trials = [
    { trial: 0, params: {}, values: { sharpe: 0.2, max_drawdown: 0.1 } },
    { trial: 1, params: {}, values: { sharpe: 0.7, max_drawdown: 0.2 } },
  ];
  return {
    config: { objectives },
    folds: [
      {
        index: 0,
        in_sample: ["2022-01-03", "2022-12-30"],
        out_of_sample: ["2023-01-03", "2023-06-30"],
        trials,
        best_params: {},
        pareto_front: objectives.length > 1 ? [{ trial: 1, values: {} }] : undefined,
        param_importance: {},
        in_sample_sharpe: 0.7,
      },
    ],
    out_of_sample: {
      days: [
        { date: "2023-01-03", equity: "100000.00" },
        { date: "2023-01-04", equity: "100500.00" },
      ],
    },
    param_importance: { pullback_atr: 0.6, breakout_atr: 0.2 },
    overfitting: { warnings: ["the winning parameters may simply be lucky"] },
  };
}

describe("OptimizeForm", () => {
  it("refuses an empty objective list and sends a valid request", async () => {
    api.startOptimization.mockResolvedValue({ run_id: "r1" });
    const onStarted = vi.fn();
    withQueries(<OptimizeForm onStarted={onStarted} />);
    fireEvent.click(screen.getByTestId("opt-objective-sharpe"));
    fireEvent.click(screen.getByTestId("opt-run"));
    expect(screen.getByTestId("opt-error").textContent).toMatch(/objective/);
    expect(api.startOptimization).not.toHaveBeenCalled();

    fireEvent.click(screen.getByTestId("opt-objective-sortino"));
    fireEvent.click(screen.getByTestId("opt-objective-max_drawdown"));
    fireEvent.change(screen.getByTestId("opt-trials"), { target: { value: "5" } });
    fireEvent.click(screen.getByTestId("opt-run"));
    await waitFor(() => expect(onStarted).toHaveBeenCalled());
    expect(api.startOptimization.mock.calls[0]?.[0]).toMatchObject({
      objectives: ["sortino", "max_drawdown"],
      trials: 5,
      tickers: ["AAPL", "MSFT"],
    });
  });

  it("opens the optimize view from the address hash", () => {
    expect(viewFromHash("#optimize")).toBe("optimize");
  });
});

describe("OptimizationResult", () => {
  it("draws best-so-far for one objective, importance bars and the out-of-sample equity", () => {
    render(<OptimizationResult doc={doc(["sharpe"])} theme="light" />);
    expect(screen.getByTestId("opt-best-so-far").getAttribute("aria-label")).toMatch(/0\.700/);
    expect(screen.queryByTestId("opt-pareto")).toBeNull();
    const bars = screen.getByTestId("opt-importance").querySelectorAll("li");
    expect([...bars].map((b) => b.textContent)).toEqual(["pullback_atr75.0%", "breakout_atr25.0%"]);
    expect(screen.getByTestId("opt-oos-equity").dataset.points).toBe("2");
    expect(chart.setData).toHaveBeenCalledWith([
      { time: "2023-01-03", value: 100000 },
      { time: "2023-01-04", value: 100500 },
    ]);
    expect(screen.getByText(/simply be lucky/)).toBeTruthy();
  });

  it("draws the Pareto front for several objectives", () => {
    render(<OptimizationResult doc={doc(["sharpe", "max_drawdown"])} theme="light" />);
    const pareto = screen.getByTestId("opt-pareto");
    expect(pareto.getAttribute("aria-label")).toBe("1 of 2 trials on the Pareto front");
    expect(pareto.querySelectorAll('[data-front="true"]')).toHaveLength(1);
    expect(screen.queryByTestId("opt-best-so-far")).toBeNull();
  });

  it("shows the progress of a running study", () => {
    const run = { progress: { done: 3, total: 12, best: 0.42 } } as unknown as OptimizationRun;
    render(<OptimizationProgressBar run={run} />);
    expect(screen.getByTestId("opt-progress").textContent).toContain("3 / 12 trials");
    expect(screen.getByTestId("opt-progress").textContent).toContain("best so far 0.420");
  });
});
