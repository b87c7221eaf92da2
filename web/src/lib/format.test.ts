import { describe, expect, it } from "vitest";

import {
  DASH,
  exchangeDate,
  formatMoney,
  formatPct,
  formatFillPrice,
  formatPrice,
  formatSignedFractionPct,
  formatSignedMoney,
  gaugeLevel,
  gaugeRatio,
  isPlausibleTicker,
  normalizeTicker,
  pnlTone,
  toNumber,
} from "./format";

describe("money", () => {
  it("formats decimal strings as dollars with cents and separators", () => {
    expect(formatMoney("100000.00")).toBe("$100,000.00");
    expect(formatMoney("4884.0249")).toBe("$4,884.02");
    expect(formatMoney("-12.5")).toBe("-$12.50");
  });

  it("shows a dash for missing or non-numeric values instead of $NaN", () => {
    expect(formatMoney(null)).toBe(DASH);
    expect(formatMoney(undefined)).toBe(DASH);
    expect(formatMoney("")).toBe(DASH);
    expect(formatMoney("abc")).toBe(DASH);
    expect(toNumber("Infinity")).toBeNull();
  });

  it("signs P&L explicitly and leaves zero unsigned", () => {
    expect(formatSignedMoney("12.3")).toBe("+$12.30");
    expect(formatSignedMoney("-2.44")).toBe("−$2.44");
    expect(formatSignedMoney("0.00")).toBe("$0.00");
  });

  it("formats quotes in cents from $1 and sub-dollar prices to four decimals", () => {
    expect(formatPrice("610.5495")).toBe("610.55");
    expect(formatPrice("566.7")).toBe("566.70");
    expect(formatPrice("1165.95131")).toBe("1,165.95");
    expect(formatPrice("0.8123")).toBe("0.8123");
  });

  it("formats execution prices with two to four decimals", () => {
    expect(formatFillPrice("610.5495")).toBe("610.5495");
    expect(formatFillPrice("566.7")).toBe("566.70");
  });
});

describe("percentages", () => {
  it("prints the API's percent numbers as they are", () => {
    expect(formatPct("4.12")).toBe("4.12%");
    expect(formatPct("10.00")).toBe("10.00%");
    expect(formatPct(null)).toBe(DASH);
  });

  it("turns a fraction into a signed percent", () => {
    expect(formatSignedFractionPct("0.046657")).toBe("+4.67%");
    expect(formatSignedFractionPct("-0.010428")).toBe("−1.04%");
    expect(formatSignedFractionPct("0.00001")).toBe("0.00%");
    expect(formatSignedFractionPct(null)).toBe(DASH);
  });
});

describe("P&L colours", () => {
  it("colours gains green, losses red and zero or unknown neutral", () => {
    expect(pnlTone("3.10")).toBe("gain");
    expect(pnlTone("-0.01")).toBe("loss");
    expect(pnlTone("0.00")).toBe("flat");
    expect(pnlTone(null)).toBe("flat");
  });
});

describe("gauges", () => {
  it("measures value against limit, clamped to the bar", () => {
    expect(gaugeRatio("5.00", "10.00")).toBe(0.5);
    expect(gaugeRatio("12", "10")).toBe(1);
    expect(gaugeRatio("-1", "10")).toBe(0);
    expect(gaugeRatio(null, "10")).toBeNull();
    expect(gaugeRatio("1", "0")).toBe(1);
  });

  it("warns from three quarters of a limit and breaches at the limit", () => {
    expect(gaugeLevel(0.5)).toBe("ok");
    expect(gaugeLevel(0.75)).toBe("warn");
    expect(gaugeLevel(1)).toBe("breach");
    expect(gaugeLevel(null)).toBe("unknown");
  });
});

describe("dates and tickers", () => {
  it("puts a fill on its New York session date", () => {
    // 02:00 UTC on the 25th is still the 24th in New York.
    expect(exchangeDate("2026-11-25T02:00:00+00:00")).toBe("2026-11-24");
    expect(exchangeDate("2026-11-24T16:24:24.674699Z")).toBe("2026-11-24");
    expect(exchangeDate("not a date")).toBeNull();
  });

  it("normalises typed tickers and rejects implausible ones", () => {
    expect(normalizeTicker(" brk.b ")).toBe("BRK.B");
    expect(isPlausibleTicker("aapl")).toBe(true);
    expect(isPlausibleTicker("")).toBe(false);
    expect(isPlausibleTicker("AA PL")).toBe(false);
    expect(isPlausibleTicker("<script>")).toBe(false);
  });
});
