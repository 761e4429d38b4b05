"""Invented but realistic Vietnamese data for generated result documents: people, identity
numbers, dates, addresses (real province / district / commune names, before and after the 2025
reorganisation), land parcels, businesses, tax codes and vehicle plates.

Every draw takes a `random.Random`, so a document is a pure function of its seed. Names are
combinations of common surnames, middle and given names (no real person is meant); the lists
deliberately hold names that differ only by the tone mark (Hòa/Hóa, Trịnh/Trình, Thủy/Thúy ...).
"""
from __future__ import annotations

import random
import re
import unicodedata
from dataclasses import dataclass

SURNAMES = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi",
            "Đỗ", "Hồ", "Ngô", "Dương", "Lý", "Trịnh", "Trình", "Đinh", "Lâm", "Mai", "Tô", "Hà",
            "Đào", "Cao", "Lương", "Thái", "Lưu", "Châu", "Tạ", "Quách", "Kiều", "Phùng", "Khúc",
            "Đoàn", "Vương", "Tăng", "Hứa", "La", "Lã")
MIDDLE_M = ("Văn", "Minh", "Hoàng", "Ngọc", "Thanh", "Quốc", "Hữu", "Đức", "Xuân", "Công", "Bảo",
            "Gia", "Đình", "Quang", "Thành", "Trung", "Anh", "Tiến", "Hòa", "Thế")
MIDDLE_F = ("Thị", "Ngọc", "Thanh", "Thu", "Kim", "Minh", "Hoài", "Mỹ", "Bảo", "Thùy", "Thúy",
            "Phương", "Diệu", "Hồng", "Tuyết", "Xuân")
GIVEN_M = ("An", "Bình", "Hòa", "Hóa", "Hùng", "Hưng", "Dũng", "Tuấn", "Khánh", "Tâm", "Tú",
           "Tùng", "Vinh", "Phúc", "Lộc", "Hải", "Long", "Nam", "Toàn", "Khoa", "Hoàn", "Hoan",
           "Thụy", "Quý", "Trình", "Cường", "Đạt", "Sơn", "Thắng", "Nghĩa", "Huy", "Duy", "Lâm",
           "Lam", "Phước", "Thủy", "Khỏe", "Hòe", "Lợi", "Tài")
GIVEN_F = ("Lan", "Nga", "Thủy", "Thúy", "Thùy", "Hạnh", "Hằng", "Hương", "Hường", "Phương",
           "Quỳnh", "Thảo", "Trang", "Yến", "Loan", "Mai", "Thoa", "Xoan", "Hòa", "Hóa", "Hoa",
           "Trinh", "Thắm", "Sương", "Điệp", "Nhung", "Linh", "Ngân", "Oanh", "Hòe", "Tuyền",
           "Duyên", "My", "Vy", "Nhàn", "Huệ")
ETHNIC = ("Kinh",) * 8 + ("Hoa", "Tày", "Mường", "Hrê", "Cor", "Ê Đê", "Khmer")

# CCCD / personal ID province codes (Circular 59/2021/TT-BCA), code -> province
ID_PROVINCES = {
    "001": "Hà Nội", "002": "Hà Giang", "004": "Cao Bằng", "006": "Bắc Kạn", "008": "Tuyên Quang",
    "010": "Lào Cai", "011": "Điện Biên", "012": "Lai Châu", "014": "Sơn La", "015": "Yên Bái",
    "017": "Hòa Bình", "019": "Thái Nguyên", "020": "Lạng Sơn", "022": "Quảng Ninh",
    "024": "Bắc Giang", "025": "Phú Thọ", "026": "Vĩnh Phúc", "027": "Bắc Ninh", "030": "Hải Dương",
    "031": "Hải Phòng", "033": "Hưng Yên", "034": "Thái Bình", "035": "Hà Nam", "036": "Nam Định",
    "037": "Ninh Bình", "038": "Thanh Hóa", "040": "Nghệ An", "042": "Hà Tĩnh", "044": "Quảng Bình",
    "045": "Quảng Trị", "046": "Thừa Thiên Huế", "048": "Đà Nẵng", "049": "Quảng Nam",
    "051": "Quảng Ngãi", "052": "Bình Định", "054": "Phú Yên", "056": "Khánh Hòa",
    "058": "Ninh Thuận", "060": "Bình Thuận", "062": "Kon Tum", "064": "Gia Lai", "066": "Đắk Lắk",
    "067": "Đắk Nông", "068": "Lâm Đồng", "070": "Bình Phước", "072": "Tây Ninh",
    "074": "Bình Dương", "075": "Đồng Nai", "077": "Bà Rịa - Vũng Tàu", "079": "Hồ Chí Minh",
    "080": "Long An", "082": "Tiền Giang", "083": "Bến Tre", "084": "Trà Vinh", "086": "Vĩnh Long",
    "087": "Đồng Tháp", "089": "An Giang", "091": "Kiên Giang", "092": "Cần Thơ",
    "093": "Hậu Giang", "094": "Sóc Trăng", "095": "Bạc Liêu", "096": "Cà Mau",
}
CMND_PREFIXES = ("01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11", "12", "13",
                 "14", "15", "16", "17", "18", "19", "20", "21", "22", "23", "24", "25", "26",
                 "27", "28", "29", "30", "31", "32", "33", "34", "35", "36", "37", "38")

