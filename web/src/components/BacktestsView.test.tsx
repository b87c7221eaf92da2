import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { cleanup, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import type { ReactNode } from "react";
import { afterEach, describe, expect, it, vi } from "vitest";

import { ApiError } from "../lib/auth";

import type { BacktestRun, BacktestRunsPage } from "../api/client";
import { DEFAULT_FORM, backtestRequest, excessReturn, runTickers, signedPct } from "../lib/backtests";
import { BacktestForm, BacktestReport, BacktestRunsTable, BacktestsView } from "./BacktestsView";
import { viewFromHash } from "./ViewTabs";

afterEach(() => {
  cleanup();
  vi.resetAllMocks();
});

function run(overrides: Partial<BacktestRun> = {}): BacktestRun {
  return {
    run_id: "run-1",
    status: "done",
    created_at: "2026-11-24T16:24:23+00:00",
    finished_at: "2026-11-24T16:24:29+00:00",
    params: {
      tickers: ["AAPL", "MSFT"],
      universe: null,
      start: "2024-01-02",
      end: "2024-03-28",
      strategy: "rules",
      initial_cash: "100000",
      slippage_bps: "5",
      commission: "0",
      seed: 42,
      data_source: "simulated",
    },
    summary: {
      total_return: 0.1234,
      cagr: 0.05,
      sharpe: 1.234,
      max_drawdown: 0.0621,
      trades: 7,
      final_equity: "112340.00",
      benchmark_total_return: 0.2,
      benchmark_cagr: 0.08,
      benchmark_sharpe: 1.1,
      benchmark_max_drawdown: 0.1,
      tickers: 2,
      skipped: 0,
    },
    error: null,
    report_url: "/api/backtests/run-1/report",
    ...overrides,
  };
}

function page(items: BacktestRun[]): BacktestRunsPage {
  return { items, total: items.length, limit: 50, offset: 0, next_offset: null };
}

function withQueries(ui: ReactNode) {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  return render(<QueryClientProvider client={client}>{ui}</QueryClientProvider>);
}

const api = vi.hoisted(() => ({
  backtests: vi.fn(),
  backtestReport: vi.fn(),
  startBacktest: vi.fn(),
}));

vi.mock("../api/client", async (original) => {
  const real = await original<typeof import("../api/client")>();
  return { ...real, api: { ...real.api, ...api } };
});

describe("backtest form values", () => {
  it("builds a request from tickers, or from all of them", () => {
    const req = backtestRequest({ ...DEFAULT_FORM, tickers: " aapl, msft;aapl  nvda" });
    expect(req).toEqual({
      start: "2023-01-03",
      end: "2024-12-31",
      strategy: "rules",
      initial_cash: "100000",
      slippage_bps: "5",
      commission: "0",
      tickers: ["AAPL", "MSFT", "NVDA"],
    });
    const all = backtestRequest({ ...DEFAULT_FORM, allTickers: true, strategy: "crossover" });
    expect(all).toMatchObject({ universe: "all", strategy: "crossover" });
    expect(all).not.toHaveProperty("tickers");
  });

  it("says what is wrong before asking the service", () => {
    expect(backtestRequest({ ...DEFAULT_FORM, tickers: " , " })).toMatch(/ticker/);
    expect(backtestRequest({ ...DEFAULT_FORM, end: "2022-01-01" })).toMatch(/before/);
    expect(backtestRequest({ ...DEFAULT_FORM, initialCash: "0" })).toMatch(/positive/);
    expect(backtestRequest({ ...DEFAULT_FORM, initialCash: "lots" })).toMatch(/positive/);
  });

  it("labels tickers, returns and the excess over buy and hold", () => {
    expect(runTickers(run())).toBe("AAPL, MSFT");
    expect(runTickers(run({ params: { ...run().params, tickers: null, universe: "all" } }))).toBe(
      "all (2)",
    );
    expect(signedPct(0.1234)).toBe("+12.34%");
    expect(signedPct(-0.05)).toBe("−5.00%");
    expect(signedPct(null)).toBe("—");
    expect(excessReturn(run())).toBeCloseTo(-0.0766, 6);
    expect(excessReturn(run({ summary: null }))).toBeNull();
  });

  it("opens the backtests view from the address hash", () => {
    expect(viewFromHash("#backtests")).toBe("backtests");
    expect(viewFromHash("")).toBe("desk");
    expect(viewFromHash("#other")).toBe("desk");
  });
});

describe("BacktestRunsTable", () => {
  it("shows each run's status and its return beside the benchmark's", () => {
    const failed = run({
      run_id: "run-2",
      status: "failed",
      summary: null,
      report_url: null,
      error: { code: "INTERRUPTED", message: "the service stopped", details: null },
    });
    const onSelect = vi.fn();
    render(<BacktestRunsTable page={page([run(), failed])} selected="run-1" onSelect={onSelect} />);
    const rows = screen.getAllByTestId("bt-run-row");
    expect(rows.map((r) => r.dataset.status)).toEqual(["done", "failed"]);
    const [done, interrupted] = rows as [HTMLElement, HTMLElement];
    expect(within(done).getByTestId("bt-total-return").textContent).toBe("+12.34%");
    expect(done.textContent).toContain("+20.00%");
    expect(done.textContent).toContain("1.23");
    expect(done.textContent).toContain("6.21%");
    expect(done.getAttribute("aria-selected")).toBe("true");
    expect(interrupted.textContent).toContain("failed: INTERRUPTED");
    fireEvent.click(within(interrupted).getByRole("button"));
    expect(onSelect).toHaveBeenCalledWith("run-2");
  });

  it("says when there is no run yet", () => {
    render(<BacktestRunsTable page={page([])} selected={null} onSelect={vi.fn()} />);
    expect(screen.getByTestId("bt-runs").textContent).toContain("No backtest yet.");
  });
});

describe("BacktestReport", () => {
  it("shows a finished run's report in a frame with every sandbox permission withheld", async () => {
    api.backtestReport.mockResolvedValue(
      "<html><body><td data-key='total_return'>12.34%</td></body></html>",
    );
    withQueries(<BacktestReport run={run()} />);
    const frame = (await screen.findByTestId("bt-report")) as HTMLIFrameElement;
    expect(frame.getAttribute("sandbox")).toBe("");
    expect(frame.getAttribute("srcdoc")).toContain("data-key='total_return'");
    expect(frame.getAttribute("src")).toBeNull();
    expect(api.backtestReport).toHaveBeenCalledWith("run-1");
  });

  it("says a run is still going, or why it failed, without asking for a report", () => {
    const { rerender } = withQueries(<BacktestReport run={run({ status: "running", summary: null })} />);
    expect(screen.getByTestId("bt-report-running")).toBeTruthy();
    rerender(
      <QueryClientProvider client={new QueryClient()}>
        <BacktestReport
          run={run({
            status: "failed",
            summary: null,
            error: { code: "INVALID_INPUT", message: "no ticker left", details: null },
          })}
        />
      </QueryClientProvider>,
    );
    expect(screen.getByTestId("bt-report-error").textContent).toBe("INVALID_INPUT: no ticker left");
    expect(api.backtestReport).not.toHaveBeenCalled();
  });
});

describe("BacktestForm", () => {
  it("posts the request and reports the started run", async () => {
    const started = run({ run_id: "run-9", status: "running", summary: null, report_url: null });
    api.startBacktest.mockResolvedValue(started);
    const onStarted = vi.fn();
    withQueries(<BacktestForm onStarted={onStarted} />);
    fireEvent.change(screen.getByTestId("bt-tickers"), { target: { value: "aapl msft" } });
    fireEvent.change(screen.getByTestId("bt-cash"), { target: { value: "25000" } });
    fireEvent.click(screen.getByTestId("bt-run"));
    await waitFor(() => expect(onStarted).toHaveBeenCalled());
    expect(onStarted).toHaveBeenCalledWith(expect.objectContaining({ run_id: "run-9" }));
    expect(api.startBacktest).toHaveBeenCalledWith(
      expect.objectContaining({ tickers: ["AAPL", "MSFT"], initial_cash: "25000" }),
      expect.anything(),
    );
  });

  it("shows the service's error code, and local problems without a request", async () => {
    api.startBacktest.mockRejectedValue(new ApiError(409, "BACKTEST_RUNNING", "one runs at a time"));
    withQueries(<BacktestForm onStarted={vi.fn()} />);
    fireEvent.change(screen.getByTestId("bt-cash"), { target: { value: "-1" } });
    fireEvent.click(screen.getByTestId("bt-run"));
    expect(screen.getByTestId("bt-error").textContent).toMatch(/positive/);
    expect(api.startBacktest).not.toHaveBeenCalled();
    fireEvent.change(screen.getByTestId("bt-cash"), { target: { value: "1000" } });
    fireEvent.click(screen.getByTestId("bt-run"));
    await waitFor(() =>
      expect(screen.getByTestId("bt-error").textContent).toBe("BACKTEST_RUNNING: one runs at a time"),
    );
  });
});

describe("BacktestsView", () => {
  it("lists the runs and opens the newest one's report", async () => {
    api.backtests.mockResolvedValue(page([run()]));
    api.backtestReport.mockResolvedValue("<p>report</p>");
    withQueries(<BacktestsView />);
    expect(await screen.findAllByTestId("bt-run-row")).toHaveLength(1);
    const frame = await screen.findByTestId("bt-report");
    expect(frame.getAttribute("srcdoc")).toBe("<p>report</p>");
  });
});
