"""Bad input is never a 500: a fixed hostile corpus over every URL of the project.

The URLs come from the resolver, so a new page is covered without touching this file (a new
URL with an id in its path fails until ``real_ids`` names a record for it). For each one, as
a coordinator and as an officer:

- every path parameter takes each corpus value (quoted), then a real record's id;
- the GET parameters the page reads are found by asking it once with a recording query dict;
  they all take each corpus value at once, then each alone takes the sharpest values;
- every POST form a page shows is parsed from its HTML with the values it shows, and posted
  to its action with every field set to each corpus value; as the coordinator (who reaches
  every form; forms parse alike for everyone), also one field at a time with values that may
  get past a form's own parsing (the other fields as shown, so the form is otherwise valid);
  pages that only take a POST get the fields they read;
- every upload form gets hostile files: empty, junk, a broken zip, a sheet with the import's
  own columns (read from its template) holding the corpus, and one without them.

Every answer must be below 500, and a POST that was not accepted (anything but a redirect)
must leave the data as it was: the same number of rows and the same sum of revisions in the
main tables, and no new line in the change log. Runs on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any
from urllib.parse import quote, urlencode, urljoin, urlsplit

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Count, Sum
from django.http import QueryDict
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from openpyxl import load_workbook

from tests import factories, job_kinds
from zhaoshang.core.audit import audit_context
from zhaoshang.core.models import ChangeLog
from zhaoshang.core.scoping import SYSTEM
from zhaoshang.enterprises.models import ChainNode, Enterprise, IndustryChain
from zhaoshang.evaluation import services as evaluation
from zhaoshang.evaluation.models import ProjectCondition, ReviewMeeting, SchemeVersion
from zhaoshang.jobs.services import enqueue
from zhaoshang.org.models import Unit
from zhaoshang.projects import rules
from zhaoshang.projects.models import Project
from zhaoshang.screening.models import CatalogueEntry, Rule

HUGE = str(2**63)
CORPUS: tuple[str, ...] = (
    "²",
    "١٢",
    "１２",
    HUGE,
    "-1",
    "0",
    "1e400",
    "NaN",
    "Infinity",
    "99999-12-31",
    "\x00",
    "x" * 100_000,
    "{",
    "[1,",
    "😀🏭",
    "' OR 1=1 --",
    "%_%",
)
# For one parameter or field at a time (the others as the page showed them), the values that
# may pass a form's own parsing and reach a service or the database.
# (A value no field parses, such as "{" in a number or "²" in an id, is refused whatever the
# other fields hold: the pass with every field at once finds those.)
GET_SHARP: tuple[str, ...] = ("²", HUGE, "\x00", "x" * 100_000)
TYPED_SHARP: tuple[str, ...] = ("１２", HUGE, "-1", "1e400")  # choices, numbers, dates, hidden ids
TEXT_SHARP: tuple[str, ...] = ("NaN", "x" * 100_000)  # free text and JSON ("NaN" parses as JSON)

MODELS = (Enterprise, Project, Rule, CatalogueEntry, SchemeVersion, ReviewMeeting, ProjectCondition, Unit)


# -- what the pages read ---------------------------------------------------------------------------


class RecordingQueryDict(QueryDict):
    """A query dict that remembers which keys a view asked for."""

    asked: set[str] = set()

    def __getitem__(self, key: str) -> Any:
        RecordingQueryDict.asked.add(key)
        return super().__getitem__(key)

    def get(self, key: str, default: Any = None) -> Any:
        RecordingQueryDict.asked.add(key)
        return super().get(key, default)

    def getlist(self, key: str, default: Any = None) -> Any:
        RecordingQueryDict.asked.add(key)
        return super().getlist(key, default)

    def __contains__(self, key: object) -> bool:
        if isinstance(key, str):
            RecordingQueryDict.asked.add(key)
        return super().__contains__(key)


def _recorded(method: str, client: Client, url: str) -> set[str]:
    """The parameters the page at ``url`` reads from its query string (GET) or body (POST)."""
    from django.core.handlers.wsgi import WSGIRequest

    RecordingQueryDict.asked = set()
    original_get = WSGIRequest.__dict__["GET"]
    original_load = WSGIRequest._load_post_and_files

    def recording_get(self: Any) -> QueryDict:
        raw = self.META.get("QUERY_STRING", "")
        return RecordingQueryDict(raw, mutable=False, encoding=self._encoding)

    def recording_load(self: Any) -> None:
        original_load(self)
        post = RecordingQueryDict(mutable=True, encoding=self._encoding)
        for key, values in self._post.lists():
            post.setlist(key, values)
        post._mutable = False
        self._post = post

    WSGIRequest.GET = property(recording_get)  # type: ignore[assignment,method-assign]
    WSGIRequest._load_post_and_files = recording_load  # type: ignore[method-assign]
    try:
        if method == "GET":
            client.get(url, {"_probe": "1"})
        else:
            client.post(url, {"_probe": "1"})
    finally:
        WSGIRequest.GET = original_get  # type: ignore[method-assign]
        WSGIRequest._load_post_and_files = original_load  # type: ignore[method-assign]
    return RecordingQueryDict.asked - {"_probe", "csrfmiddlewaretoken"}


class FormParser(HTMLParser):
    """The POST forms of a page: action and the values the fields show."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[tuple[str, dict[str, list[str]]]] = []
        self.typed: set[str] = set()  # fields that take a choice, a number, a date or an id
        self.uploads: set[int] = set()  # the forms (by position) that take a file
        self._fields: dict[str, list[str]] | None = None
        self._select: str | None = None
        self._textarea: str | None = None
        self._first_option: str | None = None
        self._selected = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and a.get("method", "get").lower() == "post":
            self._fields = {}
            self.forms.append((a.get("action", ""), self._fields))
        if self._fields is None:
            return
        name = a.get("name", "")
        if tag == "input" and name:
            kind = a.get("type", "text").lower()
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self._fields.setdefault(name, []).append(a.get("value", "on"))
            elif kind == "file":
                self.uploads.add(len(self.forms) - 1)
            elif kind not in ("submit", "button"):
                self._fields.setdefault(name, []).append(a.get("value", ""))
                if kind in ("number", "date", "hidden") or a.get("inputmode") in ("decimal", "numeric"):
                    self.typed.add(name)
        elif tag == "button" and name:
            self._fields.setdefault(name, []).append(a.get("value", ""))
        elif tag == "select" and name:
            self._select, self._first_option, self._selected = name, None, False
            self._fields.setdefault(name, [])
            self.typed.add(name)
        elif tag == "option" and self._select is not None:
            if self._first_option is None:
                self._first_option = a.get("value", "")
            if "selected" in a:
                self._fields[self._select].append(a.get("value", ""))
                self._selected = True
        elif tag == "textarea" and name:
            self._textarea = name
            self._fields[name] = [""]

    def handle_data(self, data: str) -> None:
        if self._fields is not None and self._textarea is not None:
            self._fields[self._textarea][0] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "select" and self._select is not None and self._fields is not None:
            self._select = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "form":
            self._fields = None


