/**
 * A manual action's confirmation dialog: what will happen, the inputs it needs, and a
 * required reason (audited). The outcome stays in the dialog: done, or denied with the
 * risk desk's codes.
 */
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef, useState } from "react";

import { api, keys, type DecisionSummary } from "../api/client";
import { describeError } from "../lib/auth";
import { formProblem, outcomeText, TITLES, type ManualForm, type ManualTarget } from "../lib/manual";
import { Modal } from "./Modal";

function send(target: ManualTarget, form: ManualForm): Promise<DecisionSummary> {
  const reason = form.reason.trim();
  switch (target.kind) {
    case "close":
      return api.manualClose({ ticker: target.ticker, reason });
    case "partial":
      return api.manualClose({ ticker: target.ticker, qty: Number(form.qty), reason });
    case "stop":
      return api.manualStop({
        ticker: target.ticker,
        stop_price: form.stopPrice.trim(),
        allow_loosen: form.allowLoosen,
        reason,
      });
    case "cancel":
      return api.manualCancel({ client_order_id: target.clientOrderId ?? "", reason });
  }
}

function summary(target: ManualTarget): string {
  switch (target.kind) {
    case "close":
      return `Sell all ${target.qty ?? ""} shares of ${target.ticker} at market.`;
    case "partial":
      return `Sell part of the ${target.qty ?? ""} shares of ${target.ticker} at market; the rest keeps a stop.`;
    case "stop":
      return `Move the protective stop of ${target.ticker} (now ${target.stopPrice ?? "none"}, last ${target.marketPrice ?? "?"}).`;
    case "cancel":
      return `Cancel working order ${target.clientOrderId ?? ""} in ${target.ticker}.`;
  }
}

export function ManualDialog({ target, onClose }: { target: ManualTarget; onClose: () => void }) {
  const client = useQueryClient();
  const first = useRef<HTMLInputElement>(null);
  const closeButton = useRef<HTMLButtonElement>(null);
  const [form, setForm] = useState<ManualForm>({
    reason: "",
    qty: "",
    stopPrice: target.stopPrice ?? "",
    allowLoosen: false,
  });
  const mutation = useMutation({
    mutationFn: () => send(target, form),
    onSettled: () => {
      for (const key of [keys.portfolio, keys.ordersAll, keys.journalAll, keys.decisionsAll, keys.risk]) {
        void client.invalidateQueries({ queryKey: key });
      }
    },
  });
  // The confirm button goes away with the outcome: focus moves to Close, not to the page.
  const settled = mutation.isSuccess || mutation.isError;
  useEffect(() => {
    if (settled) closeButton.current?.focus();
  }, [settled]);
  const problem = formProblem(target, form);
  const outcome = mutation.data ? outcomeText(mutation.data) : null;
  const failure = mutation.error ? describeError(mutation.error) : null;
  const set = (patch: Partial<ManualForm>): void => setForm((f) => ({ ...f, ...patch }));

  return (
    <Modal title={`${TITLES[target.kind]}: ${target.ticker}`} onClose={onClose} initialFocus={first} testId="manual-dialog">
      <p>{summary(target)}</p>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (!problem && !mutation.isPending && !mutation.data) mutation.mutate();
        }}
      >
        {target.kind === "partial" && (
          <>
            <label htmlFor="manual-qty">Shares to close</label>
            <input
              id="manual-qty"
              ref={first}
              data-testid="manual-qty"
              inputMode="numeric"
              value={form.qty}
              onChange={(e) => set({ qty: e.target.value })}
            />
          </>
        )}
        {target.kind === "stop" && (
          <>
            <label htmlFor="manual-stop">New stop price</label>
            <input
              id="manual-stop"
              ref={first}
              data-testid="manual-stop"
              inputMode="decimal"
              value={form.stopPrice}
              onChange={(e) => set({ stopPrice: e.target.value })}
            />
            <label className="check">
              <input
                type="checkbox"
                data-testid="manual-loosen"
                checked={form.allowLoosen}
                onChange={(e) => set({ allowLoosen: e.target.checked })}
              />
              Allow a looser stop
            </label>
          </>
        )}
        <label htmlFor="manual-reason">Reason (required, recorded in the audit journal)</label>
        <input
          id="manual-reason"
          ref={target.kind === "close" || target.kind === "cancel" ? first : undefined}
          data-testid="manual-reason"
          value={form.reason}
          maxLength={500}
          autoComplete="off"
          onChange={(e) => set({ reason: e.target.value })}
        />
        {problem && form.reason && <p className="muted" data-testid="manual-problem">{problem}</p>}
        {outcome && (
          <p role="status" data-testid="manual-outcome" className={outcome.ok ? "tone-gain" : "tone-loss"}>
            {outcome.text}
          </p>
        )}
        {failure && (
          <p role="alert" data-testid="manual-outcome" className="tone-loss">
            {failure.text}
          </p>
        )}
        <div className="dialog-actions">
          <button type="button" ref={closeButton} data-testid="manual-cancel" onClick={onClose}>
            {mutation.data ? "Close" : "Cancel"}
          </button>
          {!mutation.data && (
            <button
              type="submit"
              className="primary"
              data-testid="manual-confirm"
              disabled={problem !== null || mutation.isPending}
            >
              {mutation.isPending ? "Sending…" : `Confirm: ${TITLES[target.kind].toLowerCase()}`}
            </button>
          )}
        </div>
      </form>
    </Modal>
  );
}
