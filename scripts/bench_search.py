#!/usr/bin/env python3
"""Benchmark the search backends on synthetic Vietnamese administrative records.

    python scripts/bench_search.py --pages 10000 100000 [--json] [--keep DIR [--reuse]]
                                   [--compare DIR] [--backend embedded es] [--es-url URL]

For each size it builds a fresh index and reports: indexing rate (pages/s, normalisation
included), query latency p50/p95 over a fixed mix (names, IDs, numbers, subject words with and
without diacritics, OCR-style typos), index size against the plain text, and relevance: the share
of 200 known-answer queries whose record comes first (IDs as typed, spaced and with O for 0;
name + number + year with and without diacritics and with a typo). Bodies splice the sentences of
/work/shared/corpus/text/*.txt (else a small built-in text) with generated names, places,
numbers and OCR-style errors. --compare DIR times another implementation (a package
`indexer_old` in DIR) on the same records and queries, interleaved, for before/after figures.

--backend embedded es builds both backends from the same records (batches alternate between
them) and adds, per size, how often they agree: the same record first on the 200 known-answer
queries and on the latency mix. Elasticsearch is filled as `digitize reindex` fills it (a new
index, refresh off, alias switched at the end: the "optimize" column) and queried through the
alias; its size is the primaries' store after the switch. Without --es-url (or
DIGITIZE_ES_URL) a node of its own is started with scripts/es.sh (heap --es-heap) and stopped
at the end.
"""
from __future__ import annotations

import argparse
import importlib
import itertools
import json
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import time
import unicodedata
from pathlib import Path
from typing import Iterator

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from indexer.base import IndexDoc, IndexPage, Query  # noqa: E402
from indexer.embedded import EmbeddedIndex  # noqa: E402
from indexer.textnorm import fold  # noqa: E402

CORPUS = Path("/work/shared/corpus/text")
SURNAMES = "Nguyễn Trần Lê Phạm Hoàng Huỳnh Phan Vũ Võ Đặng Bùi Đỗ Hồ Ngô Dương Lý Đinh Trịnh".split()
MIDDLE = "Văn Thị Minh Hữu Đức Thanh Ngọc Quang Xuân Thu Kim Công Bảo Gia".split()
GIVEN = ("An Bình Cường Dũng Hà Hải Hòa Hùng Hương Lan Long Mai Nam Phong Phúc Quân Sơn Tâm "
         "Thảo Trang Tuấn Vinh Yến Khoa Linh Nga Oanh Thủy Hiếu Khánh Giang Huy Loan Nhung "
         "Quyên Toàn Trí Uyên Vân Xuyến Duyên Hạnh Khải Lộc Ngân Phượng Sáng Tùng").split()
TYPES = [("Quyết định", "QĐ"), ("Công văn", "CV"), ("Tờ trình", "TTr"), ("Thông báo", "TB"),
         ("Giấy chứng nhận", "GCN"), ("Biên bản", "BB"), ("Kế hoạch", "KH")]
PLACES = ("Quảng Ngãi", "Thanh Hóa", "Hòa Bình", "Bình Định", "Khánh Hòa", "Nghệ An", "Thái Bình",
          "Sơn Tịnh", "Tư Nghĩa", "Mộ Đức", "Đức Phổ", "Ba Tơ", "Lý Sơn", "Tịnh Hòa", "Nghĩa Hành")
# Syllables of generated hamlet/commune names ("thôn Phú Mỹ, xã Tân Hưng"): ~900 places.
PLACE_SYL = ("An Bình Phú Mỹ Hòa Thạnh Tân Phước Long Hưng Thuận Lộc Đông Tây Nam Bắc Trung Sơn Hải "
             "Xuân Đức Nghĩa Tịnh Quang Minh Hiệp Thịnh Lợi Vĩnh Phong").split()
