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


# ---- search by person on generated records (issue 15) -------------------------------------
import unicodedata  # noqa: E402

from indexer.base import IndexDoc, IndexPage  # noqa: E402

_TONES = "\u0300\u0301\u0303\u0309\u0323"


def _printed(pid: str, k: int) -> str:
    """The ID as OCR may give it back: spaced, dotted, dashed, O for 0, l for 1."""
    style = k % 5
    if style == 0:
        return f"{pid[:4]} {pid[4:8]} {pid[8:]}"
    if style == 1:
        return ".".join(pid[i:i + 3] for i in range(0, 12, 3))
    if style == 2:
        return pid.replace("0", "O")
    if style == 3:
        return "-".join(pid[i:i + 3] for i in range(0, 12, 3)).replace("1", "l")
    return f"{pid[:3]} {pid[3:6]} {pid[6:9]} {pid[9:]}".replace("0", "o", 2)


def _other_tone(word: str) -> str | None:
    """The word with its tone mark replaced by another (a different word), None if it has none."""
    d = unicodedata.normalize("NFD", word)
    have = [t for t in _TONES if t in d]
    if not have:
        return None
    other = next(t for t in _TONES if t != have[0])
    i = d.index(have[0])
    d = d[:i] + d[i + 1:]
    while i < len(d) and unicodedata.combining(d[i]):  # after the vowel's own mark (ô, ơ, ă)
        i += 1
    return unicodedata.normalize("NFC", d[:i] + other + d[i:])


@pytest.fixture(scope="module")
def people_corpus(tmp_path_factory):
    docs = list(bench.make_records(300, seed=11))
    rnd = random.Random(17)
    chosen = rnd.sample(docs, 40)
    extra = []
    for k, d in enumerate(chosen):  # a later result naming the person in running text only
        name, pid = d.fields["persons"][0], d.fields["person_ids"][0]
        body = " ".join(rnd.sample(bench.FALLBACK.split(), 30))
        extra.append(IndexDoc(f"txt-{k:02d}", "Quyết định", [
            IndexPage(1, "ỦY BAN NHÂN DÂN XÃ\nQUYẾT ĐỊNH\n" + body),
            IndexPage(2, f"Điều 1. {body[:80]}\nXét đề nghị của ông (bà) {name}, số định danh "
                         f"cá nhân {_printed(pid, k)}, thường trú tại thôn {k}.\nĐiều 2. Thi hành.")],
            {"doc_type": "Quyết định", "issued_date": "2026-01-%02d" % (k % 28 + 1)}))
    pairs = [(chosen[i], chosen[i + 1]) for i in range(0, 20, 2)]
    for k, (a, b) in enumerate(pairs):  # one result about two people
        extra.append(IndexDoc(f"two-{k:02d}", "Quyết định", [IndexPage(1, "QUYẾT ĐỊNH\n"
            f"Công nhận cho ông {a.fields['persons'][0]} và bà {b.fields['persons'][0]}.")],
            {"issued_date": "2019-05-05", "persons": [a.fields["persons"][0], b.fields["persons"][0]],
             "person_ids": [a.fields["person_ids"][0], b.fields["person_ids"][0]]}))
    near = []
    for d in docs:  # a newer record about a near-miss name whose page has the real given name
        name = d.fields["persons"][0]
        *rest, given = name.split()
        miss = _other_tone(given)
        if miss and len(near) < 20:
            near.append((d, f"near-{len(near):02d}"))
            extra.append(IndexDoc(near[-1][1], "Giấy phép", [IndexPage(1, (
                f"Cấp giấy phép cho ông {' '.join(rest)} {miss}, thường trú tại xã Tịnh {given}, "
                f"huyện {given} Sơn."))], {"issued_date": "2026-06-01",
                                           "persons": [" ".join([*rest, miss])]}))
    ix = EmbeddedIndex(tmp_path_factory.mktemp("people") / "s.sqlite3")
    ix.upsert(docs + extra)
    yield ix, chosen, pairs, near
    ix.close()


def test_person_id_finds_text_only_mentions_however_printed(people_corpus):
    ix, chosen, _, _ = people_corpus
    for k, d in enumerate(chosen):
        pid = d.fields["person_ids"][0]
        for typed in (pid, _printed(pid, k + 1)):
            res = ix.search(Query(person_id=typed, limit=50))
            got = [h.record_id for h in res.hits]
            assert f"txt-{k:02d}" in got and d.record_id in got, (k, typed, got)
            dates = [h.fields.get("issued_date", "") for h in res.hits]
            assert dates == sorted(dates, reverse=True)  # newest first
            txt = res.hits[got.index(f"txt-{k:02d}")]
            assert (txt.match.page, txt.match.line) == (2, 2), txt.match
            assert _printed(pid, k) in txt.match.text


def test_two_person_record_found_by_either(people_corpus):
    ix, _, pairs, _ = people_corpus
    for k, (a, b) in enumerate(pairs):
        for d in (a, b):
            assert f"two-{k:02d}" in [h.record_id for h in ix.search(
                Query(person_id=d.fields["person_ids"][0], limit=50)).hits]
            for typed in (d.fields["persons"][0], bench.fold(d.fields["persons"][0])):
                assert f"two-{k:02d}" in [h.record_id for h in ix.search(
                    Query(person=typed, limit=50)).hits], typed


def test_exact_name_ranks_above_a_near_miss_tone(people_corpus):
    ix, _, _, near = people_corpus
    assert len(near) == 20
    for d, miss in near:
        name = d.fields["persons"][0]
        for q in (Query(text=name, limit=50), Query(person=name, limit=50)):
            got = [h.record_id for h in ix.search(q).hits]
            assert d.record_id in got and (miss not in got
                                           or got.index(d.record_id) < got.index(miss)), (q, got)
        got = [h.record_id for h in ix.search(Query(person=bench.fold(name), limit=50)).hits]
        assert d.record_id in got and miss in got  # typed without marks: both spellings
