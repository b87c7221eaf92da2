/**
 * Manual actions on a position or an order: what the trader asks for, checked here only
 * for what the form can know (the risk desk decides the rest and says why when it denies).
 */
import type { DecisionSummary } from "../api/client";

export type ManualKind = "close" | "partial" | "stop" | "cancel";

export interface ManualTarget {
  kind: ManualKind;
  ticker: string;
  qty?: string; // shares held (close, partial)
  stopPrice?: string | null; // current stop (stop)
  marketPrice?: string; // last price (stop)
  clientOrderId?: string; // cancel
}

export interface ManualForm {
  reason: string;
  qty: string;
  stopPrice: string;
  allowLoosen: boolean;
}

export const TITLES: Record<ManualKind, string> = {
  close: "Close position",
  partial: "Close part of the position",
  stop: "Move protective stop",
  cancel: "Cancel order",
};

/** Return what is wrong with the form, or null when it may be sent. */
export function formProblem(target: ManualTarget, form: ManualForm): string | null {
  if (!form.reason.trim()) return "A reason is required (it is recorded in the audit journal).";
  if (target.kind === "partial") {
    const qty = Number(form.qty);
    if (!Number.isInteger(qty) || qty < 1) return "Shares to close: a whole number from 1.";
    if (target.qty !== undefined && qty >= Number(target.qty)) {
      return "That is the whole position: use Close.";
    }
  }
  if (target.kind === "stop") {
    if (!/^[0-9]{1,7}(\.[0-9]{1,4})?$/.test(form.stopPrice.trim())) return "Stop price: a price like 182.50.";
    const stop = Number(form.stopPrice);
    if (stop <= 0) return "The stop must be above zero.";
    if (target.marketPrice !== undefined && stop >= Number(target.marketPrice)) {
      return "A sell stop must lie below the market price.";
    }
    if (!form.allowLoosen && target.stopPrice && stop <= Number(target.stopPrice)) {
      return "Only a tighter stop (above the current one) unless loosening is allowed.";
    }
  }
  return null;
}

/** Say in one line how a manual action ended: approved, or denied with its codes. */
export function outcomeText(out: DecisionSummary): { ok: boolean; text: string } {
  const codes = out.risk?.violations.map((v) => String(v.code)) ?? [];
  if (out.status === "rejected") return { ok: false, text: `Denied: ${codes.join(", ")}` };
  if (out.status === "failed") return { ok: false, text: `Failed: ${out.error?.code ?? "ERROR"}` };
  const order = out.order ? ` (${out.order.status}${out.order.filled_qty !== "0" ? `, filled ${out.order.filled_qty}` : ""})` : "";
  return { ok: true, text: `Done${order}` };
}
