"""What every generated result form shares: the document's drawing context, issuers, numbers,
signers, and the printed phrases for people (labelled lines, running text)."""
from __future__ import annotations

import random
from dataclasses import dataclass

from scripts.pagegen import vndata as V
from scripts.pagegen.layout import C, KV, L, P, Header


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
        if date >= "2025-07":  # before the reorganisation: the first half of 2025
            date = f"2025-{int(date[5:7]) - 6:02d}{date[7:]}"
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
    if not lab.split()[0].isupper():  # "Số CCCD" -> "số CCCD"; "CMND số" stays
        lab = lab[0].lower() + lab[1:]
    return f", {lab} {p.id_number}"


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


def decision(ctx: Ctx, iss: Issuer, subject: str) -> Header:
    title, sname = signer(ctx, "ubnd")
    return Header(iss.lines, f"Số: {number(ctx, 'QĐ-UBND')}", place_date(iss), "QUYẾT ĐỊNH",
                  subject=[subject], signer_title=title, signer_name=sname)


BASIS = ["Căn cứ Luật Tổ chức chính quyền địa phương ngày 19 tháng 6 năm 2015;",
         "Căn cứ Luật Đất đai ngày 18 tháng 01 năm 2024;"]


def decision_body(ctx: Ctx, iss: Issuer, proposer: str, art1: list[tuple],
                  basis: list[str] | None = None,
                  office: str = "Trưởng phòng Tài nguyên và Môi trường") -> list[tuple]:
    """Grounds, proposal, the deciding title, Article 1 (`art1`), and the closing articles."""
    body = [P(b) for b in (basis or BASIS[:ctx.rng.randint(1, 2)])]
    body += [P(proposer), C(f"CHỦ TỊCH {iss.council} {iss.lines[-1]}".replace("ỦY BAN NHÂN DÂN "
                                                                             "ỦY BAN", "ỦY BAN"),
                            "bold"),
             C("QUYẾT ĐỊNH:", "bold")]
    body += art1
    body += [P("Điều 2. Quyết định này có hiệu lực kể từ ngày ký."),
             P(f"Điều 3. Chánh Văn phòng, {office} và các cá nhân có tên tại Điều 1 chịu trách "
               "nhiệm thi hành Quyết định này.")]
    return body
