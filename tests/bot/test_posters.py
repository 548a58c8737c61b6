"""The poster itself (bot/posters/): what it says, where, and that the PNG and the PDF carry
it: A4 at the right size, the QR code of the link drawn module for module, the font
embedded with every character it prints, every Vietnamese name the bot can hold covered."""

import io
import re
import unicodedata
import zlib

import pytest
import segno
from PIL import Image
from vietnam_provinces import Province, Ward

from bot.posters import compose, fonts, layout, missing_settings, pdf, png, refusal
from bot.posters.layout import QR, Box, Text

LINK = "https://zalo.me/4318836011236655232"
BRANCH = dict(code="11953-1", name="Chi hội Khuyến học số 1, Phường Thái Bình",
              parent_name="Phường Thái Bình", link=LINK, sms_number="0912345678")


@pytest.fixture(scope="module")
def poster():
    return compose(**BRANCH)


@pytest.fixture(scope="module")
def png_bytes(poster):
    return png.render(poster)


@pytest.fixture(scope="module")
def pdf_bytes(poster):
    return pdf.render(poster)


# -- what the poster says -----------------------------------------------------------------
def test_the_poster_says_what_to_do(poster):
    texts = poster.texts()
    assert texts[:2] == ["THAM GIA ĐÁNH GIÁ", "CÔNG DÂN HỌC TẬP"]
    assert "Chi hội Khuyến học số 1, Phường Thái Bình" in " ".join(texts)   # on two lines
    assert "Phường Thái Bình" not in texts       # the branch's name already says where
    assert "Quét mã bằng Zalo" in texts
    assert "DK 11953-1" in texts                 # the first message to send on Zalo
    assert "Soạn DK 11953-1 gửi 0912 345 678" in texts
    assert "11953-1" in texts


def test_the_unit_code_is_the_largest_text(poster):
    sizes = {item.text: item.size for item in poster.items if isinstance(item, Text)}
    assert sizes["11953-1"] >= 60                # capitals over 15 mm
    assert sizes["11953-1"] == max(sizes.values())
    assert min(sizes[t] for t in sizes if t != "zalo.me/4318836011236655232"
               and not t.startswith("Trợ lý tự động")) >= 17


@pytest.mark.parametrize(("raw", "printed"), [
    ("0912345678", "0912 345 678"),
    ("0912 345 678", "0912 345 678"),
    ("+84912345678", "0912 345 678"),
    ("84912345678", "0912 345 678"),
    ("0912.345.678", "0912 345 678"),
    ("8077", "8077"),
    (" 1900 1234 ", "1900 1234"),
], ids=["plain", "grouped", "e164", "84", "dots", "short-code", "hotline"])
def test_sms_number_as_people_read_it(raw, printed):
    assert layout.sms_number_printed(raw) == printed


def test_without_a_number_there_is_no_sms_line_and_the_officer_is_told():
    texts = compose("12364", "Xã Tiên Lữ", "Tỉnh Hưng Yên", LINK, None).texts()
    assert not [t for t in texts if t.startswith("Soạn") or "SMS" in t]
    assert "Tỉnh Hưng Yên" in texts
    notes = missing_settings(LINK, None)
    assert len(notes) == 1 and "CDHT_SMS_NUMBER" in notes[0]


def test_without_a_link_there_is_no_qr_code_and_the_officer_is_told():
    poster = compose("12364", "Xã Tiên Lữ", None, None, "0912345678")
    assert not [i for i in poster.items if isinstance(i, QR)]
    assert "Quét mã bằng Zalo" not in poster.texts()
    assert "Soạn DK 12364 gửi 0912 345 678" in poster.texts()
    assert "CDHT_ZALO_OA_ID" in missing_settings(None, "0912345678")[0]
    assert missing_settings(LINK, "0912345678") == []


def test_decomposed_input_prints_composed():
    nfd = unicodedata.normalize("NFD", "Xã Tiên Lữ")
    assert nfd != "Xã Tiên Lữ"
    assert "Xã Tiên Lữ" in compose("12364", nfd, None, LINK, None).texts()


