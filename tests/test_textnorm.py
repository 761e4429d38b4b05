"""Vietnamese normalisation: tone placement, folding, number-like tokens."""
import unicodedata

import pytest

from indexer import textnorm as tn


@pytest.mark.parametrize("old,new", [
    ("hoà", "hòa"), ("thuỷ", "thủy"), ("UỶ BAN", "ỦY BAN"), ("khoẻ", "khỏe"), ("qúy", "quý"),
    ("Thanh Hoá", "Thanh Hóa"), ("tuỳ", "tùy"), ("Khoá", "Khóa"),
])
def test_canonical_tones_equates_placements(old, new):
    assert tn.canonical_tones(old) == tn.canonical_tones(new)


@pytest.mark.parametrize("word", [
    "quý", "gìn", "giữ", "người", "Nguyễn", "hoàng", "khuỷu", "thuở", "quả", "giặt", "ngoài",
    "NGHIÊNG", "Trường", "04/QĐ-UBND", "UBND",
])
def test_canonical_tones_leaves_well_formed_words(word):
    assert tn.canonical_tones(word) == unicodedata.normalize("NFC", word)


def test_canonical_tones_input_nfd_output_nfc():
    s = unicodedata.normalize("NFD", "Hoà Bình")
    assert tn.canonical_tones(s) == "Hòa Bình"


def test_fold():
    assert tn.fold("Đăng Ký Đất Đai") == "dang ky dat dai"
    assert tn.fold("NGƯỜI ƯỚC ẤN ĂN ỐC ỜI") == "nguoi uoc an an oc oi"
    assert tn.fold(unicodedata.normalize("NFD", "Nguyễn")) == "nguyen"


def test_tokens_keep_numbers_findable():
    ex = tn.exact_tokens("Số: 04/QĐ-UBND, CCCD O38085001234 hoặc 0380 8500 1234")
    assert "04qđubnd" in ex and ["04", "qđ", "ubnd"] == ex[1:4]
    assert ex.count("038085001234") == 2
    assert tn.folded_tokens("04/QĐ-UBND") == ["04", "qd", "ubnd", "04qdubnd"]
    assert tn.tokens("Ủy ban, 04/QĐ") == ["Ủy", "ban", "04", "QĐ"]


def test_norm_number_and_id():
    assert tn.norm_number("Số: 04/QĐ-UBND") == tn.norm_number("04/qd-ubnd") == "04qdubnd"
    assert tn.norm_id("0380 8500 1234") == tn.norm_id("O38085001234") == "038085001234"


def test_query_units():
    units, marks = tn.query_units('"quyền sử dụng đất" 04/QĐ-UBND 0380 8500 1234 hoa')
    assert marks
    assert units[0].exact == ["quyền", "sử", "dụng", "đất"]
    assert units[1].folded == ["038085001234"] and units[1].number
    assert units[2].folded == ["04qdubnd"] and units[2].relaxed == [["04", "qd", "ubnd"]]
    assert units[3].folded == ["hoa"] and units[3].fuzzy
    assert tn.query_units("nguyen van an")[1] is False


@pytest.mark.parametrize("a,b", [
    ("hoà", "hòa"), ("HOÀ", "HÒA"), ("thuỷ", "thủy"), ("Thuỵ", "Thụy"), ("UỶ BAN", "ỦY BAN"),
    ("uỷ ban", "ủy ban"), ("khoẻ", "khỏe"), ("xoè", "xòe"), ("qùynh", "quỳnh"),
    ("QÙYNH", "QUỲNH"), ("qúa", "quá"), ("gìa", "già"), ("gĩưa", "giữa"),
])
def test_old_and_new_tone_placement_meet(a, b):
    assert tn.canonical_tones(a) == tn.canonical_tones(b) == unicodedata.normalize("NFC", b)
    assert tn.exact_tokens(a) == tn.exact_tokens(b)