SUBJECTS = ["cấp giấy chứng nhận quyền sử dụng đất", "đăng ký đất đai", "đăng ký khai sinh",
            "đăng ký kết hôn", "giải quyết khiếu nại", "cải cách hành chính", "xây dựng nông thôn mới",
            "thu hồi đất", "bồi thường giải phóng mặt bằng", "chuyển đổi số", "cấp phép xây dựng",
            "hỗ trợ hộ nghèo", "phòng chống thiên tai", "quản lý hóa chất", "xử phạt vi phạm hành chính",
            "đăng ký thường trú", "cấp đổi căn cước", "trợ cấp xã hội", "khen thưởng thi đua",
            "điều chỉnh quy hoạch", "giao đất trồng rừng", "chuyển mục đích sử dụng đất",
            "tuyển dụng viên chức", "nâng lương cán bộ", "phê duyệt dự toán", "quyết toán ngân sách",
            "kiểm tra an toàn thực phẩm", "phòng cháy chữa cháy", "cấp phép khai thác khoáng sản",
            "đánh giá tác động môi trường", "tiếp công dân", "giải quyết tố cáo",
            "cấp giấy phép kinh doanh", "hòa giải tranh chấp đất đai", "sáp nhập thôn",
            "bảo hiểm y tế học sinh", "sửa chữa trường học", "nạo vét kênh mương",
            "hỗ trợ thủy lợi phí", "tiêm chủng mở rộng"]
# Sentences that carry a record's subject and its entities (plot, money, places, other people).
TEMPLATES = [
    "Hồ sơ {subject} của {title} {name2} được tiếp nhận ngày {d}/{m}/{y}.",
    "Thửa đất số {n1}, tờ bản đồ số {n2}, diện tích {n3},{n4} m2 tại thôn {place2}, xã {place3}.",
    "Tổng kinh phí thực hiện {subject} là {n1}.{n3}00.000 đồng từ nguồn ngân sách {level}.",
    "Giao {title} {name2}, cán bộ địa chính xã {place3}, kiểm tra thực địa và báo cáo trước "
    "ngày {d}/{m}/{y}.",
    "Căn cứ Văn bản số {n1}/{code2}-UBND ngày {d}/{m}/{y} của UBND huyện {place} về việc {subject}.",
    "Ý kiến của {title} {name2}: đề nghị làm rõ nội dung {subject} tại thôn {place2}.",
    "Điện thoại liên hệ: 0{n5}; hộp thư: {mail}@{place_ascii}.gov.vn.",
]
FALLBACK = ("Căn cứ Luật Tổ chức chính quyền địa phương ngày 19 tháng 6 năm 2015. Xét đề nghị của "
            "Giám đốc Sở Tài nguyên và Môi trường. Ủy ban nhân dân tỉnh chỉ đạo các sở, ban, ngành "
            "triển khai thực hiện nghiêm túc. Người dân được hướng dẫn thủ tục hành chính trên cổng "
            "dịch vụ công trực tuyến. Chánh Văn phòng và thủ trưởng các cơ quan chịu trách nhiệm thi "
            "hành quyết định này. Hồ sơ được tiếp nhận và trả kết quả đúng hạn.")
BROAD = ["ủy ban nhân dân", "cải cách hành chính", "thực hiện", "uy ban nhan dan tinh",
         "chuyển đổi số", "thủ tục hành chính"]


def sentences() -> list[str]:
    """Body sentences: from the shared corpus when present, else built in."""
    text = " ".join(p.read_text(encoding="utf-8") for p in sorted(CORPUS.glob("*.txt"))) \
        if CORPUS.is_dir() else ""
    out = [s.strip() for s in re.split(r"(?<=[.;!?])\s+|\n+", text or FALLBACK)]
    return [s for s in out if len(s.split()) >= 4]


def spliced(sents: list[str], rnd: random.Random, n: int = 6000) -> list[str]:
    """A pool of `n` sentences, each the head of one corpus sentence and the tail of another:
    corpus vocabulary and wording, but no phrase on every page (the corpus has ~180 sentences)."""
    words = [s.split() for s in dict.fromkeys(sents)]
    out = []
    for _ in range(n):
        a, b = rnd.choice(words), rnd.choice(words)
        out.append(" ".join(a[:rnd.randint(2, max(2, len(a) - 1))] + b[rnd.randint(1, len(b) - 1):]))
    return out


