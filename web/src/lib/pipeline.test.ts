import { describe, expect, it } from "vitest";

import type { DecisionSummary } from "../api/client";
import { pipelineStages } from "./pipeline";

const ID = "ccb86ad8-54ad-4d90-8b58-cbdd52fd325c";

function summary(overrides: Partial<DecisionSummary>): DecisionSummary {
  return {
    decision_id: ID,
    ticker: "MSFT",
    status: "hold",
    signal: null,
    risk: null,
    order: null,
    error: null,
    ...overrides,
  };
}

describe("pipeline stages", () => {
  it("shows every stage running while the trigger is in flight", () => {
    const stages = pipelineStages({ running: true, summary: null, trace: undefined, requestError: null });
    expect(stages.map((s) => s.state)).toEqual(["running", "running", "running", "running"]);
  });

  it("shows HALTED when the desk is halted and nothing further runs", () => {
    const stages = pipelineStages({
      running: false,
      summary: summary({
        signal: { action: "HOLD", confidence: 0, rationale: "halted", reason_code: "HALTED" },
      }),
      trace: undefined,
      requestError: null,
    });
    expect(stages[0]).toMatchObject({ name: "signal", state: "denied" });
    expect(stages[0]?.text).toContain("HALTED");
    expect(stages.slice(1).map((s) => s.state)).toEqual(["skipped", "skipped", "skipped"]);
  });

  it("shows the failed risk codes of a denial", () => {
    const stages = pipelineStages({
      running: false,
      summary: summary({
        status: "rejected",
        signal: { action: "BUY", confidence: 0.55, rationale: "", reason_code: null },
        risk: {
          approved: false,
          violations: [{ code: "LOW_CONFIDENCE" }, { code: "VIX_GATE" }],
          checks: [],
          shares: null,
          stop_price: null,
        },
      }),
      trace: undefined,
      requestError: null,
    });
    expect(stages[1]).toEqual({ name: "risk", state: "denied", text: "denied: LOW_CONFIDENCE, VIX_GATE" });
    expect(stages[2]?.state).toBe("skipped");
  });

  it("completes with the fill the stream reports after the response", () => {
    const s = summary({
      status: "ordered",
      signal: { action: "BUY", confidence: 0.68, rationale: "", reason_code: null },
      risk: { approved: true, violations: [], checks: [], shares: "8", stop_price: "566.73" },
      order: {
        client_order_id: "o1",
        side: "buy",
        qty: "8",
        status: "accepted",
        filled_qty: "0",
        filled_avg_price: null,
      },
    });
    const before = pipelineStages({ running: false, summary: s, trace: undefined, requestError: null });
    expect(before[3]?.state).toBe("running");
    const after = pipelineStages({
      running: false,
      summary: s,
      trace: {
        ticker: "MSFT",
        order: { clientOrderId: "o1", side: "buy", qty: "8", status: "filled" },
        fills: [{ qty: "8", price: "610.8081" }],
      },
      requestError: null,
    });
    expect(after[2]?.text).toBe("buy 8 · filled");
    expect(after[3]).toEqual({ name: "fill", state: "done", text: "filled 8 @ 610.8081" });
  });

  it("reports a failed stage with its code", () => {
    const stages = pipelineStages({
      running: false,
      summary: summary({
        status: "failed",
        error: { stage: "market_data", code: "TEMPORARY", message: "feed down" },
      }),
      trace: undefined,
      requestError: null,
    });
    expect(stages[0]).toEqual({ name: "signal", state: "failed", text: "market_data: TEMPORARY" });
  });

  it("shows why the trigger request itself was refused", () => {
    const stages = pipelineStages({
      running: false,
      summary: null,
      trace: undefined,
      requestError: "RATE_LIMITED: MSFT was triggered 0.0 s ago",
    });
    expect(stages[0]?.state).toBe("failed");
    expect(stages[0]?.text).toContain("RATE_LIMITED");
  });
});

describe("before any run", () => {
  it("waits, saying nothing has run", () => {
    const stages = pipelineStages({ running: false, summary: null, trace: undefined, requestError: null });
    expect(stages.map((s) => s.state)).toEqual(["waiting", "waiting", "waiting", "waiting"]);
    expect(stages[0]?.text).toBe("not run yet");
  });
});
