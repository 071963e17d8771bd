"""`mock_halo()`: the stateful mock Halo served in-process to code under test.

    with mock_halo() as halo:                       # or @mock_halo() on a test, sync or async
        halo.faults.add(status=429, times=1)
        my_code(base_url=halo.url, client_id=halo.client_id, client_secret=halo.client_secret)
        halo.assert_called_once("GET", "/api/tickets")

Every httpx (sync and async) and requests call to ``*.haloitsm.com``, ``*.halopsa.com``,
``*.haloservicedesk.com`` or a given ``base_url`` is answered by the mock (no socket); other hosts
are untouched. Each `HaloMock` is its own tenant, seeded from the fixtures (or a snapshot), and is
deleted on exit. One mock application per process serves all of them.
"""

from __future__ import annotations

import fnmatch
import functools
import inspect
import json
import os
import threading
import uuid
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import httpx

from halo_sandbox.protocol import TENANT_HEADER
from halo_sandbox.testing.intercept import Interceptor, host_pattern

__all__ = ["HaloMock", "mock_halo"]

DEFAULT_URL = "https://sandbox.haloitsm.com"

_app_lock = threading.Lock()
_shared: dict[str, Any] = {}


def _registry_and_app() -> tuple[Any, Any]:
    """The process's mock application (built on first use: about a second of imports)."""
    with _app_lock:
        if "app" not in _shared:
            from halo_sandbox.mock.config import MockSettings
            from halo_sandbox.mock.http.app import create_app
            from halo_sandbox.mock.tenants import TenantRegistry

            registry = TenantRegistry(MockSettings(max_tenants=100_000))
            _shared["registry"], _shared["app"] = registry, create_app(registry=registry)
        return _shared["registry"], _shared["app"]


def _tenant_name() -> str:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    return f"t-{worker}-{uuid.uuid4().hex[:12]}"