def ocr_noise(sentence: str, rnd: random.Random) -> str:
    """One OCR-style error in some sentences: a letter dropped or doubled, or marks lost."""
    r = rnd.random()
    if r > 0.3:
        return sentence
    words = sentence.split()
    k = rnd.randrange(len(words))
    w = words[k]
    if r < 0.1 and len(w) >= 4:
        j = rnd.randrange(1, len(w))
        words[k] = w[:j] + w[j + 1:]
    elif r < 0.2 and len(w) >= 2:
        j = rnd.randrange(len(w))
        words[k] = w[:j] + w[j] + w[j:]
    else:
        words[k] = "".join(c for c in unicodedata.normalize("NFD", w) if not unicodedata.combining(c))
    return " ".join(words)


def make_records(n_pages: int, seed: int = 7) -> Iterator[IndexDoc]:
    """Synthetic records totalling n_pages pages; each has a unique 12-digit person ID.

    Page 1 has the Decree 30 header (issuer, number, place and date, type, subject, person, ID);
    bodies mix spliced corpus sentences (with OCR-style errors) and sentences naming the record's
    subject, other people, land plots, sums, places and cross-referenced document numbers."""
    rnd = random.Random(seed)
    pool = spliced(sentences(), rnd)
    places2 = [f"{a} {b}" for a in PLACE_SYL for b in PLACE_SYL if a != b]
    total = i = 0
    while total < n_pages:
        dtype, code = rnd.choice(TYPES)
        place = rnd.choice(PLACES)
        issuer = f"UBND {rnd.choice(['tỉnh', 'huyện', 'xã'])} {place}"
        year = rnd.randint(2005, 2025)
        date = f"{year}-{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d}"
        number = f"{rnd.randint(1, 999)}/{code}-UBND"
        name = f"{rnd.choice(SURNAMES)} {rnd.choice(MIDDLE)} {rnd.choice(GIVEN)}"
        pid = f"0{rnd.randint(1, 96):02d}{rnd.randint(0, 1)}{year % 100:02d}{i % 1000000:06d}"
        subject = rnd.choice(SUBJECTS)
        npages = min(n_pages - total, rnd.choice([1, 1, 2, 2, 3, 4]))
        head = (f"ỦY BAN NHÂN DÂN {issuer.upper()[5:]} Số: {number} {place}, ngày {date[8:]} "
                f"tháng {date[5:7]} năm {year} {dtype.upper()} Về việc {subject} cho ông/bà "
                f"{name}, số định danh cá nhân {pid}. ")
        pages = []
        for p in range(1, npages + 1):
            body = [ocr_noise(rnd.choice(pool), rnd) for _ in range(rnd.randint(7, 11))]
            for _ in range(rnd.randint(1, 4)):
                place3 = rnd.choice(places2)
                body.insert(rnd.randrange(len(body) + 1), rnd.choice(TEMPLATES).format(
                    subject=subject if rnd.random() < 0.7 else rnd.choice(SUBJECTS),
                    title=rnd.choice(["ông", "bà", "đồng chí"]),
                    name2=f"{rnd.choice(SURNAMES)} {rnd.choice(MIDDLE)} {rnd.choice(GIVEN)}",
                    d=rnd.randint(1, 28), m=rnd.randint(1, 12), y=rnd.randint(2005, 2025),
                    n1=rnd.randint(1, 999), n2=rnd.randint(1, 99), n3=rnd.randint(10, 999),
                    n4=rnd.randint(0, 9), n5=rnd.randint(200000000, 999999999),
                    place=rnd.choice(PLACES), place2=rnd.choice(places2), place3=place3,
                    code2=rnd.choice(TYPES)[1], level=rnd.choice(["tỉnh", "huyện", "xã"]),
                    mail=f"vp{rnd.randint(1, 500)}", place_ascii=fold(place3).replace(" ", "")))
            pages.append(IndexPage(p, (head if p == 1 else "") + " ".join(body)))
        yield IndexDoc(f"rec-{i:07d}", f"{dtype} {number}", pages, {
            "number": number, "doc_type": dtype, "issuer": issuer, "issued_date": date,
            "subject": subject, "person_ids": [pid], "persons": [name],
            "dossiers": [f"HS-{year}-{i % 5000:05d}"]})
        total += npages
        i += 1


