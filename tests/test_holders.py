"""Holders, organisations and objects of result documents, from synthetic OCR lines."""
from __future__ import annotations

import pytest

from digitize.fields import extract_fields
from test_fields import body_and_signer, header, page


def fields(body: list[str], conf: dict[int, float] | None = None):
    """Extract from a decision page whose body is `body` (one printed line each)."""
    conf = conf or {}
    lines = [(300, 1200 + 60 * i, t, conf.get(i, 95.0)) for i, t in enumerate(body)]
    return extract_fields([page(header() + body_and_signer() + lines)])


def holders(body, conf=None):
    return fields(body, conf)["holders"].value


def test_labelled_block_with_two_labels_on_a_line():
    got = holders([
        "5. Thông tin về chủ hộ kinh doanh:",
        "Họ và tên (ghi bằng chữ in hoa): NGUYỄN VĂN AN   Giới tính: Nam",
        "Sinh ngày: 15/03/1985   Dân tộc: Kinh   Quốc tịch: Việt Nam",
        "Số định danh cá nhân: 038085001234",
        "Địa chỉ thường trú: thôn Vĩnh Xuân, xã Phổ Phong,",
        "thị xã Đức Phổ, tỉnh Quảng Ngãi",
    ])
    assert len(got) == 1
    h = got[0]
    assert (h["name"], h["id_number"], h["id_kind"], h["birth_date"], h["sex"]) == (
        "NGUYỄN VĂN AN", "038085001234", "cccd", "1985-03-15", "Nam")
    assert h["address"] == "thôn Vĩnh Xuân, xã Phổ Phong, thị xã Đức Phổ, tỉnh Quảng Ngãi"
    assert h["role"] == "representative"
    assert not h["needs_review"]
    ev = h["evidence"]["id_number"]
    assert ev["page"] == 1 and ev["box"] and ev["confidence"] > 0.9 and ev["original"] is None
    assert "038085001234" in ev["evidence"]


def test_running_text_holder():
    got = holders([
        "Xét đề nghị của ông (bà) Trần Văn Bình, số định danh cá nhân 051190004321,",
        "sinh năm 1990, thường trú tại xã Tịnh Hòa, huyện Sơn Tịnh, tỉnh Quảng Ngãi;",
        "Điều 1. Giao đất cho ông (bà) Trần Văn Bình, thửa đất số 125, tờ bản đồ số 7.",
    ])
    assert [h["name"] for h in got] == ["Trần Văn Bình"]
    h = got[0]
    assert h["id_number"] == "051190004321" and h["birth_date"] == "1990"
    assert h["address"] == "xã Tịnh Hòa, huyện Sơn Tịnh, tỉnh Quảng Ngãi"


def test_parents_on_a_birth_extract():
    got = holders([
        "Họ, chữ đệm, tên: LÊ MINH ANH",
        "Ngày, tháng, năm sinh: 02/09/2020   Giới tính: Nữ",
        "Họ, chữ đệm, tên người mẹ: TRẦN THỊ HOA   Năm sinh: 1992",
        "Họ, chữ đệm, tên người cha: LÊ VĂN HÙNG   Năm sinh: 1990",
    ])
    roles = {h["name"]: h["role"] for h in got}
    assert roles == {"LÊ MINH ANH": "holder", "TRẦN THỊ HOA": "mother", "LÊ VĂN HÙNG": "father"}
    by = {h["name"]: h for h in got}
    assert by["LÊ MINH ANH"]["birth_date"] == "2020-09-02" and by["LÊ MINH ANH"]["sex"] == "Nữ"
    assert by["TRẦN THỊ HOA"]["birth_date"] == "1992" and by["LÊ VĂN HÙNG"]["birth_date"] == "1990"


def test_repaired_id_keeps_its_reading_and_goes_to_review():
    h = holders(["Cấp cho bà Phạm Thị Lan, CCCD số O46190001122."])[0]
    assert h["id_number"] == "046190001122"
    assert h["evidence"]["id_number"]["original"] == "O46190001122"
    assert h["evidence"]["id_number"]["needs_review"] and h["needs_review"]


@pytest.mark.parametrize("token, review", [
    ("999085001234", True),   # no province code
    ("03808500123", True),    # eleven digits
    ("212345678", False),     # 9-digit CMND
])
def test_id_shape_decides_review(token, review):
    h = holders(["Họ và tên: Đỗ Văn Tài", f"Số CMND/CCCD: {token}"])[0]
    assert h["id_number"] == token and h["evidence"]["id_number"]["needs_review"] is review


def test_low_confidence_name_is_flagged_not_rewritten():
    h = holders(["Họ và tên: Hoàng Minh Hóa"], conf={0: 40.0})[0]
    assert h["name"] == "Hoàng Minh Hóa" and h["needs_review"]


