/** The auth notice (401/403) and the error toasts (every other failure, with its code). */
import { useEffect } from "react";

import type { Toast } from "../lib/notices";
import { notices } from "../state/notices";
import { useStore } from "../state/store";

const TOAST_MS = 10_000;

function ToastItem({ toast }: { toast: Toast }) {
  useEffect(() => {
    const t = setTimeout(() => notices.dispatch({ type: "dismiss", id: toast.id }), TOAST_MS);
    return () => clearTimeout(t);
  }, [toast.id]);
  return (
    <div className="toast" role="alert" data-testid="app-error" data-code={toast.code}>
      <span>{toast.text}</span>
      <button
        type="button"
        className="ghost"
        aria-label="Dismiss"
        onClick={() => notices.dispatch({ type: "dismiss", id: toast.id })}
      >
        ✕
      </button>
    </div>
  );
}

export function Notices() {
  const { auth, toasts } = useStore(notices);
  return (
    <>
      {auth && (
        <div className="auth-error" role="alert" data-testid="auth-error">
          <span>{auth.text}</span>
          <span className="muted small"> · enter the key under Controls</span>
          <button
            type="button"
            className="ghost"
            aria-label="Dismiss"
            onClick={() => notices.dispatch({ type: "dismissAuth" })}
          >
            ✕
          </button>
        </div>
      )}
      <div className="toasts" aria-live="assertive">
        {toasts.map((t) => (
          <ToastItem key={t.id} toast={t} />
        ))}
      </div>
    </>
  );
}
