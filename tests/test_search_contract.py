"""One behaviour contract for every search backend.

"embedded" always runs; "es" runs only when DIGITIZE_ES_URL points at a live cluster
(optional DIGITIZE_ES_API_KEY / DIGITIZE_ES_USER / DIGITIZE_ES_PASSWORD / DIGITIZE_ES_CA).
"""
import os
import uuid

import pytest

from indexer.base import IndexDoc, IndexPage, Query
from indexer.registry import open_backend
from conftest import es_url_or_skip

P1 = ("ỦY BAN NHÂN DÂN TỈNH QUẢNG NGÃI. QUYẾT ĐỊNH Số: 04/QĐ-UBND về việc cấp giấy chứng nhận "
      "quyền sử dụng đất cho ông Nguyễn Văn An, số định danh cá nhân 038085001234, thường trú "
      "tại xã Tịnh Hòa, huyện Sơn Tịnh.")
P2 = "Điều 2. Văn phòng đăng ký đất đai có trách nhiệm cập nhật hồ sơ địa chính."
DOCS = [
    IndexDoc("A", "Quyết định 04/QĐ-UBND", [IndexPage(1, P1), IndexPage(2, P2)], {
        "number": "04/QĐ-UBND", "doc_type": "Quyết định", "issuer": "UBND tỉnh Quảng Ngãi",
        "issued_date": "2024-03-05", "dossiers": ["HS-2024-001"],
        "person_ids": ["038085001234"], "persons": ["Nguyễn Văn An"]}),
    IndexDoc("B", "Công văn 12/CV-STNMT", [IndexPage(1,
        "Sở Tài nguyên và Môi trường tỉnh Thanh Hóa về quản lý hóa chất. Ông Nguyễn Văn An "
        "đề nghị xem xét; đất được sử dụng đúng quyền.")], {
        "number": "12/CV-STNMT", "doc_type": "Công văn", "issuer": "Sở Tài nguyên và Môi trường",
        "issued_date": "2025-01-10", "person_ids": ["038085001234"]}),
    IndexDoc("C", "Giấy khai sinh", [IndexPage(1,
        "UỶ BAN NHÂN DÂN XÃ TỊNH HOÀ. Giấy khai sinh của cháu Phạm Mnh Tuấn, sinh năm 2022.")], {
        "number": "15/GKS", "doc_type": "Giấy khai sinh", "issuer": "UBND xã Tịnh Hòa",
        "issued_date": "2022-07-01", "person_ids": ["038085001234"],
        "persons": ["Phạm Minh Tuấn"]}),
    IndexDoc("D", "Biên bản", [IndexPage(1, "Biên bản họp với ông Phạm Minh Tuấn về khoẻ mạnh."),
                               IndexPage(2, "Phụ lục kèm theo biên bản.")], {
        "number": "7/BB", "doc_type": "Biên bản", "issuer": "UBND huyện Sơn Tịnh",
        "issued_date": "2023-11-20", "dossiers": ["HS-2024-001"]}),
]


def _es_backend():
    url = es_url_or_skip()
    return open_backend("es", None, es_url=url, api_key=os.environ.get("DIGITIZE_ES_API_KEY"),
                        username=os.environ.get("DIGITIZE_ES_USER"),
                        password=os.environ.get("DIGITIZE_ES_PASSWORD"),
                        ca_certs=os.environ.get("DIGITIZE_ES_CA"),
                        index_prefix=f"digitize-test-{uuid.uuid4().hex[:8]}")


@pytest.fixture(params=["embedded", pytest.param("es", marks=pytest.mark.es)])
def backend(request, tmp_path):
    b = open_backend("embedded", tmp_path) if request.param == "embedded" else _es_backend()
    b.upsert(DOCS)
    yield b
    if request.param == "es":
        b.drop()
    b.close()


def ids(backend, text="", **kw):
    return [h.record_id for h in backend.search(Query(text=text, **kw)).hits]


def test_query_without_diacritics(backend):
    assert set(ids(backend, "nguyen van an")) == {"A", "B"}
    assert ids(backend, "dang ky dat dai") == ["A"]
    hit = backend.search(Query(text="dang ky dat dai")).hits[0]
    assert hit.pages == [2] and "[đăng]" in hit.snippet and hit.title.startswith("Quyết")


def test_tone_placement_is_equal(backend):
    assert ids(backend, "ỦY BAN xã Tịnh Hòa khai sinh") == ["C"]  # text: "UỶ BAN ... TỊNH HOÀ"
    assert ids(backend, "khỏe") == ["D"]  # text has "khoẻ"
    assert "C" in ids(backend, "Tịnh Hoà")


