/** Controls: scan now, halt and resume (with a confirmed reason), and the API key. */
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";

import { api, keys } from "../api/client";
import { ApiKeyEntry } from "./ApiKeyEntry";
import { ConfirmDialog } from "./ConfirmDialog";

type Pending = "halt" | "resume" | null;

export function Controls({
  tradingState,
  onKeyChanged,
}: {
  tradingState: string | undefined;
  onKeyChanged: () => void;
}) {
  const client = useQueryClient();
  const [confirming, setConfirming] = useState<Pending>(null);
  const refresh = (): void => {
    void client.invalidateQueries({ queryKey: keys.portfolio });
    void client.invalidateQueries({ queryKey: keys.risk });
  };
  const scan = useMutation({ mutationFn: () => api.scan(), onSettled: refresh });
  const change = useMutation({
    mutationFn: ({ to, reason }: { to: "halt" | "resume"; reason: string }) =>
      to === "halt" ? api.halt(reason) : api.resume(reason),
    onSettled: refresh,
  });
  const counts = scan.data?.counts;
  return (
    <section className="panel controls" aria-labelledby="controls-title">
      <h2 id="controls-title">Controls</h2>
      <div className="control-row">
        <button
          type="button"
          data-testid="scan-button"
          onClick={() => scan.mutate()}
          disabled={scan.isPending}
        >
          {scan.isPending ? "Scanning…" : "Scan now"}
        </button>
        <button
          type="button"
          className="danger"
          data-testid="halt-button"
          onClick={() => setConfirming("halt")}
          disabled={change.isPending}
        >
          Halt
        </button>
        <button
          type="button"
          data-testid="resume-button"
          onClick={() => setConfirming("resume")}
          disabled={change.isPending}
        >
          Resume
        </button>
      </div>
      <p className="muted small" aria-live="polite">
        {counts
          ? `Last scan: ${Object.entries(counts)
              .map(([k, v]) => `${v} ${k}`)
              .join(", ")} in ${Math.round(scan.data?.duration_ms ?? 0)} ms`
          : `Trading is ${tradingState ?? "…"}. Halt stops new orders; resume makes it ACTIVE.`}
      </p>
      <ApiKeyEntry onChanged={onKeyChanged} />
      {confirming && (
        <ConfirmDialog
          title={confirming === "halt" ? "Halt trading?" : "Resume trading?"}
          action={confirming === "halt" ? "Halt" : "Resume"}
          onCancel={() => setConfirming(null)}
          onConfirm={(reason) => {
            change.mutate({ to: confirming, reason });
            setConfirming(null);
          }}
        />
      )}
    </section>
  );
}