class HaloMock:
    """One isolated mock tenant and the controls a test needs."""

    def __init__(
        self,
        *,
        base_urls: Sequence[str] = (),
        snapshot: str | Path | Mapping[str, Any] | None = None,
        rate_limit: tuple[int, int] | None | bool = True,
    ) -> None:
        self.registry, self.app = _registry_and_app()
        self.name = _tenant_name()
        self.url = (list(base_urls) or [DEFAULT_URL])[0].rstrip("/")
        self._pattern = host_pattern(base_urls)
        self._transport = httpx.ASGITransport(app=self.app)
        self._portal_cm: Any = None
        self._interceptor: Interceptor | None = None
        self.tenant = self.registry.create(self.name)
        self._snapshot: Mapping[str, Any] | None = None
        """What `reset` goes back to when the mock was given a snapshot."""
        if snapshot is not None:
            self.load_snapshot(snapshot)
            self._snapshot = self.snapshot()
        self._rate_limit = rate_limit
        self._apply_rate_limit()

    def _apply_rate_limit(self) -> None:
        rate_limit = self._rate_limit
        if rate_limit is None or rate_limit is False:
            self.ratelimit(None)
        elif rate_limit is not True:
            self.ratelimit(*rate_limit)

    # -- wiring ---------------------------------------------------------------------------------
    async def _forward(self, request: httpx.Request) -> httpx.Response:
        headers = httpx.Headers(request.headers)
        headers[TENANT_HEADER] = self.name
        inner = httpx.Request(request.method, request.url, headers=headers, content=await request.aread())
        response = await self._transport.handle_async_request(inner)
        content = await response.aread()
        return httpx.Response(
            response.status_code, headers=response.headers, content=content, request=request
        )

    def start(self) -> HaloMock:
        from anyio.from_thread import start_blocking_portal

        self._portal_cm = start_blocking_portal("asyncio")
        portal = self._portal_cm.__enter__()
        self._interceptor = Interceptor(pattern=self._pattern, forward=self._forward, portal=portal)
        self._interceptor.__enter__()
        return self

    def stop(self) -> None:
        if self._interceptor is not None:
            self._interceptor.__exit__(None, None, None)
            self._interceptor = None
        if self._portal_cm is not None:
            self._portal_cm.__exit__(None, None, None)
            self._portal_cm = None
        self.registry.delete(self.name)

    # -- the tenant ----------------------------------------------------------------------------
    @property
    def store(self) -> Any:
        """The tenant's data store (``store.get(resource="tickets", id=45920)``)."""
        return self.tenant.store

    def rows(self, resource: str, **params: str | int | bool) -> list[dict[str, Any]]:
        """The records ``GET /api/{resource}?<params>`` lists, as it lists them (its first 50 unless
        ``count`` or paging says otherwise): ``halo.rows("tickets", client_id=104, open_only=True)``.
        A bad parameter raises the mock's `ValidationError`."""
        from halo_sandbox.mock.domain.query import ListQuery
        from halo_sandbox.mock.domain.resources import spec_named

        spec = spec_named(resource)
        text = {k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in params.items()}
        rows: list[dict[str, Any]] = self.store.list(
            resource=spec.name, query=ListQuery.parse(spec, text)
        ).rows
        return rows

    @property
    def faults(self) -> Any:
        """The fault plane: ``faults.add(status=503, path="/api/tickets*", times=1)``."""
        return self.tenant.faults

    @property
    def clock(self) -> Any:
        """The tenant's clock: ``clock.advance(3600)``, ``clock.freeze()``."""
        return self.tenant.clock

    @property
    def client_id(self) -> str:
        return self.registry.settings.client_id

    @property
    def client_secret(self) -> str:
        return self.registry.settings.client_secret

    def ratelimit(self, limit: int | None, window_seconds: int | None = None) -> None:
        """``ratelimit(5, 60)``: 5 requests per rolling minute per OAuth client; ``ratelimit(None)``: off."""
        from halo_sandbox.mock.config import RateLimit

        self.tenant.limiter.configure(
            None if limit is None else RateLimit(limit=limit, window_seconds=window_seconds or 300)
        )

    def expire_tokens(self, *, client_id: str | None = None) -> int:
        """Expire every live access token now; the next call with one gets Halo's 401."""
        return self.tenant.auth.expire(client_id=client_id)

    def reset(self) -> None:
        """Back to the seed (or to the snapshot the mock was given): data, clock, faults, rate limit and
        journal."""
        self.registry.reset(self.name)
        if self._snapshot is not None:
            self.registry.restore(self.name, self._snapshot)
        self._apply_rate_limit()

    def load_snapshot(self, snapshot: str | Path | Mapping[str, Any]) -> None:
        """Replace the tenant's state with a snapshot (``GET /_sandbox/snapshot`` output, a dict or a
        file)."""
        data = (
            snapshot
            if isinstance(snapshot, Mapping)
            else json.loads(Path(snapshot).read_text(encoding="utf-8"))
        )
        self.registry.restore(self.name, data)

    def snapshot(self) -> dict[str, Any]:
        return self.registry.snapshot(self.name)

    # -- the journal ---------------------------------------------------------------------------
    def requests(self, method: str | None = None, path: str | None = None) -> list[Any]:
        """Requests that reached the tenant, oldest first; ``path`` is case-insensitive and may be
        a glob (``/api/tickets*``); ``method`` is any case."""
        entries = list(reversed(self.tenant.journal.entries()))
        if method is not None:
            entries = [e for e in entries if e.method == method.upper()]
        if path is not None:
            entries = [e for e in entries if fnmatch.fnmatchcase(e.path.lower(), path.lower())]
        return entries

    def assert_called(
        self, method: str | None = None, path: str | None = None, *, times: int | None = None
    ) -> None:
        found = self.requests(method, path)
        if times is None and not found:
            raise AssertionError(f"no {method or ''} {path or ''} request reached Halo; saw:\n{self._seen()}")
        if times is not None and len(found) != times:
            raise AssertionError(
                f"expected {times} {method or ''} {path or ''} request(s), got {len(found)}; "
                f"saw:\n{self._seen()}"
            )

    def assert_called_once(self, method: str | None = None, path: str | None = None) -> None:
        self.assert_called(method, path, times=1)

    def assert_not_called(self, method: str | None = None, path: str | None = None) -> None:
        self.assert_called(method, path, times=0)

    def _seen(self) -> str:
        lines = [
            f"  {e.method} {e.path}{'?' + e.query if e.query else ''} -> {e.status}" for e in self.requests()
        ]
        return "\n".join(lines) or "  (nothing)"