def _parsed(html: str, page: str) -> Iterator[tuple[str, dict[str, list[str]], set[str], bool]]:
    parser = FormParser()
    parser.feed(html)
    for i, (action, fields) in enumerate(parser.forms):
        path = urlsplit(action).path or urlsplit(page).path
        fields.pop("csrfmiddlewaretoken", None)
        yield path, fields, parser.typed & set(fields), i in parser.uploads


def post_forms(html: str, page: str) -> Iterator[tuple[str, dict[str, list[str]], set[str]]]:
    """(action, the fields with the values shown, the typed fields) of each POST form."""
    for path, fields, typed, _upload in _parsed(html, page):
        yield path, fields, typed


def upload_forms(html: str, page: str) -> set[str]:
    """The actions of the forms that take a file."""
    return {path for path, _fields, _typed, upload in _parsed(html, page) if upload}


def hostile_files(client: Client, action: str) -> list[tuple[str, bytes]]:
    """Files an import must refuse or report row by row: empty, binary junk, a broken zip, and
    a sheet with the import's own columns (from its template) holding the corpus."""
    files = [("empty.csv", b""), ("nul.xlsx", b"\x00" * 64), ("broken.xlsx", b"PK\x03\x04" + b"\x00" * 60)]
    columns = ["name"]
    template = client.get(urljoin(action, "template.xlsx"))
    if template.status_code == 200:
        sheet = load_workbook(io.BytesIO(template.content), read_only=True).worksheets[0]
        header = next(sheet.iter_rows(max_row=1, values_only=True), ())
        columns = [str(c) for c in header if c] or columns
    rows = [columns] + [[value] * len(columns) for value in CORPUS]
    files.append(("hostile.csv", factories.csv_bytes(rows)))
    files.append(("missing.csv", factories.csv_bytes([["不存在的列"], ["x"]])))
    return files


