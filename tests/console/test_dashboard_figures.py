"""The dashboard's figures agree: cards, charts and tables are sums of one query layer
(hub/overview.py), checked against each other and against the rows on the same data."""

from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa

from hub.actors import Actor
from hub.curation import review
from hub.records import overview
from hub.store.models import Record, Revision
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


EVIDENCE = [{"type": "news-report", "url": "https://example.org/news/ocop", "retrieved_on": "2026-11-01"}]


def _soon() -> list[dict[str, object]]:
    """A certificate whose validity ends 30 days from today."""
    ends = (datetime.now(timezone.utc).date() + timedelta(days=30)).isoformat()
    return [{**product()["certifications"][0], "expires_on": ends}]


def _data(hub) -> None:  # type: ignore[no-untyped-def]
    w = hub.writes
    docs = [product(i) for i in (1, 2, 5)] + [product(3, evidence=EVIDENCE), product(4, certifications=_soon())]
    w.write(WRITER, "products", docs + [product(6, origin={"area": "VN-27"})], source="api")
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
    assert html.count('<details class="chart-table">') == 3  # each chart readable as a table


def test_expiring_certificates_missing_evidence_and_the_weekly_trend_agree_with_the_rows(hub) -> None:  # type: ignore[no-untyped-def]
    _data(hub)
    today = datetime.now(timezone.utc).date()
    with hub.sessions() as s:
        f = overview.overview(s)
        revisions = s.execute(sa.select(Revision.uid, Revision.warnings)).all()
    # published: VN p1 v1, p2 v2, p3 (evidence), p4 (certificate ends in 30 days); TH p9 (no certificate)
    assert {c: (q.expiring, q.without_evidence) for c, q in f.quality.items()} == {"TH": (0, 1), "VN": (1, 3)}
    assert sum(q.without_evidence for q in f.quality.values()) == f.published - 1
    assert len(f.weeks) == overview.WEEKS and f.weeks[-1] == (today - timedelta(days=today.weekday())).isoformat()
    assert list(f.trend) == f.weeks
    assert sum(n for n, _ in f.trend.values()) == len(revisions) == 9
    assert sum(w for _, w in f.trend.values()) == sum(1 for r in revisions if r.warnings) == 2
    assert f.trend[f.weeks[-1]] == (9, 2)
    assert {c: sum(n for n, _ in weeks.values()) for c, weeks in f.weekly.items()} == {"TH": 1, "VN": 8}
    # 91 days on, the certificate has expired (no longer "expiring") and every revision is older than 12 weeks
    with hub.sessions() as s:
        later = overview.overview(s, today=today + timedelta(days=91))
    assert later.quality["VN"].expiring == 0 and sum(n for n, _ in later.trend.values()) == 0
    # a revision received five weeks ago counts in its own week; one of 20 weeks ago in none
    with hub.sessions() as s, s.begin():
        five, twenty = (datetime.now(timezone.utc) - timedelta(weeks=n) for n in (5, 20))
        s.execute(sa.update(Revision).where(Revision.uid == "VN/products/p5").values(created_at=five))
        s.execute(sa.update(Revision).where(Revision.uid == "VN/products/p6").values(created_at=twenty))
    with hub.sessions() as s:
        f = overview.overview(s)
        vn = overview.overview(s, "VN")
    week = five.date() - timedelta(days=five.weekday())
    assert f.trend[week.isoformat()] == (1, 0) and f.trend[f.weeks[-1]] == (7, 1)
    assert sum(n for n, _ in vn.trend.values()) == 7 and set(vn.weekly) == {"VN"}


def _csv(body: bytes) -> list[list[str]]:
    assert body.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def test_every_chart_downloads_as_png_svg_and_csv_with_the_figures_of_the_page(client, hub) -> None:  # type: ignore[no-untyped-def]
    _data(hub)
    assert sign_in(client, make_user(hub, "sec@asean.example", "secretariat")).status_code == 302
    html = client.get("/console/").get_data(as_text=True)
    with hub.sessions() as s:
        f = overview.overview(s)
    for name in ("category", "band", "trend"):
        for fmt in ("png", "svg", "csv"):
            assert f'href="/console/charts/{name}.{fmt}"' in html
    assert html.count('<details class="chart-table">') == 3  # each chart readable as a table
    trend = html[html.index('id="trend-table"') :]
    trend = trend[: trend.index("</table>")]
    assert [int(n) for n in re.findall(r"<td>(\d+)</td><td>\d+</td></tr>", trend)] == [n for n, _ in f.trend.values()]
    quality = html[html.index('id="quality-table"') : html.index('id="trend-table"')]
    assert "Certificates expiring in 90 days" in quality and "<td>1</td><td>3</td></tr>" in quality

    rows = _csv(client.get("/console/charts/category.csv").data)
    assert rows[0] == ["country", "common_category", "published_products"]
    assert {(c, k): int(n) for c, k, n in rows[1:]} == {
        (c, k): n for c, cats in f.products_by_category.items() for k, n in cats.items()
    }
    rows = _csv(client.get("/console/charts/band.csv").data)
    assert sum(int(n) for _, n in rows[1:]) == f.published_by_kind["products"]
    rows = _csv(client.get("/console/charts/trend.csv").data)
    assert rows[1:] == [[w, str(n), str(warned)] for w, (n, warned) in f.trend.items()]

    svg = client.get("/console/charts/trend.svg")
    assert svg.mimetype == "image/svg+xml"
    root = ET.fromstring(svg.data)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert len(root.findall("{http://www.w3.org/2000/svg}rect")) == 2 * len(f.weeks)
    png = client.get("/console/charts/category.png")
    assert png.mimetype == "image/png" and png.data.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = int.from_bytes(png.data[16:20], "big"), int.from_bytes(png.data[20:24], "big")
    drawn = ET.fromstring(client.get("/console/charts/category.svg").data)
    assert (width, height) == (2 * int(drawn.get("width") or 0), 2 * int(drawn.get("height") or 0)) > (0, 0)
    assert client.get("/console/charts/nothing.png").status_code == 404
    assert client.get("/console/charts/trend.pdf").status_code == 404


def test_a_reviewer_downloads_the_figures_of_their_own_country(client, hub) -> None:  # type: ignore[no-untyped-def]
    _data(hub)
    assert sign_in(client, make_user(hub, "rev@vn.example", "reviewer", "VN")).status_code == 302
    rows = _csv(client.get("/console/charts/category.csv").data)
    assert {r[0] for r in rows[1:]} == {"VN"}
    rows = _csv(client.get("/console/charts/trend.csv").data)
    assert sum(int(r[1]) for r in rows[1:]) == 8
