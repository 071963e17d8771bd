"""`ControlPlane`: the console's client of the mock's ``/_sandbox`` JSON API.

The console reads and changes the mock only through that API (as any script could), over an httpx
transport: in ``halo-sandbox up`` an `httpx.ASGITransport` to the in-process mock. The admin key is
sent as ``X-Admin-Key`` and never leaves the server.
"""

from __future__ import annotations

from typing import Any

import httpx

from halo_sandbox.admin_errors import ControlPlaneError
from halo_sandbox.protocol import ADMIN_KEY_HEADER, TENANT_HEADER


def _message(body: Any) -> str | None:
    """Halo-style ``{"message"}``, or field errors ``{"field": ["msg", ...]}`` joined."""
    if not isinstance(body, dict):
        return None
    if isinstance(body.get("message"), str):
        return body["message"]
    fields = [
        f"{key}: {'; '.join(map(str, value))}" for key, value in body.items() if isinstance(value, list)
    ]
    return "; ".join(fields) or None


class ControlPlane:
    """Calls to ``{base_url}/_sandbox/...``; a non-2xx answer raises `ControlPlaneError`."""

    def __init__(
        self,
        *,
        base_url: str,
        admin_key: str | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 30.0,
    ) -> None:
        headers = {ADMIN_KEY_HEADER: admin_key} if admin_key else {}
        self._client = httpx.AsyncClient(
            base_url=base_url.rstrip("/") + "/_sandbox", transport=transport, headers=headers, timeout=timeout
        )

    async def aclose(self) -> None:
        await self._client.aclose()

    async def _call(
        self,
        method: str,
        path: str,
        *,
        tenant: str | None = None,
        json: Any = None,
        content: bytes | None = None,
        params: dict[str, Any] | None = None,
    ) -> Any:
        headers = {TENANT_HEADER: tenant} if tenant else {}
        if content is not None:
            headers["Content-Type"] = "application/json"
        try:
            response = await self._client.request(
                method, path, json=json, content=content, params=params, headers=headers
            )
        except httpx.HTTPError as exc:
            raise ControlPlaneError(f"The control plane is unreachable: {exc}", status=502) from None
        try:
            body = response.json()
        except ValueError:
            body = response.text
        if not response.is_success:
            message = _message(body)
            raise ControlPlaneError(
                str(message or f"{method} /_sandbox{path} answered {response.status_code}"),
                status=response.status_code,
                detail=body,
            )
        return body

    async def requests(self, *, tenant: str | None = None, limit: int = 1000) -> list[dict[str, Any]]:
        """The mock's request journal, newest first."""
        return (await self._call("GET", "/requests", tenant=tenant, params={"limit": limit}))["requests"]

    async def faults(self, *, tenant: str | None = None) -> list[dict[str, Any]]:
        return (await self._call("GET", "/faults", tenant=tenant))["faults"]

    async def add_fault(self, rule: dict[str, Any], *, tenant: str | None = None) -> list[dict[str, Any]]:
        return (await self._call("POST", "/faults", tenant=tenant, json=rule))["faults"]

    async def remove_fault(self, rule_id: int, *, tenant: str | None = None) -> dict[str, Any]:
        return await self._call("DELETE", f"/faults/{rule_id}", tenant=tenant)

    async def clear_faults(self, *, tenant: str | None = None) -> dict[str, Any]:
        return await self._call("DELETE", "/faults", tenant=tenant)

    async def ratelimit(self, *, tenant: str | None = None) -> dict[str, Any]:
        return await self._call("GET", "/ratelimit", tenant=tenant)

    async def set_ratelimit(self, update: dict[str, Any], *, tenant: str | None = None) -> dict[str, Any]:
        return await self._call("PUT", "/ratelimit", tenant=tenant, json=update)

    async def reset(self, *, tenant: str | None = None) -> dict[str, Any]:
        return await self._call("POST", "/reset", tenant=tenant)

    async def snapshot(self, *, tenant: str | None = None) -> dict[str, Any]:
        return await self._call("GET", "/snapshot", tenant=tenant)

    async def restore(self, raw: bytes, *, tenant: str | None = None) -> dict[str, Any]:
        """Restore from the raw JSON bytes of a snapshot (the mock validates it; a bad one changes
        nothing)."""
        return await self._call("PUT", "/snapshot", tenant=tenant, content=raw)