def test_passport_and_spouses():
    got = holders([
        "Thông tin về người chồng",
        "Họ, chữ đệm, tên: PHAN ĐÌNH KHOA",
        "Giấy tờ tùy thân: Hộ chiếu số C1234567",
        "Thông tin về người vợ",
        "Họ, chữ đệm, tên: VÕ THỊ MAI",
    ])
    by = {h["name"]: h for h in got}
    assert by["PHAN ĐÌNH KHOA"]["id_number"] == "C1234567"
    assert by["PHAN ĐÌNH KHOA"]["id_kind"] == "passport"
    assert by["PHAN ĐÌNH KHOA"]["role"] == "spouse" and by["VÕ THỊ MAI"]["role"] == "spouse"


def test_parcel_and_its_address_are_the_objects():
    f = fields([
        "Người sử dụng đất: Ông NGUYỄN VĂN TƯ, sinh năm 1965, CCCD số 051065000111",
        "Thửa đất số: 125   Tờ bản đồ số: 07",
        "Địa chỉ: thôn An Hải, xã Bình Châu, huyện Bình Sơn, tỉnh Quảng Ngãi",
        "Diện tích: 250,5 m²",
    ])
    (h,) = f["holders"].value
    assert h["name"] == "NGUYỄN VĂN TƯ" and h["address"] is None
    (o,) = f["objects"].value
    assert (o["kind"], o["parcel"], o["map_sheet"], o["area"]) == ("parcel", "125", "07", "250,5")
    assert o["address"] == "thôn An Hải, xã Bình Châu, huyện Bình Sơn, tỉnh Quảng Ngãi"


def test_enterprise_is_an_organisation_and_an_object():
    f = fields([
        "Tên công ty viết bằng tiếng Việt: CÔNG TY TNHH THƯƠNG MẠI AN PHÚ",
        "Mã số doanh nghiệp: 4300123456",
        "Địa chỉ trụ sở chính: số 12 đường Hùng Vương, phường Trần Phú, thành phố Quảng Ngãi",
        "Người đại diện theo pháp luật của công ty",
        "Họ và tên: NGÔ THANH SƠN   Giới tính: Nam",
    ])
    (org,) = f["organisations"].value
    assert org["name"] == "CÔNG TY TNHH THƯƠNG MẠI AN PHÚ" and org["tax_code"] == "4300123456"
    assert org["address"].startswith("số 12 đường Hùng Vương")
    (h,) = f["holders"].value
    assert h["role"] == "representative" and h["sex"] == "Nam"


def test_index_doc_carries_every_holders_id_and_name():
    from digitize.record import index_doc
    f = fields(["Cấp cho bà Phạm Thị Lan, CCCD số 046190001122 và ông Lê Văn Tám, CMND 212345678."])
    doc = {"id": "r1", "fields": {k: v.to_dict() for k, v in f.items()}}
    flat = index_doc(doc, ["text"]).fields
    assert flat["person_ids"] == ["046190001122", "212345678"]
    assert flat["persons"] == ["Phạm Thị Lan", "Lê Văn Tám"]


def test_officials_are_not_holders():
    got = fields(["Ông Chủ tịch UBND xã Tịnh Hòa chịu trách nhiệm thi hành Quyết định này."])
    assert got["holders"].value == []


def test_people_in_a_table():
    rows = [(60, 1200, "STT"), (300, 1200, "Họ và tên"), (900, 1200, "Ngày sinh"),
            (1250, 1200, "Số định danh cá nhân"), (1900, 1200, "Nơi cư trú"),
            (60, 1260, "1"), (300, 1260, "Nguyễn Văn Một"), (900, 1260, "12/03/1950"),
            (1250, 1260, "051050000111"), (1850, 1260, "thôn An Hải,"),
            (1850, 1310, "xã Bình Châu"),
            (60, 1370, "2"), (300, 1370, "Trần Thị Hai"), (900, 1370, "1948"),
            (1250, 1370, "051148000222"), (1850, 1370, "xã Bình Hải")]
    f = extract_fields([page(header() + body_and_signer() + rows)])
    got = [(h["name"], h["birth_date"], h["id_number"], h["address"]) for h in f["holders"].value]
    assert got == [("Nguyễn Văn Một", "1950-03-12", "051050000111", "thôn An Hải, xã Bình Châu"),
                   ("Trần Thị Hai", "1948", "051148000222", "xã Bình Hải")]


def test_husband_and_wife_side_by_side():
    rows = [(300, 1200, "Bên chồng"), (1400, 1200, "Bên vợ"),
            (300, 1260, "Họ, chữ đệm, tên: PHAN ĐÌNH KHOA"), (1400, 1260, "Họ, chữ đệm, tên: VÕ THỊ MAI"),
            (300, 1320, "Ngày sinh: 01/02/1990"), (1400, 1320, "Ngày sinh: 03/04/1993"),
            (300, 1380, "Số định danh cá nhân: 051090001234"),
            (1400, 1380, "Số định danh cá nhân: 051193004321")]
    f = extract_fields([page(header() + body_and_signer() + rows)])
    got = [(h["role"], h["name"], h["birth_date"], h["id_number"]) for h in f["holders"].value]
    assert got == [("spouse", "PHAN ĐÌNH KHOA", "1990-02-01", "051090001234"),
                   ("spouse", "VÕ THỊ MAI", "1993-04-03", "051193004321")]


