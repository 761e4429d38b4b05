"""`digitize search --person-id/--person` through the real command: page and line shown in the
text output and the same hit shape in --json (the index is filled directly, no OCR needed)."""
from indexer.base import IndexDoc, IndexPage
from indexer.registry import open_backend
from storage.archive import Archive
from storage.catalogue import Catalogue

from conftest import run_cli

DOCS = [
    IndexDoc("R1", "Quyết định giao đất", [
        IndexPage(1, "QUYẾT ĐỊNH\nVề việc giao đất ở"),
        IndexPage(2, "Điều 1. Giao đất.\nXét đề nghị của bà Trần Thị Bích, số định danh cá "
                     "nhân 034.085.OO1.234, thường trú tại xã Tịnh Hòa.")],
        {"doc_type": "Quyết định", "issued_date": "2024-06-10"}, "2024-06-11T08:00:00"),
    IndexDoc("R2", "Giấy chứng nhận hộ kinh doanh", [IndexPage(1, "GIẤY CHỨNG NHẬN\nChủ hộ")],
             {"doc_type": "Giấy chứng nhận", "issued_date": "2025-01-02",
              "person_ids": ["034085001234"], "persons": ["Trần Thị Bích"]}),
]


def _archive(tmp_path):
    archive = tmp_path / "archive"
    Archive(archive)  # its OCFL storage root is what makes the folder an archive
    Catalogue(archive / "catalogue.sqlite3").close()
    ix = open_backend("embedded", archive)
    ix.upsert(DOCS)
    ix.close()
    return archive


def test_person_id_text_output_names_page_and_line(tmp_path):
    archive = _archive(tmp_path)
    res = run_cli("search", "--person-id", "0340 8500 1234", "--archive", str(archive))
    assert res.code == 0
    out = res.output
    assert out.index("R2") < out.index("R1")  # newest first
    assert "page 2, line 2:" in out and "[034.085.OO1.234]" in out


def test_person_json_has_the_match(tmp_path):
    archive = _archive(tmp_path)
    res = run_cli("search", "--person", "tran thi bich", "--archive", str(archive), "--json")
    hits = res.objects()[0]["hits"]
    assert [h["record_id"] for h in hits] == ["R2", "R1"]  # the holder field, then the text
    assert hits[1]["match"] == {"page": 2, "line": 2, "text": hits[1]["match"]["text"]}
    assert "Trần Thị Bích" in hits[1]["match"]["text"]
    assert set(hits[0]) == set(hits[1]) and hits[0]["match"] is None
