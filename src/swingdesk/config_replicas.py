"""Settings fields of several replicas: event bus, leader lease, notifications, logs."""

from __future__ import annotations

from pydantic import BaseModel, Field, SecretStr


class ReplicaFields(BaseModel):
    """Several replicas: the shared event bus, the leader lease, notifications, logs."""

    # Several replicas: the shared event bus, the leader lease, notifications, logs.
    redis_url: str | None = Field(
        default=None,
        description="Redis URL of the shared event bus (redis://host:6379/0); unset means the "
        "in-process bus (one replica, or each replica streams what it reads from the outbox)",
    )
    redis_prefix: str = Field(
        default="swingdesk",
        pattern=r"^[A-Za-z0-9:_.-]{1,64}$",
        description="prefix of every Redis key and channel (one desk per prefix)",
    )
    redis_stream_maxlen: int = Field(
        default=10_000,
        ge=100,
        description="messages the Redis stream keeps (approximately; older ones are replayed "
        "from the outbox), count",
    )
    redis_timeout_s: float = Field(
        default=1.0,
        gt=0,
        le=30,
        description="longest one Redis command may take before the bus counts as unavailable, "
        "seconds",
    )
    replica_id: str | None = Field(
        default=None,
        max_length=128,
        description="this replica's name in the leader lease and the logs; unset means "
        "<hostname>-<pid> (Kubernetes: the pod's name)",
    )
    leader_lease_ttl_s: float = Field(
        default=10.0,
        ge=3,
        le=120,
        description="the leader lease's lifetime by the database clock, seconds: a dead "
        "leader is replaced at most this plus leader_renew_s later",
    )
    leader_renew_s: float = Field(
        default=3.0,
        gt=0,
        description="seconds between the leader's renewals (and a follower's attempts); "
        "below leader_lease_ttl_s - 2",
    )
    notify_urls: SecretStr | None = Field(
        default=None,
        description="Apprise URLs notifications are sent to, separated by spaces or commas "
        "(slack://, discord://, tgram://, mailto://, ntfy://, json://...); unset = none",
    )
    notify_events: str = Field(
        default="fill,stop,trading_state,drift,budget,daily_summary",
        pattern=r"^\s*((fill|stop|trading_state|drift|budget|daily_summary)"
        r"\s*(,\s*|$))*$",
        description="which events are notified, comma-separated: fill, stop (a protective "
        "stop filled), trading_state, drift, budget (analyst budget exhausted), daily_summary",
    )
    notify_timeout_s: float = Field(
        default=10.0, gt=0, le=120, description="longest one notification may take, seconds"
    )
    log_format: str = Field(
        default="text",
        pattern="^(text|json)$",
        description="log lines as text or as JSON objects (with replica, request and decision ids)",
    )
