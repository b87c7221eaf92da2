/**
 * The stages of one decision (signal -> risk -> order -> fill) as the ticker view shows them,
 * merged from the trigger's response and the live stream's trace of that decision.
 */
import type { DecisionSummary } from "../api/client";
import { formatFillPrice, formatPrice } from "./format";
import type { DecisionTrace } from "./stream";

export type StageName = "signal" | "risk" | "order" | "fill";
export type StageState = "waiting" | "running" | "done" | "denied" | "skipped" | "failed";

export interface Stage {
  name: StageName;
  state: StageState;
  text: string;
}

export const STAGE_LABELS: Record<StageName, string> = {
  signal: "Signal",
  risk: "Risk",
  order: "Order",
  fill: "Fill",
};

interface Inputs {
  running: boolean;
  summary: DecisionSummary | null;
  trace: DecisionTrace | undefined;
  /** Why the trigger request itself failed (e.g. "RATE_LIMITED: ..."), if it did. */
  requestError: string | null;
}

function violationCodes(violations: Record<string, unknown>[]): string[] {
  return violations.map((v) => String(v.code ?? "?"));
}

/** Return the four stages for what is known so far about one decision. */
export function pipelineStages({ running, summary, trace, requestError }: Inputs): Stage[] {
  if (requestError) {
    return [
      { name: "signal", state: "failed", text: requestError },
      { name: "risk", state: "skipped", text: "not reached" },
      { name: "order", state: "skipped", text: "not reached" },
      { name: "fill", state: "skipped", text: "not reached" },
    ];
  }
  if (!running && !summary && !trace) {
    return (["signal", "risk", "order", "fill"] as const).map((name) => ({
      name,
      state: "waiting" as const,
      text: name === "signal" ? "not run yet" : "—",
    }));
  }
  const signal = summary?.signal
    ? {
        action: summary.signal.action,
        confidence: summary.signal.confidence,
        reasonCode: summary.signal.reason_code,
      }
    : trace?.signal;
  const risk = summary?.risk
    ? {
        approved: summary.risk.approved,
        codes: violationCodes(summary.risk.violations),
        qty: summary.risk.shares,
        stopPrice: summary.risk.stop_price,
      }
    : trace?.risk;
  const streamed = trace?.order;
  const order = summary?.order
    ? {
        side: summary.order.side,
        qty: summary.order.qty,
        // The stream may know a later status than the response (a fill after the reply).
        status:
          streamed && streamed.clientOrderId === summary.order.client_order_id
            ? streamed.status
            : summary.order.status,
      }
    : streamed;
  const fills = trace?.fills ?? [];
  const failed = summary?.error ?? null;
  const finished = summary !== null;
  const pending: StageState = running ? "running" : "waiting";

  const stages: Stage[] = [];
  if (signal) {
    const reason = signal.reasonCode ? ` · ${signal.reasonCode}` : "";
    stages.push({
      name: "signal",
      state: signal.reasonCode === "HALTED" ? "denied" : "done",
      text: `${signal.action} at ${Math.round(signal.confidence * 100)}%${reason}`,
    });
  } else if (failed && failed.stage !== "risk" && failed.stage !== "execution") {
    // market_data, portfolio or strategy: the decision stopped before a signal existed.
    stages.push({ name: "signal", state: "failed", text: `${failed.stage ?? "?"}: ${failed.code}` });
  } else {
    stages.push({ name: "signal", state: finished ? "skipped" : pending, text: finished ? "not reached" : "…" });
  }

  const acts = signal && signal.action !== "HOLD";
  if (risk) {
    stages.push(
      risk.approved
        ? {
            name: "risk",
            state: "done",
            text: `approved ${risk.qty ?? ""} shares${risk.stopPrice ? `, stop ${formatPrice(risk.stopPrice)}` : ""}`,
          }
        : { name: "risk", state: "denied", text: `denied: ${risk.codes.join(", ") || "?"}` },
    );
  } else if (failed && signal && failed.stage !== "execution") {
    stages.push({ name: "risk", state: "failed", text: `${failed.stage ?? "?"}: ${failed.code}` });
  } else if (signal && !acts) {
    stages.push({ name: "risk", state: "skipped", text: "no trade proposed (HOLD)" });
  } else {
    stages.push({ name: "risk", state: finished ? "skipped" : pending, text: finished ? "not reached" : "…" });
  }

  if (order) {
    const bad = ["rejected", "canceled", "expired", "failed"].includes(order.status);
    stages.push({
      name: "order",
      state: bad ? "failed" : "done",
      text: `${order.side} ${order.qty} · ${order.status}`,
    });
  } else if (failed?.stage === "execution") {
    stages.push({ name: "order", state: "failed", text: failed.code });
  } else if (risk && !risk.approved) {
    stages.push({ name: "order", state: "skipped", text: "not placed" });
  } else {
    const notNeeded = finished && !(risk && risk.approved);
    stages.push({
      name: "order",
      state: notNeeded ? "skipped" : pending,
      text: notNeeded ? "not placed" : "…",
    });
  }

  if (fills.length > 0) {
    const qty = fills.reduce((sum, f) => sum + Number(f.qty), 0);
    const last = fills[fills.length - 1];
    stages.push({
      name: "fill",
      state: "done",
      text: `filled ${qty} @ ${formatFillPrice(last?.price)}`,
    });
  } else if (summary?.order && Number(summary.order.filled_qty) > 0) {
    stages.push({
      name: "fill",
      state: "done",
      text: `filled ${summary.order.filled_qty} @ ${formatFillPrice(summary.order.filled_avg_price)}`,
    });
  } else if (order) {
    stages.push({ name: "fill", state: "running", text: "waiting for the broker" });
  } else {
    stages.push({ name: "fill", state: finished ? "skipped" : pending, text: finished ? "not reached" : "…" });
  }
  return stages;
}
