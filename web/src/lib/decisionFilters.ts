/**
 * The decisions explorer's filters and paging, and the query they become for
 * GET /api/decisions (empty fields are left out).
 */
import type { DecisionQuery } from "../api/client";

export const PAGE_SIZE = 25;

export interface DecisionFilters {
  ticker: string;
  action: "" | "BUY" | "SELL" | "HOLD";
  verdict: "" | "approved" | "denied";
  code: string;
  since: string;
  until: string;
  analyst: string;
  offset: number;
}

export type FilterAction =
  | { type: "set"; field: Exclude<keyof DecisionFilters, "offset">; value: string }
  | { type: "page"; offset: number }
  | { type: "reset" };

export const noFilters: DecisionFilters = {
  ticker: "",
  action: "",
  verdict: "",
  code: "",
  since: "",
  until: "",
  analyst: "",
  offset: 0,
};

/** The filters' reducer: a changed filter starts again at the first page. */
export function filterReducer(state: DecisionFilters, action: FilterAction): DecisionFilters {
  switch (action.type) {
    case "set":
      return { ...state, [action.field]: action.value, offset: 0 };
    case "page":
      return { ...state, offset: Math.max(0, action.offset) };
    case "reset":
      return noFilters;
  }
}

/** Return the API query for the filters. */
export function toQuery(f: DecisionFilters, limit = PAGE_SIZE): DecisionQuery {
  const q: DecisionQuery = { limit, offset: f.offset };
  const ticker = f.ticker.trim().toUpperCase();
  if (/^[A-Z]{1,5}(\.[A-Z])?$/.test(ticker)) q.ticker = ticker;
  if (f.action) q.action = f.action;
  if (f.verdict) q.approved = f.verdict === "approved";
  const code = f.code.trim().toUpperCase();
  if (/^[A-Z_]{1,32}$/.test(code)) q.code = code;
  if (f.since) q.since = f.since;
  if (f.until) q.until = f.until;
  if (f.analyst) q.analyst = f.analyst;
  return q;
}
