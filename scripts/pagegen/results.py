"""Generate result documents ("kết quả giải quyết TTHC") printed like the official forms, with truth.

    python scripts/pagegen/results.py OUT --split dev|heldout --count N [--text-only] [--dpi 200]

writes, per document, OUT/<doc_id>.json (the truth, see the holders contract in the brief) and,
unless --text-only, OUT/<doc_id>_p1.png ... (the degraded page scans). The truth also carries
"lines" (printed lines per page) and "words" (per page, OCR-shaped words with boxes from the font
metrics: [text, [x0, y0, x1, y1], line, block]) and "size" [width, height, dpi], so text-level
work can run without OCR (see `page_texts`).

Kinds (KINDS): household business and enterprise registration certificates, building permit,
birth / marriage / death record extracts, marital status confirmation, land-use right certificate,
land allocation / lease / recovery decisions, social-allowance decision, conditional business
licence (with vehicles for transport), certified copy. Each kind has several wordings and layouts
(labelled lines, two labels on a line, two columns, tables, running text, names in capitals) and
every document draws a font, a degradation level and the old or new tone placement.

The split is frozen: document seeds are 0, 1, 2, ...; a seed is held-out when the SHA-256 of
"results-split-v1:<seed>" falls in the lower 30% (`split_of`). `--split dev --count N` takes the
first N dev seeds. Held-out also draws wordings and layouts that never appear in dev (the variants
whose name ends in "*", and the font "schola"): the marriage extract as a single two-column label
table, the birth extract's holder block as a label|value table, the social-allowance decision's
"chi trả ... cho bà (ông) X (CCCD: ...)" wording, the land recovery decision naming the household
as "hộ bà (ông)", and the land-use certificate with the holders in a table. People tuning on dev
do not need to read those variants (and must not read held-out output).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
from dataclasses import dataclass
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from scripts.pagegen import vndata as V  # noqa: E402
from scripts.pagegen.layout import (C, COLS, GAP, KV, L, P, T, Header, available_families,  # noqa: E402
                                    layout, lines_of, words_of)

SPLIT_SALT = "results-split-v1"
HELDOUT_SHARE = 0.30
DEV_FONTS = ("termes", "freeserif", "notoserif", "pagella")
HELDOUT_FONTS = DEV_FONTS + ("schola",)
DEGRADATIONS = {
    "clean": {},
    "light": {"skew": 0.6, "noise": 4, "jpeg_quality": 85},
    "medium": {"skew": -1.4, "blur": 0.6, "noise": 8, "jpeg_quality": 70, "red_seal": True},
    "heavy": {"skew": 2.2, "blur": 0.9, "noise": 11, "jpeg_quality": 55, "speckle": 0.002,
              "shade": 0.3, "red_seal": True},
}


def split_of(seed: int) -> str:
    """'heldout' or 'dev', fixed forever by the seed."""
    h = int(hashlib.sha256(f"{SPLIT_SALT}:{seed}".encode()).hexdigest()[:8], 16)
    return "heldout" if h / 0xFFFFFFFF < HELDOUT_SHARE else "dev"


def seeds(split: str, count: int) -> list[int]:
    out, s = [], 0
    while len(out) < count:
        if split_of(s) == split:
            out.append(s)
        s += 1
    return out


@dataclass
class Ctx:
    rng: random.Random
    heldout: bool
    caps: bool            # names printed in capitals

    def variant(self, dev: tuple[str, ...], held_only: tuple[str, ...] = ()) -> str:
        pool = dev + (held_only if self.heldout else ())
        return self.rng.choice(pool)

    def person(self, role: str, **kw) -> V.Person:
        """A new person; the name in capitals when this document prints names so."""
        p = V.make_person(self.rng, role, **kw)
        if self.caps:
            p.name = p.name.upper()
        return p

    @staticmethod
    def name(p: V.Person) -> str:
        return p.name


# ---------------------------------------------------------------- issuers, numbers, dates, signers
def _bare(unit: str) -> str:
    for pre in ("thành phố ", "Thành phố ", "tỉnh ", "huyện ", "quận ", "thị xã ", "xã ", "phường ",
                "thị trấn "):
        if unit.startswith(pre):
            return unit[len(pre):]
    return unit


@dataclass
class Issuer:
    lines: list[str]
    place: str
    date: str
    level: str   # province | district | commune | department
    council: str  # "ỦY BAN NHÂN DÂN" for TM. lines
    unit: str = ""  # the administrative unit, "huyện Sơn Tịnh"
    area: tuple = ()  # (province, district or None, communes) where its parcels lie


def issuer(ctx: Ctx, level: str, dept: str | None = None) -> Issuer:
    rng = ctx.rng
    new = rng.random() < 0.3
    if new:
        prov, communes = rng.choice(V.NEW_PLACES)
        dist, commune = None, rng.choice(communes)
        date = f"2025-{rng.randint(7, 12):02d}-{rng.randint(1, 28):02d}"
        if level == "district":
            level = "commune"
    else:
        prov, dist, communes = rng.choice(V.OLD_PLACES)
        commune = rng.choice(communes)
        date = f"{rng.randint(2016, 2025)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        if date >= "2025-07":
            date = "2025-0" + date[6:]
        if level == "district" and dist[0].isupper():
            level = "province"
    unit = {"province": prov, "district": dist, "commune": commune}.get(level, prov)
    if dept:
        top = "ỦY BAN NHÂN DÂN " + (unit.upper() if level != "department" else prov.upper())
        lines = [rng.choice((top, top.replace("ỦY BAN NHÂN DÂN", "UBND"))), dept]
    else:
        lines = ["ỦY BAN NHÂN DÂN", unit.upper()]
    return Issuer(lines, _bare(commune if level == "commune" else
                               (dist if level == "district" else prov)), date, level,
                  "ỦY BAN NHÂN DÂN", unit, (prov, dist, communes))


def place_date(iss: Issuer) -> str:
    return f"{iss.place}, {V.vn_date(iss.date)}"


def number(ctx: Ctx, code: str) -> str:
    return f"{ctx.rng.randint(1, 2999)}/{code}"


def signer(ctx: Ctx, kind: str = "ubnd") -> tuple[list[str], str]:
    rng = ctx.rng
    name = V.person_name(rng, rng.choice(("Nam", "Nữ")))
    if kind == "ubnd":
        title = rng.choice((["TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH"],
                            ["TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH"], ["CHỦ TỊCH"],
                            ["KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH"]))
    elif kind == "dept":
        title = rng.choice((["TRƯỞNG PHÒNG"], ["KT. TRƯỞNG PHÒNG", "PHÓ TRƯỞNG PHÒNG"],
                            ["GIÁM ĐỐC"], ["KT. GIÁM ĐỐC", "PHÓ GIÁM ĐỐC"]))
    else:
        title = rng.choice((["NGƯỜI KÝ TRÍCH LỤC"], ["KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH"],
                            ["CÔNG CHỨC TƯ PHÁP - HỘ TỊCH"]))
    return title, name


# ----------------------------------------------------------------------------- printed phrases
ID_LABEL = {"cccd": ("Số định danh cá nhân", "Số CCCD", "Căn cước công dân số", "CCCD số",
                     "Số thẻ căn cước"),
            "cmnd": ("Số CMND", "Chứng minh nhân dân số", "CMND số"),
            "passport": ("Hộ chiếu số", "Số hộ chiếu")}


def id_piece(ctx: Ctx, p: V.Person) -> str:
    return f"{ctx.rng.choice(ID_LABEL[p.id_kind])}: {p.id_number}" if p.id_number else ""


def id_running(ctx: Ctx, p: V.Person) -> str:
    """', số định danh cá nhân 051085001234' as running text."""
    if not p.id_number:
        return ""
    lab = ctx.rng.choice(ID_LABEL[p.id_kind])
    return f", {lab[0].lower() + lab[1:]} {p.id_number}"


def born_piece(ctx: Ctx, p: V.Person, year_label: bool = False) -> str:
    if year_label or len(p.birth_date) == 4:
        p.birth_date = p.birth_date[:4]
        return f"Năm sinh: {p.birth_date}"
    return f"{ctx.rng.choice(('Ngày sinh', 'Sinh ngày', 'Ngày, tháng, năm sinh'))}: " \
           f"{V.dmy(p.birth_date)}"


def born_running(ctx: Ctx, p: V.Person) -> str:
    if len(p.birth_date) == 4:
        return f", sinh năm {p.birth_date}"
    return ctx.rng.choice((f", sinh ngày {V.dmy(p.birth_date)}",
                           f", sinh {V.vn_date(p.birth_date, zero=False)}"))


def mr(p: V.Person) -> str:
    return "ông" if p.sex == "Nam" else "bà"


def person_lines(ctx: Ctx, p: V.Person, name_label: str, addr_label: str = "Nơi thường trú",
                 pair: bool | None = None, sex: bool = True, ethnic: bool = True) -> list[tuple]:
    """A labelled holder block: name, birth date (+ sex on the same line), ID, address."""
    pair = ctx.rng.random() < 0.6 if pair is None else pair
    out = [L(f"{name_label}: {ctx.name(p)}")]
    b = born_piece(ctx, p)
    if not sex:
        p.sex = None
    if pair and sex:
        out.append(KV(b, f"Giới tính: {p.sex}"))
    else:
        out.append(L(b))
        if sex:
            out.append(L(f"Giới tính: {p.sex}"))
    if ethnic:
        out.append(KV(f"Dân tộc: {p.ethnic}", "Quốc tịch: Việt Nam"))
    if p.id_number:
        out.append(L(id_piece(ctx, p)))
    out.append(L(f"{addr_label}: {p.address}"))
    return out


# ------------------------------------------------------------------------------------- kinds
def k_household(ctx: Ctx) -> dict:
    rng = ctx.rng
    iss = issuer(ctx, "district", "PHÒNG TÀI CHÍNH - KẾ HOẠCH")
    p = ctx.person("representative")
    name, code, trade = V.household_business(rng, p.name)
    lay = ctx.variant(("numbered", "pairs"))
    body = [C(f"Mã số hộ kinh doanh: {code}", "regular"),
            L(f"Đăng ký lần đầu: {V.vn_date(iss.date)}"),
            L(f"1. Tên hộ kinh doanh: {name.upper() if rng.random() < 0.4 else name}")]
    printed_name = body[-1][1].split(": ", 1)[1]
    body += [L(f"2. Địa điểm kinh doanh: {V.address(rng, street=True)}"),
             L(f"3. Ngành, nghề kinh doanh: {trade}"),
             L(f"4. Vốn kinh doanh: {rng.randint(2, 90) * 10} triệu đồng"),
             L("5. Chủ thể thành lập hộ kinh doanh: Cá nhân"),
             L("6. Thông tin về chủ hộ kinh doanh:")]
    body += person_lines(ctx, p, rng.choice(("Họ và tên", "Họ, chữ đệm và tên")),
                         "Địa chỉ thường trú", pair=lay == "pairs")
    title, sname = signer(ctx, "dept")
    h = Header(iss.lines, None, place_date(iss), "GIẤY CHỨNG NHẬN ĐĂNG KÝ HỘ KINH DOANH",
               signer_title=title, signer_name=sname)
    return dict(header=h, body=body, layout=lay, holders=[p], orgs=[],
                objects=[{"kind": "business", "name": printed_name, "code": code}])


def k_enterprise(ctx: Ctx) -> dict:
    rng = ctx.rng
    iss = issuer(ctx, "department", "PHÒNG ĐĂNG KÝ KINH DOANH")
    iss.lines[0] = rng.choice(("SỞ KẾ HOẠCH VÀ ĐẦU TƯ", "SỞ TÀI CHÍNH")) + " " + iss.lines[0].split(
        "ỦY BAN NHÂN DÂN ")[-1].split("UBND ")[-1]
    p = ctx.person("representative", born=(1950, 2000))
    org = V.company(rng)
    tax = V.tax_code(rng)
    addr = V.address(rng, street=True)
    lay = ctx.variant(("numbered", "pairs"))
    body = [C(f"Mã số doanh nghiệp: {tax}", "regular"),
            L(f"Đăng ký lần đầu: {V.vn_date(iss.date)}"),
            L("1. Tên công ty"), L(f"Tên công ty viết bằng tiếng Việt: {org}", indent_mm=5),
            L(f"2. Địa chỉ trụ sở chính: {addr}"),
            L(f"3. Vốn điều lệ: {rng.randint(1, 200) * 100_000_000:,} đồng".replace(",", ".")),
            L("4. Người đại diện theo pháp luật của công ty")]
    body += person_lines(ctx, p, "Họ và tên", "Địa chỉ thường trú", pair=lay == "pairs")
    body.insert(-1, L("Chức danh: Giám đốc"))
    title, sname = signer(ctx, "dept")
    h = Header(iss.lines, None, place_date(iss), "GIẤY CHỨNG NHẬN ĐĂNG KÝ DOANH NGHIỆP",
               subject=[rng.choice(("CÔNG TY TRÁCH NHIỆM HỮU HẠN MỘT THÀNH VIÊN",
                                    "CÔNG TY CỔ PHẦN"))],
               signer_title=title, signer_name=sname)
    return dict(header=h, body=body, layout=lay, holders=[p],
                orgs=[{"name": org, "tax_code": tax, "address": addr}],
                objects=[{"kind": "enterprise", "name": org, "code": tax}])


def k_building(ctx: Ctx) -> dict:
    rng = ctx.rng
    iss = issuer(ctx, "district")
    p = ctx.person("holder", born=(1950, 1998))
    par = V.parcel(rng, V.address_in(rng, *iss.area))
    area = f"{rng.randint(40, 200)},{rng.randint(0, 9)}"
    lay = ctx.variant(("labelled", "running"))
    if lay == "labelled":
        body = [L(f"1. Cấp cho: {rng.choice(('Ông/Bà', 'Ông (bà)'))} {ctx.name(p)}"),
                L(f"{id_piece(ctx, p)}") if p.id_number else GAP(0),
                L(f"Địa chỉ: {p.address}")]
        p.birth_date, p.sex = None, None
    else:
        body = [P(f"Cấp cho {mr(p)} {ctx.name(p)}{born_running(ctx, p)}{id_running(ctx, p)}, "
                  f"địa chỉ thường trú: {p.address}.")]
        p.sex = None
    body += [L("2. Được phép xây dựng công trình: Nhà ở riêng lẻ"),
             L(f"- Vị trí xây dựng: thửa đất số {par['parcel']}, tờ bản đồ số {par['map_sheet']}, "
               f"{par['address']}"),
             L(f"- Diện tích đất: {par['area']} m²"),
             L(f"- Diện tích xây dựng tầng 1: {area} m²"),
             L(f"- Tổng diện tích sàn: {area} m²; chiều cao công trình: {rng.randint(7, 18)} m"),
             L("3. Giấy phép này có hiệu lực khởi công xây dựng trong thời hạn 12 tháng.")]
    title, sname = signer(ctx, "ubnd")
    h = Header(iss.lines, f"Số: {number(ctx, 'GPXD')}", place_date(iss), "GIẤY PHÉP XÂY DỰNG",
               subject=["Sử dụng cho nhà ở riêng lẻ"], signer_title=title, signer_name=sname)
    return dict(header=h, body=body, layout=lay, holders=[p], orgs=[],
                objects=[par, {"kind": "building", "address": par["address"], "area": area}])


def k_birth(ctx: Ctx) -> dict:
    rng = ctx.rng
    iss = issuer(ctx, rng.choice(("commune", "district")))
    ctx.caps = ctx.caps or rng.random() < 0.5
    kid = ctx.person("holder", born=(2000, 2024), id_kinds=("cccd",), year_only=0)
    mother = ctx.person("mother", sex="Nữ", born=(1975, 1999), year_only=1.0)
    father = ctx.person("father", sex="Nam", born=(1970, 1997), year_only=1.0)
    kid.address = None
    lay = ctx.variant(("labelled", "pairs"), ("kvtable*",))
    if lay == "kvtable*":
        rows = [["Họ, chữ đệm, tên", ctx.name(kid)], ["Ngày, tháng, năm sinh", V.dmy(kid.birth_date)],
                ["Giới tính", kid.sex], ["Dân tộc", kid.ethnic], ["Quốc tịch", "Việt Nam"],
                ["Số định danh cá nhân", kid.id_number]]
        body = [T(["Nội dung", "Thông tin người được đăng ký khai sinh"], rows, [45, 95])]
    else:
        body = [L(f"Họ, chữ đệm, tên: {ctx.name(kid)}"),
                L(f"Ngày, tháng, năm sinh: {V.dmy(kid.birth_date)}; ghi bằng chữ: "
                  f"{V.vn_date(kid.birth_date)}")]
        body.append(KV(f"Giới tính: {kid.sex}", f"Dân tộc: {kid.ethnic}", "Quốc tịch: Việt Nam")
                    if lay == "pairs" else L(f"Giới tính: {kid.sex}"))
        body.append(L(f"Nơi sinh: {V.address(rng, street=False)}"))
        body.append(L(f"Số định danh cá nhân: {kid.id_number}"))
    for par, lab in ((mother, "mẹ"), (father, "cha")):
        body.append(L(f"Họ, chữ đệm, tên người {lab}: {ctx.name(par)}"))
        pieces = [f"Năm sinh: {par.birth_date}", f"Dân tộc: {par.ethnic}", "Quốc tịch: Việt Nam"]
        body.append(KV(*pieces) if lay != "labelled" else L("; ".join(pieces)))
        par.sex = None
        if par.id_number and rng.random() < 0.7:
            body.append(L(id_piece(ctx, par)))
        else:
            par.id_number = par.id_kind = None
        body.append(L(f"Nơi cư trú: {par.address}"))
    body.append(L(f"Nơi đăng ký khai sinh: Ủy ban nhân dân {iss.unit}"))
    body.append(L(f"Ngày đăng ký: {V.dmy(iss.date)}"))
    title, sname = signer(ctx, "civil")
    h = Header(iss.lines, f"Số: {number(ctx, 'TLKS-BS')}", None, "TRÍCH LỤC KHAI SINH",
               subject=["(Bản sao)"] if rng.random() < 0.5 else [],
               date_at_bottom=place_date(iss), signer_title=title, signer_name=sname)
    return dict(header=h, body=body, layout=lay, holders=[kid, mother, father], orgs=[],
                objects=[])


def k_marriage(ctx: Ctx) -> dict:
    rng = ctx.rng
    iss = issuer(ctx, "commune")
    ctx.caps = ctx.caps or rng.random() < 0.4
    a = ctx.person("spouse", sex="Nam", born=(1965, 2003), year_only=0)
    b = ctx.person("spouse", sex="Nữ", born=(1968, 2004), year_only=0)
    lay = ctx.variant(("sequential", "columns"), ("table*",))
    if lay == "table*":
        rows = [["Họ, chữ đệm, tên", ctx.name(a), ctx.name(b)],
                ["Ngày, tháng, năm sinh", V.dmy(a.birth_date), V.dmy(b.birth_date)],
                ["Dân tộc", a.ethnic, b.ethnic], ["Quốc tịch", "Việt Nam", "Việt Nam"],
                ["Nơi cư trú", a.address, b.address],
                ["Giấy tờ tùy thân", f"{a.id_kind.upper()} số {a.id_number}",
                 f"{b.id_kind.upper()} số {b.id_number}"]]
        body = [T(["Thông tin", "Bên chồng", "Bên vợ"], rows, [38, 56, 56])]
    elif lay == "columns":
        def col(p, head):
            return [head, f"Họ, chữ đệm, tên: {ctx.name(p)}", f"Ngày sinh: {V.dmy(p.birth_date)}",
                    f"Dân tộc: {p.ethnic}", "Quốc tịch: Việt Nam", f"Nơi cư trú: {p.address}",
                    id_piece(ctx, p)]
        body = [COLS(col(a, "Bên chồng"), col(b, "Bên vợ"))]
    else:
        body = []
        for p, head in ((a, "Họ, chữ đệm, tên người chồng"), (b, "Họ, chữ đệm, tên người vợ")):
            body += [L(f"{head}: {ctx.name(p)}"), L(f"Ngày, tháng, năm sinh: {V.dmy(p.birth_date)}"),
                     KV(f"Dân tộc: {p.ethnic}", "Quốc tịch: Việt Nam"),
                     L(f"Nơi cư trú: {p.address}"), L(id_piece(ctx, p))]
    for p in (a, b):
        p.sex = None
    body.append(L(f"Ngày, tháng, năm đăng ký kết hôn: {V.dmy(iss.date)}"))
    title, sname = signer(ctx, "civil")
    h = Header(iss.lines, f"Số: {number(ctx, 'TLKH-BS')}", None, "TRÍCH LỤC KẾT HÔN",
               date_at_bottom=place_date(iss), signer_title=title, signer_name=sname)
    return dict(header=h, body=body, layout=lay, holders=[a, b], orgs=[], objects=[])


def k_death(ctx: Ctx) -> dict:
    rng = ctx.rng
    iss = issuer(ctx, "commune")
    d = ctx.person("deceased", born=(1925, 1975), year_only=0.3)
    ap = ctx.person("applicant", born=(1955, 2000))
    lay = ctx.variant(("labelled", "pairs"))
    body = [L(f"Họ, chữ đệm, tên người đã chết: {ctx.name(d)}")]
    b = born_piece(ctx, d)
    body += ([KV(b, f"Giới tính: {d.sex}")] if lay == "pairs" else [L(b), L(f"Giới tính: {d.sex}")])
    body += [KV(f"Dân tộc: {d.ethnic}", "Quốc tịch: Việt Nam"), L(id_piece(ctx, d)),
             L(f"Nơi cư trú cuối cùng: {d.address}"),
             L(f"Đã chết vào lúc: {rng.randint(0, 23)} giờ {rng.randint(0, 59)} phút, "
               f"{V.vn_date(iss.date)}"),
             L(f"Nơi chết: {rng.choice(('Tại nhà', 'Bệnh viện Đa khoa tỉnh'))}"),
             L(f"Nguyên nhân chết: {rng.choice(('Bệnh già', 'Bệnh', 'Tai nạn giao thông'))}"),
             L(f"Họ, chữ đệm, tên người đi khai tử: {ctx.name(ap)}"),
             L(id_piece(ctx, ap))]
    d.address = d.address
    ap.birth_date = ap.sex = ap.address = None
    title, sname = signer(ctx, "civil")
    h = Header(iss.lines, f"Số: {number(ctx, 'TLKT-BS')}", None, "TRÍCH LỤC KHAI TỬ",
               date_at_bottom=place_date(iss), signer_title=title, signer_name=sname)
    return dict(header=h, body=body, layout=lay, holders=[d, ap], orgs=[], objects=[])


def k_marital(ctx: Ctx) -> dict:
    rng = ctx.rng
    iss = issuer(ctx, "commune")
    p = ctx.person("holder", born=(1960, 2005), year_only=0)
    lay = ctx.variant(("labelled", "running"))
    if lay == "running":
        body = [P(f"Xét đề nghị của {mr(p)} {ctx.name(p)}{born_running(ctx, p)}{id_running(ctx, p)}"
                  f", nơi cư trú: {p.address}, về việc xác nhận tình trạng hôn nhân,"),
                C("XÁC NHẬN:", "bold")]
        p.sex = None
    else:
        body = [P(f"Xét đề nghị của {rng.choice(('ông (bà)', 'Ông/Bà'))} {p.name} về việc xác "
                  f"nhận tình trạng hôn nhân cho:")]
        body += person_lines(ctx, p, "Họ, chữ đệm, tên", "Nơi cư trú")
    body += [L(f"Trong thời gian cư trú tại {p.address.split(', ', 1)[-1]}, từ ngày "
               f"{rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}/{rng.randint(2000, 2015)} "
               f"đến ngày {V.dmy(iss.date)}"),
             L(f"Tình trạng hôn nhân: {rng.choice(('Chưa đăng ký kết hôn với ai', 'Hiện tại chưa kết hôn', 'Đã ly hôn, chưa đăng ký kết hôn mới'))}."),
             L(f"Giấy này được cấp để: {rng.choice(('làm thủ tục đăng ký kết hôn', 'bổ sung hồ sơ vay vốn', 'làm thủ tục mua bán nhà đất'))}."),
             L("Giấy này có giá trị sử dụng trong thời hạn 6 tháng, kể từ ngày cấp.")]
    title, sname = signer(ctx, "ubnd")
    h = Header(iss.lines, f"Số: {number(ctx, 'XNTTHN')}", place_date(iss),
               "GIẤY XÁC NHẬN TÌNH TRẠNG HÔN NHÂN", signer_title=title, signer_name=sname)
    return dict(header=h, body=body, layout=lay, holders=[p], orgs=[], objects=[])


def k_land_cert(ctx: Ctx) -> dict:
    rng = ctx.rng
    iss = issuer(ctx, rng.choice(("province", "district")))
    a = ctx.person("holder", sex="Nam", born=(1945, 1995), year_only=0.6)
    people = [a]
    if rng.random() < 0.6:
        b = ctx.person("holder", sex="Nữ", born=(1948, 1998), year_only=0.6)
        b.address = a.address
        people.append(b)
    par = V.parcel(rng, V.address_in(rng, *iss.area))
    lay = ctx.variant(("pairs", "lines"), ("table*",))
    body = [L("I. Người sử dụng đất, chủ sở hữu nhà ở và tài sản khác gắn liền với đất", "bold")]
    if lay == "table*":
        rows = []
        for p in people:
            born = born_piece(ctx, p).split(": ")[1]
            rows.append([ctx.name(p), born, f"{p.id_kind.upper()} {p.id_number}" if p.id_number
                         else ""])
            p.sex = None
        body += [T(["Họ và tên", "Năm sinh", "Giấy tờ nhân thân"], rows, [60, 30, 60]),
                 L(f"Địa chỉ thường trú: {a.address}")]
    else:
        for p in people:
            who = "Ông" if p.sex == "Nam" else "Bà"
            b = born_piece(ctx, p, year_label=lay == "pairs" and rng.random() < 0.5)
            if lay == "pairs":
                body.append(KV(f"{who}: {ctx.name(p)}", b.replace("Năm sinh", "Năm sinh")))
            else:
                body.append(L(f"{who} {ctx.name(p)}, {b.lower()}"))
            if p.id_number:
                body.append(L(id_piece(ctx, p)))
            p.sex = None
        body.append(L(f"Địa chỉ thường trú: {a.address}"))
    for p in people[1:]:
        if lay != "table*":
            p.address = a.address
    body += [L("II. Thửa đất, nhà ở và tài sản khác gắn liền với đất", "bold"),
             KV(f"a) Thửa đất số: {par['parcel']}", f"Tờ bản đồ số: {par['map_sheet']}"),
             L(f"b) Địa chỉ: {par['address']}"),
             L(f"c) Diện tích: {par['area']} m²"),
             L("d) Hình thức sử dụng: Sử dụng riêng"),
             L(f"đ) Mục đích sử dụng: {rng.choice(('Đất ở tại nông thôn', 'Đất ở tại đô thị', 'Đất trồng cây lâu năm'))}"),
             L("e) Thời hạn sử dụng: Lâu dài"),
             L("g) Nguồn gốc sử dụng: Nhà nước công nhận quyền sử dụng đất")]
    title, sname = signer(ctx, "ubnd")
    serial = f"{rng.choice(('CS', 'CH', 'DA', 'DB'))} {rng.randint(10000, 99999)}"
    h = Header(iss.lines, f"Số vào sổ cấp GCN: {serial}", place_date(iss),
               "GIẤY CHỨNG NHẬN QUYỀN SỬ DỤNG ĐẤT, QUYỀN SỞ HỮU NHÀ Ở VÀ TÀI SẢN KHÁC GẮN LIỀN "
               "VỚI ĐẤT", signer_title=title, signer_name=sname)
    return dict(header=h, body=body, layout=lay, holders=people, orgs=[], objects=[par],
                number=serial)


def _decision(ctx: Ctx, iss: Issuer, subject: str) -> Header:
    title, sname = signer(ctx, "ubnd")
    return Header(iss.lines, f"Số: {number(ctx, 'QĐ-UBND')}", place_date(iss), "QUYẾT ĐỊNH",
                  subject=[subject], signer_title=title, signer_name=sname)


BASIS = ["Căn cứ Luật Tổ chức chính quyền địa phương ngày 19 tháng 6 năm 2015;",
         "Căn cứ Luật Đất đai ngày 18 tháng 01 năm 2024;"]


def _decision_body(ctx: Ctx, iss: Issuer, proposer: str, art1: list[tuple]) -> list[tuple]:
    body = [P(b) for b in BASIS[:ctx.rng.randint(1, 2)]]
    body += [P(proposer), C(f"CHỦ TỊCH {iss.council} {iss.lines[-1]}".replace("ỦY BAN NHÂN DÂN "
                                                                             "ỦY BAN", "ỦY BAN"),
                            "bold"),
             C("QUYẾT ĐỊNH:", "bold")]
    body += art1
    body += [P("Điều 2. Quyết định này có hiệu lực kể từ ngày ký."),
             P("Điều 3. Chánh Văn phòng, Trưởng phòng Tài nguyên và Môi trường và các cá nhân có "
               "tên tại Điều 1 chịu trách nhiệm thi hành Quyết định này.")]
    return body


def k_land_allocation(ctx: Ctx) -> dict:
    rng = ctx.rng
    iss = issuer(ctx, "district")
    p = ctx.person("holder", born=(1950, 1998))
    par = V.parcel(rng, V.address_in(rng, *iss.area))
    lay = ctx.variant(("running", "labelled"))
    proposer = (f"Xét đề nghị của {rng.choice(('ông (bà)', 'Ông/Bà', mr(p)))} {p.name}"
                f"{id_running(ctx, p) if lay == 'running' else ''} và Tờ trình số "
                f"{rng.randint(10, 900)}/TTr-TNMT của Phòng Tài nguyên và Môi trường;")
    if lay == "running":
        art = [P(f"Điều 1. Giao cho {mr(p)} {p.name}{born_running(ctx, p)}{id_running(ctx, p)}, "
                 f"thường trú tại {p.address}, {par['area']} m² đất tại thửa đất số "
                 f"{par['parcel']}, tờ bản đồ số {par['map_sheet']}, {par['address']} để sử "
                 f"dụng vào mục đích đất ở.")]
        p.sex = None
    else:
        art = [P("Điều 1. Giao đất cho hộ gia đình, cá nhân sau:")]
        art += person_lines(ctx, p, rng.choice(("Họ và tên", "Ông/Bà")), "Địa chỉ thường trú")
        art += [KV(f"Thửa đất số: {par['parcel']}", f"Tờ bản đồ số: {par['map_sheet']}",
                   f"Diện tích: {par['area']} m²"),
                L(f"Vị trí thửa đất: {par['address']}"), L("Mục đích sử dụng: Đất ở")]
    body = _decision_body(ctx, iss, proposer, art)
    h = _decision(ctx, iss, f"Về việc giao đất cho {mr(p)} {p.name}")
    return dict(header=h, body=body, layout=lay, holders=[p], orgs=[], objects=[par])


def k_land_lease(ctx: Ctx) -> dict:
    rng = ctx.rng
    iss = issuer(ctx, rng.choice(("province", "district")))
    par = V.parcel(rng, V.address_in(rng, *iss.area))
    lay = ctx.variant(("company", "person"))
    if lay == "company":
        org, tax, addr = V.company(rng), V.tax_code(rng), V.address(rng, street=True)
        p = ctx.person("representative", born=(1955, 1995))
        art = [P(f"Điều 1. Cho {org}, mã số doanh nghiệp {tax}, địa chỉ trụ sở: {addr}, do "
                 f"{mr(p)} {p.name}{id_running(ctx, p)} làm đại diện, thuê {par['area']} m² đất "
                 f"tại thửa đất số {par['parcel']}, tờ bản đồ số {par['map_sheet']}, "
                 f"{par['address']}, thời hạn thuê {rng.choice((20, 30, 50))} năm.")]
        p.birth_date = p.sex = p.address = None
        orgs = [{"name": org, "tax_code": tax, "address": addr}]
        subj = f"Về việc cho {org} thuê đất"
    else:
        p = ctx.person("holder", born=(1950, 1998))
        art = [P("Điều 1. Cho thuê đất đối với hộ gia đình, cá nhân như sau:")]
        art += person_lines(ctx, p, "Họ và tên", "Địa chỉ thường trú")
        art += [L(f"Thửa đất số {par['parcel']}, tờ bản đồ số {par['map_sheet']}, diện tích "
                  f"{par['area']} m², tại {par['address']}."),
                L(f"Hình thức thuê: trả tiền thuê đất hằng năm; thời hạn {rng.choice((20, 50))} "
                  f"năm.")]
        orgs = []
        subj = f"Về việc cho {mr(p)} {p.name} thuê đất"
    proposer = f"Xét đề nghị của Giám đốc Sở Tài nguyên và Môi trường tại Tờ trình số " \
               f"{rng.randint(10, 900)}/TTr-STNMT;"
    body = _decision_body(ctx, iss, proposer, art)
    h = _decision(ctx, iss, subj)
    return dict(header=h, body=body, layout=lay, holders=[p], orgs=orgs, objects=[par])


def k_land_recovery(ctx: Ctx) -> dict:
    rng = ctx.rng
    iss = issuer(ctx, "district")
    lay = ctx.variant(("running", "table"), ("household*",))
    n = rng.randint(2, 4) if lay == "table" else 1
    people = [ctx.person("holder", born=(1945, 1995)) for _ in range(n)]
    pars = [V.parcel(rng, V.address_in(rng, *iss.area)) for _ in range(n)]
    project = rng.choice(("Đường giao thông liên xã", "Khu dân cư phía Đông", "Trường Tiểu học",
                          "Mở rộng chợ trung tâm"))
    if lay == "table":
        rows = []
        for i, (p, par) in enumerate(zip(people, pars), 1):
            rows.append([str(i), ctx.name(p), p.id_number or "", par["parcel"], par["map_sheet"],
                         par["area"]])
            p.birth_date = p.sex = p.address = None
            par["address"] = None
        art = [P(f"Điều 1. Thu hồi đất của các hộ gia đình, cá nhân để thực hiện dự án "
                 f"{project}, cụ thể như sau:"),
               T(["STT", "Họ và tên", "Số định danh", "Thửa số", "Tờ bản đồ", "Diện tích (m²)"],
                 rows, [10, 45, 38, 16, 18, 24])]
        subj = f"Về việc thu hồi đất để thực hiện dự án {project}"
    else:
        p, par = people[0], pars[0]
        who = (f"hộ {'bà (ông)' if p.sex == 'Nữ' else 'ông (bà)'}" if lay == "household*"
               else mr(p))
        art = [P(f"Điều 1. Thu hồi {par['area']} m² đất của {who} {p.name}{id_running(ctx, p)}, "
                 f"địa chỉ thường trú: {p.address}, tại thửa đất số {par['parcel']}, tờ bản đồ "
                 f"số {par['map_sheet']}, {par['address']} để thực hiện dự án {project}.")]
        p.birth_date = p.sex = None
        subj = f"Về việc thu hồi đất của {mr(p)} {p.name}"
    proposer = f"Xét đề nghị của Trưởng phòng Tài nguyên và Môi trường tại Tờ trình số " \
               f"{rng.randint(10, 900)}/TTr-TNMT;"
    body = _decision_body(ctx, iss, proposer, art)
    h = _decision(ctx, iss, subj)
    return dict(header=h, body=body, layout=lay, holders=people, orgs=[], objects=pars)


def k_allowance(ctx: Ctx) -> dict:
    rng = ctx.rng
    iss = issuer(ctx, "district")
    lay = ctx.variant(("labelled", "table", "running"), ("paid*",))
    n = rng.randint(2, 4) if lay == "table" else 1
    people = [ctx.person("holder", born=(1930, 2015)) for _ in range(n)]
    amount = rng.choice(("500.000", "540.000", "750.000", "1.080.000"))
    basis = ["Căn cứ Nghị định số 20/2021/NĐ-CP ngày 15 tháng 3 năm 2021 của Chính phủ quy định "
             "chính sách trợ giúp xã hội đối với đối tượng bảo trợ xã hội;"]
    p = people[0]
    if lay == "table":
        rows = []
        for i, q in enumerate(people, 1):
            rows.append([str(i), ctx.name(q), V.dmy(q.birth_date), q.id_number or "", q.address,
                         amount])
            q.sex = None
        art = [P("Điều 1. Trợ cấp xã hội hằng tháng đối với các đối tượng có tên sau:"),
               T(["STT", "Họ và tên", "Ngày sinh", "Số định danh", "Nơi cư trú", "Mức (đồng)"],
                 rows, [9, 36, 22, 30, 50, 20])]
        subj = "Về việc trợ cấp xã hội hằng tháng"
    elif lay == "labelled":
        art = [P(f"Điều 1. Trợ cấp xã hội hằng tháng đối với {rng.choice(('ông (bà)', 'Ông/Bà'))}:")]
        art += person_lines(ctx, p, rng.choice(("Họ và tên", "Họ, chữ đệm, tên")), "Nơi cư trú",
                            ethnic=False)
        art += [L(f"Mức trợ cấp xã hội hằng tháng: {amount} đồng"),
                L(f"Thời gian hưởng: kể từ {V.vn_date(iss.date)}")]
        subj = f"Về việc trợ cấp xã hội hằng tháng đối với {mr(p)} {p.name}"
    elif lay == "paid*":
        art = [P(f"Điều 1. Chi trả trợ cấp xã hội hằng tháng cho {'bà (ông)' if p.sex == 'Nữ' else 'ông (bà)'} "
                 f"{p.name} ({p.id_kind.upper()}: {p.id_number}){born_running(ctx, p)}, "
                 f"cư trú tại {p.address}, mức {amount} đồng/tháng.")]
        p.sex = None
        subj = "Về việc chi trả trợ cấp xã hội hằng tháng"
    else:
        art = [P(f"Điều 1. Trợ cấp xã hội hằng tháng đối với {mr(p)} {p.name}"
                 f"{born_running(ctx, p)}{id_running(ctx, p)}, nơi cư trú: {p.address}, "
                 f"mức trợ cấp {amount} đồng/tháng, kể từ {V.vn_date(iss.date)}.")]
        p.sex = None
        subj = f"Về việc trợ cấp xã hội hằng tháng đối với {mr(p)} {p.name}"
    proposer = "Xét đề nghị của Trưởng phòng Lao động - Thương binh và Xã hội;"
    body = [P(basis[0])] + _decision_body(ctx, iss, proposer, art)[1:]
    h = _decision(ctx, iss, subj)
    return dict(header=h, body=body, layout=lay, holders=people, orgs=[], objects=[])


def k_licence(ctx: Ctx) -> dict:
    rng = ctx.rng
    lay = ctx.variant(("transport", "alcohol", "food"))
    iss = issuer(ctx, "province" if lay == "transport" else "district",
                 {"transport": "SỞ GIAO THÔNG VẬN TẢI", "alcohol": "PHÒNG KINH TẾ",
                  "food": "PHÒNG Y TẾ"}[lay])
    org, tax, addr = V.company(rng), V.tax_code(rng), V.address(rng, street=True)
    p = ctx.person("representative", born=(1955, 1995))
    objects = [{"kind": "enterprise", "name": org, "code": tax}]
    body = [L(f"1. Cấp cho: {org}"), L(f"Mã số doanh nghiệp (mã số thuế): {tax}"),
            L(f"Địa chỉ trụ sở: {addr}"),
            L(f"2. Người đại diện theo pháp luật: {mr(p).capitalize()} {ctx.name(p)}"),
            L(id_piece(ctx, p))]
    p.birth_date = p.sex = p.address = None
    if lay == "transport":
        doc = "GIẤY PHÉP KINH DOANH VẬN TẢI BẰNG XE Ô TÔ"
        body.append(L("3. Được phép kinh doanh các loại hình vận tải: Vận tải hàng hóa"))
        plates = [V.plate(rng) for _ in range(rng.randint(1, 4))]
        rows = [[str(i), pl, rng.choice(("Hyundai", "Thaco", "Isuzu", "Hino")),
                 f"{rng.randint(15, 150) / 10:g}".replace(".", ",")]
                for i, pl in enumerate(plates, 1)]
        body.append(T(["STT", "Biển kiểm soát", "Nhãn hiệu", "Trọng tải (tấn)"], rows,
                      [12, 45, 40, 40]))
        objects += [{"kind": "vehicle", "plate": pl} for pl in plates]
        code = "GPKDVT"
    elif lay == "alcohol":
        doc = "GIẤY PHÉP BÁN LẺ SẢN PHẨM RƯỢU"
        body.append(L(f"3. Địa điểm kinh doanh: {V.address(rng, street=True)}"))
        code = "GP-KT"
    else:
        doc = "GIẤY CHỨNG NHẬN CƠ SỞ ĐỦ ĐIỀU KIỆN AN TOÀN THỰC PHẨM"
        body.append(L(f"3. Loại hình sản xuất, kinh doanh: {rng.choice(('Dịch vụ ăn uống', 'Sản xuất bánh kẹo'))}"))
        code = "GCNATTP"
    body.append(L(f"Giấy phép có giá trị đến {V.vn_date(f'{int(iss.date[:4]) + 5}{iss.date[4:]}')}."))
    title, sname = signer(ctx, "dept")
    h = Header(iss.lines, f"Số: {number(ctx, code)}", place_date(iss), doc, signer_title=title,
               signer_name=sname)
    return dict(header=h, body=body, layout=lay, holders=[p],
                orgs=[{"name": org, "tax_code": tax, "address": addr}], objects=objects)


def k_certified_copy(ctx: Ctx) -> dict:
    """A certified copy (bản sao chứng thực) of another result, its certification block below."""
    rng = ctx.rng
    inner = rng.choice((k_household, k_birth, k_marital, k_building))(ctx)
    who_t, who = signer(ctx, "civil")
    iss_date = f"{rng.randint(2018, 2025)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    inner["body"] = inner["body"] + [
        GAP(4), C("CHỨNG THỰC BẢN SAO ĐÚNG VỚI BẢN CHÍNH", "bold"),
        L(f"Số chứng thực: {rng.randint(1, 9999)} Quyển số: {rng.randint(1, 9):02d}/"
          f"{iss_date[:4]}-SCT/BS"),
        L(f"{V.vn_date(iss_date)}"), L(f"Người thực hiện chứng thực: {who}")]
    inner["layout"] = f"copy-of-{inner['layout']}"
    return inner


KINDS = {
    "household_business": k_household, "enterprise": k_enterprise, "building_permit": k_building,
    "birth_extract": k_birth, "marriage_extract": k_marriage, "death_extract": k_death,
    "marital_status": k_marital, "land_certificate": k_land_cert,
    "land_allocation": k_land_allocation, "land_lease": k_land_lease,
    "land_recovery": k_land_recovery, "social_allowance": k_allowance,
    "business_licence": k_licence, "certified_copy": k_certified_copy,
}


# ------------------------------------------------------------------------------- documents
def _old(x):
    if isinstance(x, str):
        return V.old_tones(x)
    if isinstance(x, list):
        return [_old(v) for v in x]
    if isinstance(x, tuple):
        return tuple(_old(v) for v in x)
    if isinstance(x, dict):
        return {k: _old(v) for k, v in x.items()}
    return x


def _number_of(line: str | None) -> str | None:
    if not line:
        return None
    return line.split(":", 1)[1].strip() if ":" in line else line


def generate(seed: int, index: int, split: str | None = None, dpi: int = 200,
             families: list[str] | None = None) -> tuple[dict, object]:
    """The truth of document `seed` (kind chosen by `index` so a set covers every kind) and its
    layout (`scripts.pagegen.layout.Laid`)."""
    split = split or split_of(seed)
    rng = random.Random(f"results:{seed}")
    kind = list(KINDS)[index % len(KINDS)]
    ctx = Ctx(rng, split == "heldout", rng.random() < 0.25)
    made = KINDS[kind](ctx)
    h: Header = made["header"]
    old = rng.random() < 0.35
    fams = [f for f in (HELDOUT_FONTS if ctx.heldout else DEV_FONTS)
            if f in (families or available_families())]
    family = rng.choice(fams)
    degradation = rng.choice(("clean", "light", "light", "medium", "medium", "heavy"))
    people = [p.truth() for p in made["holders"]]
    truth_header = {
        "issuer": " ".join(h.issuer), "number": made.get("number") or _number_of(h.number),
        "issued_date": None, "doc_type": h.doc_type,
        "place": None, "subject": " ".join(h.subject) or None,
        "signer_title": " ".join(h.signer_title) or None, "signer_name": h.signer_name}
    pd = h.place_date or h.date_at_bottom
    if pd:
        truth_header["place"] = pd.split(",", 1)[0]
        import re
        m = re.search(r"ngày (\d+) tháng (\d+) năm (\d{4})", pd)
        truth_header["issued_date"] = f"{m[3]}-{int(m[2]):02d}-{int(m[1]):02d}"
    body = made["body"]
    orgs, objects = made["orgs"], made["objects"]
    if old:
        h = Header(*(_old(getattr(h, f)) for f in h.__dataclass_fields__))
        body = _old(body)
        people, orgs, objects = _old(people), _old(orgs), _old(objects)
        truth_header = {k: (v if k in ("number", "issued_date") else _old(v))
                        for k, v in truth_header.items()}
    size = {"termes": 13.0, "freeserif": 13.0, "notoserif": 12.0, "pagella": 12.5,
            "schola": 12.0}[family]
    laid = layout(h, body, family, dpi, size)
    doc_id = f"{split[0]}{seed:05d}-{kind}"
    truth = {"doc_id": doc_id, "kind": kind, "split": split, "layout": made["layout"],
             "font": family, "degradation": degradation, "tone_placement": "old" if old else "new",
             "header": truth_header, "holders": people, "organisations": orgs,
             "objects": objects, "pages": [f"{doc_id}_p{i}.png" for i in
                                           range(1, len(laid.pages) + 1)],
             "lines": lines_of(laid), "words": words_of(laid),
             "size": [laid.width, laid.height, dpi]}
    return truth, laid


def render(truth: dict, laid, seed: int) -> list:
    """The page images of a generated document, degraded as its truth says."""
    from scripts.pagegen.layout import draw
    from scripts.pagegen.render import degrade
    opts = DEGRADATIONS[truth["degradation"]]
    return [degrade(img, seed=seed * 7 + i, **opts) for i, img in enumerate(draw(laid))]


def page_texts(truth: dict):
    """The truth's words as `ocr.types.PageText` pages (confidence 95), for text-level runs of the
    extractor without OCR."""
    from ocr.types import Box, PageText, Word
    w, h, dpi = truth["size"]
    pages = []
    for n, words in enumerate(truth["words"], 1):
        ws = [Word(t, Box(*b), 95.0, ln, bl) for t, b, ln, bl in words]
        pages.append(PageText(n, w, h, dpi, ws, "ocr", 95.0))
    return pages


def write_set(out: Path, split: str, count: int, text_only: bool = False, dpi: int = 200
              ) -> list[Path]:
    """Generate `count` documents of `split` into `out`; returns the truth files. Existing
    files are rewritten (generation is deterministic)."""
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, seed in enumerate(seeds(split, count)):
        truth, laid = generate(seed, i, split, dpi)
        if not text_only:
            for name, img in zip(truth["pages"], render(truth, laid, seed)):
                img.save(out / name, dpi=(dpi, dpi))
        p = out / f"{truth['doc_id']}.json"
        p.write_text(json.dumps(truth, ensure_ascii=False, indent=1))
        paths.append(p)
    return paths


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Generate result documents (pages + truth JSON).")
    ap.add_argument("out", type=Path, help="output folder")
    ap.add_argument("--split", choices=("dev", "heldout"), default="dev")
    ap.add_argument("--count", type=int, default=len(KINDS))
    ap.add_argument("--text-only", action="store_true", help="truth JSON only, no page images")
    ap.add_argument("--dpi", type=int, default=200)
    args = ap.parse_args(argv)
    if args.count < 1:
        ap.error("--count must be at least 1")
    paths = write_set(args.out, args.split, args.count, args.text_only, args.dpi)
    print(f"{len(paths)} documents ({args.split}) in {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