@pytest.mark.parametrize(("case", "values"), [
    ("long-name", dict(code="12364-1", name="Chi hội Khuyến học " + "thôn Đông Thượng Hạ " * 10,
                       parent_name="Xã Tiên Lữ")),
    ("long-code", dict(code="A" * 32, name="Chi hội Khuyến học số 1, Xã Tiên Lữ")),
    ("long-parent", dict(code="12364", name="Xã Tiên Lữ", parent_name="Tỉnh " + "Hưng Yên " * 20)),
    ("one-long-word", dict(code="12364", name="Xã" + "Ư" * 120)),
], ids=["long-name", "long-code", "long-parent", "one-long-word"])
def test_whatever_the_names_everything_stays_inside_the_frame(case, values):
    poster = compose(link=LINK, sms_number="0912345678", **values)
    inner_left, inner_right = layout.FRAME + 1, layout.PAGE_W - layout.FRAME - 1
    footer = [i for i in poster.items if isinstance(i, Text) and i.y == layout.FOOTER_Y]
    assert len(footer) == 1
    for item in poster.items:
        if isinstance(item, Text):
            right = item.x + fonts.width(item.text, item.size, item.bold)
            assert inner_left <= item.x and right <= inner_right + 0.01, (case, item)
            if item is not footer[0]:
                assert item.y < layout.FOOTER_Y - 6, (case, item)
        elif isinstance(item, QR):
            assert item.y + item.size < layout.FOOTER_Y - 5, case
        elif item.line != 1.2:                                        # not the frame
            assert item.y + item.h < layout.FOOTER_Y - 5, (case, item)
    if case == "long-name":
        assert any(t.endswith("…") for t in poster.texts())


@pytest.mark.parametrize(("unit", "reason"), [
    (("Tỉnh Hưng Yên", "province", False, True, None), "là đơn vị cấp tỉnh"),
    (("Xã Cũ", "commune", True, False, "Xã Mới"), "đã được sáp nhập vào «Xã Mới»"),
    (("Xã Cũ", "commune", True, False, None), "đã ngừng hoạt động"),
    (("Ban chấp hành", "board", False, True, None), "không nhận người dân đăng ký"),
    (("Xã Tiên Lữ", "commune", True, True, None), None),
], ids=["province", "merged", "inactive", "not-joinable", "joinable"])
def test_who_gets_no_poster(unit, reason):
    said = refusal(*unit)
    assert (said is None) if reason is None else (reason in said)


# -- the PNG ------------------------------------------------------------------------------
def test_png_is_an_a4_page_at_300_dpi(png_bytes):
    image = Image.open(io.BytesIO(png_bytes))
    assert image.format == "PNG" and image.size == (2480, 3508)
    assert round(image.info["dpi"][0]) == 300
    assert abs(image.size[0] / image.size[1] - 210 / 297) < 0.001