def test_exact_diacritics_rank_above_folded(backend):
    assert ids(backend, "Hòa")[:1] in (["A"], ["C"]) and "B" in ids(backend, "Hòa")
    assert ids(backend, "Hóa")[0] == "B"


def test_ocr_typo_one_letter(backend):
    got = ids(backend, "Phạm Minh Tuấn")
    assert got[0] == "D" and "C" in got  # C has "Mnh": found by edit distance 1, ranked lower


def test_phrase(backend):
    assert ids(backend, '"quyền sử dụng đất"') == ["A"]
    assert set(ids(backend, "quyền sử dụng đất")) == {"A", "B"}
    assert ids(backend, '"quyen su dung dat"') == ["A"]


@pytest.mark.parametrize("q", ["04/QĐ-UBND", "04/QD-UBND", "04 QĐ UBND", "04/qd-ubnd"])
def test_document_number(backend, q):
    assert ids(backend, q)[0] == "A"


@pytest.mark.parametrize("q", ["038085001234", "0380 8500 1234", "O38085001234"])
def test_personal_id(backend, q):
    assert ids(backend, q) == ["A"]


def test_filters(backend):
    assert ids(backend, "nguyen", doc_type="Quyết định") == ["A"]
    assert ids(backend, "", doc_type="cong van") == ["B"]
    assert set(ids(backend, "", issuer="Sơn Tịnh")) == {"D"}
    assert ids(backend, "", number="04/qd-ubnd") == ["A"]
    assert ids(backend, "", date_from="2023-01-01", date_to="2024-12-31") == ["A", "D"]
    assert ids(backend, "", dossier="HS-2024-001") == ["A", "D"]
    # the holder named in the fields first, then the text mention (B: "Ông Nguyễn Văn An")
    assert ids(backend, "", person="nguyen van an") == ["A", "B"]
    assert ids(backend, "Tuấn", person="Phạm Minh Tuấn") == ["C", "D"]


def test_facets(backend):
    r = backend.search(Query(text="", facets=True))
    assert r.total == 4
    assert r.facets["year"] == {"2022": 1, "2023": 1, "2024": 1, "2025": 1}
    assert r.facets["doc_type"]["Quyết định"] == 1
    r = backend.search(Query(text="nguyen van an", facets=True))
    assert sum(r.facets["doc_type"].values()) == r.total == 2


def test_person_id_lists_newest_first(backend):
    assert ids(backend, "", person_id="0380 8500 1234") == ["B", "A", "C"]


def test_pagination(backend):
    backend.upsert([IndexDoc(f"P{i:02d}", f"Tờ trình {i}", [IndexPage(1, f"tờ trình ngân sách số {i}")],
                             {"issued_date": f"2020-01-{i + 1:02d}"}) for i in range(25)])
    seen = []
    for off in range(0, 30, 10):
        r = backend.search(Query(text="ngân sách", limit=10, offset=off))
        assert r.total == 25
        seen += [h.record_id for h in r.hits]
    assert len(seen) == 25 == len(set(seen))


def test_upsert_is_idempotent_and_delete(backend):
    backend.upsert(DOCS[:1])
    assert backend.record_ids() == {"A", "B", "C", "D"}
    assert ids(backend, "038085001234") == ["A"]
    new = IndexDoc("A", "Quyết định sửa đổi", [IndexPage(1, "nội dung mới về thủy lợi")],
                   {"doc_type": "Quyết định", "issued_date": "2024-03-05"})
    backend.upsert([new])
    assert ids(backend, "038085001234") == []
    assert ids(backend, "thuỷ lợi") == ["A"]
    assert backend.search(Query(text="thuy loi")).hits[0].pages == [1]
    backend.delete(["A", "nope"])
    assert backend.record_ids() == {"B", "C", "D"}
    assert ids(backend, "thuy loi") == []


# ---- embedded backend only: versioning, errors, capped counting ----------------------------

def test_embedded_outdated_index_raises_until_cleared(tmp_path):
    from indexer import embedded
    from indexer.base import IndexOutdated

    b = open_backend("embedded", tmp_path)
    b.upsert(DOCS)
    b.db.execute("UPDATE meta SET value='0' WHERE key='norm_version'")
    b.close()
    b = open_backend("embedded", tmp_path)  # opening works: the pipeline can still rebuild
    for call in (lambda: b.search(Query(text="nguyen")), lambda: b.upsert(DOCS),
                 lambda: b.delete(["A"]), b.record_ids):
        with pytest.raises(IndexOutdated, match="reindex"):
            call()
    b.clear()
    assert b.record_ids() == set()
    b.upsert(DOCS)
    assert ids(b, "038085001234") == ["A"]
    b.db.execute("DELETE FROM meta WHERE key='schema_version'")  # a file from before versioning
    b.close()
    with pytest.raises(IndexOutdated):
        open_backend("embedded", tmp_path).search(Query(text="an"))
    assert embedded.SCHEMA_VERSION >= 2


