/** Enter the API key for this browser tab (sessionStorage only; never in the bundle). */
import { useState } from "react";

import { loadApiKey, saveApiKey } from "../lib/auth";

export function ApiKeyEntry({ onChanged }: { onChanged: () => void }) {
  const [draft, setDraft] = useState("");
  const [hasKey, setHasKey] = useState(() => loadApiKey() !== null);
  const save = (value: string): void => {
    saveApiKey(value);
    setHasKey(loadApiKey() !== null);
    setDraft("");
    onChanged();
  };
  return (
    <form
      className="api-key"
      onSubmit={(e) => {
        e.preventDefault();
        save(draft);
      }}
    >
      <label htmlFor="api-key-input">API key</label>
      <input
        id="api-key-input"
        data-testid="api-key-input"
        type="password"
        value={draft}
        onChange={(e) => setDraft(e.target.value)}
        autoComplete="off"
        placeholder={hasKey ? "•••••• (set for this tab)" : "not set"}
      />
      <button type="submit" data-testid="api-key-save" disabled={!draft.trim()}>
        Save
      </button>
      {hasKey && (
        <button type="button" className="ghost" data-testid="api-key-clear" onClick={() => save("")}>
          Forget
        </button>
      )}
    </form>
  );
}
