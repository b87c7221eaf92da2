/** Confirm a trading-state change and say why (the reason is audited). */
import { useRef, useState } from "react";

import { Modal } from "./Modal";

interface Props {
  title: string;
  action: string;
  onConfirm: (reason: string) => void;
  onCancel: () => void;
}

export function ConfirmDialog({ title, action, onConfirm, onCancel }: Props) {
  const [reason, setReason] = useState("");
  const input = useRef<HTMLInputElement>(null);
  const trimmed = reason.trim();
  return (
    <Modal title={title} onClose={onCancel} initialFocus={input}>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (trimmed) onConfirm(trimmed);
        }}
      >
        <label htmlFor="reason-input">Reason (recorded in the audit journal)</label>
        <input
          id="reason-input"
          ref={input}
          data-testid="reason-input"
          value={reason}
          onChange={(e) => setReason(e.target.value)}
          maxLength={500}
          required
          autoComplete="off"
        />
        <div className="dialog-actions">
          <button type="button" data-testid="cancel-button" onClick={onCancel}>
            Cancel
          </button>
          <button type="submit" className="primary" data-testid="confirm-button" disabled={!trimmed}>
            {action}
          </button>
        </div>
      </form>
    </Modal>
  );
}
