"""The wire constants the mock and the MCP server both speak: what one sends, the other reads.

A leaf module (no imports): the mock (`halo_sandbox.mock`) and the server (`halo_sandbox.server`)
import nothing else from the root, so each stays usable alone and neither imports the other.

- The server marks each upstream request with the tool that caused it (`TOOL_HEADER`) and one id per
  tool call (`CALL_ID_HEADER`); the mock's journal and fault rules read them.
- `TENANT_HEADER` picks the mock tenant of a request (the server's per-tenant clients send it).
- `ADMIN_KEY_HEADER` carries the admin key on every `/_sandbox` call (mock, provisioning, console).
- `RATELIMIT_META` is the `_meta` key of a tool result holding the normalised rate-limit fields,
  which the HTTP transports turn into `ratelimit-*` and `retry-after` headers.
"""

TENANT_HEADER = "X-Sandbox-Tenant"
TOOL_HEADER = "X-Sandbox-Tool"
CALL_ID_HEADER = "X-Sandbox-Call-Id"
ADMIN_KEY_HEADER = "X-Admin-Key"
CONTROL_PREFIX = "/_sandbox"
RATELIMIT_META = "halo-sandbox/ratelimit"
SECRET_QUERY_PARAMS = (
    "client_secret",
    "password",
    "refresh_token",
    "access_token",
    "code",
    "code_verifier",
    "api_key",
)
"""Query parameters whose values are secrets (sent in a query string by careless clients): every log,
journal and console shows them as ``***``."""
