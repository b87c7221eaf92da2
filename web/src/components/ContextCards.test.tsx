import { cleanup, render, screen, within } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";

import type { FundamentalsResponse, News } from "../api/client";
import { safeLink, sentimentTone } from "../lib/format";
import { FundamentalsCard } from "./FundamentalsCard";
import { NewsCard } from "./NewsCard";

afterEach(cleanup);

function news(overrides: Partial<News> = {}): News {
  return {
    ticker: "AAPL",
    as_of: "2026-11-24T15:00:00Z",
    headlines: [
      {
        title: "Apple beats expectations; shares jump 4.1%",
        publisher: "Simulated Wire",
        published_at: "2026-11-24T12:00:00Z",
        url: "https://news.test/apple",
        summary: null,
        sentiment: 0.52,
      },
      {
        title: "Supplier slides on <b>weak</b> orders",
        publisher: null,
        published_at: "2026-11-23T21:10:00Z",
        url: "javascript:alert(1)",
        summary: null,
        sentiment: -0.4,
      },
      {
        title: "Apple to report results on Jan 30",
        publisher: "Desk Newsroom",
        published_at: "2026-11-20T21:30:00Z",
        url: null,
        summary: null,
        sentiment: 0,
      },
    ],
    sentiment: { method: "vader-3.3.2+finance-85", score: 0.04, headlines: 3, label: "neutral" },
    missing: [],
    ...overrides,
  };
}

describe("NewsCard", () => {
  it("shows each headline with its sentiment colour, publisher, time and a safe link", () => {
    render(<NewsCard news={news()} />);
    const items = screen.getAllByTestId("headline");
    expect(items.map((i) => i.dataset.sentiment)).toEqual(["positive", "negative", "neutral"]);
    const first = within(items[0]!);
    const link = first.getByRole("link", { name: /Apple beats expectations/ });
    expect(link.getAttribute("href")).toBe("https://news.test/apple");
    expect(link.getAttribute("rel")).toContain("noopener");
    expect(link.getAttribute("target")).toBe("_blank");
    expect(first.getByText("+0.52").className).toContain("sentiment-positive");
    expect(first.getByText(/Simulated Wire/)).toBeTruthy();
    expect(first.getByText("24 Nov", { exact: false }).tagName).toBe("TIME");
    // A javascript: URL is never a link; markup in a title is text.
    const second = within(items[1]!);
    expect(second.queryByRole("link")).toBeNull();
    expect(second.getByText("Supplier slides on <b>weak</b> orders")).toBeTruthy();
    expect(second.getByText("−0.40").className).toContain("sentiment-negative");
    expect(second.getByText(/unknown publisher/)).toBeTruthy();
    expect(screen.getByTestId("news-sentiment").textContent).toBe("neutral +0.04");
    expect(screen.getByText(/vader-3.3.2\+finance-85/)).toBeTruthy();
  });

  it("says when the source failed or there is nothing recent", () => {
    render(<NewsCard news={news({ headlines: [], sentiment: null, missing: ["news", "sentiment"] })} />);
    expect(screen.getByTestId("news-missing").textContent).toContain("did not answer");
    cleanup();
    render(<NewsCard news={news({ headlines: [] })} />);
    expect(screen.getByText("No recent headlines.")).toBeTruthy();
    cleanup();
    render(<NewsCard news={undefined} error="API key missing or wrong (401)" />);
    expect(screen.getByRole("alert").textContent).toContain("401");
  });
});

describe("FundamentalsCard", () => {
  const data: FundamentalsResponse = {
    ticker: "AAPL",
    as_of: "2026-11-24T15:00:00Z",
    fundamentals: {
      as_of: "2026-11-24",
      source: "simulated",
      market_cap_usd: "3314746020815",
      trailing_pe: "44.42",
      forward_pe: null,
      price_to_book: "3.39",
      profit_margin_pct: "0.2424",
      revenue_growth_pct: "-0.0291",
      debt_to_equity: "0.61",
      dividend_yield_pct: "0.0041",
      beta: "1.10",
      short_interest_pct: "0.0076",
    },
    missing: [],
  };

  it("shows every figure in the desk's units with its date and source", () => {
    render(<FundamentalsCard data={data} />);
    const card = within(screen.getByTestId("fundamentals-card"));
    expect(card.getByText("as of 2026-11-24 · simulated")).toBeTruthy();
    expect(card.getByText("$3.3T")).toBeTruthy();
    expect(card.getByText("44.42 / —")).toBeTruthy();
    expect(card.getByText("24.2%")).toBeTruthy();
    expect(card.getByText("-2.9%")).toBeTruthy();
    expect(card.getByText("0.41%")).toBeTruthy();
    expect(card.getByText("0.8% of float")).toBeTruthy();
  });

  it("says when the source has none", () => {
    render(<FundamentalsCard data={{ ...data, fundamentals: null, missing: ["fundamentals"] }} />);
    expect(screen.getByTestId("fundamentals-missing")).toBeTruthy();
  });
});

describe("sentiment helpers", () => {
  it("reads scores with VADER's thresholds and keeps only http(s) links", () => {
    expect([0.05, 0.049, -0.049, -0.05, null].map(sentimentTone)).toEqual([
      "positive", "neutral", "neutral", "negative", "unknown",
    ]);
    expect(safeLink("https://a.test/x")).toBe("https://a.test/x");
    expect(safeLink("javascript:alert(1)")).toBeNull();
    expect(safeLink("https://a.test/x y")).toBeNull();
  });
});
