/**
 * The orders blotter: every order with status, side, quantities, prices, stop leg, ids and
 * times; filtered by status, ticker and day; refreshed by the live stream; a row opens the
 * order's decision, and a working order (not a protective stop) can be canceled.
 */
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useState } from "react";

import { api, keys, type OrdersQuery } from "../api/client";
import { pollUnlessRefused } from "../lib/auth";
import { formatDateTime, formatFillPrice, formatPrice } from "../lib/format";
import type { ManualTarget } from "../lib/manual";

const STATUSES = ["", "new", "accepted", "partially_filled", "filled", "canceled", "rejected", "expired"] as const;
const WORKING = new Set(["new", "accepted", "pending_new", "partially_filled"]);
const STOPS = new Set(["stop", "trailing_stop"]);

/** Build the blotter's query: the server filters by status, ticker and New York day. */
export function blotterQuery(status: string, ticker: string, day: string): OrdersQuery {
  const query: OrdersQuery = { limit: 200 };
  const clean = ticker.trim().toUpperCase();
  if (status) query.status = status as OrdersQuery["status"];
  if (/^[A-Z]{1,5}(\.[A-Z])?$/.test(clean)) query.ticker = clean;
  if (/^[0-9]{4}-[0-9]{2}-[0-9]{2}$/.test(day)) {
    query.since = day;
    query.until = day;
  }
  return query;
}

interface Props {
  onOpenDecision: (decisionId: string) => void;
  onManual: (target: ManualTarget) => void;
}

export function OrdersView({ onOpenDecision, onManual }: Props) {
  const [status, setStatus] = useState("");
  const [ticker, setTicker] = useState("");
  const [day, setDay] = useState("");
  const query = blotterQuery(status, ticker, day);
  const orders = useQuery({
    queryKey: keys.blotter(query),
    queryFn: () => api.blotter(query),
    placeholderData: keepPreviousData,
    refetchInterval: pollUnlessRefused(30_000),
  });
  const rows = orders.data?.items ?? [];

  return (
    <main className="view" aria-labelledby="orders-title">
      <section className="panel">
        <h2 id="orders-title">Orders blotter</h2>
        <form className="filters" onSubmit={(e) => e.preventDefault()} aria-label="Filter orders">
          <label>
            Status
            <select data-testid="orders-status" value={status} onChange={(e) => setStatus(e.target.value)}>
              {STATUSES.map((s) => (
                <option key={s} value={s}>
                  {s || "any"}
                </option>
              ))}
            </select>
          </label>
          <label>
            Ticker
            <input data-testid="orders-ticker" value={ticker} maxLength={7} onChange={(e) => setTicker(e.target.value)} />
          </label>
          <label>
            Day
            <input type="date" data-testid="orders-day" value={day} onChange={(e) => setDay(e.target.value)} />
          </label>
        </form>
        <div className="table-scroll">
          <table data-testid="orders-table">
            <caption className="sr-only">Orders, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Time</th>
                <th scope="col">Ticker</th>
                <th scope="col">Side</th>
                <th scope="col">Type</th>
                <th scope="col">Status</th>
                <th scope="col" className="num">Qty</th>
                <th scope="col" className="num">Filled</th>
                <th scope="col" className="num">Avg price</th>
                <th scope="col" className="num">Stop</th>
                <th scope="col">Client order id</th>
                <th scope="col">Broker id</th>
                <th scope="col">Action</th>
              </tr>
            </thead>
            <tbody>
              {rows.length === 0 && (
                <tr>
                  <td colSpan={12} className="muted">
                    {orders.isLoading ? "Loading…" : "No orders match."}
                  </td>
                </tr>
              )}
              {rows.map((o) => (
                <tr key={o.client_order_id} data-testid="order-row" data-status={o.status}>
                  <td title={o.updated_at}>{formatDateTime(o.created_at)}</td>
                  <th scope="row">{o.ticker}</th>
                  <td className={o.side === "buy" ? "tone-gain" : "tone-loss"}>{o.side}</td>
                  <td>{o.type}</td>
                  <td>{o.status}</td>
                  <td className="num">{o.qty}</td>
                  <td className="num">{o.filled_qty}</td>
                  <td className="num">{formatFillPrice(o.filled_avg_price)}</td>
                  <td className="num">{formatPrice(o.stop_price)}</td>
                  <td className="mono">
                    {o.decision_id ? (
                      <button
                        type="button"
                        className="link"
                        title="Explain the decision behind this order"
                        onClick={() => onOpenDecision(o.decision_id as string)}
                      >
                        {o.client_order_id}
                      </button>
                    ) : (
                      o.client_order_id
                    )}
                  </td>
                  <td className="mono">{o.broker_order_id ?? "—"}</td>
                  <td>
                    {WORKING.has(o.status) && !o.external && !STOPS.has(o.type) ? (
                      <button
                        type="button"
                        data-testid="order-cancel"
                        onClick={() =>
                          onManual({ kind: "cancel", ticker: o.ticker, clientOrderId: o.client_order_id })
                        }
                      >
                        Cancel
                      </button>
                    ) : (
                      "—"
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>
    </main>
  );
}
