"""Elasticsearch as a user meets it: the CLI on a live node, failures, and the same answers.

Tests marked `es` use the node scripts/test.sh started (DIGITIZE_ES_URL); the failure tests
start nodes of their own with scripts/es.sh (one to stop mid-ingest, one whose write queue
rejects) and stop them by their PIDs. The unreachable-cluster tests need no node at all.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import uuid
from pathlib import Path

import pytest

from conftest import EsNode, es_url_or_skip
from indexer.base import Query
from indexer.registry import open_backend
from scripts.pagegen.render import DocSpec, degrade, render_page

ROOT = Path(__file__).resolve().parents[1]


def digitize(*args: str, env: dict | None = None, timeout: float = 600
             ) -> subprocess.CompletedProcess:
    """The real command in a process of its own (its stderr as a user sees it)."""
    full = {k: v for k, v in os.environ.items() if not k.startswith("DIGITIZE_")}
    full.update(env or {})
    return subprocess.run([sys.executable, "-m", "digitize", *args], capture_output=True,
                          text=True, env=full, cwd=ROOT, timeout=timeout)


# ---- no node needed ------------------------------------------------------------------------

def _archive(folder: Path) -> str:
    """An empty archive (its OCFL storage root and catalogue), without ingesting anything."""
    from storage.archive import Archive
    from storage.catalogue import Catalogue
    Archive(folder)
    Catalogue(folder / "catalogue.sqlite3").close()
    return str(folder)


def test_unreachable_cluster_is_one_line_and_exit_5(tmp_path):
    out = digitize("search", "nguyen", "--archive", _archive(tmp_path / "a"), "--backend", "es",
                   "--es-url", "http://127.0.0.1:9")
    assert out.returncode == 5, out.stderr
    lines = [ln for ln in out.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, out.stderr
    assert "cannot reach Elasticsearch at http://127.0.0.1:9" in lines[0]
    assert "DIGITIZE_ES_URL" in lines[0] and "Traceback" not in out.stderr


def test_ingest_with_es_from_the_environment_reaches_for_the_cluster(tmp_path, decision_page):
    out = digitize("ingest", str(decision_page), "--archive", str(tmp_path / "a"),
                   env={"DIGITIZE_BACKEND": "es", "DIGITIZE_ES_URL": "http://127.0.0.1:9"})
    assert out.returncode == 5 and "cannot reach Elasticsearch" in out.stderr
    out = digitize("ingest", str(decision_page), "--archive", str(tmp_path / "b"),
                   env={"DIGITIZE_BACKEND": "es"})
    assert out.returncode == 2 and "DIGITIZE_ES_URL" in out.stderr  # says what is missing


@pytest.mark.parametrize("url", ["http://elastic:s3cret@127.0.0.1:9",
                                 "http://elastic:s3cret@local host:92x00"])
def test_passwords_in_urls_never_printed(tmp_path, url):
    out = digitize("search", "x", "--archive", _archive(tmp_path / "a"), "--backend", "es",
                   "--es-url", url)
    assert out.returncode == 5, out.stderr
    assert "s3cret" not in out.stderr + out.stdout and "elastic:***@" in out.stderr


# ---- the node scripts/test.sh started --------------------------------------------------------

def _es_env(prefix: str) -> dict:
    return {"DIGITIZE_ES_URL": es_url_or_skip(), "DIGITIZE_ES_PREFIX": prefix}


def _drop(prefix: str) -> None:
    b = open_backend("es", None, es_url=es_url_or_skip(), index_prefix=prefix)
    b.drop()
    b.close()


@pytest.fixture
def prefix():
    name = f"digitize-cli-{uuid.uuid4().hex[:8]}"
    yield name
    if os.environ.get("DIGITIZE_ES_URL"):
        _drop(name)


@pytest.mark.es
def test_ingest_backend_es_then_search_json_same_shape_as_embedded(tmp_path, decision_page,
                                                                    prefix):
    arch = str(tmp_path / "a")
    out = digitize("ingest", str(decision_page), "--archive", arch, "--backend", "es",
                   env=_es_env(prefix))
    assert out.returncode == 0, out.stderr
    env = {**_es_env(prefix), "DIGITIZE_BACKEND": "es"}
    es_json = digitize("search", "quyết định", "--archive", arch, "--json", "--facets", env=env)
    assert es_json.returncode == 0, es_json.stderr
    assert digitize("reindex", "--archive", arch, "--backend", "embedded").returncode == 0
    em_json = digitize("search", "quyết định", "--archive", arch, "--json", "--facets")
    a, b = json.loads(es_json.stdout), json.loads(em_json.stdout)
    assert a["total"] == b["total"] == 1
    assert _shape(a) == _shape(b)
    ha, hb = a["hits"][0], b["hits"][0]
    assert (ha["record_id"], ha["pages"], ha["title"], ha["fields"]) == \
        (hb["record_id"], hb["pages"], hb["title"], hb["fields"])
    assert ha["match"] == hb["match"] and ha["snippet"] == hb["snippet"]
    assert a["facets"] == b["facets"]


def _shape(v):
    if isinstance(v, dict):
        return {k: _shape(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_shape(v[0])] if v else []
    return type(v).__name__


@pytest.mark.es
def test_outdated_mapping_names_reindex_and_reindex_fixes_it(tmp_path, decision_page, prefix):
    arch = str(tmp_path / "a")
    env = {**_es_env(prefix), "DIGITIZE_BACKEND": "es"}
    assert digitize("ingest", str(decision_page), "--archive", arch, env=env).returncode == 0
    b = open_backend("es", None, es_url=env["DIGITIZE_ES_URL"], index_prefix=prefix)
    b.es.indices.put_mapping(index=b.alias, meta={"norm_version": 1, "schema_version": 1})
    b.close()
    out = digitize("search", "quyết định", "--archive", arch, env=env)
    assert out.returncode == 5
    assert "digitize reindex --backend es" in out.stderr and len(out.stderr.splitlines()) == 1
    out = digitize("reindex", "--archive", arch, env=env)
    assert out.returncode == 0, out.stderr
    out = digitize("search", "quyết định", "--archive", arch, "--json", env=env)
    assert out.returncode == 0 and json.loads(out.stdout)["total"] == 1


def _bench():
    import importlib.util
    spec = importlib.util.spec_from_file_location("bench_search",
                                                  ROOT / "scripts" / "bench_search.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.es
def test_rebuild_switches_alias_with_searches_running(prefix):
    docs = list(_bench().make_records(3000, seed=5))
    b = open_backend("es", None, es_url=es_url_or_skip(), index_prefix=prefix)
    b.upsert(docs)
    pid = docs[7].fields["person_ids"][0]
    stop, seen, errors = threading.Event(), [], []

    def searching():
        while not stop.is_set():
            try:
                seen.append(b.search(Query(text=pid)).total)
                seen.append(b.search(Query(text="quyết định", limit=1)).total)
            except Exception as e:  # noqa: BLE001 - any failure during the switch counts
                errors.append(e)
    t = threading.Thread(target=searching)
    t.start()
    try:
        b.rebuild(docs)
    finally:
        stop.set()
        t.join()
    assert not errors and len(seen) > 4 and min(seen) > 0
    assert len(b.es.indices.get_alias(name=b.alias).body) == 1  # the old index is gone
    b.close()


@pytest.mark.es
def test_contract_pagination_deep_and_facet_totals(prefix):
    docs = list(_bench().make_records(600, seed=9))
    b = open_backend("es", None, es_url=es_url_or_skip(), index_prefix=prefix)
    e = open_backend("embedded", Path(os.environ.get("TMPDIR", "/tmp")) / prefix)
    try:
        for ix in (b, e):
            ix.upsert(docs)
        for q in ("", "ủy ban nhân dân", "dang ky dat dai"):
            got = {}
            for name, ix in (("es", b), ("embedded", e)):
                r = ix.search(Query(text=q, limit=25, facets=True))
                seen = [h.record_id for h in r.hits]
                for off in range(25, 100, 25):
                    seen += [h.record_id for h in ix.search(
                        Query(text=q, limit=25, offset=off)).hits]
                assert len(seen) == len(set(seen))
                got[name] = (r.total, r.facets["year"], len(seen))
            assert got["es"] == got["embedded"], q
    finally:
        b.drop()
        b.close()
        e.close()
        shutil.rmtree(Path(os.environ.get("TMPDIR", "/tmp")) / prefix, ignore_errors=True)


# ---- nodes of our own ----------------------------------------------------------------------

@pytest.mark.es
@pytest.mark.slow
def test_write_queue_rejections_are_retried_nothing_lost():
    es_url_or_skip()
    node = EsNode("rejecting", "thread_pool.write.size=1", "thread_pool.write.queue_size=1")
    try:
        docs = list(_bench().make_records(2400, seed=3))
        b = open_backend("es", None, es_url=node.url, index_prefix="digitize-reject")
        parts = [docs[i::6] for i in range(6)]
        errors = []

        def write(part):
            try:
                for i in range(0, len(part), 20):
                    b.upsert(part[i:i + 20])
            except Exception as e:  # noqa: BLE001
                errors.append(e)
        threads = [threading.Thread(target=write, args=(p,)) for p in parts]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors
        assert b.record_ids() == {d.record_id for d in docs}
        pages = b.es.count(index=b.alias)["count"]
        assert pages == sum(len(d.pages) for d in docs)
        stats = b.es.nodes.stats(metric="thread_pool")
        rejected = sum(n["thread_pool"]["write"]["rejected"] for n in stats["nodes"].values())
        assert rejected > 0, "the node never pushed back: the test did not test retries"
        b.close()
    finally:
        node.stop()


def _scans(folder: Path, n: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for i in range(n):
        img = degrade(render_page(DocSpec(number=f"Số: {10 + i}/QĐ-UBND"), dpi=150), skew=0.5,
                      noise=3, seed=i)
        p = folder / f"doc{i}.png"
        img.save(p, dpi=(150, 150))
        out.append(p)
    return out


@pytest.mark.es
@pytest.mark.slow
def test_node_stopped_mid_ingest_keeps_every_record_and_next_run_levels_the_index(tmp_path):
    es_url_or_skip()
    scans = _scans(tmp_path / "in", 4)
    node = EsNode("stopped")
    arch = str(tmp_path / "a")
    try:
        env = {"DIGITIZE_BACKEND": "es", "DIGITIZE_ES_URL": node.url,
               "DIGITIZE_ES_PREFIX": "digitize-stop"}
        full = {k: v for k, v in os.environ.items() if not k.startswith("DIGITIZE_")} | env
        proc = subprocess.Popen([sys.executable, "-m", "digitize", "ingest", *map(str, scans),
                                 "--archive", arch, "--json", "-j", "1"], cwd=ROOT, env=full,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        first = proc.stdout.readline()
        assert json.loads(first)["status"] == "stored"
        node.stop(keep=True)  # the cluster goes away in the middle of the batch
        rest, err = proc.communicate(timeout=600)
        outs = [json.loads(first)] + [json.loads(ln) for ln in rest.splitlines() if ln]
        assert proc.returncode == 5, err
        assert [o["status"] for o in outs] == ["stored"] * 4  # the archive kept every record
        assert outs[0]["indexed"] is True
        assert all(o["indexed"] is False for o in outs[1:]), outs
        assert "reindex --backend es" in err and "Traceback" not in err
        node = EsNode("stopped", keep=True)  # back, with what it had
        env["DIGITIZE_ES_URL"] = node.url
        b = open_backend("es", None, es_url=node.url, index_prefix="digitize-stop")
        assert len(b.record_ids()) < 4
        again = digitize("ingest", *map(str, scans), "--archive", arch, env=env)
        assert again.returncode == 0, again.stderr  # duplicates; the index made level
        assert b.record_ids() == {o["record_id"] for o in outs}
        b.close()
    finally:
        node.stop()
