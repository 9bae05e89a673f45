"""The HTML page of a real report: every number is the JSON's, hostile names stay text, nothing loads."""

from __future__ import annotations

import json
from html.parser import HTMLParser

import pytest
from upath import UPath

from recomart_assets.lake import RawZone, read_manifest
from recomart_assets.quality import write_quality_report
from recomart_assets.quality.report.html.page import CSP, pointer, render_html
from recomart_assets_tests.fixtures.quality import DAY, HOSTILE_NAMES, add_hostile_names, build_fixture_zone


class Page(HTMLParser):
    """What a browser would build from the page: elements with their attributes, <data> elements, text."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.data: list[tuple[dict[str, str | None], str]] = []
        self.text: list[str] = []
        self._open_data: dict[str, str | None] | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag == "data":
            self._open_data = dict(attrs)
            self.data.append((self._open_data, ""))

    def handle_endtag(self, tag):
        if tag == "data":
            self._open_data = None

    def handle_data(self, data):
        self.text.append(data)
        if self._open_data is not None:
            attrs, text = self.data[-1]
            self.data[-1] = (attrs, text + data)


def resolve(document, path: str):
    """The value at a JSON pointer (RFC 6901)."""
    for token in path.split("/")[1:]:
        key = token.replace("~1", "/").replace("~0", "~")
        document = document[int(key)] if isinstance(document, list) else document[key]
    return document


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    zone = RawZone(UPath(tmp_path_factory.mktemp("html") / "raw_zone"))
    zone.create_tree()
    build_fixture_zone(zone)
    add_hostile_names(zone)
    written = write_quality_report(zone, DAY)
    return written, json.loads(written.json_path.read_bytes()), written.html_path.read_text(encoding="utf-8")


def test_every_number_shown_is_the_json_value(report):
    _, results, html = report
    page = Page(html)
    assert len(page.data) > 100
    for attrs, text in page.data:
        expected = resolve(results, attrs["data-json"])
        assert json.loads(attrs["value"]) == expected, attrs
        if isinstance(expected, int):
            assert text.replace(",", "") == str(expected), (attrs, text)
        else:
            assert text == f"{100 * expected:.2f}%", (attrs, text)
    shown = {attrs["data-json"] for attrs, _ in page.data}
    assert "/datasets/transactions/row_count" in shown and "/summary/rows" in shown
    for name in HOSTILE_NAMES:  # the hostile columns' figures too, under their escaped pointers
        assert f"/datasets/transactions/columns/{pointer(name)}/null_count" in shown


def test_hostile_names_stay_text(report):
    _, _, html = report
    page = Page(html)
    assert [tag for tag, _ in page.tags if tag in ("script", "img", "iframe", "object", "embed", "link")] == []
    assert not [(tag, a) for tag, attrs in page.tags for a in attrs if a.lower().startswith("on")]
    text = "".join(page.text)
    for name in HOSTILE_NAMES[:3]:
        assert name in text
    assert "<img src=x onerror=alert(0)>" in text  # a sample, shown as the text it is


def test_self_contained_with_a_policy_that_forbids_loading(report):
    written, _, html = report
    page = Page(html)
    metas = [attrs for tag, attrs in page.tags if tag == "meta" and attrs.get("http-equiv") == "Content-Security-Policy"]
    assert [m["content"] for m in metas] == [CSP] and "default-src 'none'" in CSP
    links = [attrs.get("href") or "" for tag, attrs in page.tags if tag == "a"]
    assert set(links) >= {"../index.html", "data_quality_report.pdf", "data_quality_report.json"}
    assert not [h for h in links if "//" in h or h.startswith(("http", "javascript:", "data:"))]
    assert not [attrs for _, attrs in page.tags if "src" in attrs or "srcset" in attrs]
    assert read_manifest(written.html_path) is not None and written.html_path.parent == written.json_path.parent


def test_results_without_change_sections_render(report):
    _, results, _ = report
    older = {key: value for key, value in results.items() if key not in ("anomalies", "drift", "freshness", "changes",
                                                                          "acknowledgements")}
    html = render_html(older, [], "r.pdf", "r.json").decode()
    assert "What changed" not in html and Page(html).data