def typo(word: str, rnd: random.Random) -> str:
    """Drop one letter of a word (an OCR-style error)."""
    if len(word) < 4:
        return word
    k = rnd.randrange(1, len(word))
    return word[:k] + word[k + 1:]


def typo_name(name: str, rnd: random.Random) -> str:
    """The name with one letter dropped from its longest word."""
    words = name.split()
    k = max(range(len(words)), key=lambda j: len(words[j]))
    return " ".join(typo(w, rnd) if j == k else w for j, w in enumerate(words))


KINDS = ["name", "id", "id_spaced", "number", "subject", "subject_folded", "typo", "name_number",
         "broad"]


def query_mix(docs: list[IndexDoc], rnd: random.Random, n: int = 270) -> list[tuple[str, str]]:
    """(kind, query text) for latency measurement."""
    out = []
    for k in range(n):
        d = rnd.choice(docs)
        name, pid, num = d.fields["persons"][0], d.fields["person_ids"][0], d.fields["number"]
        subj = rnd.choice(SUBJECTS)
        kind = KINDS[k % len(KINDS)]
        q = {"name": name, "id": pid, "id_spaced": f"{pid[:4]} {pid[4:8]} {pid[8:]}",
             "number": num, "subject": subj, "subject_folded": fold(subj),
             "typo": typo_name(name, rnd), "name_number": f"{name} {num}",
             "broad": rnd.choice(BROAD)}[kind]
        out.append((kind, q))
    return out


ANSWER_KINDS = ["id", "id_spaced", "id_O", "name_number_year", "id_subject",
                "folded_name_number_year", "typo_name_number_year", "typo_name_id"]


def known_answers(docs: list[IndexDoc], rnd: random.Random, n: int = 200,
                  with_kind: bool = False) -> list[tuple]:
    """(query, the record that must come first): IDs in several spellings, names with the
    number and year (with and without diacritics, with an OCR-style typo), ID with subject."""
    out = []
    for k in range(n):
        d = rnd.choice(docs)
        pid, name, num = d.fields["person_ids"][0], d.fields["persons"][0], d.fields["number"]
        year = d.fields["issued_date"][:4]
        kind = ANSWER_KINDS[k % len(ANSWER_KINDS)]
        q = {"id": pid, "id_spaced": f"{pid[:4]} {pid[4:8]} {pid[8:]}", "id_O": "O" + pid[1:],
             "name_number_year": f"{name} {num} {year}", "id_subject": f"{pid} {d.fields['subject']}",
             "folded_name_number_year": fold(f"{name} {num} {year}"),
             "typo_name_number_year": f"{typo_name(name, rnd)} {num} {year}",
             "typo_name_id": f"{typo_name(name, rnd)} {pid}"}[kind]
        out.append((q, d.record_id, kind) if with_kind else (q, d.record_id))
    return out


def _pct(v: list[float], p: float) -> float:
    v = sorted(v)
    return round(v[min(len(v) - 1, int(p * len(v)))], 1)


def _load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


class _Es:
    """An ElasticIndex of its own (index prefix per size), filled the way `reindex` fills it."""

    def __init__(self, url: str, prefix: str, reuse: bool) -> None:
        from indexer.elastic import ElasticIndex
        self.ix = ElasticIndex.from_url(url, index_prefix=prefix, request_timeout=120)
        self.reused = reuse and bool(self.ix.record_ids())
        if not self.reused:
            self.ix.drop()
            self.ix = ElasticIndex.from_url(url, index_prefix=prefix, request_timeout=120)
            self.ix.begin_rebuild()

    def upsert(self, docs: list[IndexDoc]) -> None:
        self.ix.upsert(docs)

    def optimize(self) -> None:
        if not self.reused:
            self.ix.finish_rebuild()

    def search(self, q: Query):
        return self.ix.search(q)

    def size(self) -> int:
        return self.ix.size_bytes()

    def close(self, keep: bool) -> None:
        if not keep:
            self.ix.drop()
        self.ix.close()