# -- every URL of the project ----------------------------------------------------------------------

_PARAM = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")


def url_patterns() -> list[tuple[str, str, dict[str, str]]]:
    """(route with its ``<converter:name>`` parameters, URL name, default kwargs) of every URL."""
    out: list[tuple[str, str, dict[str, str]]] = []

    def walk(patterns: list[Any], prefix: str, namespace: str) -> None:
        for p in patterns:
            route = prefix + str(p.pattern)
            if isinstance(p, URLResolver):
                ns = f"{namespace}{p.namespace}:" if p.namespace else namespace
                walk(p.url_patterns, route, ns)
            elif isinstance(p, URLPattern):
                out.append((route, f"{namespace}{p.name or ''}", dict(p.default_args)))

    walk(get_resolver().url_patterns, "/", "")
    return out


def fill(route: str, values: dict[str, str]) -> str:
    return _PARAM.sub(lambda m: quote(values[m.group("name")], safe=""), route).replace("^", "").replace("$", "")


def real_ids(data: dict[str, Any]) -> dict[str, str]:
    """For each URL name with an id in its path, the id of a record the test made."""
    return {
        "enterprises:chain_detail": str(data["chain"].pk),
        "enterprises:detail": str(data["enterprise"].pk),
        "enterprises:edit": str(data["enterprise"].pk),
        "enterprises:merge": str(data["enterprise"].pk),
        "enterprises:ranking_add": str(data["enterprise"].pk),
        "enterprises:contact_add": str(data["enterprise"].pk),
        "enterprises:export": "csv",
        "projects:export": "csv",
        "projects:detail": str(data["project"].pk),
        "projects:edit": str(data["project"].pk),
        "projects:move": str(data["project"].pk),
        "projects:credits": str(data["project"].pk),
        "projects:members": str(data["project"].pk),
        "projects:contact_add": str(data["project"].pk),
        "evaluation:scheme_version": str(data["version"].number),
        "evaluation:fast_track": str(data["project"].pk),
        "evaluation:meeting_create": str(data["project"].pk),
        "evaluation:opinion": str(data["meeting"].pk),
        "evaluation:decide": str(data["meeting"].pk),
        "evaluation:condition_done": str(data["condition"].pk),
        "jobs:detail": str(data["job"].pk),
        "jobs:status": str(data["job"].pk),
        "jobs:retry": str(data["job"].pk),
        "org:unit_detail": str(data["unit"].pk),
        "screening:rule_detail": str(data["rule"].pk),
        "screening:rule_edit": str(data["rule"].pk),
        "screening:rule_toggle": str(data["rule"].pk),
        "screening:entry_toggle": str(data["entry"].pk),
    }


@pytest.fixture(autouse=True)
def _quiet_request_log() -> Iterator[None]:
    """Thousands of refused requests would each log a warning."""
    names = ("django.request", "django.security", "django.security.csrf")
    loggers = [logging.getLogger(n) for n in names]
    before = [lg.disabled for lg in loggers]
    for lg in loggers:
        lg.disabled = True
    yield
    for lg, was in zip(loggers, before, strict=True):
        lg.disabled = was


