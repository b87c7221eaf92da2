import { describe, expect, it } from "vitest";

import type { AuditEntry, Insight } from "../api/client";
import {
  MAX_ITEMS,
  auditItem,
  initialStreamState,
  insightItem,
  parseEventId,
  streamReducer,
  type StreamAction,
  type StreamState,
} from "./stream";

const DECISION = "5909acc8-e750-429c-aed8-ab8d1c741166";

function audit(seq: number, kind: string, message: string, ts = "2026-11-24T16:24:26Z"): AuditEntry {
  return {
    seq,
    entry_id: `entry-${seq}`,
    ts,
    kind,
    decision_id: DECISION,
    actor: "risk",
    message,
    payload: { ticker: "MSFT" },
  };
}

function signal(eventId: string, overrides: Partial<Insight> = {}): Insight {
  return {
    event_id: eventId,
    decision_id: DECISION,
    ticker: "MSFT",
    action: "HOLD",
    confidence: 0,
    rationale: "Holding: the desk is HALTED",
    reason_code: "HALTED",
    model: "rules-v1",
    latency_ms: 0,
    tokens_in: 0,
    tokens_out: 0,
    cost_usd: "0",
    cache_hit: false,
    ts_event: "2026-11-24T16:24:44.517730Z",
    ...overrides,
  };
}

function run(actions: StreamAction[], start: StreamState = initialStreamState): StreamState {
  return actions.reduce(streamReducer, start);
}

describe("connection status", () => {
  it("goes offline -> reconnecting -> live, and back to reconnecting on a dropped connection", () => {
    let s = run([{ type: "connecting" }]);
    expect(s.status).toBe("reconnecting");
    s = run([{ type: "open" }], s);
    expect(s.status).toBe("live");
    s = run([{ type: "error", willRetry: true }], s);
    expect(s.status).toBe("reconnecting");
    s = run([{ type: "open" }], s);
    expect(s.status).toBe("live");
  });

  it("is offline when the service refuses the key and nothing will retry", () => {
    const s = run([{ type: "connecting" }, { type: "error", willRetry: false }]);
    expect(s.status).toBe("offline");
  });
});

describe("events", () => {
  it("adds audit entries and signals to the feed, newest first", () => {
    const s = run([
      { type: "event", id: 1, event: "audit", data: audit(1, "decision.started", "decision for MSFT (api)") },
      { type: "event", id: 2, event: "signal_created", data: signal("sig-1") },
    ]);
    expect(s.items.map((i) => i.key)).toEqual(["signal:sig-1", "audit:entry-1"]);
    expect(s.items[0]?.title).toContain("MSFT");
    expect(s.items[0]?.title).toContain("HOLD");
    expect(s.items[0]?.title).toContain("HALTED");
    expect(s.items[0]?.decisionId).toBe(DECISION);
    expect(s.lastEventId).toBe(2);
  });

  it("ignores a replayed frame (id at or below the last seen) and duplicate items", () => {
    const frame: StreamAction = {
      type: "event",
      id: 5,
      event: "audit",
      data: audit(5, "risk.rejected", "denied MSFT: LOW_CONFIDENCE"),
    };
    const once = run([frame]);
    const twice = run([frame], once);
    expect(twice).toBe(once);
    // The same entry from the REST seed is not added a second time either.
    const seeded = run([{ type: "seed", items: [auditItem(audit(5, "risk.rejected", "x"))!] }], once);
    expect(seeded.items).toHaveLength(1);
    expect(seeded.items[0]?.tone).toBe("deny");
  });

  it("leaves signal.created audit entries to the insight items", () => {
    expect(auditItem(audit(3, "signal.created", "HOLD MSFT"))).toBeNull();
  });

  it("keeps the feed bounded", () => {
    const actions: StreamAction[] = [];
    for (let i = 1; i <= MAX_ITEMS + 20; i++) {
      actions.push({ type: "event", id: i, event: "audit", data: audit(i, "order.fill", `fill ${i}`) });
    }
    const s = run(actions);
    expect(s.items).toHaveLength(MAX_ITEMS);
    expect(s.items[0]?.title).toBe(`fill ${MAX_ITEMS + 20}`);
  });

  it("traces a decision's stages from risk, order, status and fill frames", () => {
    const s = run([
      { type: "event", id: 1, event: "signal_created", data: signal("s", { action: "BUY", confidence: 0.7, reason_code: null }) },
      {
        type: "event",
        id: 2,
        event: "risk_approved",
        data: { decision_id: DECISION, ticker: "MSFT", qty: "8", stop_price: "566.73", checks: [{ code: "HALTED", passed: true }] },
      },
      {
        type: "event",
        id: 3,
        event: "order_request",
        data: { decision_id: DECISION, ticker: "MSFT", client_order_id: "o1", side: "buy", qty: "8" },
      },
      { type: "event", id: 4, event: "order_status", data: { decision_id: DECISION, client_order_id: "o1", status: "filled" } },
      { type: "event", id: 5, event: "fill", data: { decision_id: DECISION, qty: "8", price: "610.8081" } },
    ]);
    const t = s.traces[DECISION];
    expect(t?.signal?.action).toBe("BUY");
    expect(t?.risk).toEqual({ approved: true, codes: [], qty: "8", stopPrice: "566.73" });
    expect(t?.order?.status).toBe("filled");
    expect(t?.fills).toEqual([{ qty: "8", price: "610.8081" }]);
  });

  it("records the failed checks of a rejection as its codes", () => {
    const s = run([
      {
        type: "event",
        id: 9,
        event: "risk_rejected",
        data: {
          decision_id: DECISION,
          checks: [
            { code: "HALTED", passed: false },
            { code: "VIX_GATE", passed: true },
            { code: "LOW_CONFIDENCE", passed: false },
          ],
        },
      },
    ]);
    expect(s.traces[DECISION]?.risk?.codes).toEqual(["HALTED", "LOW_CONFIDENCE"]);
  });
});

describe("resync and reset", () => {
  it("counts a resync so the app refetches, keeping the last id", () => {
    const s = run([{ type: "event", id: 40, event: "portfolio", data: {} }, { type: "resync" }]);
    expect(s.resyncs).toBe(1);
    expect(s.lastEventId).toBe(40);
  });

  it("forgets the last id on reset (service restarted) so low ids are accepted again", () => {
    const before = run([{ type: "event", id: 40, event: "audit", data: audit(40, "order.fill", "a") }]);
    const after = run(
      [{ type: "reset" }, { type: "event", id: 1, event: "audit", data: audit(41, "order.fill", "b") }],
      before,
    );
    expect(after.resyncs).toBe(1);
    expect(after.lastEventId).toBe(1);
    expect(after.items.map((i) => i.title)).toContain("b");
  });
});

describe("helpers", () => {
  it("parses SSE ids", () => {
    expect(parseEventId("57")).toBe(57);
    expect(parseEventId("")).toBeNull();
    expect(parseEventId("abc")).toBeNull();
    expect(parseEventId(undefined)).toBeNull();
  });

  it("renders an insight with its confidence and reason", () => {
    const item = insightItem(signal("x", { action: "BUY", confidence: 0.68, reason_code: null }));
    expect(item.title).toBe("MSFT BUY · 68% confidence");
    expect(item.tone).toBe("buy");
  });
});
