"""Generated result forms: birth, marriage and death record extracts, marital status confirmation,
social-allowance decision, certified copy."""
from __future__ import annotations

import re

from scripts.pagegen import vndata as V
from scripts.pagegen.forms import (Ctx, born_piece, born_running, decision,
                                   decision_body, id_piece, id_running, issuer, mr, number,
                                   person_lines, place_date, signer)
from scripts.pagegen.layout import C, COLS, GAP, KV, L, P, T, Header
from scripts.pagegen.forms_business import k_building, k_household


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
             L("Tình trạng hôn nhân: " + rng.choice((
                 "Chưa đăng ký kết hôn với ai", "Hiện tại chưa kết hôn",
                 "Đã ly hôn, chưa đăng ký kết hôn mới")) + "."),
             L("Giấy này được cấp để: " + rng.choice((
                 "làm thủ tục đăng ký kết hôn", "bổ sung hồ sơ vay vốn",
                 "làm thủ tục mua bán nhà đất")) + "."),
             L("Giấy này có giá trị sử dụng trong thời hạn 6 tháng, kể từ ngày cấp.")]
    title, sname = signer(ctx, "ubnd")
    h = Header(iss.lines, f"Số: {number(ctx, 'XNTTHN')}", place_date(iss),
               "GIẤY XÁC NHẬN TÌNH TRẠNG HÔN NHÂN", signer_title=title, signer_name=sname)
    return dict(header=h, body=body, layout=lay, holders=[p], orgs=[], objects=[])


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
        title = "bà (ông)" if p.sex == "Nữ" else "ông (bà)"
        art = [P(f"Điều 1. Chi trả trợ cấp xã hội hằng tháng cho {title} "
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
    body = decision_body(ctx, iss, proposer, art, basis,
                         "Trưởng phòng Lao động - Thương binh và Xã hội")
    h = decision(ctx, iss, subj)
    return dict(header=h, body=body, layout=lay, holders=people, orgs=[], objects=[])


def k_certified_copy(ctx: Ctx) -> dict:
    """A certified copy (bản sao chứng thực) of another result, its certification block below."""
    rng = ctx.rng
    inner = rng.choice((k_household, k_birth, k_marital, k_building))(ctx)
    who_t, who = signer(ctx, "civil")
    m = re.search(r"năm (\d{4})", inner["header"].place_date or inner["header"].date_at_bottom)
    iss_date = f"{min(2026, int(m[1]) + rng.randint(1, 3))}-{rng.randint(1, 12):02d}-" \
               f"{rng.randint(1, 28):02d}"
    inner["header"].tail = [  # the certification stamp, below the original's signature
        GAP(4), C("CHỨNG THỰC BẢN SAO ĐÚNG VỚI BẢN CHÍNH", "bold"),
        L(f"Số chứng thực: {rng.randint(1, 9999)} Quyển số: {rng.randint(1, 9):02d}/"
          f"{iss_date[:4]}-SCT/BS"),
        L(f"{V.vn_date(iss_date)}"), L(f"Người thực hiện chứng thực: {who}")]
    inner["layout"] = f"copy-of-{inner['layout']}"
    return inner