@pytest.mark.parametrize("word", [
    "quỳnh", "Quỳnh", "QUỲNH", "giữa", "GIỮA", "qua", "quà", "quả", "quốc", "quyển", "quyết",
    "gì", "gìn", "giếng", "già", "giũa", "khuya", "thuở", "của", "mùa", "nghĩa", "hoàn",
])
def test_qu_and_gi_onsets_keep_tone_on_the_vowel(word):
    """In "qu"/"gi" the u/i belong to the onset: "quỳnh" is not "qùynh", "giữa" not "gĩưa"."""
    assert tn.canonical_tones(word) == word
    assert tn.canonical_tones(unicodedata.normalize("NFD", word)) == word


def test_qu_gi_fold():
    assert [tn.fold(w) for w in ("quỳnh", "giữa", "qua", "Quỷ", "GIẤY")] == \
        ["quynh", "giua", "qua", "quy", "giay"]


@pytest.mark.parametrize("text", [
    "CCCD 038085001234", "CCCD O38085001234", "CCCD 0380 8500 1234", "CCCD 038 085 001 234",
    "CCCD O38O85OO1234",
])
def test_personal_id_found_in_ocr_variants(text):
    assert "038085001234" in tn.exact_tokens(text)
    units, _ = tn.query_units("038085001234")
    assert units[0].folded == ["038085001234"]


def test_spaced_id_with_o_for_0_is_joined():
    assert "038085001234" in tn.exact_tokens("CCCD: O38O 85OO 1234, cấp ngày 1/1/2020")
    assert "038085001234" in tn.exact_tokens("CCCD 0380 8500 1234.")
    assert "038085001234" in tn.exact_tokens("Ông O 038 085 001 234, bà")
    units, _ = tn.query_units("O38O 85OO 1234")
    assert units[0].folded == ["038085001234"] and units[0].alts == [["0380", "8500", "1234"]]


def test_spaced_document_number_is_compacted():
    assert "04qđubnd" in tn.exact_tokens("Số: 04 / QĐ - UBND ngày 5")
    assert "212khtu" in tn.exact_tokens("Kế hoạch số 212 - KH/TU")
    assert "04qđubnd" in tn.exact_tokens("Số: O4/QĐ-UBND")


def test_norm_id_as_typed():
    from indexer.textnorm import norm_id
    for typed in ("034085001234", "0340 8500 1234", "034.085.001.234", "034-085-001-234",
                  "O34O85OO1234", "o34 o85 ool 234", "O34O85OOI234"):
        assert norm_id(typed) == "034085001234", typed
    assert norm_id("c 1234567") == "C1234567"  # a passport keeps its letter


def test_id_mentions_in_running_text():
    from indexer.textnorm import id_mentions
    text = ("Xét đề nghị của ông (bà) Lê Văn A,\nsố định danh cá nhân 0340 8500 1234, "
            "CMND 123.456.789 cấp năm 2010\nĐiện thoại 9034085001234; CCCD 034085001235 1985")
    got = [(m.value, m.line) for m in id_mentions(text)]
    assert got == [("034085001234", 2), ("123456789", 2), ("034085001235", 3)]
    m = id_mentions(text)[0]
    assert text.split("\n")[1][m.start:m.end] == "0340 8500 1234"
    assert [m.value for m in id_mentions("Số CCCD: O34-O85-OOl-234")] == ["034085001234"]
    assert id_mentions("ngày 02/01/2022, số 15/QĐ-UBND, 1.500.000 đồng") == []


def test_find_phrase_and_name_matches_keep_tone_marks_apart():
    from indexer.textnorm import find_phrase, name_matches
    text = "Cấp cho ông Hoàng Minh Hóa,\nthường trú tại xã Tịnh Hòa.\nông HOÀNG MINH HOÀ"
    assert find_phrase(text, "Hoàng Minh Hòa", True) == (3, 4, 18)
    assert find_phrase(text, "Hoàng Minh Hòa", False) == (1, 12, 26)
    assert name_matches("Minh Hoà", "Hoàng Minh Hòa", True)
    assert not name_matches("Minh Hòa", "Hoàng Minh Hóa", True)
    assert name_matches("minh hoa", "Hoàng Minh Hóa", False)