def test_png_qr_code_is_the_link_module_for_module(poster, png_bytes):
    """No QR decoder is installed: the drawn modules are read back at their centres and
    compared with what segno encodes for the link (error correction Q, quiet zone 4)."""
    qr = next(i for i in poster.items if isinstance(i, QR))
    reference = segno.make_qr(LINK, error="q", boost_error=False)
    assert reference.error == "Q" and qr.data == LINK
    expected = [[bool(m) for m in row] for row in reference.matrix_iter(scale=1, border=4)]
    image = Image.open(io.BytesIO(png_bytes))
    scale, count = 300 / 25.4, len(expected)
    module = int(qr.size * scale // count)
    assert module >= 20                           # about 2 mm a module
    left = round(qr.x * scale + (qr.size * scale - module * count) / 2)
    top = round(qr.y * scale + (qr.size * scale - module * count) / 2)
    half = module // 2
    drawn = [[image.getpixel((left + c * module + half, top + r * module + half)) < 128
              for c in range(count)] for r in range(count)]
    assert drawn == expected


# -- the PDF ------------------------------------------------------------------------------
def _objects(data: bytes) -> dict[int, bytes]:
    return {int(n): body for n, body in re.findall(rb"(\d+) 0 obj\s*(.*?)\s*endobj", data, re.S)}


def _stream(body: bytes) -> bytes:
    raw = re.search(rb"stream\r?\n(.*)\r?\nendstream", body, re.S).group(1)
    return zlib.decompress(raw) if b"/FlateDecode" in body else raw


def _literal(raw: bytes) -> bytes:
    """A PDF literal string's bytes, escapes undone."""
    out, i = bytearray(), 0
    escapes = {ord("n"): 10, ord("r"): 13, ord("t"): 9, ord("b"): 8, ord("f"): 12}
    while i < len(raw):
        if raw[i] == 0x5C:
            i += 1
            if raw[i:i + 1].isdigit():
                digits = re.match(rb"[0-7]{1,3}", raw[i:]).group(0)
                out.append(int(digits, 8))
                i += len(digits)
                continue
            out.append(escapes.get(raw[i], raw[i]))
        else:
            out.append(raw[i])
        i += 1
    return bytes(out)


def pdf_text(data: bytes) -> list[str]:
    """Each text the page shows, decoded through its font's ToUnicode map."""
    objects = _objects(data)
    maps = {}
    for name, number in re.findall(rb"/(F\d+) (\d+) 0 R", data):
        cmap = _stream(objects[int(re.search(rb"/ToUnicode (\d+) 0 R", objects[int(number)])[1])])
        maps[name] = {int(g, 16): chr(int(u, 16))
                      for g, u in re.findall(rb"<([0-9A-F]{4})>\s*<([0-9A-F]{4})>", cmap)}
    page = next(b for b in objects.values() if re.search(rb"/Type /Page\b(?!s)", b))
    content = _stream(objects[int(re.search(rb"/Contents (\d+) 0 R", page)[1])])
    texts, font = [], None
    for op in re.finditer(rb"/(F\d+) [\d.]+ Tf|\(((?:\\.|[^\\)])*)\) Tj", content, re.S):
        if op[1]:
            font = op[1]
            continue
        codes = _literal(op[2])
        texts.append("".join(maps[font][int.from_bytes(codes[i:i + 2], "big")]
                             for i in range(0, len(codes), 2)))
    return texts


def test_pdf_is_one_a4_page(pdf_bytes):
    assert pdf_bytes.startswith(b"%PDF-")
    assert len(re.findall(rb"/Type /Page\b(?!s)", pdf_bytes)) == 1
    box = [float(v) for v in re.search(rb"/MediaBox \[([\d. ]+)\]", pdf_bytes)[1].split()]
    assert box[:2] == [0, 0]
    assert abs(box[2] - 210 / 25.4 * 72) < 0.1 and abs(box[3] - 297 / 25.4 * 72) < 0.1


def test_pdf_embeds_its_font(pdf_bytes):
    assert pdf_bytes.count(b"/FontFile2") == 2                   # regular and bold, embedded
    assert b"DejaVuSans" in pdf_bytes


def test_pdf_text_reads_back_as_the_poster_says(poster, pdf_bytes):
    assert pdf_text(pdf_bytes) == poster.texts()


def test_pdf_draws_every_dark_module_of_the_qr_code(poster, pdf_bytes):
    qr = next(i for i in poster.items if isinstance(i, QR))
    runs = len(list(qr.runs()))
    content = _stream(_objects(pdf_bytes)[int(re.search(
        rb"/Contents (\d+) 0 R", pdf_bytes)[1])])
    boxes = [i for i in poster.items if isinstance(i, Box) and not i.line]
    assert len(re.findall(rb" re f\b", content)) == runs + len(boxes)


# -- the font has every character -----------------------------------------------------------
def test_the_font_check_can_fail():
    assert fonts.missing("Xã 漢 ✓") == {"漢"}


def test_every_text_of_the_poster_is_in_the_font(poster):
    texts = [*poster.texts(), *layout.TITLE, *(step for _, step in layout.STEPS),
             *missing_settings(None, None), refusal("Tỉnh Hưng Yên", "province", False, True)]
    assert not fonts.missing(" ".join(texts))


def test_every_province_and_commune_name_of_vietnam_is_in_the_font():
    """What `units import-admin` can create, for every province: 34 provinces and about
    3,300 communes and wards (2025 divisions)."""
    names = [p.name for p in Province.iter_all()]
    names += [w.name for p in Province.iter_all() for w in Ward.iter_by_province(p.code)]
    assert len(names) > 3000
    assert not fonts.missing(" ".join(names))


def test_every_seeded_unit_name_is_in_the_font(runtime):
    from sqlalchemy import select

    from storage.models import Unit
    with runtime.db.read() as session:
        names = session.scalars(select(Unit.name)).all()
    assert len(names) > 100
    assert not fonts.missing(" ".join(names))


# -- the two settings -----------------------------------------------------------------------
@pytest.mark.parametrize(("environ", "link"), [
    ({}, None),
    ({"CDHT_ZALO_OA_ID": "4318836011236655232"}, LINK),
    ({"CDHT_ZALO_OA_ID": "1", "CDHT_ZALO_OA_LINK": "https://zalo.me/hoikhuyenhoc"},
     "https://zalo.me/hoikhuyenhoc"),
], ids=["unset", "from-oa-id", "own-link"])
def test_the_qr_link_setting(environ, link):
    from bot.config import Settings
    assert Settings.load(environ=environ).oa_link == link


def test_the_settings_refuse_a_link_that_is_not_a_web_address_and_read_the_number():
    from bot.config import ConfigError, Settings
    with pytest.raises(ConfigError, match="CDHT_ZALO_OA_LINK"):
        Settings.load(environ={"CDHT_ZALO_OA_LINK": "zalo.me/123"})
    assert Settings.load(environ={"CDHT_SMS_NUMBER": "0912345678"}).sms_number == "0912345678"