def test_embedded_unavailable_where_the_file_cannot_be(tmp_path):
    from indexer.base import BackendUnavailable

    (tmp_path / "archive").write_text("a file where the archive folder should be")
    with pytest.raises(BackendUnavailable):
        open_backend("embedded", tmp_path / "archive")


def test_embedded_caps_counting_and_pages_through_the_tail(tmp_path, monkeypatch):
    from indexer import embedded

    monkeypatch.setattr(embedded, "RANK_CAP", 5)
    monkeypatch.setattr(embedded, "COUNT_CAP", 12)
    b = open_backend("embedded", tmp_path)
    b.upsert([IndexDoc(f"P{i:02d}", f"Tờ trình {i}", [IndexPage(1, f"ngân sách số {i}")])
              for i in range(25)])
    seen = []
    for off in range(0, 15, 3):
        r = b.search(Query(text="ngân sách", limit=3, offset=off))
        assert r.total == 12 and r.total_exact is False
        seen += [h.record_id for h in r.hits]
    assert seen[:4] == ["P24", "P23", "P22", "P21"]  # ranked window: newest, all equal scores
    assert len(seen) == len(set(seen)) == 12 and all(h.pages == [1] for h in r.hits)
    r = b.search(Query(text="ngân sách", facets=True))
    assert r.total == 12 and r.total_exact is False
    b.close()


def test_embedded_skips_fuzzy_when_an_id_matched(tmp_path, monkeypatch):
    from indexer import embedded

    b = open_backend("embedded", tmp_path)
    b.upsert(DOCS)
    calls = []
    real = embedded.EmbeddedIndex._variants
    monkeypatch.setattr(embedded.EmbeddedIndex, "_variants",
                        lambda self, *a: calls.append(a) or real(self, *a))
    assert ids(b, "Nguyễn Văn An 038085001234") == ["A"]
    assert calls == []  # the ID pinned the record: no fuzzy pass
    assert ids(b, "Nguyễn Vaan An 038085001234") == ["A"]  # a typo in the query: corrected
    assert calls
    b.close()


def test_es_unreachable_raises_backend_unavailable():
    pytest.importorskip("elasticsearch")
    from indexer.base import BackendUnavailable

    with pytest.raises(BackendUnavailable):
        open_backend("es", None, es_url="http://127.0.0.1:9", index_prefix="digitize-none")


def test_embedded_finds_ids_ocr_wrote_with_spaces_or_o(tmp_path):
    b = open_backend("embedded", tmp_path)
    b.upsert([IndexDoc("S", "Giấy xác nhận", [IndexPage(1, "CCCD số O38O 85OO 1234 cấp ngày 2/1")]),
              IndexDoc("N", "Quyết định", [IndexPage(1, "Số: 1O5 / QĐ - UBND về việc")])])
    for q in ("038085001234", "0380 8500 1234", "O38085001234"):
        assert ids(b, q) == ["S"]
    for q in ("105/QĐ-UBND", "105/qd-ubnd", "105 QĐ UBND"):
        assert ids(b, q) == ["N"]
    b.close()


def test_es_errors_map_to_our_exceptions():
    """Offline: the client's connection-level errors become BackendUnavailable."""
    es = pytest.importorskip("elasticsearch")
    from elastic_transport import ApiResponseMeta, HttpHeaders, NodeConfig

    from indexer import elastic
    from indexer.base import BackendUnavailable

    def meta(status):
        return ApiResponseMeta(status=status, http_version="1.1", headers=HttpHeaders(),
                               duration=0.0, node=NodeConfig("http", "localhost", 9200))

    def raising(exc):
        return elastic._guard(lambda: (_ for _ in ()).throw(exc))

    for exc in (es.ConnectionError("refused"), es.ConnectionTimeout("slow"),
                es.ApiError("down", meta(503), {}),
                es.AuthenticationException("no", meta(401), {})):
        with pytest.raises(BackendUnavailable):
            raising(exc)()
    with pytest.raises(es.BadRequestError):  # our own mistakes stay visible as such
        raising(es.BadRequestError("bad", meta(400), {}))()
    assert elastic.MAPPINGS["_meta"]["norm_version"] == elastic.tn.NORM_VERSION


