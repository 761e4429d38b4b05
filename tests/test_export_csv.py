"""The CSV export opens cleanly in a spreadsheet (issues 19 and 20): a byte-order mark, one plain
value per cell, the same columns whatever records are chosen, no cell run as a formula."""
from __future__ import annotations

import csv
import io
import json

import pytest

from conftest import run_cli
from digitize import export
from digitize.fields.model import FIELD_NAMES
from digitize.fields.objects import _SHAPES
from scripts.pagegen.render import DocSpec, render_page
from test_holders import fields


def row(**fields_) -> dict:
    return {"id": "ab" * 8, "title": "QUYẾT ĐỊNH", "page_count": 1, "dossiers": [],
            "fields": fields_, "metadata": {}}


def test_entries_get_numbered_columns_and_a_count():
    holders = [{"role": "holder", "name": f"Người {i}", "id_number": f"03808500{i:04d}",
                "id_kind": "cccd", "birth_date": None, "sex": "Nam", "address": "xã A",
                "needs_review": False, "evidence": {"name": {"page": 1}}} for i in range(5)]
    cells = export.csv_row(row(holders=holders, recipients=["Như Điều 3", "Lưu: VT"],
                               persons=[]), "digitize")
    assert cells["holders_count"] == 5 and cells["holder_3_name"] == "Người 2"
    assert "holder_4_name" not in cells and cells["holder_1_id_number"] == "038085000000"
    assert cells["recipients"] == "Như Điều 3; Lưu: VT" and cells["persons_count"] == 0
    columns = export.csv_columns("digitize", [])
    assert set(cells) <= set(columns)
    assert not any(isinstance(v, str) and v.startswith(("[", "{")) for v in cells.values())


def test_every_attribute_the_extractors_fill_has_a_column():
    f = fields([
        "Tên công ty viết bằng tiếng Việt: CÔNG TY TNHH THƯƠNG MẠI AN PHÚ",
        "Mã số doanh nghiệp: 4300123456",
        "Địa chỉ trụ sở chính: số 12 đường Hùng Vương, phường Trần Phú, thành phố Quảng Ngãi",
        "Người đại diện theo pháp luật của công ty",
        "Họ và tên: NGÔ THANH SƠN   Giới tính: Nam",
        "Sinh ngày: 15/03/1985   Số định danh cá nhân: 038085001234",
        "Điều 1. Giao đất cho ông (bà) Trần Văn Bình, thửa đất số 125, tờ bản đồ số 7.",
    ])
    for name in export.CSV_ENTRIES:
        _prefix, attrs, _slots = export.CSV_ENTRIES[name]
        assert f[name].value, name
        for item in f[name].value:
            public = {k for k in item if not k.startswith("_")} - {"evidence", "needs_review"}
            assert public <= set(attrs), (name, public - set(attrs))
    kinds = set().union(*_SHAPES.values())
    assert kinds <= set(export.CSV_ENTRIES["objects"][1])
    assert set(export.CSV_ENTRIES) <= set(FIELD_NAMES)


@pytest.mark.parametrize("text", ["=HYPERLINK(\"http://x\",\"a\")", "+cmd|' /C calc'!A0",
                                  "-2+3", "@SUM(A1:A9)", "\tx", "\rx"])
def test_formulas_are_neutralised(text):
    cells = export.csv_row(row(subject=text, holders=[{"name": text}]), "digitize")
    assert cells["subject"] == "'" + text and cells["holder_1_name"] == "'" + text
    tt05 = export.csv_row(row(subject=text), "tt05")
    assert tt05["Subject"] == "'" + text
    assert export.safe_cell("Quyết định 15") == "Quyết định 15" and export.safe_cell(-3) == -3


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    """Two records from a batch manifest; only the second carries archive metadata, one of them
    a formula."""
    d = tmp_path_factory.mktemp("csv")
    for n in range(2):
        spec = DocSpec(number=f"Số: {30 + n}/QĐ-UBND", subject=[f"Về việc hồ sơ số {50 + n}"])
        render_page(spec, dpi=120).save(d / f"d{n}.png", dpi=(120, 120))
    (d / "manifest.csv").write_text("file,box,notes\nd0.png,,\nd1.png,12,=HYPERLINK(\"x\")\n",
                                    encoding="utf-8")
    a = d / "archive"
    res = run_cli("ingest", "--manifest", str(d / "manifest.csv"), "--archive", str(a),
                  "--json", "-j", "1")
    assert res.code == 0, res.output
    return a, [o["record_id"] for o in res.objects()]


def read_csv(path) -> tuple[list[str], list[dict]]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # the byte-order mark a spreadsheet needs
    reader = csv.DictReader(io.StringIO(raw.decode("utf-8-sig")))
    rows = list(reader)
    return list(reader.fieldnames or []), rows


def test_csv_has_the_same_columns_whatever_records_are_chosen(archive, tmp_path):
    a, (first, second) = archive
    columns = set()
    for i, chosen in enumerate(([], ["--record", first], ["--record", second])):
        out = tmp_path / f"{i}.csv"
        assert run_cli("export", str(out), "--format", "csv", *chosen, "--archive", str(a)).code == 0
        header, rows = read_csv(out)
        columns.add(tuple(header))
        for r in rows:
            for v in r.values():
                assert not (v.startswith(("[", "{")) and _is_json(v)), v
    assert len(columns) == 1
    (header,) = columns
    assert {"box", "notes", "holders_count", "holder_1_name"} <= set(header)
    _h, rows = read_csv(tmp_path / "2.csv")
    assert rows[0]["notes"] == "'=HYPERLINK(\"x\")" and rows[0]["box"] == "12"


def _is_json(v: str) -> bool:
    try:
        json.loads(v)
    except ValueError:
        return False
    return True
