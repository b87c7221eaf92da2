import { cleanup, fireEvent, render, screen } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";

import type { Config, Portfolio } from "../api/client";
import type { ConnectionStatus } from "../lib/stream";
import { Header, brokerLabel, sourceLabel } from "./Header";

afterEach(cleanup);

function portfolio(overrides: Partial<Portfolio> = {}): Portfolio {
  return {
    as_of: "2026-11-24T16:24:23Z",
    trading_state: "ACTIVE",
    equity: "99997.56",
    cash: "95113.54",
    buying_power: "95113.54",
    high_water_mark: "100000.00",
    start_of_day_equity: "100000.00",
    day_pnl: "-2.44",
    drawdown_pct: "0.01",
    positions: [],
    ...overrides,
  };
}

const demo: Config = {
  profile: "demo",
  autopilot: {},
  market_provider: "simulated",
  broker: "simulated",
};

function renderHeader(p: Portfolio | undefined, config: Config | undefined = demo, status: ConnectionStatus = "live") {
  const toggle = vi.fn();
  render(<Header portfolio={p} config={config} status={status} theme="light" onToggleTheme={toggle} />);
  return toggle;
}

describe("Header", () => {
  it("shows the trading state, figures and the demo badges", () => {
    renderHeader(portfolio());
    expect(screen.getByTestId("trading-state").textContent).toBe("ACTIVE");
    expect(screen.getByTestId("trading-state").className).toContain("state-active");
    expect(screen.getByTestId("data-source-badge").textContent).toContain("SIMULATED MARKET");
    expect(screen.getByTestId("broker-badge").textContent).toBe("SIMULATED BROKER");
    expect(screen.getByTestId("stream-status").textContent).toBe("live");
    expect(screen.getByTestId("equity").textContent).toBe("$99,997.56");
    expect(screen.getByTestId("day-pnl").textContent).toBe("−$2.44");
    expect(screen.getByTestId("day-pnl").className).toContain("tone-loss");
    expect(screen.getByTestId("drawdown").textContent).toBe("0.01%");
  });

  it.each(["ACTIVE", "REDUCING", "HALTED"])("colour-codes the %s state", (state) => {
    renderHeader(portfolio({ trading_state: state }));
    const badge = screen.getByTestId("trading-state");
    expect(badge.textContent).toBe(state);
    expect(badge.className).toContain(`state-${state.toLowerCase()}`);
  });

  it("shows dashes, not zeros, before the first answer", () => {
    renderHeader(undefined, undefined, "reconnecting");
    expect(screen.getByTestId("equity").textContent).toBe("—");
    expect(screen.getByTestId("trading-state").textContent).toBe("—");
    expect(screen.getByTestId("stream-status").textContent).toBe("reconnecting");
  });

  it("names a paper broker and live data sources", () => {
    expect(brokerLabel("alpaca")).toBe("ALPACA PAPER");
    expect(sourceLabel("yahoo")).toBe("YAHOO MARKET DATA");
    expect(sourceLabel("simulated")).toBe("SIMULATED MARKET");
  });

  it("toggles the theme", () => {
    const toggle = renderHeader(portfolio());
    fireEvent.click(screen.getByTestId("theme-toggle"));
    expect(toggle).toHaveBeenCalledOnce();
  });
});
