"""Generated result forms: household business and enterprise registration, building permit,
conditional business licences."""
from __future__ import annotations

from scripts.pagegen import vndata as V
from scripts.pagegen.forms import (Ctx, born_running, id_piece, id_running, issuer, mr, number,
                                   person_lines, place_date, signer)
from scripts.pagegen.layout import C, GAP, L, P, T, Header


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
        kind = rng.choice(("Dịch vụ ăn uống", "Sản xuất bánh kẹo"))
        body.append(L(f"3. Loại hình sản xuất, kinh doanh: {kind}"))
        code = "GCNATTP"
    body.append(L(f"Giấy phép có giá trị đến {V.vn_date(f'{int(iss.date[:4]) + 5}{iss.date[4:]}')}."))
    title, sname = signer(ctx, "dept")
    h = Header(iss.lines, f"Số: {number(ctx, code)}", place_date(iss), doc, signer_title=title,
               signer_name=sname)
    return dict(header=h, body=body, layout=lay, holders=[p],
                orgs=[{"name": org, "tax_code": tax, "address": addr}], objects=objects)