# Before 1 July 2025: (province, district, [communes]); "tỉnh"/"thành phố" prefixes included.
OLD_PLACES = (
    ("tỉnh Quảng Ngãi", "huyện Sơn Tịnh", ("xã Tịnh Hà", "xã Tịnh Sơn", "xã Tịnh Bắc", "xã Tịnh Thọ",
                                           "xã Tịnh Trà", "xã Tịnh Phong")),
    ("tỉnh Quảng Ngãi", "thành phố Quảng Ngãi", ("phường Trần Phú", "phường Lê Hồng Phong",
                                                 "phường Nghĩa Chánh", "phường Chánh Lộ",
                                                 "phường Nghĩa Lộ", "xã Tịnh Khê")),
    ("tỉnh Quảng Ngãi", "huyện Tư Nghĩa", ("thị trấn La Hà", "xã Nghĩa Kỳ", "xã Nghĩa Hòa")),
    ("tỉnh Quảng Ngãi", "huyện Bình Sơn", ("thị trấn Châu Ổ", "xã Bình Thạnh", "xã Bình Trị")),
    ("tỉnh Thanh Hóa", "thành phố Thanh Hóa", ("phường Điện Biên", "phường Lam Sơn",
                                               "phường Ba Đình", "phường Đông Thọ")),
    ("tỉnh Thanh Hóa", "huyện Hoằng Hóa", ("thị trấn Bút Sơn", "xã Hoằng Đạo")),
    ("tỉnh Khánh Hòa", "thành phố Nha Trang", ("phường Vĩnh Hòa", "phường Phước Hòa",
                                               "phường Lộc Thọ", "phường Tân Lập")),
    ("tỉnh Khánh Hòa", "thị xã Ninh Hòa", ("phường Ninh Hiệp", "xã Ninh Phụng")),
    ("thành phố Hà Nội", "quận Hoàn Kiếm", ("phường Hàng Bạc", "phường Hàng Trống",
                                            "phường Tràng Tiền")),
    ("thành phố Hà Nội", "quận Cầu Giấy", ("phường Dịch Vọng", "phường Nghĩa Đô",
                                           "phường Quan Hoa")),
    ("thành phố Hồ Chí Minh", "Quận 1", ("phường Bến Nghé", "phường Bến Thành", "phường Đa Kao",
                                         "phường Tân Định")),
    ("thành phố Hồ Chí Minh", "thành phố Thủ Đức", ("phường Linh Trung",
                                                    "phường Hiệp Bình Chánh")),
    ("tỉnh Thừa Thiên Huế", "thành phố Huế", ("phường Phú Hội", "phường Vĩnh Ninh",
                                              "phường Thuận Hòa", "phường Kim Long")),
    ("thành phố Đà Nẵng", "quận Hải Châu", ("phường Thạch Thang", "phường Hòa Thuận Đông")),
    ("thành phố Đà Nẵng", "huyện Hòa Vang", ("xã Hòa Tiến", "xã Hòa Phong")),
    ("tỉnh Nghệ An", "thành phố Vinh", ("phường Hưng Bình", "phường Lê Mao", "phường Trường Thi")),
    ("tỉnh Bình Định", "thành phố Quy Nhơn", ("phường Lê Lợi", "phường Trần Phú",
                                              "phường Nhơn Bình")),
    ("tỉnh Hòa Bình", "thành phố Hòa Bình", ("phường Phương Lâm", "phường Đồng Tiến")),
    ("tỉnh Quảng Nam", "thành phố Hội An", ("phường Minh An", "phường Cẩm Phô")),
    ("thành phố Cần Thơ", "quận Ninh Kiều", ("phường Tân An", "phường An Hòa",
                                             "phường Xuân Khánh")),
)
# From 1 July 2025 (two tiers, no districts): (province, [communes])
NEW_PLACES = (
    ("thành phố Hà Nội", ("phường Hoàn Kiếm", "phường Ba Đình", "phường Cầu Giấy",
                          "phường Ngọc Hà")),
    ("Thành phố Hồ Chí Minh", ("phường Sài Gòn", "phường Bến Thành", "phường Tân Định",
                               "phường Thủ Dầu Một", "phường Vũng Tàu")),
    ("tỉnh Quảng Ngãi", ("phường Cẩm Thành", "phường Nghĩa Lộ", "phường Trương Quang Trọng",
                         "phường Kon Tum")),
    ("tỉnh Thanh Hóa", ("phường Hạc Thành",)),
    ("tỉnh Khánh Hòa", ("phường Nha Trang", "phường Phan Rang")),
    ("thành phố Đà Nẵng", ("phường Hải Châu", "phường Hội An", "phường Tam Kỳ")),
    ("thành phố Huế", ("phường Thuận Hóa", "phường Phú Xuân")),
    ("tỉnh Gia Lai", ("phường Quy Nhơn", "phường Pleiku")),
    ("thành phố Cần Thơ", ("phường Ninh Kiều",)),
    ("tỉnh Phú Thọ", ("phường Việt Trì", "phường Hòa Bình")),
)
STREETS = ("Lê Lợi", "Trần Hưng Đạo", "Quang Trung", "Nguyễn Huệ", "Hùng Vương", "Phan Đình Phùng",
           "Hai Bà Trưng", "Nguyễn Trãi", "Lý Thường Kiệt", "Trần Phú", "Bà Triệu", "Lê Duẩn",
           "Phạm Văn Đồng", "Võ Thị Sáu", "Nguyễn Thị Minh Khai", "Điện Biên Phủ")
