"""Generated result forms: land-use right certificate, land allocation, lease and recovery
decisions."""
from __future__ import annotations

from scripts.pagegen import vndata as V
from scripts.pagegen.forms import (Ctx, born_piece, born_running, decision, decision_body,
                                   id_piece, id_running, issuer, mr, person_lines, place_date,
                                   signer)
from scripts.pagegen.layout import KV, L, P, T, Header


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
             L("đ) Mục đích sử dụng: " + rng.choice(("Đất ở tại nông thôn", "Đất ở tại đô thị",
                                                     "Đất trồng cây lâu năm"))),
             L("e) Thời hạn sử dụng: Lâu dài"),
             L("g) Nguồn gốc sử dụng: Nhà nước công nhận quyền sử dụng đất")]
    title, sname = signer(ctx, "ubnd")
    serial = f"{rng.choice(('CS', 'CH', 'DA', 'DB'))} {rng.randint(10000, 99999)}"
    h = Header(iss.lines, f"Số vào sổ cấp GCN: {serial}", place_date(iss),
               "GIẤY CHỨNG NHẬN QUYỀN SỬ DỤNG ĐẤT, QUYỀN SỞ HỮU NHÀ Ở VÀ TÀI SẢN KHÁC GẮN LIỀN "
               "VỚI ĐẤT", signer_title=title, signer_name=sname)
    return dict(header=h, body=body, layout=lay, holders=people, orgs=[], objects=[par],
                number=serial)


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
    body = decision_body(ctx, iss, proposer, art)
    h = decision(ctx, iss, f"Về việc giao đất cho {mr(p)} {p.name}")
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
    body = decision_body(ctx, iss, proposer, art)
    h = decision(ctx, iss, subj)
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
    body = decision_body(ctx, iss, proposer, art)
    h = decision(ctx, iss, subj)
    return dict(header=h, body=body, layout=lay, holders=people, orgs=[], objects=pars)
