/**
 * The explain view of one decision (GET /api/decisions/{id}): what the desk saw, what the
 * analyst was asked and answered, every risk check with value and limit, orders and fills.
 */
import { useQuery } from "@tanstack/react-query";
import { useRef } from "react";

import { api, keys } from "../api/client";
import { describeError } from "../lib/auth";
import { formatDateTime, formatFillPrice, formatPrice } from "../lib/format";
import { FundamentalsCard } from "./FundamentalsCard";
import { Modal } from "./Modal";
import { NewsCard } from "./NewsCard";

/** The snapshot's context fields, shown in their own cards rather than as raw JSON. */
const CONTEXT_KEYS = new Set(["fundamentals", "news", "sentiment"]);

type Json = Record<string, unknown>;

function text(value: unknown): string {
  if (value === null || value === undefined || value === "") return "—";
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

function Pairs({ data }: { data: Json }) {
  return (
    <dl className="pairs">
      {Object.entries(data).map(([k, v]) => (
        <div key={k}>
          <dt>{k}</dt>
          <dd>{text(v)}</dd>
        </div>
      ))}
    </dl>
  );
}

function rows(value: unknown): Json[] {
  return Array.isArray(value) ? (value.filter((v) => typeof v === "object" && v) as Json[]) : [];
}

export function ExplainView({ decisionId, onClose }: { decisionId: string; onClose: () => void }) {
  const closeRef = useRef<HTMLButtonElement>(null);
  const q = useQuery({
    queryKey: keys.decision(decisionId),
    queryFn: () => api.decision(decisionId),
    meta: { silent: true }, // the error is shown inside the dialog
  });
  const rec = q.data;
  const d = rec?.decision as Json | undefined;
  const strategy = rec?.strategy as Json | null | undefined;
  const risk = rec?.risk as Json | null | undefined;
  const isRules = typeof strategy?.model === "string" && strategy.model.startsWith("rules");
  const title = d ? `Decision ${text(d.ticker)} · ${text(d.status)}` : "Decision";

  return (
    <Modal title={title} onClose={onClose} testId="explain-view" initialFocus={closeRef} wide>
      <button
        ref={closeRef}
        type="button"
        className="ghost modal-close"
        data-testid="explain-close"
        onClick={onClose}
        aria-label="Close the explain view"
      >
        ✕
      </button>
      {q.isPending && <p className="muted">Loading decision {decisionId}…</p>}
      {q.isError && <p role="alert" className="error-text">{describeError(q.error).text}</p>}
      {rec && d && (
        <div className="explain">
          {d.trigger === "manual" && (
            <p className="badge warn" data-testid="explain-manual">
              Manual decision: a person's action, with their reason as the rationale
            </p>
          )}
          <p className="muted">
            {decisionId} · trigger {text(d.trigger)} · {formatDateTime(String(d.created_at))}
            {d.error_code ? ` · failed at ${text(d.failed_stage)}: ${text(d.error_code)}` : ""}
          </p>
          <section aria-label="Market snapshot">
            <h3>Market snapshot</h3>
            {rec.market_snapshot ? (
              <Pairs
                data={Object.fromEntries(
                  Object.entries(rec.market_snapshot).filter(([k]) => !CONTEXT_KEYS.has(k)),
                )}
              />
            ) : (
              <p className="muted">None.</p>
            )}
          </section>
          {rec.context && (
            <section aria-label="News and fundamentals the analyst saw" className="context-cards">
              <NewsCard
                news={{
                  ticker: text(d.ticker),
                  as_of: String(d.created_at),
                  headlines: rec.context.news,
                  sentiment: rec.context.sentiment,
                  missing: rec.context.missing,
                }}
              />
              <FundamentalsCard
                data={{
                  ticker: text(d.ticker),
                  as_of: String(d.created_at),
                  fundamentals: rec.context.fundamentals,
                  missing: rec.context.missing,
                }}
              />
            </section>
          )}
          <section aria-label="Analyst">
            <h3>{isRules ? "Rule rationale" : "Model"}</h3>
            {strategy ? (
              <>
                <p>
                  <strong>
                    {text(strategy.action)} at {Math.round(Number(strategy.confidence) * 100)}%
                  </strong>
                  {strategy.reason_code ? ` · ${text(strategy.reason_code)}` : ""} · {text(strategy.model)}
                </p>
                <p>{text(strategy.rationale)}</p>
                {rows(strategy.views).length > 0 && (
                  <ul className="plain" data-testid="analyst-views">
                    {rows(strategy.views).map((v) => (
                      <li key={text(v.role)}>
                        <strong>{text(v.role)}</strong>:{" "}
                        {v.status === "ok"
                          ? `${text(v.stance)} at ${Math.round(Number(v.confidence) * 100)}%`
                          : `unavailable (${text(v.reason_code)})`}{" "}
                        · {text(v.tokens_in)}+{text(v.tokens_out)} tokens · {text(v.cost_usd)} USD
                        {Array.isArray(v.key_points) && v.key_points.length > 0
                          ? ` · ${v.key_points.map((k) => text(k)).join("; ")}`
                          : ""}
                      </li>
                    ))}
                  </ul>
                )}
                <details>
                  <summary>{isRules ? "Rule inputs" : "Prompt"}</summary>
                  <pre>{text(strategy.prompt)}</pre>
                </details>
                <details>
                  <summary>{isRules ? "Rule output" : "Model reply"}</summary>
                  <pre>{text(strategy.raw_output)}</pre>
                </details>
              </>
            ) : (
              <p className="muted">No signal (the decision stopped earlier).</p>
            )}
          </section>
          <section aria-label="Risk checks">
            <h3>Risk {risk ? (risk.approved ? "· approved" : "· denied") : ""}</h3>
            {risk ? (
              <div className="table-scroll">
                <table className="checks">
                  <thead>
                    <tr>
                      <th scope="col">Check</th>
                      <th scope="col">Value</th>
                      <th scope="col">Limit</th>
                      <th scope="col">Result</th>
                      <th scope="col">Why</th>
                    </tr>
                  </thead>
                  <tbody>
                    {rows(risk.checks).map((c, i) => (
                      <tr key={`${text(c.code)}-${i}`} className={c.passed ? "" : "failed"}>
                        <th scope="row">{text(c.code)}</th>
                        <td>{text(c.value)}</td>
                        <td>{text(c.limit)}</td>
                        <td>{c.passed ? "passed" : "FAILED"}</td>
                        <td>{text(c.message)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            ) : (
              <p className="muted">Risk was not consulted.</p>
            )}
          </section>
          <section aria-label="Orders and fills">
            <h3>Orders and fills</h3>
            {rec.orders.length === 0 && <p className="muted">No order.</p>}
            <ul className="plain">
              {rec.orders.map((o) => (
                <li key={text(o.client_order_id)}>
                  {text(o.side)} {text(o.qty)} {text(o.ticker)} · {text(o.type)} · {text(o.status)}
                  {o.stop_price ? ` · stop ${formatPrice(String(o.stop_price))}` : ""}
                  {o.error_code ? ` · ${text(o.error_code)}` : ""}
                </li>
              ))}
              {rec.fills.map((f) => (
                <li key={text(f.fill_id)}>
                  fill: {text(f.side)} {text(f.qty)} @ {formatFillPrice(String(f.price))} ·{" "}
                  {formatDateTime(String(f.ts))}
                </li>
              ))}
            </ul>
          </section>
        </div>
      )}
    </Modal>
  );
}
