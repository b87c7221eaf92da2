import { cleanup, fireEvent, render, screen } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";

import type { FeedItem } from "../lib/stream";
import { ConfirmDialog } from "./ConfirmDialog";
import { LiveFeed } from "./LiveFeed";

afterEach(cleanup);

describe("ConfirmDialog", () => {
  it("focuses the reason, needs one, and confirms it trimmed", () => {
    const confirm = vi.fn();
    render(<ConfirmDialog title="Halt trading?" action="Halt" onConfirm={confirm} onCancel={vi.fn()} />);
    expect(screen.getByRole("dialog", { name: "Halt trading?" })).toBeTruthy();
    const input = screen.getByTestId("reason-input");
    expect(document.activeElement).toBe(input);
    const button = screen.getByTestId("confirm-button") as HTMLButtonElement;
    expect(button.disabled).toBe(true);
    fireEvent.change(input, { target: { value: "  FOMC day " } });
    fireEvent.click(button);
    expect(confirm).toHaveBeenCalledWith("FOMC day");
  });

  it("cancels on Escape and on the cancel button", () => {
    const cancel = vi.fn();
    render(<ConfirmDialog title="Resume?" action="Resume" onConfirm={vi.fn()} onCancel={cancel} />);
    fireEvent.keyDown(screen.getByRole("dialog"), { key: "Escape" });
    fireEvent.click(screen.getByTestId("cancel-button"));
    expect(cancel).toHaveBeenCalledTimes(2);
  });
});

function item(key: string, decisionId: string | null, title: string): FeedItem {
  return {
    key,
    ts: "2026-11-24T16:24:26Z",
    tsMs: 0,
    order: 0,
    source: "audit",
    kind: "risk.rejected",
    decisionId,
    ticker: "MSFT",
    title,
    detail: "",
    tone: "deny",
  };
}

describe("LiveFeed", () => {
  it("opens a decision's explain view from its item and leaves other items inert", () => {
    const open = vi.fn();
    render(
      <LiveFeed
        items={[item("a", "d-1", "denied MSFT: HALTED"), item("b", null, "HALTED -> ACTIVE by api")]}
        onOpenDecision={open}
      />,
    );
    const feed = screen.getByTestId("live-feed");
    expect(feed.getAttribute("aria-live")).toBe("polite");
    const [decision, plain] = screen.getAllByTestId("feed-item");
    expect(decision?.getAttribute("data-decision-id")).toBe("d-1");
    expect(decision?.textContent).toContain("denied MSFT: HALTED");
    expect(plain?.tagName).toBe("DIV");
    fireEvent.click(decision!);
    expect(open).toHaveBeenCalledWith("d-1");
  });
});