# -- the data the pages show -----------------------------------------------------------------------


@pytest.fixture
def data(org: Any) -> dict[str, Any]:
    with audit_context(source="command"):
        chain = IndustryChain.objects.create(name="新能源汽车", kind="strategic")
        node = ChainNode.objects.create(chain=chain, name="动力电池", segment="midstream", industry_prefixes="38")
        e = factories.enterprise("模糊测试有限公司", credit_code=factories.credit_code(), owner_unit=org.park_a)
        p = factories.project("模糊测试项目", org.park_a, user=org.officer_a, stage=rules.REVIEW, enterprise=e)
        other = factories.project("对照项目", org.park_a, user=org.officer_a, chain_node=node)
        decided = evaluation.meeting_create(
            project=p, user=org.coordinator, date=dt.date(2024, 5, 1), members=[org.coordinator]
        )
        evaluation.opinion_set(
            meeting=decided, member=org.coordinator, user=org.coordinator, opinion="conditions", conditions="落实用地"
        )
        evaluation.meeting_decide(
            meeting=decided, user=org.coordinator, decision="conditions", reason="同意", conditions="落实用地"
        )
        meeting = evaluation.meeting_create(
            project=p, user=org.coordinator, date=dt.date(2024, 6, 1), members=[org.coordinator, org.officer_a]
        )
    job = enqueue("tests.make_units", user=org.coordinator, params={"names": ["模糊"]})
    return {
        "chain": chain,
        "enterprise": e,
        "project": p,
        "other": other,
        "meeting": meeting,
        "condition": ProjectCondition.objects.get(project=p),
        "version": SchemeVersion.objects.get(active=True),
        "job": job,
        "unit": org.park_a,
        "rule": Rule.objects.order_by("pk").first(),
        "entry": CatalogueEntry.objects.order_by("pk").first(),
    }


def state() -> tuple[Any, ...]:
    """What a refused POST must not change: rows and revisions of the main tables, the log."""
    out: list[Any] = [ChangeLog.objects.count()]
    for model in MODELS:
        totals = model.objects.all().aggregate(n=Count("pk"), r=Sum("revision"))
        out.append((model.__name__, totals["n"], totals["r"]))
    return tuple(out)


class Fuzzer:
    def __init__(self, client: Client) -> None:
        self.client = client
        self.failures: list[str] = []
        self.requests = 0

    def check(self, method: str, url: str, body: dict[str, Any] | None = None, label: str = "") -> int:
        before = state() if method == "POST" else None
        response = self.client.get(url) if method == "GET" else self.client.post(url, body or {})
        self.requests += 1
        status = response.status_code
        shown = (url if len(url) < 120 else url[:120] + "…") + (f" [{label}]" if label else "")
        if status >= 500:
            exc = getattr(response, "exc_info", None)
            why = f"{exc[0].__name__}: {str(exc[1])[:150]}" if exc else ""
            self.failures.append(f"{method} {shown} → {status} {why}")
        elif before is not None and not 300 <= status < 400 and state() != before:
            self.failures.append(f"{method} {shown} → {status} but data changed")
        return status


def _short(value: str) -> str:
    return repr(value if len(value) < 20 else value[:12] + f"…({len(value)})")


