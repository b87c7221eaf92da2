/**
 * The live stream's state as a pure reducer: connection status, the feed (audit journal and
 * analyst insights, deduplicated), and a per-decision trace of pipeline stages.
 *
 * Frames carry the bus sequence number as their SSE id. A frame at or below the last id seen
 * is a replay we already have and is ignored; `reset` (the service restarted, ids start over)
 * forgets the last id; `resync` (the service could not replay everything) asks the app to
 * refetch its queries, which `resyncs` counts.
 */
import type { AuditEntry, Insight } from "../api/client";

export type ConnectionStatus = "live" | "reconnecting" | "offline";

export type FeedTone = "info" | "buy" | "sell" | "hold" | "deny" | "fill" | "state";

export interface FeedItem {
  /** Unique across sources: `audit:<entry_id>` or `signal:<event_id>`. */
  key: string;
  ts: string;
  tsMs: number;
  /** Arrival order, to keep items with the same timestamp stable. */
  order: number;
  source: "audit" | "insight";
  kind: string;
  decisionId: string | null;
  ticker: string | null;
  title: string;
  detail: string;
  tone: FeedTone;
}

export interface DecisionTrace {
  ticker: string | null;
  signal?: { action: string; confidence: number; reasonCode: string | null; rationale: string };
  risk?: { approved: boolean; codes: string[]; qty: string | null; stopPrice: string | null };
  order?: { clientOrderId: string; side: string; qty: string; status: string };
  fills: { qty: string; price: string }[];
}

export interface StreamState {
  status: ConnectionStatus;
  lastEventId: number | null;
  items: FeedItem[];
  traces: Record<string, DecisionTrace>;
  /** Decision ids in the order their traces were created (for eviction). */
  traceOrder: string[];
  /** Incremented on every resync/reset: the app refetches its queries when it changes. */
  resyncs: number;
  nextOrder: number;
}

export type StreamAction =
  | { type: "connecting" }
  | { type: "open" }
  | { type: "error"; willRetry: boolean }
  | { type: "seed"; items: FeedItem[] }
  | { type: "event"; id: number | null; event: string; data: unknown }
  | { type: "resync" }
  | { type: "reset" };

export const MAX_ITEMS = 200;
export const MAX_TRACES = 100;

export const initialStreamState: StreamState = {
  status: "offline",
  lastEventId: null,
  items: [],
  traces: {},
  traceOrder: [],
  resyncs: 0,
  nextOrder: 0,
};

type Json = Record<string, unknown>;

function str(value: unknown): string | null {
  return typeof value === "string" ? value : null;
}

function tsMs(ts: string): number {
  const n = Date.parse(ts);
  return Number.isNaN(n) ? 0 : n;
}

function actionTone(action: string): FeedTone {
  if (action === "BUY") return "buy";
  if (action === "SELL") return "sell";
  return "hold";
}

/** Turn an analyst signal (REST insight or `signal_created` frame) into a feed item. */
export function insightItem(s: Insight, order = 0): FeedItem {
  const pct = Math.round(s.confidence * 100);
  const reason = s.reason_code ? ` · ${s.reason_code}` : "";
  return {
    key: `signal:${s.event_id}`,
    ts: s.ts_event,
    tsMs: tsMs(s.ts_event),
    order,
    source: "insight",
    kind: "signal",
    decisionId: s.decision_id,
    ticker: s.ticker,
    title: `${s.ticker} ${s.action} · ${pct}% confidence${reason}`,
    detail: s.rationale,
    tone: actionTone(s.action),
  };
}

function auditTone(kind: string): FeedTone {
  if (kind === "risk.rejected" || kind.endsWith(".rejected") || kind.endsWith(".failed")) {
    return "deny";
  }
  if (kind === "order.fill") return "fill";
  if (kind.startsWith("trading_state")) return "state";
  return "info";
}

/** Turn an audit journal entry into a feed item; null for entries the insight items cover. */
export function auditItem(a: AuditEntry, order = 0): FeedItem | null {
  if (a.kind === "signal.created") return null;
  const payload = (a.payload ?? {}) as Json;
  return {
    key: `audit:${a.entry_id}`,
    ts: a.ts,
    tsMs: tsMs(a.ts),
    order,
    source: "audit",
    kind: a.kind,
    decisionId: a.decision_id,
    ticker: str(payload.ticker),
    title: a.message,
    detail: `${a.kind} · ${a.actor}`,
    tone: auditTone(a.kind),
  };
}

function byNewest(a: FeedItem, b: FeedItem): number {
  return b.tsMs - a.tsMs || b.order - a.order;
}

