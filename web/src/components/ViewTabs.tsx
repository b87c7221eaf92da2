/** The two views of the dashboard, as links that set the address's hash. */
export type View = "desk" | "backtests";

/** Return the view an address hash names (anything else is the desk). */
export function viewFromHash(hash: string): View {
  return hash.replace(/^#/, "") === "backtests" ? "backtests" : "desk";
}

const VIEWS: { view: View; label: string; href: string }[] = [
  { view: "desk", label: "Desk", href: "#" },
  { view: "backtests", label: "Backtests", href: "#backtests" },
];

export function ViewTabs({ view }: { view: View }) {
  return (
    <nav className="view-tabs" aria-label="Views">
      {VIEWS.map((v) => (
        <a
          key={v.view}
          href={v.href}
          data-testid={`view-${v.view}`}
          className={v.view === view ? "active" : undefined}
          aria-current={v.view === view ? "page" : undefined}
        >
          {v.label}
        </a>
      ))}
    </nav>
  );
}
