"""The dashboard's figures agree: cards, charts and tables are sums of one query layer
(hub/overview.py), checked against each other and against the rows on the same data."""

from __future__ import annotations

import re

import sqlalchemy as sa

from hub.actors import Actor
from hub.curation import review
from hub.records import overview
from hub.store.models import Record
from tests.conftest import product
from tests.console.conftest import make_user, sign_in

WRITER = Actor("client:vn", "VN", frozenset({"exchange:read", "exchange:write"}))
TH_WRITER = Actor("client:th", "TH", frozenset({"exchange:read", "exchange:write"}))
SEC = Actor("user:sec@asean.example", None, frozenset({"exchange:read", "review"}), "secretariat")
TH = {
    "country": "TH",
    "category": {"scheme": "TH-OTOP", "code": "food"},
    "certifications": [],
    "origin": {"area": "TH-90"},
}


def _data(hub) -> None:  # type: ignore[no-untyped-def]
    w = hub.writes
    w.write(
        WRITER, "products", [product(i) for i in range(1, 6)] + [product(6, origin={"area": "VN-27"})], source="api"
    )
    for i in range(1, 5):
        review.decide(hub.sessions, SEC, f"VN/products/p{i}", 1, "approve")
    review.decide(hub.sessions, SEC, "VN/products/p5", 1, "return", "wrong-area")
    w.write(WRITER, "products", [product(1, name={"vi": "v2"})], source="api")  # published, v2 pending
    w.write(TH_WRITER, "products", [product(9, **TH)], source="api")
    review.decide(hub.sessions, SEC, "TH/products/p9", 1, "approve")
    w.write(WRITER, "products", [product(2, origin={"area": "VN-27"})], source="api")
    review.decide(hub.sessions, SEC, "VN/products/p2", 2, "approve")


def test_cards_charts_and_tables_agree_with_each_other_and_the_rows(hub) -> None:  # type: ignore[no-untyped-def]
    _data(hub)
    with hub.sessions() as s:
        f = overview.overview(s)
        rows = s.execute(
            sa.select(Record.country, Record.kind, Record.review_state, Record.published_version, Record.deleted)
        ).all()
        waiting_revisions = review.count(s, SEC, review.Query(state="pending"))
    published = [r for r in rows if r.published_version is not None and not r.deleted]
    assert f.published == len(published) == 5
    assert f.waiting == waiting_revisions == sum(1 for r in rows if r.review_state == "pending") == 2
    assert f.total == len(rows)
    for country, kinds in f.published_by_country_kind.items():
        assert sum(f.products_by_category[country].values()) == kinds["products"]
    assert sum(f.products_by_band.values()) == f.published_by_kind["products"] == 5
    assert sum(q.published for q in f.quality.values()) == f.published
    assert f.quality["VN"].warnings == {"area_superseded": 1} and f.quality["VN"].with_warnings == 1
    vn = overview.overview(hub.sessions(), "VN")
    assert vn.published == f.published_by_country_kind["VN"]["products"] == 4


def _number(html: str, label: str) -> int:
    m = re.search(r'<span class="stat-value">(\d+)</span><span class="stat-label">' + re.escape(label), html)
    assert m, label
    return int(m.group(1))


def test_the_dashboard_page_shows_the_same_numbers_everywhere(client, hub) -> None:  # type: ignore[no-untyped-def]
    _data(hub)
    assert sign_in(client, make_user(hub, "sec@asean.example", "secretariat")).status_code == 302
    html = client.get("/console/").get_data(as_text=True)
    with hub.sessions() as s:
        f = overview.overview(s)
    assert _number(html, "waiting for review") == f.waiting == 2
    assert _number(html, "published records") == f.published == 5
    table = html[html.index('id="published-table"') :]
    table = table[: table.index("</table>")]
    totals = re.search(r"<tfoot>.*?<strong>(\d+)</strong>", table, re.S)
    assert totals and int(totals.group(1)) == 5
    body = table[table.index("<tbody>") : table.index("</tbody>")]
    row_totals = [int(n) for n in re.findall(r"<td><strong>(\d+)</strong></td>", body)]
    assert sum(row_totals) == 5
    assert 'title="Pending: 2"' in html and "Pending: <strong>2</strong>" in html
    assert 'id="quality-table"' in html and "area_superseded 1" in html
    assert html.count('<details class="chart-table">') == 2  # each chart readable as a table
