/** The views of the dashboard, as links that set the address's hash (linkable, reload-safe). */
export type View = "desk" | "orders" | "journal" | "decisions" | "watchlist" | "settings" | "backtests" | "optimize";

const VIEWS: { view: View; label: string; href: string }[] = [
  { view: "desk", label: "Desk", href: "#" },
  { view: "orders", label: "Orders", href: "#orders" },
  { view: "journal", label: "Journal", href: "#journal" },
  { view: "decisions", label: "Decisions", href: "#decisions" },
  { view: "watchlist", label: "Watchlist", href: "#watchlist" },
  { view: "settings", label: "Settings", href: "#settings" },
  { view: "backtests", label: "Backtests", href: "#backtests" },
  { view: "optimize", label: "Optimize", href: "#optimize" },
];

/** Return the view an address hash names (anything else is the desk). */
export function viewFromHash(hash: string): View {
  const name = hash.replace(/^#/, "");
  return VIEWS.find((v) => v.view === name && name !== "desk")?.view ?? "desk";
}

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
