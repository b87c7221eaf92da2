"""A file cache of model replies, keyed by sha256(provider, model, prompt hash).

One JSON file per reply under ``<data_dir>/llm_cache/<2 hex>/<64 hex>.json``, written to a
temporary file and renamed so a reader never sees half a reply. It lets a decision be
replayed bit for bit and a backtest re-run without calling the model. A corrupt or
unreadable entry is a miss; a failed write is logged and forgotten (the decision stands).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
import tempfile
from pathlib import Path
from typing import Any

from swingdesk.ports import LLMReply

log = logging.getLogger(__name__)

FORMAT = 1


def cache_key(provider: str, model: str, prompt_hash: str) -> str:
    """Return the hex key of one (provider, model, prompt hash)."""
    material = json.dumps([provider, model, prompt_hash], separators=(",", ":"))
    return hashlib.sha256(material.encode("utf-8")).hexdigest()


class FileResponseCache:
    """``ResponseCache`` on the local file system."""

    def __init__(self, root: Path) -> None:
        """Use ``root`` (created on first write)."""
        self.root = root

    def path(self, provider: str, model: str, prompt_hash: str) -> Path:
        """Return where the entry for this key lives."""
        key = cache_key(provider, model, prompt_hash)
        return self.root / key[:2] / f"{key}.json"

    async def get(self, provider: str, model: str, prompt_hash: str) -> LLMReply | None:
        """Return the stored reply, None on a miss or an unreadable entry."""
        path = self.path(provider, model, prompt_hash)
        return await asyncio.to_thread(_read, path, (provider, model, prompt_hash))

    async def put(self, provider: str, model: str, prompt_hash: str, reply: LLMReply) -> None:
        """Store ``reply`` atomically; never raise."""
        entry = {
            "format": FORMAT,
            "provider": provider,
            "model": model,
            "prompt_hash": prompt_hash,
            "reply": {
                "text": reply.text,
                "finish_reason": reply.finish_reason,
                "refusal": reply.refusal,
                "tokens_in": reply.tokens_in,
                "tokens_out": reply.tokens_out,
                "model": reply.model,
            },
        }
        path = self.path(provider, model, prompt_hash)
        try:
            await asyncio.to_thread(_write, path, entry)
        except OSError as exc:
            log.warning("could not store an LLM reply in the cache at %s: %s", path, exc)


def _read(path: Path, key: tuple[str, str, str]) -> LLMReply | None:
    try:
        data: Any = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        log.warning("ignoring unreadable LLM cache entry %s: %s", path, exc)
        return None
    try:
        # The key is a hash: check the entry really is for this request.
        if (data["provider"], data["model"], data["prompt_hash"]) != key:
            return None
        r = data["reply"]
        return LLMReply(
            text=str(r["text"]),
            finish_reason=r["finish_reason"],
            refusal=r["refusal"],
            tokens_in=int(r["tokens_in"]),
            tokens_out=int(r["tokens_out"]),
            model=str(r["model"]),
        )
    except (KeyError, TypeError, ValueError) as exc:
        log.warning("ignoring malformed LLM cache entry %s: %s", path, exc)
        return None


def _write(path: Path, entry: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(entry, fh, ensure_ascii=False, sort_keys=True)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
