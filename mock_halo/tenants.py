"""Tenants: independent mock Halo instances served side by side.

A `Tenant` holds everything one Halo tenant has: its sandbox clock, its data store, OAuth state,
rate limiter, fault plane and request journal. The `TenantRegistry` creates a tenant from the
fixtures the first time its name is used (header ``X-Sandbox-Tenant`` or the OAuth ``tenant``),
so parallel test workers and several agents never share state. Python users script a tenant
directly: ``registry.get("sandbox").faults.add(status=503, times=1)``, ``.clock.advance(3600)``,
``registry.reset("sandbox")``.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from pydantic import BaseModel, ConfigDict, Field
from pydantic import ValidationError as PydanticValidationError

from halo_sandbox.mock.config import MockSettings, RateLimit
from halo_sandbox.mock.domain.auth import AuthStore, OAuthClient, parse_scopes
from halo_sandbox.mock.domain.generic import GenericStore
from halo_sandbox.mock.engine.clock import SandboxClock
from halo_sandbox.mock.engine.faults import FaultPlane, FaultRule, RateLimiter
from halo_sandbox.mock.engine.gil import heavy
from halo_sandbox.mock.engine.journal import Journal
from halo_sandbox.mock.engine.memory import rss_bytes
from halo_sandbox.mock.engine.retire import retire
from halo_sandbox.mock.exceptions import HaloError, NotFound, OverBudget, QuotaExceeded, ValidationError
from halo_sandbox.protocol import TENANT_HEADER

if TYPE_CHECKING:  # pragma: no cover
    from halo_sandbox.mock.domain.store import HaloStore

SNAPSHOT_FORMAT = "halo-sandbox-snapshot/1"
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


class StoreClass(Protocol):
    """What the registry needs of the data store class (`mock_halo.store.HaloStore`)."""

    def __call__(
        self, *, seed_data: Mapping[str, list[dict[str, Any]]], clock: SandboxClock, max_attachment_bytes: int
    ) -> Any: ...

    def from_snapshot(
        self, data: dict[str, Any], *, clock: SandboxClock, max_attachment_bytes: int
    ) -> Any: ...


WorldBuilder = Callable[..., dict[str, list[dict[str, Any]]]]
"""``build_world(*, seed, now, tickets=None)`` (`fixtures.build_world`)."""


def check_tenant_name(name: str) -> str:
    """Return ``name`` if it is a valid tenant name, else raise `ValidationError`."""
    if not isinstance(name, str) or not _NAME_RE.match(name):
        raise ValidationError(
            {
                TENANT_HEADER: [
                    f"Invalid tenant name {name!r}: use 1-64 letters, digits, '.', '_' or '-', starting "
                    "with a "
                    "letter or digit."
                ]
            }
        )
    return name


def new_auth(*, tenant: str, settings: MockSettings, clock: SandboxClock) -> AuthStore:
    """A tenant's OAuth state as the settings configure it: the OAuth client(s) and the agent login."""
    auth = AuthStore(tenant=tenant, clock=clock, token_lifetime_seconds=settings.token_lifetime_seconds)
    auth.register_client(
        OAuthClient(
            client_id=settings.client_id,
            client_secret=settings.client_secret,
            scopes=parse_scopes(settings.client_scope),
        )
    )
    for client_id, client_secret in settings.extra_clients:
        auth.register_client(
            OAuthClient(
                client_id=client_id, client_secret=client_secret, scopes=parse_scopes(settings.client_scope)
            )
        )
    auth.add_user(username=settings.agent_username, password=settings.agent_password)
    return auth


def new_records(body: Any) -> int:
    """How many records a POST body would create at most: its objects without a positive ``id``."""
    items = body if isinstance(body, list) else [body]
    return sum(1 for item in items if isinstance(item, dict) and not _positive_id(item.get("id")))


