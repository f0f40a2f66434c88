"""Source files: the shipped ones and the examples load; mistakes are refused with the
file and the key named, before anything is fetched."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub.sync import sources
from hub.sync.sources import SourceConfigError

CONFIG = Path(__file__).resolve().parents[2] / "config" / "sources"


def test_the_shipped_sources_and_the_examples_load() -> None:
    shipped = sources.load_all(CONFIG)
    assert set(shipped) == {"vn-buudien-ocop-products", "th-songkhla-otop-revenue"}
    vn = shipped["vn-buudien-ocop-products"]
    assert (vn.type, vn.snapshot, vn.deletes, vn.schedule) == ("csv", True, "report", "0 2 * * *")
    assert vn.actor.id == "sync:vn-buudien-ocop-products" and vn.actor.country == "VN"
    examples = sources.load_all(sources.shipped_examples())
    api, mirror = examples["th-otop-products-api"], examples["asean-hub"]
    assert (api.type, api.keys.pagination.style, api.keys.pagination.next_cursor, api.keys.auth.token_env) == (
        "json",
        "cursor",
        "meta.next_cursor",
        "TH_OTOP_API_TOKEN",
    )
    assert (mirror.type, mirror.keys.countries, mirror.keys.review, mirror.deletes, mirror.snapshot) == (
        "hub",
        ("LA", "KH"),
        "trust",
        "apply",
        False,
    )
    assert mirror.actor.country is None  # two countries: it may write both


BASE = '[source]\nname = "x"\nkind = "products"\ncountry = "VN"\n'
FIELDS = '\n[id]\ntemplate = "x-{a}"\n\n[fields."name.vi"]\nfrom = "b"\n'
HUB = '[source]\nname = "h"\ntype = "hub"\nurl = "https://hub.example.org"\n'


@pytest.mark.parametrize("text, message", [
    (BASE + 'type = "xml"\npath = "a"\n' + FIELDS, "type 'xml' is not one of file, csv, json, hub"),
    (BASE + 'path = "a"\nschedule = "nightly"\n' + FIELDS, "schedule 'nightly' is not a cron expression"),
    (BASE + 'path = "a"\ndeletes = "yes"\n' + FIELDS, "deletes is one of never, report, apply"),
    (BASE + 'path = "a"\nmax_deletes = 2\n' + FIELDS, "max_deletes is a fraction between 0 and 1"),
    (BASE + 'path = "a"\nurl = "https://x.org/a.csv"\n' + FIELDS, "give 'path' (a file) or 'url', not both"),
    (BASE + 'type = "json"\npath = "a"\n' + FIELDS, "a json source needs a 'url'"),
    (BASE + 'type = "json"\nurl = "https://x.org"\n[source.pagination]\nstyle = "pages"\n', "style is one of"),
    (BASE + 'type = "json"\nurl = "https://x.org"\n[source.auth]\ntoken = "abc"\n', "secrets never go into the file"),
    (BASE + 'type = "json"\nurl = "https://x.org"\nsince_param = "since"\n',
     "'since_param' and 'since_field' go together"),
    (BASE + 'type = "json"\nurl = "https://x.org"\nbatch_size = 0\n', "batch_size is a whole number from 1 to 1000"),
    (HUB, "[source.auth] must be a table"),
    (HUB + '[source.auth]\nclient_id = "c"\n', "needs client_id (or client_id_env) and client_secret_env"),
    (HUB + 'kinds = ["cars"]\n[source.auth]\nclient_id = "c"\nclient_secret_env = "S"\n', "kinds: unknown cars"),
    (HUB + 'review = "maybe"\n[source.auth]\nclient_id = "c"\nclient_secret_env = "S"\n', "review is 'trust'"),
    (HUB + 'path = "x"\n[source.auth]\nclient_id = "c"\nclient_secret_env = "S"\n', "unknown key(s) path"),
    (BASE + 'path = "a"\nsheet = 1\n' + FIELDS, "'sheet' does not apply to format 'csv'"),
])
def test_a_bad_source_file_is_refused_with_the_key(tmp_path, text, message) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SourceConfigError) as err:
        sources.load(path)
    assert message in str(err.value) and str(path) in str(err.value)


def test_a_folder_with_a_bad_file_still_yields_the_good_ones(tmp_path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "good.toml").write_text(BASE + 'path = "a"\n' + FIELDS, encoding="utf-8")
    (tmp_path / "bad.toml").write_text("[source\n", encoding="utf-8")
    found, errors = sources.scan(tmp_path)
    assert list(found) == ["x"] and len(errors) == 1 and "not valid TOML" in errors[0]
    with pytest.raises(SourceConfigError, match="not valid TOML"):
        sources.load_all(tmp_path)
    assert sources.scan(tmp_path / "none")[1] == [
        f"sources folder {tmp_path / 'none'} does not exist (setting sources_dir)"
    ]
