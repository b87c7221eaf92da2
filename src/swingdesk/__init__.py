"""swingdesk: an LLM-assisted swing-trading desk with a deterministic risk manager."""

__version__ = "0.1.0"
