/**
 * Formatting for people. The API sends money and percentages as decimal strings so that
 * money never passes through a float on the server; here they only become text.
 */

const usd = new Intl.NumberFormat("en-US", {
  style: "currency",
  currency: "USD",
  minimumFractionDigits: 2,
  maximumFractionDigits: 2,
});

const price2 = new Intl.NumberFormat("en-US", {
  minimumFractionDigits: 2,
  maximumFractionDigits: 2,
});

const price4 = new Intl.NumberFormat("en-US", {
  minimumFractionDigits: 2,
  maximumFractionDigits: 4,
});

const compact = new Intl.NumberFormat("en-US", { notation: "compact", maximumFractionDigits: 1 });

export const DASH = "—";

/** Parse a decimal string (or number); null for missing, empty or non-finite input. */
export function toNumber(value: string | number | null | undefined): number | null {
  if (value === null || value === undefined || value === "") return null;
  const n = typeof value === "number" ? value : Number(value);
  return Number.isFinite(n) ? n : null;
}

/** Format dollars with cents and a thousands separator: "$12,345.60". */
export function formatMoney(value: string | number | null | undefined): string {
  const n = toNumber(value);
  return n === null ? DASH : usd.format(n);
}

/** Format dollars with an explicit sign, for P&L: "+$12.30", "−$4.00", "$0.00". */
export function formatSignedMoney(value: string | number | null | undefined): string {
  const n = toNumber(value);
  if (n === null) return DASH;
  if (n === 0) return usd.format(0);
  return `${n > 0 ? "+" : "−"}${usd.format(Math.abs(n))}`;
}

/** Format a price with 2 to 4 decimals and no currency sign: "610.5495". */
export function formatPrice(value: string | number | null | undefined): string {
  const n = toNumber(value);
  if (n === null) return DASH;
  // US equities quote in cents from $1 up; sub-dollar prices tick in hundredths of a cent.
  return Math.abs(n) >= 1 ? price2.format(n) : price4.format(n);
}

/** Format an execution price (fills, average cost) exactly, with two to four decimals. */
export function formatFillPrice(value: string | number | null | undefined): string {
  const n = toNumber(value);
  return n === null ? DASH : price4.format(n);
}

/** Format a percent number as the API sends it ("4.12" means 4.12 %): "4.12%". */
export function formatPct(value: string | number | null | undefined, digits = 2): string {
  const n = toNumber(value);
  return n === null ? DASH : `${n.toFixed(digits)}%`;
}

/** Format a fraction (0.0123 means 1.23 %) with a sign: "+1.23%". */
export function formatSignedFractionPct(value: string | number | null | undefined): string {
  const n = toNumber(value);
  if (n === null) return DASH;
  const pct = n * 100;
  const text = `${Math.abs(pct).toFixed(2)}%`;
  if (pct.toFixed(2) === "0.00" || pct.toFixed(2) === "-0.00") return text;
  return `${pct > 0 ? "+" : "−"}${text}`;
}

/** Format a share count or volume compactly: "41.7M". */
export function formatCompact(value: string | number | null | undefined): string {
  const n = toNumber(value);
  return n === null ? DASH : compact.format(n);
}

export type Tone = "gain" | "loss" | "flat";

/** Say which colour a signed amount gets: gains green, losses red, zero or unknown neutral. */
export function pnlTone(value: string | number | null | undefined): Tone {
  const n = toNumber(value);
  if (n === null || n === 0) return "flat";
  return n > 0 ? "gain" : "loss";
}

/**
 * Say how full a gauge is: value over limit, clamped to [0, 1]; null when either is unknown.
 * A limit of zero with a positive value is full.
 */
export function gaugeRatio(
  value: string | number | null | undefined,
  limit: string | number | null | undefined,
): number | null {
  const v = toNumber(value);
  const l = toNumber(limit);
  if (v === null || l === null) return null;
  if (l <= 0) return v > 0 ? 1 : 0;
  return Math.min(1, Math.max(0, v / l));
}

export type GaugeLevel = "ok" | "warn" | "breach" | "unknown";

/** Say how close a measure is to its limit: warn from 75 %, breach at or over the limit. */
export function gaugeLevel(ratio: number | null): GaugeLevel {
  if (ratio === null) return "unknown";
  if (ratio >= 1) return "breach";
  return ratio >= 0.75 ? "warn" : "ok";
}

/** Format an ISO timestamp as local time of day, "14:03:27". */
export function formatTime(iso: string | null | undefined): string {
  if (!iso) return DASH;
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return DASH;
  return d.toLocaleTimeString("en-GB", { hour12: false });
}

/** Format an ISO timestamp as a short local date and time, "24 Nov 14:03". */
export function formatDateTime(iso: string | null | undefined): string {
  if (!iso) return DASH;
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return DASH;
  return d.toLocaleString("en-GB", {
    day: "numeric",
    month: "short",
    hour: "2-digit",
    minute: "2-digit",
    hour12: false,
  });
}

/** Return the New York session date ("2026-11-24") of an ISO timestamp, as daily bars use. */
export function exchangeDate(iso: string): string | null {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return null;
  // en-CA formats as YYYY-MM-DD.
  return d.toLocaleDateString("en-CA", { timeZone: "America/New_York" });
}

/** Turn a ticker the user typed into the form the API accepts ("brk.b " -> "BRK.B"). */
export function normalizeTicker(raw: string): string {
  return raw.trim().toUpperCase();
}

/** Say whether a typed ticker is plausible before asking the API (letters, digits, . and -). */
export function isPlausibleTicker(raw: string): boolean {
  return /^[A-Z][A-Z0-9.-]{0,15}$/.test(normalizeTicker(raw));
}

export type SentimentTone = "positive" | "negative" | "neutral" | "unknown";

/** Say how a sentiment score (-1..1) reads, with VADER's thresholds of +-0.05. */
export function sentimentTone(score: number | null | undefined): SentimentTone {
  if (score === null || score === undefined || Number.isNaN(score)) return "unknown";
  if (score >= 0.05) return "positive";
  if (score <= -0.05) return "negative";
  return "neutral";
}

/** Format a sentiment score with its sign: "+0.42", "−0.31", "0.00". */
export function formatScore(score: number | null | undefined): string {
  if (score === null || score === undefined || Number.isNaN(score)) return DASH;
  const text = Math.abs(score).toFixed(2);
  if (text === "0.00") return text;
  return `${score > 0 ? "+" : "−"}${text}`;
}

/** Return a link only when it is plain http(s): third-party URLs are never trusted further. */
export function safeLink(url: string | null | undefined): string | null {
  if (!url) return null;
  return /^https?:\/\/[^\s]+$/i.test(url) ? url : null;
}

/** Format a fraction (0.0123 means 1.23 %) without a sign: "1.23%". */
export function formatFractionPct(value: string | number | null | undefined, digits = 1): string {
  const n = toNumber(value);
  return n === null ? DASH : `${(n * 100).toFixed(digits)}%`;
}