HAMLETS = ("thôn An Hòa", "thôn Phú Thọ", "thôn Trường Thọ", "thôn Đông Hòa", "thôn Tây Phước",
           "tổ dân phố 3", "tổ dân phố 7", "khu phố 2", "ấp Bình Hóa", "xóm Thượng", "thôn Hóa Lộc")
PLATE_CODES = ("76", "51", "29", "30", "36", "79", "43", "75", "37", "77", "65", "92")
TRADES = (("Tạp hóa", "Bán lẻ hàng tạp hóa"), ("Điện máy", "Bán lẻ đồ điện gia dụng"),
          ("Quán cơm", "Dịch vụ ăn uống"), ("Cà phê", "Dịch vụ phục vụ đồ uống"),
          ("Sửa xe", "Bảo dưỡng, sửa chữa mô tô, xe máy"), ("Vật liệu xây dựng",
                                                             "Bán lẻ vật liệu xây dựng"),
          ("Thuốc tây", "Bán lẻ thuốc"), ("May mặc", "May trang phục"),
          ("Nông sản", "Bán buôn nông, lâm sản"), ("Văn phòng phẩm", "Bán lẻ văn phòng phẩm"))
BRAND = ("An Phú", "Minh Hòa", "Thành Đạt", "Phúc Lộc", "Hoàng Phát", "Tân Thịnh", "Đức Thủy",
         "Kim Ngân", "Hóa Sơn", "Thái Bình", "Vạn Xuân", "Hưng Thịnh", "Bảo Tín", "Nhật Quang")
COMPANY_FORMS = ("CÔNG TY TNHH", "CÔNG TY TNHH MỘT THÀNH VIÊN", "CÔNG TY CỔ PHẦN")
COMPANY_TRADES = ("THƯƠNG MẠI DỊCH VỤ", "XÂY DỰNG", "VẬN TẢI", "ĐẦU TƯ VÀ PHÁT TRIỂN",
                  "SẢN XUẤT VÀ THƯƠNG MẠI", "DU LỊCH", "THỰC PHẨM")


def nfc(s: str) -> str:
    return unicodedata.normalize("NFC", s)


_OLD_OA = re.compile(r"([oO])([\u0300\u0301\u0303\u0309\u0323])([aeAE])(?![^\W\d_])")
_OLD_UY = re.compile(r"(?<![qQ])([uU])([\u0300\u0301\u0303\u0309\u0323])([yY])(?![^\W\d_])")


def old_tones(s: str) -> str:
    """The same words with the old tone placement: hòa -> hoà, thủy -> thuỷ, ỦY -> UỶ (a
    placement variant only: the tone mark itself never changes)."""
    d = unicodedata.normalize("NFD", s)
    d = _OLD_OA.sub(r"\1\3\2", d)
    d = _OLD_UY.sub(r"\1\3\2", d)
    return nfc(d)


