"""Big batches without HTTP: committed in chunks that readers of the same tenant get in between,
still all-or-nothing, writers one at a time; a replaced store is freed without the cycle collector,
a big one in the background once nobody holds it."""

from __future__ import annotations

import gc
import json
import threading
import time
import weakref
from collections.abc import Iterator
from typing import Any

import pytest

from halo_sandbox.mock.domain.store import COMMIT_CHUNK, HaloStore
from halo_sandbox.mock.engine import locking, retire
from halo_sandbox.mock.exceptions import ValidationError
from halo_sandbox.mock.http.routes import halo_list
from halo_sandbox.mock.tenants import TenantRegistry

N = COMMIT_CHUNK * 5 + 7
WAIT = 30  # seconds: only reached when something hangs


def _batch(word: str, n: int = N) -> list[dict[str, Any]]:
    return [{"summary": f"{word} import {i}", "client_id": 104, "details": "x" * 50} for i in range(n)]


@pytest.fixture
def store() -> HaloStore:
    return TenantRegistry().get().store


@pytest.fixture
def between_chunks(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[threading.Event, threading.Event]]:
    """Stops the first batch after its first chunk: ``(reached, go_on)``."""
    reached, go_on = threading.Event(), threading.Event()
    original = locking.StoreLocks.hand_off

    def hand_off(self: locking.StoreLocks) -> None:
        if not reached.is_set():
            reached.set()
            assert go_on.wait(WAIT)
        original(self)

    monkeypatch.setattr(locking.StoreLocks, "hand_off", hand_off)
    yield reached, go_on
    go_on.set()


def _in_thread(target: Any) -> tuple[threading.Thread, list[Any]]:
    out: list[Any] = []
    thread = threading.Thread(target=lambda: out.append(target()), daemon=True)
    thread.start()
    return thread, out


def _paused_batch(
    store: HaloStore, reached: threading.Event, word: str
) -> tuple[threading.Thread, list[Any]]:
    """A batch of `N` tickets named after `word` posted in a thread, stopped between its first two chunks."""
    batch, saved = _in_thread(lambda: store.post(resource="tickets", body=_batch(word)))
    assert reached.wait(WAIT)
    return batch, saved


def _found(store: HaloStore, word: str) -> int:
    return halo_list(store, "tickets", {"search": word, "pageinate": "true", "page_size": "1"})[
        "record_count"
    ]


def test_a_reader_of_the_same_tenant_is_served_while_a_big_batch_is_committed(
    store: HaloStore, between_chunks: tuple[threading.Event, threading.Event]
) -> None:
    reached, go_on = between_chunks
    before = store.counts()["tickets"]
    batch, saved = _paused_batch(store, reached, "zebra")
    # the batch is between two chunks: reads of every kind are answered now, not after the batch
    reader, got = _in_thread(lambda: store.get(resource="tickets", id=45920))
    reader.join(WAIT)
    assert got and got[0]["id"] == 45920
    assert store.counts()["tickets"] == before + COMMIT_CHUNK  # the first chunk is in, whole
    assert _found(store, "zebra") == COMMIT_CHUNK  # the word index is current with it
    ordered = halo_list(store, "tickets", {"order": "summary", "orderdesc": "true", "count": "1"})
    assert ordered["tickets"][0]["summary"].startswith("zebra import")
    go_on.set()
    batch.join(WAIT)
    assert len(saved[0]) == N
    assert store.counts()["tickets"] == before + N
    assert _found(store, "zebra") == N
    ids = [row["id"] for row in saved[0]]
    assert ids == list(range(ids[0], ids[0] + N))


def test_another_write_waits_for_the_whole_batch(
    store: HaloStore, between_chunks: tuple[threading.Event, threading.Event]
) -> None:
    reached, go_on = between_chunks
    batch, saved = _paused_batch(store, reached, "yak")
    single, one = _in_thread(
        lambda: store.post(resource="tickets", body={"summary": "in between", "client_id": 104})
    )
    single.join(0.2)
    assert single.is_alive()  # writers take turns: it cannot slip between the batch's chunks
    go_on.set()
    batch.join(WAIT)
    single.join(WAIT)
    ids = [row["id"] for row in saved[0]]
    assert ids == list(range(ids[0], ids[0] + N))
    assert one[0]["id"] == ids[-1] + 1


def test_a_snapshot_taken_during_a_batch_holds_all_of_it_or_none(
    store: HaloStore, between_chunks: tuple[threading.Event, threading.Event]
) -> None:
    reached, go_on = between_chunks
    before = store.counts()["tickets"]
    batch, _ = _paused_batch(store, reached, "owl")
    snap, taken = _in_thread(store.snapshot)
    go_on.set()
    batch.join(WAIT)
    snap.join(WAIT)
    assert len(taken[0]["tables"]["tickets"]) == before + N


def test_a_bad_item_at_the_end_of_a_big_batch_changes_nothing(store: HaloStore) -> None:
    before = json.dumps(store.snapshot(), sort_keys=True)
    body = [*_batch("gnu"), {"summary": "bad", "client_id": 987654}]
    with pytest.raises(ValidationError) as refused:
        store.post(resource="tickets", body=body)
    assert list(refused.value.errors) == [f"[{N}].client_id"]
    assert json.dumps(store.snapshot(), sort_keys=True) == before
    assert _found(store, "gnu") == 0


def test_a_big_batch_answers_in_json_chunks_what_it_answers_as_records(store: HaloStore) -> None:
    pieces = store.post(resource="tickets", body=_batch("emu"), encoded=True)
    answered = json.loads(b"".join(pieces))
    assert len(pieces) > 1
    assert answered == [store.get(resource="tickets", id=row["id"]) for row in answered]
    one = json.loads(
        b"".join(
            store.post(resource="tickets", body=[{"summary": "emu alone", "client_id": 104}], encoded=True)
        )
    )
    assert one == store.get(resource="tickets", id=one["id"])


def test_a_replaced_store_is_freed_without_the_cycle_collector() -> None:
    registry = TenantRegistry()
    old = weakref.ref(registry.get().store)
    gc.collect()
    gc.disable()  # served processes freeze their start-up heap: only reference counting frees the old store
    try:
        registry.reset()
        assert old() is None
    finally:
        gc.enable()


@pytest.fixture
def every_store_is_big(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(retire, "BIG", 1)
    monkeypatch.setattr(retire, "GRACE", 0.01)
    monkeypatch.setattr(retire, "PATIENCE", 20)


@pytest.mark.usefixtures("every_store_is_big")
def test_a_replaced_big_store_is_freed_in_the_background() -> None:
    registry = TenantRegistry()
    old = weakref.ref(registry.get().store)
    registry.reset()
    for _ in range(WAIT * 100):
        if old() is None:
            break
        time.sleep(0.01)
    assert old() is None


@pytest.mark.usefixtures("every_store_is_big")
def test_a_replaced_store_someone_still_holds_stays_whole() -> None:
    registry = TenantRegistry()
    kept = registry.get().store
    before = json.dumps(kept.snapshot(), sort_keys=True)
    registry.restore(None, registry.snapshot())
    time.sleep(20 * 0.01 * 3)  # longer than the background thread waits for the other holders
    assert json.dumps(kept.snapshot(), sort_keys=True) == before
    assert kept.get(resource="tickets", id=45920)["id"] == 45920