def backends(compare: Path | None, names: list[str]) -> list[tuple[str, type | None]]:
    """("new", this checkout's EmbeddedIndex) and, with --compare, ("old", the EmbeddedIndex of
    the `indexer_old` package in that folder, e.g. one exported from git for a before/after);
    with --backend, "embedded" and/or "es" (Elasticsearch: class None, see `_Es`)."""
    if names:
        return [("es", None) if n == "es" else ("embedded", EmbeddedIndex) for n in names]
    out: list[tuple[str, type | None]] = [("new", EmbeddedIndex)]
    if compare:
        sys.path.insert(0, str(compare))
        out.insert(0, ("old", importlib.import_module("indexer_old.embedded").EmbeddedIndex))
    return out


def run(n_pages: int, impls: list[tuple[str, type | None]], keep: Path | None = None,
        reuse: bool = False, es_url: str | None = None) -> dict:
    """Build one index per implementation from the same records (batches alternate between
    them, so machine load hits both alike), then time the same queries on each, interleaved."""
    workdir = keep or Path(tempfile.mkdtemp(prefix="bench_search_"))
    paths = {label: workdir / f"search-{label}-{n_pages}.sqlite3" for label, cls in impls if cls}
    es = {label: _Es(es_url, f"bench-{n_pages}", reuse) for label, cls in impls if cls is None}
    build = not (reuse and all(p.exists() for p in paths.values())
                 and all(e.reused for e in es.values()))
    if build:
        for path in paths.values():
            for suffix in ("", "-wal", "-shm"):
                Path(str(path) + suffix).unlink(missing_ok=True)
    ixs = {label: es[label] if cls is None else cls(paths[label]) for label, cls in impls}
    docs: list[IndexDoc] = []  # the records, without their text (for the queries)
    plain = npages = 0
    t_index = dict.fromkeys(ixs, 0.0)
    load = {"start": _load()}
    gen = make_records(n_pages)
    while batch := list(itertools.islice(gen, 500)):
        for label, ix in ixs.items() if build else ():
            t0 = time.perf_counter()
            ix.upsert(batch)
            t_index[label] += time.perf_counter() - t0
        for d in batch:
            plain += sum(len(p.text.encode()) for p in d.pages)
            npages += len(d.pages)
            docs.append(IndexDoc(d.record_id, d.title, [], d.fields))
        if npages % 100_000 < 1100:
            print(f"  {npages} pages generated{'' if build else ' (reusing the index)'}, "
                  f"load {_load()}", file=sys.stderr, flush=True)
    load["indexed"] = _load()
    t_opt = dict.fromkeys(ixs, 0.0)
    for label, ix in ixs.items() if build else ():
        t0 = time.perf_counter()
        ix.optimize()
        if label not in es:
            ix.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        t_opt[label] = time.perf_counter() - t0
    rnd = random.Random(11)
    lat = {label: {} for label in ixs}
    first: dict[str, list] = {"mix": [], "known": []}  # each backend's first record per query
    for kind, q in query_mix(docs, rnd):
        tops = []
        for label, ix in ixs.items():
            t = time.perf_counter()
            hits = ix.search(Query(text=q, limit=10)).hits
            lat[label].setdefault(kind, []).append((time.perf_counter() - t) * 1000)
            tops.append(hits[0].record_id if hits else None)
        first["mix"].append(tops)
    good = {label: {} for label in ixs}
    for q, rid, kind in known_answers(docs, rnd, with_kind=True):
        tops = []
        for label, ix in ixs.items():
            hits = ix.search(Query(text=q, limit=3)).hits
            good[label].setdefault(kind, []).append(bool(hits) and hits[0].record_id == rid)
            tops.append(hits[0].record_id if hits else None)
        first["known"].append(tops)
    load["queried"] = _load()
    out = {"pages": npages, "records": len(docs), "plain_text_mb": round(plain / 1e6, 1),
           "load_avg": load, "built": build}
    if len(ixs) > 1:  # the share of queries on which every backend puts the same record first
        out["same_first_pct"] = {k: round(100 * sum(len(set(t)) == 1 for t in v) / len(v), 1)
                                 for k, v in first.items()}
    for label, ix in ixs.items():
        t = time.perf_counter()
        ix.search(Query(person_id=docs[0].fields["person_ids"][0]))
        filt_ms = (time.perf_counter() - t) * 1000
        if label in es:
            size = ix.size()
            ix.close(keep is not None)
        else:
            ix.close()
            path = paths[label]
            size = sum(os.path.getsize(str(path) + s) for s in ("", "-wal")
                       if os.path.exists(str(path) + s))
            if keep is None:
                for s in ("", "-wal", "-shm"):
                    Path(str(path) + s).unlink(missing_ok=True)
        allq = [x for v in lat[label].values() for x in v]
        oks = [x for v in good[label].values() for x in v]
        out[label] = {
            "index_s": round(t_index[label], 1),
            "index_pages_per_s": round(npages / t_index[label]) if build else None,
            "optimize_s": round(t_opt[label], 1),
            "index_mb": round(size / 1e6, 1), "size_ratio": round(size / plain, 2),
            "latency_ms": {"p50": _pct(allq, .5), "p95": _pct(allq, .95), "max": round(max(allq), 1),
                           **{k: {"p50": _pct(v, .5), "p95": _pct(v, .95)}
                              for k, v in lat[label].items()}},
            "person_id_listing_ms": round(filt_ms, 1),
            "relevance_top1": round(100 * sum(oks) / len(oks), 1),
            "relevance_by_kind": {k: round(100 * sum(v) / len(v)) for k, v in good[label].items()},
        }
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--pages", type=int, nargs="+", default=[10000])
    ap.add_argument("--json", action="store_true", help="print one JSON object per size")
    ap.add_argument("--keep", type=Path, help="build the indexes in this folder and keep them")
    ap.add_argument("--reuse", action="store_true",
                    help="with --keep: query the indexes kept there instead of rebuilding them")
    ap.add_argument("--compare", type=Path,
                    help="folder holding an `indexer_old` package: benchmark it side by side")
    ap.add_argument("--backend", nargs="+", choices=["embedded", "es"], default=[],
                    help="benchmark these backends side by side (default: embedded only)")
    ap.add_argument("--es-url", default=os.environ.get("DIGITIZE_ES_URL"),
                    help="Elasticsearch to use (default: $DIGITIZE_ES_URL, else a node of "
                         "our own from scripts/es.sh)")
    ap.add_argument("--es-heap", default="2g", help="heap of the node we start (default 2g)")
    a = ap.parse_args()
    impls = backends(a.compare, a.backend)
    node = None
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stop our node on the way out
    if "es" in a.backend and not a.es_url:
        node = f"bench-{os.getpid()}"
        es_sh = Path(__file__).resolve().parent / "es.sh"
        a.es_url = subprocess.run(["bash", str(es_sh), "start", "--name", node, "--heap",
                                   a.es_heap], check=True, capture_output=True,
                                  text=True).stdout.split()[-1]
    try:
        _report(a, impls)
    finally:
        if node:
            subprocess.run(["bash", str(Path(__file__).resolve().parent / "es.sh"), "stop",
                            "--name", node], capture_output=True)


