"""Facts the contracts hold both sides to, vendored here with their source, so that no expectation
comes from the code under test (the mock's resource table, the server's catalogue): removing a rule
from either must fail a contract, not silently remove its check.

The fields Halo requires on create live in `halo_sandbox.verify.required_on_create` (verify holds every server
to them too, and verify cannot import `contracts/`); this module re-exports them.

Halo's official document itself is vendored by the mock (`halo_sandbox.mock.domain.facts`, the
document normalised), and the contracts read it from there.
"""

from __future__ import annotations

from halo_sandbox.verify.required_on_create import REQUIRED_ON_CREATE

__all__ = ["NEEDED_BY_HALO", "REQUIRED_ON_CREATE"]

NEEDED_BY_HALO: frozenset[str] = frozenset({"actions"})
"""Resources of `REQUIRED_ON_CREATE` whose required field a source attributes to Halo, refused in
every mode: an action's `ticket_id` (actions are numbered per ticket, their key is the ticket and a
number: FIDELITY.md, "Actions", from halo-api.md §3.2). The others are the mock's own check: refused
by a strict tenant, saved and reported otherwise."""