@pytest.mark.parametrize("q", ["7/BB", "15/GKS"])
def test_document_number_found_by_its_field_where_the_page_text_lacks_it(backend, q):
    # OCR misread the handwritten number on the page, or a person corrected the field
    assert ids(backend, q)[0] == {"7/BB": "D", "15/GKS": "C"}[q]


# ---- search by person (issue 15): the same answers on every backend ------------------------
# One person (ID 034085001234) in six records: in the fields only, or in running text printed
# with spaces, dots, dashes, O for 0 and l for 1; a near-miss ID and a longer number must not
# match. "Hoàng Minh Hòa" and a near-miss "Hoàng Minh Hóa" whose page has "Hòa" elsewhere.
PID = "034085001234"
PEOPLE = [
    IndexDoc("F", "Giấy chứng nhận đăng ký hộ kinh doanh", [IndexPage(1,
        "GIẤY CHỨNG NHẬN ĐĂNG KÝ HỘ KINH DOANH\nChủ hộ: Trần Thị Bích\nNgành nghề: bán lẻ")], {
        "doc_type": "Giấy chứng nhận", "issued_date": "2025-02-01",
        "person_ids": [PID], "persons": ["Trần Thị Bích"]}, "2025-02-02T08:00:00"),
    IndexDoc("S1", "Quyết định giao đất", [
        IndexPage(1, "ỦY BAN NHÂN DÂN HUYỆN SƠN TỊNH\nQUYẾT ĐỊNH\nVề việc giao đất ở"),
        IndexPage(2, "Điều 1. Giao đất cho hộ gia đình.\nThửa đất số 12, tờ bản đồ số 3.\n"
                     "Xét đề nghị của bà Trần Thị Bích, số định danh cá nhân 0340 8500 1234, "
                     "thường trú tại xã Tịnh Hòa.")], {
        "doc_type": "Quyết định", "issued_date": "2024-06-10"}, "2024-06-11T08:00:00"),
    IndexDoc("S2", "Trích lục khai sinh", [IndexPage(1,
        "TRÍCH LỤC KHAI SINH\nHọ, chữ đệm, tên người mẹ: TRẦN THỊ BÍCH\n"
        "Số định danh cá nhân: O34O85OO1234")], {
        "doc_type": "Trích lục", "issued_date": "2023-03-15"}, "2023-03-16T08:00:00"),
    IndexDoc("S3", "Quyết định trợ cấp xã hội", [IndexPage(1,
        "QUYẾT ĐỊNH\nVề việc trợ cấp xã hội hằng tháng\nbà Trần Thị Bích, CCCD số "
        "034.085.001.234 cấp ngày 02/01/2022")], {
        "doc_type": "Quyết định", "issued_date": "2022-09-01"}, "2022-09-02T08:00:00"),
    IndexDoc("S4", "Giấy phép xây dựng", [IndexPage(1,
        "GIẤY PHÉP XÂY DỰNG\nCấp cho: bà Trần Thị Bích\nSố CCCD: 034-085-00l-234")], {
        "doc_type": "Giấy phép", "issued_date": "2022-09-01"}, "2022-09-01T08:00:00"),
    IndexDoc("X1", "Quyết định khác", [IndexPage(1,
        "Ông Lê Văn Tám, số định danh cá nhân 034085001235.\nĐiện thoại 9034085001234.")], {
        "doc_type": "Quyết định", "issued_date": "2025-05-05"}, "2025-05-06T08:00:00"),
    IndexDoc("H1", "Quyết định công nhận quyền sử dụng đất", [IndexPage(1,
        "QUYẾT ĐỊNH\nCông nhận quyền sử dụng đất cho hộ ông Hoàng Minh Hòa và bà Lê Thị Thu,\n"
        "thường trú tại thôn An Phú, xã Bình Minh.")], {
        "doc_type": "Quyết định", "issued_date": "2021-04-01",
        "person_ids": ["001200012345", "001300054321"],
        "persons": ["Hoàng Minh Hòa", "Lê Thị Thu"]}, "2021-04-02T08:00:00"),
    IndexDoc("H2", "Quyết định cấp giấy phép", [IndexPage(1,
        "QUYẾT ĐỊNH\nCấp giấy phép cho ông Hoàng Minh Hóa, thường trú tại\n"
        "xã Tịnh Hòa, huyện Sơn Tịnh, tỉnh Quảng Ngãi.")], {
        "doc_type": "Quyết định", "issued_date": "2024-12-01",
        "person_ids": ["001200099999"], "persons": ["Hoàng Minh Hóa"]}, "2024-12-02T08:00:00"),
    IndexDoc("H3", "Biên bản hòa giải", [IndexPage(1,
        "BIÊN BẢN HÒA GIẢI\nThành phần: ông HOÀNG MINH HOÀ, trưởng thôn;\nbà Phạm Thị Lan.")], {
        "doc_type": "Biên bản", "issued_date": "2020-01-15"}, "2020-01-16T08:00:00"),
]


