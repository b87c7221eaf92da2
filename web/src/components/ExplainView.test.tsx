import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { cleanup, render, screen, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";

import type { DecisionRecord } from "../api/client";
import { ExplainView } from "./ExplainView";

afterEach(cleanup);

const api = vi.hoisted(() => ({ decision: vi.fn() }));

vi.mock("../api/client", async (original) => {
  const real = await original<typeof import("../api/client")>();
  return { ...real, api: { ...real.api, ...api } };
});

const headline = {
  title: "Acme beats expectations",
  publisher: "Simulated Wire",
  published_at: "2026-11-24T12:00:00Z",
  url: null,
  summary: null,
  sentiment: 0.45,
};

const record: DecisionRecord = {
  decision: { decision_id: "d-1", ticker: "ACME", status: "hold", trigger: "api",
              created_at: "2026-11-24T15:00:00Z" },
  market_snapshot: { ticker: "ACME", price: "100", news: [headline], fundamentals: null,
                     sentiment: null, missing: ["fundamentals"] },
  context: {
    news: [headline],
    sentiment: { method: "vader-3.3.2+finance-85", score: 0.45, headlines: 1, label: "positive" },
    fundamentals: null,
    missing: ["fundamentals"],
  },
  strategy: {
    action: "HOLD", confidence: 0.5, model: "gpt-4o-mini", rationale: "Mixed views.",
    prompt: "p", raw_output: "r",
    views: [
      { role: "technicals", status: "ok", stance: "bullish", confidence: 0.7,
        key_points: ["Uptrend"], tokens_in: 900, tokens_out: 60, cost_usd: "0.0002" },
      { role: "news", status: "unavailable", reason_code: "LLM_TIMEOUT", key_points: [],
        tokens_in: 0, tokens_out: 0, cost_usd: "0" },
    ],
  },
  risk: null,
  orders: [],
  fills: [],
  audit: [],
};

describe("ExplainView", () => {
  it("shows the headlines, sentiment and missing fundamentals the analyst saw, and each view", async () => {
    api.decision.mockResolvedValue(record);
    render(
      <QueryClientProvider client={new QueryClient()}>
        <ExplainView decisionId="d-1" onClose={() => undefined} />
      </QueryClientProvider>,
    );
    const news = await screen.findByTestId("news-card");
    expect(within(news).getByTestId("headline").dataset.sentiment).toBe("positive");
    expect(within(news).getByText("Acme beats expectations")).toBeTruthy();
    expect(within(news).getByTestId("news-sentiment").textContent).toBe("positive +0.45");
    expect(screen.getByTestId("fundamentals-missing")).toBeTruthy();
    // The raw snapshot table leaves the context to the cards.
    const snapshot = screen.getByRole("region", { name: "Market snapshot" });
    expect(within(snapshot).queryByText("news")).toBeNull();
    const views = screen.getByTestId("analyst-views");
    expect(views.textContent).toContain("technicals: bullish at 70%");
    expect(views.textContent).toContain("news: unavailable (LLM_TIMEOUT)");
  });
});