class mock_halo:  # noqa: N801 - used like a function (`with mock_halo():`, `@mock_halo()`)
    """Context manager and decorator serving Halo hosts from a fresh mock tenant.

    ``base_url``: a URL (or URLs) to serve besides the Halo domains; ``snapshot``: seed from a
    snapshot file or dict; ``rate_limit``: ``(limit, window_seconds)``, ``None`` for off, or the
    default (Halo's 300 per 5 minutes).

    As a decorator it passes the `HaloMock` handle as a keyword argument to the parameter named
    ``handle_arg`` when given, else to a parameter annotated ``HaloMock`` (any name), else to one
    named ``halo_mock``; a function with none of them runs inside the mock without the handle. That
    parameter is removed from the wrapper's signature (pytest does not look for a fixture of its
    name). A ``handle_arg`` the function does not have is a ``TypeError`` at decoration."""

    def __init__(
        self,
        base_url: str | Sequence[str] | None = None,
        *,
        snapshot: str | Path | Mapping[str, Any] | None = None,
        rate_limit: tuple[int, int] | None | bool = True,
        handle_arg: str | None = None,
    ) -> None:
        self._base_urls = [base_url] if isinstance(base_url, str) else list(base_url or ())
        self._snapshot = snapshot
        self._rate_limit = rate_limit
        self._handle_arg = handle_arg
        host_pattern(self._base_urls)  # a bad URL fails here, at decoration time
        self._active: HaloMock | None = None

    def __enter__(self) -> HaloMock:
        self._active = HaloMock(
            base_urls=self._base_urls, snapshot=self._snapshot, rate_limit=self._rate_limit
        ).start()
        return self._active

    def __exit__(self, *exc: Any) -> None:
        if self._active is not None:
            self._active.stop()
            self._active = None

    async def __aenter__(self) -> HaloMock:
        return self.__enter__()

    async def __aexit__(self, *exc: Any) -> None:
        self.__exit__(*exc)

    def __call__(self, func: Callable[..., Any]) -> Callable[..., Any]:
        target = self._handle_parameter(func)

        if inspect.iscoroutinefunction(func):

            @functools.wraps(func)
            async def run_async(*args: Any, **kwargs: Any) -> Any:
                with mock_halo(**self._public()) as halo:
                    return await func(*args, **({target: halo} if target else {}), **kwargs)

            return _hide(run_async, target)

        @functools.wraps(func)
        def run(*args: Any, **kwargs: Any) -> Any:
            with mock_halo(**self._public()) as halo:
                return func(*args, **({target: halo} if target else {}), **kwargs)

        return _hide(run, target)

    def _handle_parameter(self, func: Callable[..., Any]) -> str | None:
        """The name of the parameter that receives the handle (see the class docstring), or None."""
        parameters = inspect.signature(func).parameters
        if self._handle_arg is not None:
            if self._handle_arg not in parameters:
                raise TypeError(
                    f"mock_halo(handle_arg={self._handle_arg!r}): {func.__qualname__} has no parameter "
                    f"of that name (it has: {', '.join(parameters) or 'none'})"
                )
            return self._handle_arg
        for name, parameter in parameters.items():
            annotation = parameter.annotation
            if annotation is HaloMock or annotation in ("HaloMock", "halo_sandbox.testing.HaloMock"):
                return name
        return "halo_mock" if "halo_mock" in parameters else None

    def _public(self) -> dict[str, Any]:
        return {
            "base_url": self._base_urls,
            "snapshot": self._snapshot,
            "rate_limit": self._rate_limit,
        }


def _hide(wrapper: Any, target: str | None) -> Any:
    """Drop the handle's parameter from the wrapper's signature so pytest does not look for a
    fixture of that name when the decorator supplies it."""
    if target is not None:
        signature = inspect.signature(wrapper)
        wrapper.__signature__ = signature.replace(
            parameters=[p for n, p in signature.parameters.items() if n != target]
        )
    return wrapper