_EMBEDDED_PENDING = False


@pytest.fixture(params=["embedded", pytest.param("es", marks=pytest.mark.es)])
def people(request, tmp_path):
    if request.param == "embedded" and _EMBEDDED_PENDING:
        request.applymarker(pytest.mark.xfail(reason="embedded: lands in the next increment"))
    b = open_backend("embedded", tmp_path) if request.param == "embedded" else _es_backend()
    b.upsert(PEOPLE)
    yield b
    if request.param == "es":
        b.drop()
    b.close()


@pytest.mark.parametrize("typed", [PID, "0340 8500 1234", "034.085.001.234", "034-085-001-234",
                                   "O34O85OO1234", "o34 o85 ool 234", "O34O85OOI234"])
def test_person_id_finds_fields_and_text_however_printed_newest_first(people, typed):
    # newest issued first; S3 and S4 share the issued date: the later ingested first
    assert ids(people, "", person_id=typed) == ["F", "S1", "S2", "S3", "S4"]
    assert people.search(Query(person_id=typed)).total == 5


def test_person_id_reports_page_and_line(people):
    hits = {h.record_id: h for h in people.search(Query(person_id="034085001234")).hits}
    m = hits["S1"].match
    assert (m.page, m.line) == (2, 3) and "0340 8500 1234" in m.text
    assert hits["S1"].pages[0] == 2
    assert (hits["S2"].match.page, hits["S2"].match.line) == (1, 3)
    assert (hits["S3"].match.page, hits["S3"].match.line) == (1, 3)
    assert (hits["S4"].match.page, hits["S4"].match.line) == (1, 3)
    assert hits["F"].match is None  # the ID is in the record's fields only
    assert "0340 8500 1234" in hits["S1"].snippet


def test_person_id_does_not_match_near_misses(people):
    assert ids(people, "", person_id="034085001235") == ["X1"]
    assert ids(people, "", person_id="903408500123") == []
    assert ids(people, "", person_id="001300054321") == ["H1"]  # the second person of H1


def test_person_id_with_words(people):
    assert ids(people, "trợ cấp", person_id="0340 8500 1234")[0] == "S3"


@pytest.mark.parametrize("typed", ["Lê Thị Thu", "le thi thu", "LÊ THỊ THU"])
def test_person_finds_either_holder_of_a_two_person_record(people, typed):
    assert ids(people, "", person=typed) == ["H1"]


def test_person_with_or_without_diacritics(people):
    assert ids(people, "", person="Trần Thị Bích")[0] == "F"  # the holder field first
    assert set(ids(people, "", person="tran thi bich")) == {"F", "S1", "S2", "S3", "S4"}
    # typed with its marks: the exact name first (fields, then text), tone placement ignored
    for typed in ("Hoàng Minh Hòa", "Hoàng Minh Hoà", "HOÀNG MINH HÒA"):
        assert ids(people, "", person=typed) == ["H1", "H3", "H2"]
    # typed without marks: every spelling, holders by field before text mentions, newest first
    assert ids(people, "", person="hoang minh hoa") == ["H2", "H1", "H3"]
    hit = people.search(Query(person="Hoàng Minh Hòa")).hits[1]
    assert hit.record_id == "H3" and (hit.match.page, hit.match.line) == (1, 2)


@pytest.mark.parametrize("typed", ["Hoàng Minh Hòa", "Hoàng Minh Hoà", '"Hoàng Minh Hòa"'])
def test_exact_name_phrase_ranks_first(people, typed):
    # H2 is newer, has all three words with these marks ("Hòa" in "Tịnh Hòa") but the name
    # "Hoàng Minh Hóa": the record where the typed name stands as a phrase comes first
    got = ids(people, typed)
    assert got[:2] == ["H1", "H3"] and ("H2" not in got or got.index("H2") == 2)


def test_plain_query_reports_page_and_line(people):
    hit = people.search(Query(text="giao dat cho ho gia dinh")).hits[0]
    assert hit.record_id == "S1" and hit.pages[0] == 2
    assert (hit.match.page, hit.match.line) == (2, 1) and hit.match.text.startswith("Điều 1.")