def test_label_table_with_a_column_per_spouse():
    rows = [(700, 1200, "Chồng"), (1500, 1200, "Vợ"),
            (150, 1260, "Họ, chữ đệm, tên"), (700, 1260, "PHAN ĐÌNH KHOA"), (1500, 1260, "VÕ THỊ MAI"),
            (150, 1320, "Ngày sinh"), (700, 1320, "01/02/1990"), (1500, 1320, "03/04/1993"),
            (150, 1380, "Nơi cư trú"), (700, 1380, "thôn An Hải,"), (1500, 1380, "xã Bình Hải"),
            (700, 1430, "xã Bình Châu")]
    f = extract_fields([page(header() + body_and_signer() + rows)])
    got = [(h["role"], h["name"], h["birth_date"], h["address"]) for h in f["holders"].value]
    assert got == [("spouse", "PHAN ĐÌNH KHOA", "1990-02-01", "thôn An Hải, xã Bình Châu"),
                   ("spouse", "VÕ THỊ MAI", "1993-04-03", "xã Bình Hải")]


def test_label_value_table_with_the_value_in_the_next_cell():
    rows = [(150, 1200, "Họ, chữ đệm, tên"), (900, 1200, "LÊ MINH ANH"),
            (150, 1260, "Ngày, tháng, năm sinh"), (900, 1260, "02/09/2020"),
            (150, 1320, "Số định danh cá nhân"), (900, 1320, "051220001234")]
    f = extract_fields([page(header() + body_and_signer() + rows)])
    (h,) = f["holders"].value
    assert (h["name"], h["birth_date"], h["id_number"]) == ("LÊ MINH ANH", "2020-09-02",
                                                            "051220001234")


def test_label_table_read_as_one_line_per_row_with_rules():
    rows = [(x, 1200 + 60 * i, t) for i, cells in enumerate([
        ("Thông tin |", "Chồng |", "Vợ"),
        ("Họ, chữ đệm, tên |", "| PHAN ĐÌNH KHOA |", "| VÕ THỊ MAI"),
        ("Ngày sinh |", "01/02/1990 |", "| 03/04/1993"),
        ("Số định danh cá nhân |", "|051090001234", "051193004321 |")])
        for x, t in zip((150, 800, 1500), cells)]
    f = extract_fields([page(header() + body_and_signer() + rows)])
    got = [(h["role"], h["name"], h["birth_date"], h["id_number"]) for h in f["holders"].value]
    assert got == [("spouse", "PHAN ĐÌNH KHOA", "1990-02-01", "051090001234"),
                   ("spouse", "VÕ THỊ MAI", "1993-04-03", "051193004321")]


def test_identity_paper_named_in_its_cell():
    rows = [(x, 1200 + 60 * i, t) for i, cells in enumerate([
        ("Thông tin", "Bên chồng", "Bên vợ"),
        ("Họ, chữ đệm, tên", "PHAN ĐÌNH KHOA", "VÕ THỊ MAI"),
        ("Giấy tờ tùy thân", "CCCD số 051090001234", "Hộ chiếu số C1234567")])
        for x, t in zip((150, 800, 1500), cells)]
    f = extract_fields([page(header() + body_and_signer() + rows)])
    got = [(h["role"], h["id_number"], h["id_kind"]) for h in f["holders"].value]
    assert got == [("spouse", "051090001234", "cccd"), ("spouse", "C1234567", "passport")]


def test_holders_table_of_a_certificate_with_titles():
    rows = [(x, 1200 + 60 * i, t) for i, cells in enumerate([
        ("STT", "Ông/Bà", "Họ và tên", "Năm sinh", "Giấy tờ nhân thân"),
        ("1", "Ông", "NGUYỄN VĂN AN", "1970", "CCCD số 051070001234"),
        ("2", "Bà", "TRẦN THỊ BÌNH", "1972", "CMND số 212345678")])
        for x, t in zip((60, 250, 550, 1100, 1450), cells)]
    f = extract_fields([page(header() + body_and_signer() + rows)])
    got = [(h["name"], h["birth_date"], h["id_number"]) for h in f["holders"].value]
    assert got == [("NGUYỄN VĂN AN", "1970", "051070001234"),
                   ("TRẦN THỊ BÌNH", "1972", "212345678")]


def test_set_takes_holders_as_json():
    from digitize.curation import parse_value
    got = parse_value("holders", '[{"role": "holder", "name": "Nguyễn Văn An", "id_number": "038085001234"}]')
    assert got[0]["id_number"] == "038085001234"
