"""The simulated market's universe: real US names with their GICS sectors and rough levels.

Prices approximate each stock's level on the anchor date (split-adjusted to today's share
count), ADV is the typical daily share volume of that time, beta is to the US market and
vol the annualised total volatility. They only make the simulation look familiar; nothing
here is market data to trade on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

#: The simulated closes on this session equal ``SimTicker.price``.
ANCHOR_DATE = date(2025, 1, 2)

COMM = "Communication Services"
DISC = "Consumer Discretionary"
STAP = "Consumer Staples"
ENER = "Energy"
FIN = "Financials"
HEAL = "Health Care"
INDU = "Industrials"
TECH = "Information Technology"
MATL = "Materials"
REAL = "Real Estate"
UTIL = "Utilities"

#: The current (2023 onwards) 11-sector GICS scheme.
GICS_SECTORS = (COMM, DISC, STAP, ENER, FIN, HEAL, INDU, TECH, MATL, REAL, UTIL)


@dataclass(frozen=True, slots=True)
class SimTicker:
    """One simulated stock: identity plus the parameters its price path is drawn with."""

    ticker: str
    name: str
    sector: str
    price: float
    adv_millions: float
    beta: float
    vol: float


_ROWS: tuple[tuple[str, str, str, float, float, float, float], ...] = (
    # ticker, name, sector, price at anchor, ADV (millions), beta, annualised vol
    ("AAPL", "Apple Inc.", TECH, 243.0, 50, 1.10, 0.28),
    ("MSFT", "Microsoft Corporation", TECH, 420.0, 20, 1.00, 0.25),
    ("NVDA", "NVIDIA Corporation", TECH, 138.0, 250, 1.70, 0.50),
    ("AVGO", "Broadcom Inc.", TECH, 232.0, 25, 1.30, 0.45),
    ("ORCL", "Oracle Corporation", TECH, 167.0, 9, 1.00, 0.35),
    ("CRM", "Salesforce, Inc.", TECH, 335.0, 6, 1.10, 0.35),
    ("ADBE", "Adobe Inc.", TECH, 445.0, 3.5, 1.10, 0.33),
    ("AMD", "Advanced Micro Devices, Inc.", TECH, 122.0, 40, 1.60, 0.50),
    ("INTC", "Intel Corporation", TECH, 20.0, 70, 1.10, 0.45),
    ("CSCO", "Cisco Systems, Inc.", TECH, 59.0, 18, 0.80, 0.22),
    ("QCOM", "QUALCOMM Incorporated", TECH, 155.0, 8, 1.30, 0.38),
    ("IBM", "International Business Machines Corporation", TECH, 221.0, 4, 0.70, 0.25),
    ("TXN", "Texas Instruments Incorporated", TECH, 188.0, 6, 1.00, 0.30),
    ("GOOGL", "Alphabet Inc. (Class A)", COMM, 190.0, 28, 1.05, 0.30),
    ("META", "Meta Platforms, Inc.", COMM, 600.0, 13, 1.25, 0.38),
    ("NFLX", "Netflix, Inc.", COMM, 89.0, 35, 1.20, 0.38),
    ("DIS", "The Walt Disney Company", COMM, 111.0, 8, 1.00, 0.28),
    ("T", "AT&T Inc.", COMM, 23.0, 35, 0.60, 0.22),
    ("VZ", "Verizon Communications Inc.", COMM, 40.0, 20, 0.45, 0.20),
    ("CMCSA", "Comcast Corporation", COMM, 38.0, 20, 0.85, 0.27),
    ("AMZN", "Amazon.com, Inc.", DISC, 220.0, 40, 1.20, 0.33),
    ("TSLA", "Tesla, Inc.", DISC, 400.0, 90, 2.00, 0.60),
    ("HD", "The Home Depot, Inc.", DISC, 390.0, 3.5, 1.00, 0.24),
    ("MCD", "McDonald's Corporation", DISC, 290.0, 3.2, 0.60, 0.19),
    ("NKE", "NIKE, Inc.", DISC, 76.0, 12, 1.00, 0.32),
    ("SBUX", "Starbucks Corporation", DISC, 92.0, 9, 0.90, 0.30),
    ("F", "Ford Motor Company", DISC, 10.0, 60, 1.30, 0.38),
    ("WMT", "Walmart Inc.", STAP, 91.0, 17, 0.55, 0.20),
    ("KO", "The Coca-Cola Company", STAP, 62.0, 14, 0.55, 0.16),
    ("PEP", "PepsiCo, Inc.", STAP, 152.0, 7, 0.55, 0.18),
    ("PG", "The Procter & Gamble Company", STAP, 167.0, 7, 0.45, 0.17),
    ("COST", "Costco Wholesale Corporation", STAP, 920.0, 2, 0.80, 0.22),
    ("MDLZ", "Mondelez International, Inc.", STAP, 60.0, 8, 0.55, 0.20),
    ("JNJ", "Johnson & Johnson", HEAL, 145.0, 8, 0.50, 0.17),
    ("PFE", "Pfizer Inc.", HEAL, 26.5, 40, 0.60, 0.26),
    ("UNH", "UnitedHealth Group Incorporated", HEAL, 510.0, 4, 0.60, 0.30),
    ("MRK", "Merck & Co., Inc.", HEAL, 99.0, 10, 0.50, 0.23),
    ("ABBV", "AbbVie Inc.", HEAL, 178.0, 6, 0.55, 0.25),
    ("LLY", "Eli Lilly and Company", HEAL, 780.0, 3.5, 0.70, 0.33),
    ("BMY", "Bristol-Myers Squibb Company", HEAL, 57.0, 12, 0.50, 0.25),
    ("JPM", "JPMorgan Chase & Co.", FIN, 240.0, 9, 1.05, 0.24),
    ("BAC", "Bank of America Corporation", FIN, 44.0, 35, 1.20, 0.28),
    ("WFC", "Wells Fargo & Company", FIN, 70.0, 16, 1.15, 0.30),
    ("C", "Citigroup Inc.", FIN, 70.0, 14, 1.30, 0.32),
    ("GS", "The Goldman Sachs Group, Inc.", FIN, 575.0, 2.2, 1.30, 0.30),
    ("MS", "Morgan Stanley", FIN, 126.0, 6, 1.30, 0.30),
    ("V", "Visa Inc.", FIN, 316.0, 6.5, 0.90, 0.21),
    ("MA", "Mastercard Incorporated", FIN, 527.0, 2.8, 0.95, 0.22),
    ("BRK.B", "Berkshire Hathaway Inc. (Class B)", FIN, 453.0, 3.8, 0.80, 0.17),
    ("XOM", "Exxon Mobil Corporation", ENER, 107.0, 15, 0.80, 0.26),
    ("CVX", "Chevron Corporation", ENER, 145.0, 7, 0.85, 0.26),
    ("COP", "ConocoPhillips", ENER, 99.0, 7, 0.90, 0.30),
    ("SLB", "SLB N.V.", ENER, 38.0, 11, 1.10, 0.35),
    ("OXY", "Occidental Petroleum Corporation", ENER, 49.0, 10, 1.10, 0.38),
    ("CAT", "Caterpillar Inc.", INDU, 363.0, 2.5, 1.10, 0.30),
    ("BA", "The Boeing Company", INDU, 177.0, 9, 1.30, 0.38),
    ("GE", "GE Aerospace", INDU, 167.0, 6, 1.20, 0.32),
    ("RTX", "RTX Corporation", INDU, 116.0, 5.5, 0.80, 0.24),
    ("UBER", "Uber Technologies, Inc.", INDU, 63.0, 20, 1.40, 0.45),
    ("UPS", "United Parcel Service, Inc.", INDU, 126.0, 5.5, 0.90, 0.28),
    ("LIN", "Linde plc", MATL, 420.0, 2, 0.80, 0.20),
    ("FCX", "Freeport-McMoRan Inc.", MATL, 38.0, 14, 1.50, 0.42),
    ("NEM", "Newmont Corporation", MATL, 38.0, 10, 0.60, 0.38),
    ("DOW", "Dow Inc.", MATL, 40.0, 7, 1.00, 0.30),
    ("NEE", "NextEra Energy, Inc.", UTIL, 72.0, 10, 0.60, 0.27),
    ("PCG", "PG&E Corporation", UTIL, 20.0, 20, 0.60, 0.28),
    ("SO", "The Southern Company", UTIL, 83.0, 4.5, 0.45, 0.19),
    ("O", "Realty Income Corporation", REAL, 53.0, 5.5, 0.70, 0.21),
    ("VICI", "VICI Properties Inc.", REAL, 29.0, 6, 0.75, 0.22),
    ("PLD", "Prologis, Inc.", REAL, 106.0, 3.5, 1.00, 0.28),
)

#: Every simulated stock, sorted by ticker.
UNIVERSE: tuple[SimTicker, ...] = tuple(
    sorted((SimTicker(*row) for row in _ROWS), key=lambda t: t.ticker)
)