@dataclass
class Person:
    """One person as printed on a result (truth keys of the holders contract)."""

    role: str
    name: str
    id_number: str | None
    id_kind: str | None
    birth_date: str | None      # "YYYY-MM-DD" or "YYYY"
    sex: str | None             # "Nam" | "Nữ"
    address: str | None
    ethnic: str = "Kinh"

    def truth(self) -> dict:
        return {"role": self.role, "name": self.name, "id_number": self.id_number,
                "id_kind": self.id_kind, "birth_date": self.birth_date, "sex": self.sex,
                "address": self.address}


def person_name(rng: random.Random, sex: str) -> str:
    """Surname + middle + given name (an invented combination), NFC."""
    mid = MIDDLE_F if sex == "Nữ" else MIDDLE_M
    given = GIVEN_F if sex == "Nữ" else GIVEN_M
    parts = [rng.choice(SURNAMES), rng.choice(mid)]
    if rng.random() < 0.25:
        parts.append(rng.choice(MIDDLE_F[1:] if sex == "Nữ" else MIDDLE_M[1:]))  # no 2nd Thị
    parts.append(rng.choice(given))
    if len(set(parts)) < len(parts):
        parts = [parts[0], parts[1], parts[-1]]
    return nfc(" ".join(parts))


TONE_TWINS_M = (("Hòa", "Hóa"), ("Hùng", "Hưng"), ("Hoàn", "Hoan"), ("Lâm", "Lam"),
                ("Thụy", "Thủy"))
TONE_TWINS_F = (("Hòa", "Hóa"), ("Thủy", "Thúy"), ("Hương", "Hường"), ("Thùy", "Thúy"))
SURNAME_TWINS = (("Trịnh", "Trình"),)


def twin_name(rng: random.Random, sex: str) -> str:
    """One side of a pair of names that differ only by a tone mark (Hoàng Minh Hòa / Hoàng Minh
    Hóa, Trịnh Thị Nga / Trình Thị Nga), drawn from a small fixed pool so that both sides of a
    pair turn up across the documents of a set."""
    pool = random.Random(f"twins:{sex}")
    pairs = []
    for k in range(6):
        mid = pool.choice(MIDDLE_F if sex == "Nữ" else MIDDLE_M)
        if k % 3 == 2:
            a, b = pool.choice(SURNAME_TWINS)
            given = pool.choice(GIVEN_F if sex == "Nữ" else GIVEN_M)
            pairs.append((f"{a} {mid} {given}", f"{b} {mid} {given}"))
        else:
            sur = pool.choice(SURNAMES)
            a, b = pool.choice(TONE_TWINS_F if sex == "Nữ" else TONE_TWINS_M)
            pairs.append((f"{sur} {mid} {a}", f"{sur} {mid} {b}"))
    return nfc(rng.choice(rng.choice(pairs)))


def birth_date(rng: random.Random, lo: int = 1945, hi: int = 2005) -> str:
    y = rng.randint(lo, hi)
    return f"{y:04d}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"


def cccd(rng: random.Random, born: str, sex: str) -> str:
    """A 12-digit personal ID: province code, century/sex digit, 2-digit birth year, 6 digits."""
    year = int(born[:4])
    century = 0 if year < 2000 else 2
    return (rng.choice(sorted(ID_PROVINCES)) + str(century + (sex == "Nữ")) + f"{year % 100:02d}"
            + f"{rng.randrange(10 ** 6):06d}")


def cmnd(rng: random.Random) -> str:
    return rng.choice(CMND_PREFIXES) + f"{rng.randrange(10 ** 7):07d}"


def passport(rng: random.Random) -> str:
    return rng.choice("CBN") + f"{rng.randrange(10 ** 7):07d}"


def valid_cccd(s: str, born: str | None = None, sex: str | None = None) -> bool:
    """A 12-digit ID with a known province code whose century/sex digit fits (when given)."""
    if not (len(s) == 12 and s.isdigit() and s[:3] in ID_PROVINCES and s[3] in "0123"):
        return False
    if born:
        year = int(born[:4])
        if s[4:6] != f"{year % 100:02d}" or (int(s[3]) >= 2) != (year >= 2000):
            return False
    return sex is None or (int(s[3]) % 2 == 1) == (sex == "Nữ")