def _report(a: argparse.Namespace, impls: list[tuple[str, type | None]]) -> None:
    for n in a.pages:
        r = run(n, impls, a.keep, a.reuse, a.es_url)
        if a.json:
            print(json.dumps(r, ensure_ascii=False), flush=True)
            continue
        print(f"{r['pages']:>9} pages ({r['records']} records, {r['plain_text_mb']} MB text), "
              f"load average {r['load_avg']}", flush=True)
        for label, _ in impls:
            x, lat = r[label], r[label]["latency_ms"]
            print(f"  {label}: index {x['index_pages_per_s']} pages/s (+{x['optimize_s']} s "
                  f"optimize), size {x['index_mb']} MB = {x['size_ratio']}x, query p50 {lat['p50']}"
                  f" ms p95 {lat['p95']} ms max {lat['max']} ms, relevance {x['relevance_top1']}% "
                  f"top-1 {x['relevance_by_kind']}", flush=True)
            for k, v in lat.items():
                if isinstance(v, dict):
                    print(f"{'':>12}{k:<16} p50 {v['p50']:>7} ms  p95 {v['p95']:>7} ms")
        if "same_first_pct" in r:
            print(f"  same record first on every backend: {r['same_first_pct']['known']}% of "
                  f"the known-answer queries, {r['same_first_pct']['mix']}% of the query mix",
                  flush=True)


if __name__ == "__main__":
    main()