function addItems(state: StreamState, incoming: FeedItem[]): StreamState {
  const seen = new Set(state.items.map((i) => i.key));
  let order = state.nextOrder;
  const fresh: FeedItem[] = [];
  for (const item of incoming) {
    if (seen.has(item.key)) continue;
    seen.add(item.key);
    fresh.push({ ...item, order: order++ });
  }
  if (fresh.length === 0) return state;
  const items = [...fresh, ...state.items].sort(byNewest).slice(0, MAX_ITEMS);
  return { ...state, items, nextOrder: order };
}

function withTrace(
  state: StreamState,
  decisionId: string,
  update: (t: DecisionTrace) => DecisionTrace,
): StreamState {
  const existing = state.traces[decisionId];
  const base: DecisionTrace = existing ?? { ticker: null, fills: [] };
  const traces = { ...state.traces, [decisionId]: update(base) };
  let traceOrder = existing ? state.traceOrder : [...state.traceOrder, decisionId];
  while (traceOrder.length > MAX_TRACES) {
    const [oldest, ...rest] = traceOrder;
    if (oldest !== undefined) delete traces[oldest];
    traceOrder = rest;
  }
  return { ...state, traces, traceOrder };
}

function failedCodes(checks: unknown): string[] {
  if (!Array.isArray(checks)) return [];
  return checks
    .filter((c): c is Json => typeof c === "object" && c !== null && (c as Json).passed === false)
    .map((c) => String(c.code));
}

/** Apply one stream frame (already past the id check) to the feed and traces. */
function applyEvent(state: StreamState, event: string, data: unknown): StreamState {
  if (typeof data !== "object" || data === null) return state;
  const d = data as Json;
  const decisionId = str(d.decision_id);
  switch (event) {
    case "audit": {
      const item = auditItem(d as unknown as AuditEntry, state.nextOrder);
      return item ? addItems(state, [item]) : state;
    }
    case "signal_created": {
      const s = d as unknown as Insight;
      const next = addItems(state, [insightItem(s, state.nextOrder)]);
      if (!decisionId) return next;
      return withTrace(next, decisionId, (t) => ({
        ...t,
        ticker: s.ticker,
        signal: {
          action: s.action,
          confidence: s.confidence,
          reasonCode: s.reason_code ?? null,
          rationale: s.rationale,
        },
      }));
    }
    case "risk_approved":
    case "risk_rejected":
      if (!decisionId) return state;
      return withTrace(state, decisionId, (t) => ({
        ...t,
        ticker: str(d.ticker) ?? t.ticker,
        risk: {
          approved: event === "risk_approved",
          codes: failedCodes(d.checks),
          qty: str(d.qty),
          stopPrice: str(d.stop_price),
        },
      }));
    case "order_request":
      if (!decisionId) return state;
      return withTrace(state, decisionId, (t) => ({
        ...t,
        ticker: str(d.ticker) ?? t.ticker,
        order: {
          clientOrderId: String(d.client_order_id),
          side: String(d.side),
          qty: String(d.qty),
          status: "requested",
        },
      }));
    case "order_status":
      if (!decisionId) return state;
      return withTrace(state, decisionId, (t) =>
        t.order && t.order.clientOrderId === d.client_order_id
          ? { ...t, order: { ...t.order, status: String(d.status) } }
          : t,
      );
    case "fill":
      if (!decisionId) return state;
      return withTrace(state, decisionId, (t) => ({
        ...t,
        fills: [...t.fills, { qty: String(d.qty), price: String(d.price) }],
      }));
    default:
      return state;
  }
}

/** The stream reducer. */
export function streamReducer(state: StreamState, action: StreamAction): StreamState {
  switch (action.type) {
    case "connecting":
      return state.status === "reconnecting" ? state : { ...state, status: "reconnecting" };
    case "open":
      return { ...state, status: "live" };
    case "error":
      return { ...state, status: action.willRetry ? "reconnecting" : "offline" };
    case "seed":
      return addItems(state, action.items);
    case "resync":
      return { ...state, resyncs: state.resyncs + 1 };
    case "reset":
      return { ...state, lastEventId: null, resyncs: state.resyncs + 1 };
    case "event": {
      const { id } = action;
      if (id !== null && state.lastEventId !== null && id <= state.lastEventId) return state;
      const next = applyEvent(state, action.event, action.data);
      return id === null ? next : { ...next, lastEventId: id };
    }
  }
}

/** Parse an SSE frame's id (`lastEventId`), null when absent or not a number. */
export function parseEventId(raw: string | null | undefined): number | null {
  if (!raw || !/^\d+$/.test(raw.trim())) return null;
  return Number(raw.trim());
}

/** The bus topics the service streams (event names), besides the control frames. */
export const STREAM_TOPICS = [
  "signal_created",
  "risk_approved",
  "risk_rejected",
  "order_request",
  "order_status",
  "fill",
  "trading_state_changed",
  "audit",
  "portfolio",
] as const;

/** Control frames: the app refetches its queries when it receives one. */
export const CONTROL_EVENTS = ["resync", "reset"] as const;