def address(rng: random.Random, new: bool | None = None, street: bool | None = None) -> str:
    """A street or hamlet plus real commune, district (before 2025) and province names."""
    new = rng.random() < 0.35 if new is None else new
    street = rng.random() < 0.45 if street is None else street
    head = (f"Số {rng.randint(1, 250)} đường {rng.choice(STREETS)}" if street
            else rng.choice(HAMLETS))
    if new:
        prov, communes = rng.choice(NEW_PLACES)
        return nfc(f"{head}, {rng.choice(communes)}, {prov}")
    prov, dist, communes = rng.choice(OLD_PLACES)
    return nfc(f"{head}, {rng.choice(communes)}, {dist}, {prov}")


def address_in(rng: random.Random, prov: str, dist: str | None, communes: tuple) -> str:
    """A hamlet in one of `communes` of the given district (None after 2025) and province."""
    parts = [rng.choice(HAMLETS), rng.choice(communes)] + ([dist] if dist else []) + [prov]
    return nfc(", ".join(parts))


def make_person(rng: random.Random, role: str, *, sex: str | None = None,
                born: tuple[int, int] = (1945, 2004), id_kinds=("cccd",) * 7 + ("cmnd", "passport"),
                year_only: float = 0.15, with_id: bool = True) -> Person:
    """A person with a consistent name, sex, birth date and ID."""
    sex = sex or rng.choice(("Nam", "Nữ"))
    b = birth_date(rng, *born)
    kind = rng.choice(id_kinds) if with_id else None
    num = {"cccd": lambda: cccd(rng, b, sex), "cmnd": lambda: cmnd(rng),
           "passport": lambda: passport(rng), None: lambda: None}[kind]()
    if kind == "cmnd" and int(b[:4]) > 2000:
        kind, num = "cccd", cccd(rng, b, sex)
    name = twin_name(rng, sex) if rng.random() < 0.15 else person_name(rng, sex)
    return Person(role, name, num, kind, b[:4] if rng.random() < year_only else b,
                  sex, address(rng), rng.choice(ETHNIC))


def parcel(rng: random.Random, addr: str | None = None) -> dict:
    area = rng.choice((f"{rng.randint(40, 900)}", f"{rng.randint(40, 900)},{rng.randint(1, 9)}",
                       f"{rng.randint(1, 9)}.{rng.randint(0, 999):03d},{rng.randint(1, 9)}"))
    return {"kind": "parcel", "parcel": str(rng.randint(1, 1800)),
            "map_sheet": str(rng.randint(1, 60)), "area": area,
            "address": addr or address(rng, street=False)}


def plate(rng: random.Random) -> str:
    return (f"{rng.choice(PLATE_CODES)}{rng.choice('ABCDFGH')}-{rng.randint(100, 999)}."
            f"{rng.randint(0, 99):02d}")


def tax_code(rng: random.Random) -> str:
    return f"{rng.choice(('01', '03', '43', '28', '42', '04', '33', '29', '41', '18'))}" \
           f"{rng.randrange(10 ** 8):08d}"


def household_business(rng: random.Random, owner: str) -> tuple[str, str, str]:
    """(name, code, trade) of a household business named after its owner's given name or a brand."""
    trade, activity = rng.choice(TRADES)
    given = owner.split()[-1]
    name = rng.choice((f"Hộ kinh doanh {trade} {given}", f"{trade} {rng.choice(BRAND)}",
                       f"Hộ kinh doanh {rng.choice(BRAND)}"))
    code = f"{rng.randint(10, 99)}{rng.choice('ABCDEGH')}{rng.randint(8, 9)}{rng.randrange(10**6):06d}"
    return nfc(name), code, activity


def company(rng: random.Random) -> str:
    return nfc(f"{rng.choice(COMPANY_FORMS)} {rng.choice(COMPANY_TRADES)} "
               f"{rng.choice(BRAND).upper()}")


def vn_date(iso: str, zero: bool = True) -> str:
    """'ngày 05 tháng 3 năm 2024' (Decree 30: day < 10 and months 1, 2 with a leading zero)."""
    y, m, d = int(iso[:4]), int(iso[5:7]), int(iso[8:10])
    ms = f"{m:02d}" if zero and m < 3 else str(m)
    ds = f"{d:02d}" if zero else str(d)
    return f"ngày {ds} tháng {ms} năm {y}"


def dmy(iso: str) -> str:
    """'12/05/1985', or the year alone for a year-only date."""
    return iso if len(iso) == 4 else f"{iso[8:10]}/{iso[5:7]}/{iso[:4]}"
