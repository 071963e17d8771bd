"""`Anonymiser`: deterministic fakes that keep references and repeated values consistent."""

from __future__ import annotations

from halo_sandbox.recording.anonymise import Anonymiser

KEY = b"x" * 32


def test_the_same_value_gets_the_same_fake_wherever_it_appears() -> None:
    anon = Anonymiser(KEY)
    user = anon.row("users", {"id": 7, "name": "Bruce Wayne", "emailaddress": "bruce@wayne.example"})
    ticket = anon.row(
        "tickets",
        {"id": 9, "user_id": 7, "reportedby": "Bruce Wayne", "emailcclist": "bruce@wayne.example; a@b.org"},
    )
    assert user["name"] == ticket["reportedby"] != "Bruce Wayne"
    assert ticket["emailcclist"].split("; ")[0] == user["emailaddress"] != "bruce@wayne.example"
    assert ticket["user_id"] == 7 and user["id"] == 7
    assert Anonymiser(KEY).row("users", {"name": "Bruce Wayne"}) == {"name": user["name"]}
    assert Anonymiser(b"y" * 32).row("users", {"name": "Bruce Wayne"}) != {"name": user["name"]}


def test_ids_dates_numbers_and_configuration_stay() -> None:
    anon = Anonymiser(KEY)
    row = {
        "id": 3,
        "dateoccurred": "2026-01-02T03:04:05",
        "lastincomingemail": "2026-01-02T05:06:07",  # Halo's date of the last e-mail, not an address
        "emailaddress": "jo@corp.example",
        "estimate": 1.5,
        "onhold": False,
        "category_1": "Hardware>Laptop",
        "guid": "0f8fad5b-d9cb-469f-a165-70867728950e",
        "summary": "Printer on floor 3 is jammed again",
        "phonenumber": "0161 496 0000",
        "customfields": [{"id": 101, "name": "CFCostCentre", "value": "Gotham East"}],
    }
    out = anon.row("tickets", row)
    for kept in ("id", "dateoccurred", "lastincomingemail", "estimate", "onhold", "category_1", "guid"):
        assert out[kept] == row[kept]
    assert out["emailaddress"].endswith("@example.com")
    assert out["summary"] != row["summary"] and len(out["summary"].split()) == len(row["summary"].split())
    assert out["phonenumber"] != row["phonenumber"]
    assert (
        out["customfields"][0]["name"] == "CFCostCentre" and out["customfields"][0]["value"] != "Gotham East"
    )
    status = {"id": 1, "name": "New", "emailaddress": "desk@corp.example"}
    assert anon.row("statuses", status)["name"] == "New"
    assert anon.row("statuses", status)["emailaddress"].endswith("@example.com")


def test_html_stays_html() -> None:
    out = Anonymiser(KEY).row("tickets", {"details_html": "<p>Call <b>Alfred</b> now</p>"})
    assert out["details_html"].startswith("<p>") and "Alfred" not in out["details_html"]
