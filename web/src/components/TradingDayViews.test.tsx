import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { cleanup, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import type { ReactNode } from "react";
import { afterEach, describe, expect, it, vi } from "vitest";

import type { DecisionsPage, DeskSettings, Journal, Order } from "../api/client";
import { DecisionsView } from "./DecisionsView";
import { DailyCalendar, JournalView } from "./JournalView";
import { ManualDialog } from "./ManualDialog";
import { blotterQuery, OrdersView } from "./OrdersView";
import { SettingsView } from "./SettingsView";
import { viewFromHash, ViewTabs } from "./ViewTabs";
import { WatchlistView } from "./WatchlistView";

afterEach(() => {
  cleanup();
  vi.clearAllMocks();
});

const api = vi.hoisted(() => ({
  blotter: vi.fn(),
  decisions: vi.fn(),
  journal: vi.fn(),
  manualClose: vi.fn(),
  manualStop: vi.fn(),
  manualCancel: vi.fn(),
  watchlist: vi.fn(),
  saveWatchlist: vi.fn(),
  tickerInfo: vi.fn(),
  settings: vi.fn(),
}));

vi.mock("../api/client", async (original) => {
  const real = await original<typeof import("../api/client")>();
  return { ...real, api: { ...real.api, ...api } };
});

function wrap(node: ReactNode) {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  return render(<QueryClientProvider client={client}>{node}</QueryClientProvider>);
}

const order = (patch: Partial<Order>): Order => ({
  client_order_id: "sd-o-1",
  broker_order_id: "b-1",
  decision_id: "d-1",
  ticker: "AAPL",
  side: "buy",
  intent: "BUY_TO_OPEN",
  qty: "10",
  type: "market",
  time_in_force: "gtc",
  stop_price: "95",
  status: "filled",
  filled_qty: "10",
  filled_avg_price: "100",
  external: false,
  error_code: null,
  message: null,
  created_at: "2026-11-24T15:00:00Z",
  updated_at: "2026-11-24T15:00:01Z",
  ...patch,
});

describe("ViewTabs", () => {
  it("names every view by its hash and falls back to the desk", () => {
    expect(viewFromHash("#journal")).toBe("journal");
    expect(viewFromHash("#nope")).toBe("desk");
    render(<ViewTabs view="orders" />);
    expect(screen.getByTestId("view-orders").getAttribute("aria-current")).toBe("page");
    expect(screen.getAllByRole("link")).toHaveLength(8);
  });
});

describe("OrdersView", () => {
  it("lists orders, filters by status, opens the decision and offers cancel only for working orders", async () => {
    api.blotter.mockResolvedValue({
      items: [order({}), order({ client_order_id: "sd-o-2", status: "accepted", side: "sell", filled_qty: "0" })],
      limit: 200,
      offset: 0,
      next_offset: null,
    });
    const open = vi.fn();
    const manual = vi.fn();
    wrap(<OrdersView onOpenDecision={open} onManual={manual} />);
    expect(await screen.findAllByTestId("order-row")).toHaveLength(2);
    fireEvent.click(screen.getByText("sd-o-1"));
    expect(open).toHaveBeenCalledWith("d-1");
    const [cancel] = screen.getAllByTestId("order-cancel");
    fireEvent.click(cancel as HTMLElement);
    expect(manual).toHaveBeenCalledWith({ kind: "cancel", ticker: "AAPL", clientOrderId: "sd-o-2" });
    fireEvent.change(screen.getByTestId("orders-status"), { target: { value: "filled" } });
    await waitFor(() => expect(api.blotter).toHaveBeenLastCalledWith({ limit: 200, status: "filled" }));
  });

  it("asks the server for one New York day, and ignores a partial ticker or day", () => {
    expect(blotterQuery("", "", "2026-11-24")).toEqual({ limit: 200, since: "2026-11-24", until: "2026-11-24" });
    expect(blotterQuery("filled", " aapl ", "")).toEqual({ limit: 200, status: "filled", ticker: "AAPL" });
    expect(blotterQuery("", "AAP1", "2026-11")).toEqual({ limit: 200 });
  });
});

const tally = { trades: 1, wins: 1, losses: 0, win_rate_pct: "100.00", pnl: "200.00", avg_r: "0.80", total_r: "0.80" };
const journal: Journal = {
  trips: [
    {
      ticker: "AAPL", sector: "Information Technology", qty: "20", entry_price: "100", exit_price: "110",
      opened_at: "2026-11-20T15:00:00Z", closed_at: "2026-11-24T15:00:00Z", holding_days: "4.0",
      pnl: "200.00", r_multiple: "0.80", exit_reason: "partial", entry_decision_id: "d-1",
      exit_decision_id: "d-2", exit_client_order_id: "sd-c-2",
    },
  ],
  count: 1,
  totals: tally,
  by_ticker: [{ ...tally, ticker: "AAPL" }],
  by_sector: [{ ...tally, sector: "Information Technology" }],
  daily: [{ date: "2026-11-24", pnl: "200.00", trades: 1 }],
};

describe("JournalView", () => {
  it("shows trips with P&L, R and exit reason, the tallies and the calendar", async () => {
    api.journal.mockResolvedValue(journal);
    const open = vi.fn();
    wrap(<JournalView onOpenDecision={open} />);
    const [row] = await screen.findAllByTestId("trip-row");
    expect(row?.textContent).toContain("+$200.00");
    expect(row?.textContent).toContain("0.80");
    expect(row?.textContent).toContain("partial");
    expect(within(screen.getByTestId("by-sector")).getByText("Information Technology")).toBeTruthy();
    expect(screen.getByTestId("journal-totals").textContent).toContain("100%");
    fireEvent.click(within(row as HTMLElement).getByRole("button"));
    expect(open).toHaveBeenCalledWith("d-2");
  });

  it("lays the calendar out with the day's P&L", () => {
    render(<DailyCalendar days={journal.daily} />);
    const day = screen.getByTestId("pnl-calendar").querySelector('[data-date="2026-11-24"]');
    expect(day?.textContent).toContain("+$200.00");
  });
});

describe("DecisionsView", () => {
  it("shows verdicts and codes, marks manual decisions, and narrows by the filters", async () => {
    const page: DecisionsPage = {
      items: [
        {
          decision_id: "d-9", ticker: "XOM", trigger: "manual", status: "rejected",
          created_at: "2026-11-24T15:00:00Z", action: "HOLD", confidence: 1, analyst: "manual",
          rationale: "r", reason_code: "MANUAL_STOP", cost_usd: "0", approved: false,
          denial_codes: ["HALTED"], error_code: null, manual: true,
        },
      ],
      limit: 25,
      offset: 0,
      next_offset: 25,
      analysts: ["manual", "rules-v1"],
    };
    api.decisions.mockResolvedValue(page);
    wrap(<DecisionsView onOpenDecision={() => undefined} />);
    const [row] = await screen.findAllByTestId("decision-row");
    expect(row?.textContent).toContain("manual");
    expect(within(row as HTMLElement).getByTestId("decision-codes").textContent).toBe("HALTED");
    fireEvent.change(screen.getByTestId("filter-verdict"), { target: { value: "denied" } });
    await waitFor(() =>
      expect(api.decisions).toHaveBeenLastCalledWith({ limit: 25, offset: 0, approved: false }),
    );
    fireEvent.click(screen.getByTestId("page-next"));
    await waitFor(() =>
      expect(api.decisions).toHaveBeenLastCalledWith({ limit: 25, offset: 25, approved: false }),
    );
  });
});

describe("ManualDialog", () => {
  it("needs a reason, then sends the close and shows a denial's code", async () => {
    api.manualClose.mockResolvedValue({
      decision_id: "d", ticker: "AAPL", status: "rejected", signal: null, order: null, error: null,
      risk: { approved: false, violations: [{ code: "COOLDOWN" }], checks: [], shares: null, stop_price: null },
    });
    wrap(<ManualDialog target={{ kind: "close", ticker: "AAPL", qty: "10" }} onClose={() => undefined} />);
    const confirm = screen.getByTestId("manual-confirm") as HTMLButtonElement;
    expect(confirm.disabled).toBe(true);
    fireEvent.change(screen.getByTestId("manual-reason"), { target: { value: "flatten" } });
    expect(confirm.disabled).toBe(false);
    fireEvent.click(confirm);
    expect((await screen.findByTestId("manual-outcome")).textContent).toBe("Denied: COOLDOWN");
    expect(api.manualClose).toHaveBeenCalledWith({ ticker: "AAPL", reason: "flatten" });
  });

  it("sends a tighter stop with its price", async () => {
    api.manualStop.mockResolvedValue({
      decision_id: "d", ticker: "AAPL", status: "ordered", signal: null, order: null, error: null, risk: null,
    });
    wrap(
      <ManualDialog
        target={{ kind: "stop", ticker: "AAPL", stopPrice: "90", marketPrice: "100" }}
        onClose={() => undefined}
      />,
    );
    fireEvent.change(screen.getByTestId("manual-stop"), { target: { value: "95.5" } });
    fireEvent.change(screen.getByTestId("manual-reason"), { target: { value: "lock in" } });
    fireEvent.click(screen.getByTestId("manual-confirm"));
    expect((await screen.findByTestId("manual-outcome")).textContent).toBe("Done");
    expect(api.manualStop).toHaveBeenCalledWith({
      ticker: "AAPL", stop_price: "95.5", allow_loosen: false, reason: "lock in",
    });
  });
});

describe("WatchlistView", () => {
  it("adds a checked ticker with its name, reorders and saves the list", async () => {
    const named = (t: string) => ({ ticker: t, name: `${t} Corp`, sector: null });
    api.watchlist.mockResolvedValue({ tickers: ["AAPL", "MSFT"], items: [named("AAPL"), named("MSFT")] });
    api.tickerInfo.mockResolvedValue(named("NVDA"));
    api.saveWatchlist.mockImplementation(async (tickers: string[]) => ({ tickers, items: tickers.map(named) }));
    wrap(<WatchlistView />);
    expect(await screen.findAllByTestId("watchlist-item")).toHaveLength(2);
    fireEvent.change(screen.getByTestId("watchlist-input"), { target: { value: "nvda" } });
    fireEvent.click(screen.getByTestId("watchlist-add"));
    expect(await screen.findByText("NVDA Corp")).toBeTruthy();
    fireEvent.click(screen.getByLabelText("Move NVDA up"));
    fireEvent.click(screen.getByLabelText("Remove AAPL"));
    fireEvent.click(screen.getByTestId("watchlist-save"));
    await waitFor(() => expect(api.saveWatchlist).toHaveBeenCalledWith(["NVDA", "MSFT"]));
    expect(await screen.findByTestId("watchlist-saved")).toBeTruthy();
  });

  it("refuses a malformed ticker without asking the server", async () => {
    api.watchlist.mockResolvedValue({ tickers: [], items: [] });
    wrap(<WatchlistView />);
    fireEvent.change(screen.getByTestId("watchlist-input"), { target: { value: "12$" } });
    fireEvent.click(screen.getByTestId("watchlist-add"));
    expect((await screen.findByTestId("watchlist-problem")).textContent).toMatch(/1 to 5 letters/);
    expect(api.tickerInfo).not.toHaveBeenCalled();
  });
});

describe("SettingsView", () => {
  it("shows limits, analyst, spend and each job's next run", async () => {
    const settings: DeskSettings = {
      profile: "demo", limits: { max_ticker_pct: "0.1" }, analyst: "rules", model: null,
      daily_budget_usd: null, spent_today_usd: "0", market: "simulated", broker: "simulated",
      trading_state: "ACTIVE", autopilot_enabled: true, autopilot_running: true,
      jobs: [{ name: "scan", interval_s: 900, running: false, runs: 1, last_started: "2026-11-24T15:00:00Z", next_run: "2026-11-24T15:15:00Z" }],
      watchlist_size: 10, now: "2026-11-24T15:05:00Z", market_clock: "trades around the clock (simulated)",
    };
    api.settings.mockResolvedValue(settings);
    wrap(<SettingsView />);
    expect((await screen.findByTestId("settings-analyst")).textContent).toBe("rules");
    expect(screen.getByTestId("settings-spent").textContent).toBe("$0.00");
    expect(screen.getByTestId("settings-limits").textContent).toContain("0.1");
    expect(screen.getByTestId("settings-jobs").textContent).toContain("900 s");
  });
});