def _positive_id(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return value > 0
    return isinstance(value, str) and value.strip() not in ("", "0") and not value.strip().startswith("-")


class Tenant:
    """One tenant's state. ``store`` is replaced on reset/restore; read it per request."""

    def __init__(
        self,
        *,
        name: str,
        settings: MockSettings,
        store: HaloStore,
        clock: SandboxClock,
        public: bool = False,
    ) -> None:
        self.name = name
        self.public = public
        """Created by a token request with OAuth credentials (not by the admin): counts against
        ``max_public_tenants`` and may be forgotten when idle to make room for another."""
        self.last_used = time.monotonic()
        """When a request last selected it (`time.monotonic`)."""
        self.max_records = settings.max_records
        self.client_id = settings.client_id
        """The tenant's OAuth client: the instance's (``own_credentials`` False) or its own."""
        self.own_credentials = False
        self.clock = clock
        self.store = store
        self.auth = new_auth(tenant=name, settings=settings, clock=clock)
        self.limiter = RateLimiter(clock=clock, config=settings.rate_limit)
        self.faults = FaultPlane()
        self.journal = Journal(size=settings.journal_size)
        self.generic = GenericStore()
        """Records of the documented resources the resource table does not model."""
        self.strict_setting: bool | None = None
        """The tenant's own strict-mode switch (``None``: the instance's ``--strict`` setting)."""
        self.agent_username = settings.agent_username
        """The agent a client-credentials token acts as (``/Agent/me``)."""
        self._default_strict = settings.strict
        self.lock = threading.RLock()
        """Held while the tenant's store is swapped (reset/restore)."""
        self.baseline = self.records()
        """Records it started with (seed, snapshot, reset): the quota counts what the API adds."""

    def records(self) -> int:
        """Records held now, modelled and generic."""
        size = getattr(self.store, "size", None)  # a store class of a Python user's may not count
        return (int(size()) if callable(size) else 0) + sum(self.generic.counts().values())

    def check_quota(self, body: Any, *, at_most: int | None = None) -> None:
        """Raise `QuotaExceeded` if saving ``body`` could take the tenant past ``max_records`` records
        added through the API (``at_most``: the request creates at most that many, e.g. one)."""
        adding = new_records(body) if at_most is None else at_most
        if not adding:
            return
        added = self.records() - self.baseline
        if added + adding > self.max_records:
            raise QuotaExceeded(
                f"Record quota reached: tenant {self.name!r} holds {max(added, 0):,} records added through "
                f"the API and this request would add up to {adding:,}; the sandbox's quota is "
                f"{self.max_records:,} per tenant (max_records). Delete records or reset the tenant "
                "(POST /_sandbox/reset)."
            )

    @property
    def strict(self) -> bool:
        """Whether requests carrying what real Halo would ignore are refused with 400."""
        return self._default_strict if self.strict_setting is None else self.strict_setting

    def __repr__(self) -> str:
        return f"Tenant({self.name!r})"


class _ClockDoc(BaseModel):
    model_config = ConfigDict(extra="ignore")
    now: datetime
    frozen: bool = False


class _RateLimitDoc(BaseModel):
    model_config = ConfigDict(extra="ignore")
    enabled: bool
    limit: int | None = Field(default=None, ge=1)
    window_seconds: int | None = Field(default=None, ge=1)


class _SnapshotDoc(BaseModel):
    model_config = ConfigDict(extra="forbid")
    format: str = Field(pattern=f"^{re.escape(SNAPSHOT_FORMAT)}$")
    tenant: str | None = None
    clock: _ClockDoc
    ratelimit: _RateLimitDoc
    faults: list[FaultRule] = Field(default_factory=list)
    store: dict[str, Any]
    generic: dict[str, Any] = Field(default_factory=dict)
    strict: bool | None = None


def field_errors(errors: Iterable[Mapping[str, Any]], *, prefix: str = "", skip: int = 0) -> ValidationError:
    """Turn pydantic-style error dicts (``loc``, ``msg``) into the mock's field-map `ValidationError`;
    ``skip`` drops leading ``loc`` parts (FastAPI's ``"body"``/``"query"``)."""
    result: dict[str, list[str]] = {}
    for err in errors:
        loc = ".".join(str(p) for p in tuple(err.get("loc", ()))[skip:])
        key = f"{prefix}.{loc}" if prefix and loc else (prefix or loc or "body")
        result.setdefault(key, []).append(str(err.get("msg", "invalid value")))
    return ValidationError(result)


class TenantRegistry:
    """Tenants by name, created from the fixtures on first use (thread-safe)."""

    def __init__(
        self,
        settings: MockSettings | None = None,
        *,
        store_class: StoreClass | None = None,
        build_world: WorldBuilder | None = None,
    ) -> None:
        self.settings = settings or MockSettings()
        self._store_class = store_class
        self._build_world = build_world
        self._tenants: dict[str, Tenant] = {}
        self._lock = threading.RLock()
        self._seed_snapshot = (
            None if self.settings.snapshot is None else _read_snapshot(self.settings.snapshot)
        )
        """The default tenant's seed when ``settings.snapshot`` is given (checked now: a bad file
        raises `ValueError` before anything is served)."""

    # -- seams --------------------------------------------------------------------------------
    def _stores(self) -> StoreClass:
        if self._store_class is None:
            from halo_sandbox.mock.domain.store import HaloStore

            self._store_class = HaloStore
        return self._store_class

    def _world(self, clock: SandboxClock) -> dict[str, list[dict[str, Any]]]:
        if self._build_world is None:
            from halo_sandbox.fixtures import build_world

            self._build_world = build_world
        return self._build_world(seed=self.settings.seed, now=clock.now(), tickets=self.settings.tickets)

    def _new_store(self, clock: SandboxClock) -> HaloStore:
        with heavy():  # a generated world can be 100k tickets: see gil.heavy
            return self._stores()(
                seed_data=self._world(clock),
                clock=clock,
                max_attachment_bytes=self.settings.max_attachment_bytes,
            )

    # -- tenants ------------------------------------------------------------------------------
    def get(self, name: str | None = None) -> Tenant:
        """The tenant called ``name`` (default tenant if ``None``), created from the fixtures if new
        (for Python users, who are trusted; over HTTP only authenticated callers create tenants)."""
        return self.find(name) or self.create(name)

    def find(self, name: str | None = None) -> Tenant | None:
        """The tenant called ``name`` if it exists (never creates one); a malformed name raises."""
        return self._tenants.get(check_tenant_name(self.settings.default_tenant if name is None else name))

    def check_memory(self, work: str) -> None:
        """Raise `OverBudget` (503, ``Retry-After``) when the process's resident memory is over
        ``memory_budget_bytes``: ``work`` (what is refused) is not started."""
        budget = self.settings.memory_budget_bytes
        if budget is None:
            return
        rss = rss_bytes()
        if rss > budget:
            mib = 1024 * 1024
            raise OverBudget(
                f"The sandbox is over its memory budget ({rss // mib:,} MiB resident, budget "
                f"{budget // mib:,} MiB: --memory-budget); {work} refused. Retry later, or free memory: "
                "delete tenants (DELETE /_sandbox/tenants/{name}) or reset them (POST /_sandbox/reset)."
            )

    def _make_room_for_public(self, name: str) -> None:
        """Under the lock: at ``max_public_tenants`` tenants created with credentials, forget the one
        idle longest if it has been idle ``public_tenant_idle_seconds``; else raise `QuotaExceeded`."""
        public = [t for t in self._tenants.values() if t.public]
        if len(public) < self.settings.max_public_tenants:
            return
        idle = min(public, key=lambda t: t.last_used)
        if time.monotonic() - idle.last_used < self.settings.public_tenant_idle_seconds:
            raise ValidationError(
                {
                    TENANT_HEADER: [
                        f"Too many tenants created with credentials ({self.settings.max_public_tenants}, "
                        f"max_public_tenants) and none idle for {self.settings.public_tenant_idle_seconds:g} "
                        f"s; cannot create {name!r}. The admin can create tenants (POST /_sandbox/tenants) "
                        "or delete one (DELETE /_sandbox/tenants/{name})."
                    ]
                }
            )
        del self._tenants[idle.name]
        retire(idle.store)

    def create(self, name: str | None = None, *, public: bool = False) -> Tenant:
        """The tenant called ``name``, built from the fixtures if new. ``public``: created by a token
        request with credentials (at most ``max_public_tenants`` such, the idle longest forgotten to make
        room); else by the admin (at most ``max_tenants`` such). The default tenant is reserved: it can
        always be created and never deleted. Beyond the memory budget a new tenant is refused (503)."""
        name = check_tenant_name(self.settings.default_tenant if name is None else name)
        with self._lock:
            tenant = self._tenants.get(name)
            if tenant is None:
                default = name == self.settings.default_tenant
                if not default:
                    self.check_memory(f"creating the tenant {name!r}")
                if public and not default:
                    self._make_room_for_public(name)
                others = sum(
                    1
                    for t in self._tenants.values()
                    if not t.public and t.name != self.settings.default_tenant
                )
                if not default and not public and others >= self.settings.max_tenants:
                    raise ValidationError(
                        {
                            TENANT_HEADER: [
                                f"Too many tenants ({self.settings.max_tenants} besides "
                                f"{self.settings.default_tenant!r}); "
                                f"cannot create {name!r}. Delete one (DELETE /_sandbox/tenants/{{name}}) "
                                "or raise "
                                "max_tenants."
                            ]
                        }
                    )
                clock = SandboxClock()
                if name == self.settings.default_tenant and self._seed_snapshot is not None:
                    tenant = Tenant(
                        name=name,
                        settings=self.settings,
                        store=self._stores()(
                            seed_data={}, clock=clock, max_attachment_bytes=self.settings.max_attachment_bytes
                        ),
                        clock=clock,
                    )
                    self._apply(tenant, self._seed_snapshot)
                else:
                    store = self._new_store(clock)
                    tenant = Tenant(
                        name=name,
                        settings=self.settings,
                        store=store,
                        clock=clock,
                        public=public and not default,
                    )
                self._tenants[name] = tenant
            return tenant

    def delete(self, name: str) -> None:
        """Forget the tenant called ``name`` (its data, tokens, faults and journal). The default
        tenant is reserved: deleting it raises `ValidationError` (reset it instead)."""
        name = check_tenant_name(name)
        if name == self.settings.default_tenant:
            raise ValidationError(
                {"tenant": [f"The default tenant {name!r} cannot be deleted; reset it instead."]}
            )
        with self._lock:
            tenant = self._tenants.pop(name, None)
        if tenant is None:
            raise NotFound(f"No tenant {name!r}.")
        retire(tenant.store)  # freed once the tenant is

    def __contains__(self, name: object) -> bool:
        return name in self._tenants

    def discard(self, name: str) -> None:
        """Forget ``name`` if it exists (no checks; the default tenant too)."""
        with self._lock:
            self._tenants.pop(name, None)

    def names(self) -> list[str]:
        return sorted(self._tenants)

    def tenant_of_token(self, access_token: str) -> str | None:
        """Name of the tenant that issued ``access_token``, if any (for tenant selection)."""
        for tenant in list(self._tenants.values()):
            if tenant.auth.knows(access_token):
                return tenant.name
        return None

    def reset(self, name: str | None = None) -> Tenant:
        """Back to the fixtures: fresh data from the seed, real-time clock, no faults, default rate
        limit with empty windows, empty journal. Issued tokens stay valid (agents need not log in again).
        The default tenant of a registry given ``settings.snapshot`` goes back to that snapshot."""
        tenant = self.get(name)
        if tenant.name == self.settings.default_tenant and self._seed_snapshot is not None:
            self._apply(tenant, self._seed_snapshot)
            tenant.journal.clear()
            return tenant
        with tenant.lock:
            tenant.clock.reset()
            old, tenant.store = tenant.store, self._new_store(tenant.clock)
            tenant.faults.clear()
            tenant.limiter.configure(self.settings.rate_limit)
            tenant.limiter.clear()
            tenant.journal.clear()
            tenant.generic = GenericStore()
            tenant.strict_setting = None
            tenant.baseline = tenant.records()
        retire(old)
        return tenant

    def snapshot(self, name: str | None = None) -> dict[str, Any]:
        """The tenant's whole state as JSON-able data (data, clock, rate limit, fault rules)."""
        tenant = self.get(name)
        with tenant.lock:
            limiter = tenant.limiter.state()
            return {
                "format": SNAPSHOT_FORMAT,
                "tenant": tenant.name,
                "clock": {"now": tenant.clock.now().isoformat(), "frozen": tenant.clock.frozen},
                "ratelimit": {key: limiter[key] for key in ("enabled", "limit", "window_seconds")},
                "faults": tenant.faults.snapshot(),
                "store": tenant.store.snapshot(),
                "generic": tenant.generic.snapshot(),
                "strict": tenant.strict_setting,
            }

    def restore(self, name: str | None, data: Any) -> Tenant:
        """Replace the tenant's state with a `snapshot`; a bad snapshot raises `ValidationError`
        and changes nothing."""
        tenant = self.get(name)
        self._apply(tenant, data)
        return tenant

    def _apply(self, tenant: Tenant, data: Any) -> None:
        try:
            doc = _SnapshotDoc.model_validate(data)
        except PydanticValidationError as exc:
            raise field_errors(exc.errors(), prefix="snapshot") from None
        config: RateLimit | None = None
        if doc.ratelimit.enabled:
            limit, window = doc.ratelimit.limit, doc.ratelimit.window_seconds
            if limit is None or window is None:
                raise ValidationError(
                    {"snapshot.ratelimit": ["limit and window_seconds are required when enabled"]}
                )
            config = RateLimit(limit=limit, window_seconds=window)
        with tenant.lock:
            try:  # the store is built first, so a bad snapshot leaves everything untouched
                store = self._stores().from_snapshot(
                    doc.store, clock=tenant.clock, max_attachment_bytes=self.settings.max_attachment_bytes
                )
                generic = GenericStore.from_snapshot(doc.generic)
            except HaloError:
                raise
            except Exception as exc:  # the store's own complaint about its part of the document
                raise ValidationError({"snapshot.store": [f"{type(exc).__name__}: {exc}"]}) from None
            tenant.clock.reset()
            if doc.clock.frozen:
                tenant.clock.freeze(doc.clock.now)
            else:
                tenant.clock.set(doc.clock.now)
            old, tenant.store = tenant.store, store
            tenant.generic = generic
            tenant.strict_setting = doc.strict
            tenant.limiter.configure(config)
            tenant.limiter.clear()
            tenant.faults.restore(doc.faults)
            tenant.baseline = tenant.records()
        del store
        retire(old)


def _read_snapshot(path: Path) -> dict[str, Any]:
    """A tenant snapshot file, checked for the envelope `restore` takes; raises `ValueError`."""
    try:
        data = json.loads(Path(path).read_bytes())
    except OSError as exc:
        raise ValueError(f"cannot read the snapshot {str(path)!r}: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise ValueError(f"the snapshot {str(path)!r} is not JSON: {exc}") from None
    try:
        _SnapshotDoc.model_validate(data)
    except PydanticValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()[:5])
        raise ValueError(f"{str(path)!r} is not a halo-sandbox snapshot ({problems})") from None
    return data
