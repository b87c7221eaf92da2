import { cleanup, render, screen, within } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";

import type { Risk } from "../api/client";
import { RiskPanel, fractionToPct } from "./RiskPanel";

afterEach(cleanup);

function risk(overrides: Partial<Risk> = {}): Risk {
  return {
    as_of: "2026-11-24T16:24:23Z",
    trading_state: "ACTIVE",
    equity: "100000.00",
    drawdown_pct: "8.00",
    max_drawdown_pct: "10.00",
    day_pnl: "-1200.00",
    day_loss_pct: "1.20",
    max_daily_loss_pct: "3.00",
    limits: { max_ticker_pct: "0.05", max_sector_pct: "0.20", max_vix: "35" },
    tickers: [],
    sectors: [
      { sector: "Information Technology", market_value: "21000.00", pct_of_equity: "21.00", limit_pct: "20.00" },
      { sector: "Financials", market_value: "3000.00", pct_of_equity: "3.00", limit_pct: "20.00" },
    ],
    largest_position_pct: "4.88",
    vix: "24.43",
    max_vix: "35",
    denials_today: { LOW_CONFIDENCE: 2, HALTED: 5 },
    ...overrides,
  };
}

function meter(name: string): HTMLElement {
  return screen.getByRole("meter", { name });
}

describe("RiskPanel", () => {
  it("draws every limit from the API's numbers", () => {
    render(<RiskPanel risk={risk()} />);
    const dd = meter("Drawdown from high-water mark");
    expect(dd.getAttribute("aria-valuenow")).toBe("8");
    expect(dd.getAttribute("aria-valuemax")).toBe("10");
    expect(dd.getAttribute("aria-valuetext")).toBe("8.00% of 10.00%");
    expect(meter("Day loss").getAttribute("aria-valuetext")).toBe("1.20% of 3.00%");
    // The ticker limit comes from the limits (a fraction) as a percentage.
    expect(meter("Largest position").getAttribute("aria-valuetext")).toBe("4.88% of 5.00%");
    expect(meter("VIX").getAttribute("aria-valuetext")).toBe("24.43 of 35.00");
  });

  it("colours a gauge by how close it is to its limit", () => {
    render(<RiskPanel risk={risk()} />);
    expect(screen.getByTestId("gauge-drawdown").className).toContain("gauge-warn");
    expect(screen.getByTestId("gauge-day-loss").className).toContain("gauge-ok");
    const tech = meter("Information Technology").closest(".gauge");
    expect(tech?.className).toContain("gauge-breach");
    expect(meter("Financials").closest(".gauge")?.className).toContain("gauge-ok");
  });

  it("lists today's denials by code, most frequent first", () => {
    render(<RiskPanel risk={risk()} />);
    const list = screen.getByRole("list", { name: "Denials today by code" });
    const items = within(list).getAllByRole("listitem").map((li) => li.textContent);
    expect(items).toEqual(["HALTED5", "LOW_CONFIDENCE2"]);
  });

  it("says so when VIX is unknown, nothing is held and nothing was denied", () => {
    render(
      <RiskPanel
        risk={risk({ vix: null, sectors: [], largest_position_pct: null, denials_today: {} })}
      />,
    );
    expect(meter("VIX").getAttribute("aria-valuetext")).toBe("unknown");
    expect(screen.getByText(/No sector exposure \(limit 20.00% each\)/)).toBeTruthy();
    expect(screen.getByText("No denials today.")).toBeTruthy();
    expect(meter("Largest position").getAttribute("aria-valuetext")).toBe("0.00% of 5.00%");
  });

  it("shows a loading state before the first answer", () => {
    render(<RiskPanel risk={undefined} />);
    expect(screen.getByTestId("risk-panel").textContent).toContain("Loading");
  });

  it("converts fractional limits to percent strings", () => {
    expect(fractionToPct("0.05")).toBe("5.00");
    expect(fractionToPct(undefined)).toBeNull();
  });
});