def fuzz_as(user: Any, data: dict[str, Any], *, one_at_a_time: bool = True) -> Fuzzer:
    client = Client(raise_request_exception=False)
    client.force_login(user)
    fuzzer = Fuzzer(client)
    ids = real_ids(data)
    # Logging out would end the run; the language switch is Django's (tests/test_language.py).
    skipped = {reverse("logout"), reverse("set_language"), reverse("login")}
    forms: dict[str, tuple[dict[str, list[str]], set[str]]] = {}
    post_only: list[str] = []
    uploads: set[str] = set()
    for route, name, _defaults in url_patterns():
        params = [m.group("name") for m in _PARAM.finditer(route)]
        if params:
            assert name in ids, f"{name}: give the fuzz test a record for {route} in real_ids()"
            for value in CORPUS:
                fuzzer.check("GET", fill(route, dict.fromkeys(params, value)))
            url = fill(route, dict.fromkeys(params, ids[name]))
        else:
            url = fill(route, {})
        if url in skipped:
            continue
        response = fuzzer.client.get(url)
        if response.status_code == 405:
            post_only.append(url)
            continue
        html = response.content.decode("utf-8", "replace") if "html" in response.get("Content-Type", "") else ""
        for action, fields, typed in post_forms(html, url):
            if action not in skipped:
                forms.setdefault(action, (fields, typed))
        uploads |= upload_forms(html, url)
        read = sorted(_recorded("GET", fuzzer.client, url))
        for value in CORPUS if read else ():
            fuzzer.check("GET", f"{url}?{urlencode(dict.fromkeys(read, value))}", label=f"all={_short(value)}")
        for param in read:
            for value in GET_SHARP:
                fuzzer.check("GET", f"{url}?{urlencode({param: value})}")
    for url in post_only:
        if url not in forms:
            forms[url] = ({key: [""] for key in _recorded("POST", fuzzer.client, url)}, set())
    # A create form and its edit form parse the same fields: one field at a time on the edit
    # form only (it has the revision, and the longer path through the service).
    shape = {url: frozenset(fields) - {"revision", "base"} for url, (fields, _typed) in forms.items()}
    edited = {shape[url] for url, (fields, _typed) in forms.items() if "revision" in fields}
    for url, (fields, typed) in forms.items():
        if not fields:
            fields = {key: [""] for key in _recorded("POST", fuzzer.client, url)}
        each = one_at_a_time and ("revision" in fields or shape[url] not in edited)
        for value in CORPUS:
            fuzzer.check("POST", url, dict.fromkeys(fields, value), label=f"all={_short(value)}")
        for field in fields if each else ():
            for value in TYPED_SHARP if field in typed else TEXT_SHARP:
                fuzzer.check("POST", url, {**fields, field: value}, label=f"{field}={_short(value)}")
    for url in sorted(uploads):
        for filename, content in hostile_files(fuzzer.client, url):
            fuzzer.check("POST", url, {"file": SimpleUploadedFile(filename, content)}, label=filename)
    return fuzzer


@pytest.mark.parametrize("persona", ["coordinator", "officer_a"])
def test_no_hostile_input_on_any_page_is_a_server_error_or_changes_stored_data(
    org: Any, data: dict[str, Any], persona: str
) -> None:
    # The forms parse alike for everyone: one field at a time only as the coordinator, who
    # reaches every form; the officer's pass holds the pages and forms of a narrower scope.
    fuzzer = fuzz_as(getattr(org, persona), data, one_at_a_time=persona == "coordinator")
    assert fuzzer.requests > 500
    assert fuzzer.client.get(reverse("home")).status_code == 200, "the fuzz test logged itself out"
    assert not fuzzer.failures, f"{len(fuzzer.failures)} bad answers:\n" + "\n".join(fuzzer.failures[:400])


def test_the_fuzz_test_finds_every_url_and_the_pages_forms(org: Any, data: dict[str, Any]) -> None:
    names = {name for _route, name, _d in url_patterns()}
    assert {"projects:edit", "evaluation:scheme_edit", "screening:entries", "evaluation:compare"} <= names
    client = Client()
    client.force_login(org.coordinator)
    page = reverse("projects:detail", args=[data["project"].pk])
    actions = {action for action, _fields, _typed in post_forms(client.get(page).content.decode(), page)}
    assert reverse("projects:move", args=[data["project"].pk]) in actions
    assert "ids" in _recorded("GET", client, reverse("evaluation:compare"))
    assert "q" in _recorded("GET", client, reverse("enterprises:list"))
    imports = reverse("projects:import")
    assert upload_forms(client.get(imports).content.decode(), imports) == {imports}
    assert len(hostile_files(client, imports)[3][1].decode("utf-8-sig").splitlines()[0].split(",")) > 5
    assert SYSTEM is not None and job_kinds is not None
