"""Quick relevance check on ~150 generated records (the generator of scripts/bench_search.py)."""
import importlib.util
import random
from pathlib import Path

import pytest

from indexer.base import Query
from indexer.embedded import EmbeddedIndex

_spec = importlib.util.spec_from_file_location(
    "bench_search", Path(__file__).resolve().parents[1] / "scripts" / "bench_search.py")
bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    docs = list(bench.make_records(400, seed=3))
    ix = EmbeddedIndex(tmp_path_factory.mktemp("rel") / "s.sqlite3")
    ix.upsert(docs)
    yield ix, docs
    ix.close()


def test_known_answers_come_first(corpus):
    ix, docs = corpus
    assert 100 <= len(docs) <= 250
    qs = bench.known_answers(docs, random.Random(5), n=100)
    good = sum([h.record_id for h in ix.search(Query(text=q, limit=1)).hits] == [rid]
               for q, rid in qs)
    assert good >= 95


def test_typo_in_name_still_finds_record(corpus):
    ix, docs = corpus
    rnd = random.Random(9)
    found = 0
    for d in rnd.sample(docs, 30):
        name, pid = d.fields["persons"][0], d.fields["person_ids"][0]
        words = name.split()
        q = " ".join([words[0], bench.typo(words[1], rnd) if len(words[1]) >= 4 else words[1],
                      words[2], pid])
        hits = ix.search(Query(text=q, limit=3)).hits
        found += bool(hits) and hits[0].record_id == d.record_id
    assert found >= 27


def test_subject_without_diacritics_matches_subject(corpus):
    ix, docs = corpus
    res = ix.search(Query(text='"dang ky ket hon"', limit=20))
    expect = {d.record_id for d in docs if d.fields["subject"] == "đăng ký kết hôn"}
    assert expect and expect <= {h.record_id for h in ix.search(
        Query(text='"dang ky ket hon"', limit=len(expect) + 50)).hits}
    assert res.total >= len(expect)


def test_snippet_marks_the_words_typed_where_they_matched(tmp_path):
    """A record found with the words as typed shows them marked, not the spelling variants that
    a wider pass looked for ("an" -> "Căn")."""
    from indexer.base import IndexDoc, IndexPage
    ix = EmbeddedIndex(tmp_path / "s.sqlite3")
    try:
        ix.upsert([IndexDoc("A", "Quyết định", [IndexPage(1, (
            "cho hộ gia đình ông Nguyễn Văn An Căn cứ Luật Tổ chức chính quyền địa phương"))],
            {})])
        hit = ix.search(Query(text="nguyen van an")).hits[0]
        assert "[Nguyễn] [Văn] [An]" in hit.snippet and "[Căn]" not in hit.snippet
    finally:
        ix.close()
