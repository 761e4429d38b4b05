"""The handwritten-digit reader and the blanks it reads (ocr.handwriting, fields.text.blank_box)."""
import cv2
import numpy as np
import pytest

from digitize.fields.text import Segment, blank_box
from ocr.handwriting import HandDigits, blobs
from ocr.types import Box, Word


def _blank(digits: str, underline: bool = True) -> np.ndarray:
    """Digits in OpenCV's script font (a pen-like hand) over a dotted form line."""
    img = np.full((200, 420), 255, np.uint8)
    cv2.putText(img, digits, (40, 130), cv2.FONT_HERSHEY_SCRIPT_SIMPLEX, 2.6, 0, 5)
    if underline:
        for x in range(20, 400, 12):
            cv2.line(img, (x, 152), (x + 7, 152), 0, 2)
    return img


@pytest.mark.parametrize("digits", ["27", "05", "239", "84", "90", "47"])
def test_reads_written_digits_over_a_dotted_line(digits):
    got = HandDigits().read(_blank(digits), Box(20, 30, 400, 172))
    assert got is not None and got[0] == digits
    assert 0.0 < got[1] <= 1.0


def test_blank_without_ink_reads_nothing():
    assert HandDigits().read(_blank("", underline=True), Box(20, 30, 400, 172)) is None


def test_dots_and_rules_are_not_digits():
    img = _blank("5")
    cv2.circle(img, (300, 120), 3, 0, -1)  # a speck
    parts = blobs(img[30:172, 20:400], 142 / 2.2)
    assert len(parts) == 1


def _seg(words: list[tuple[str, int, int]]) -> Segment:
    return Segment(1, [Word(t, Box(x0, 100, x1, 140), 95.0, 1) for t, x0, x1 in words], 2500, 3500)


def test_blank_box_between_separate_keywords():
    seg = _seg([("Quảng", 100, 250), ("Ngãi,", 262, 380), ("ngày", 400, 500),
                ("tháng", 640, 780), ("02", 800, 850)])
    b = blank_box(seg, (seg.words[2], 4), (seg.words[3], 0))
    assert 470 <= b.x0 <= 500 and b.x1 == 640  # a little generous: "ngày" is narrow print
    assert b.y0 < 100 and b.y1 > 140  # handwriting is taller than print


def test_blank_box_when_ocr_glued_the_handwriting_to_the_keywords():
    # "ngày20" and "4‡-tháng": printed letters measured with the line's character width
    seg = _seg([("Quảng", 100, 250), ("Ngãi,", 262, 380), ("ngày20", 400, 600),
                ("tháng", 640, 780)])
    b = blank_box(seg, (seg.words[2], 4), (seg.words[3], 0))
    assert 470 <= b.x0 <= 510 and b.x1 == 640


def test_blank_box_of_a_printed_number_glued_to_its_symbol():
    """"42/TB-UBND" read well is all print: the digits end where the word's own box puts the
    slash, not where the line's character width would (which took in "/T" and read "4211")."""
    seg = Segment(1, [Word("Số:", Box(464, 352, 508, 380), 93.0, 1),
                      Word("42/TB-UBND", Box(520, 356, 724, 380), 91.9, 1)], 2500, 3500)
    b = blank_box(seg, (seg.words[0], 3), (seg.words[1], 2))
    assert 550 <= b.x1 <= 560
    weak = Segment(1, [seg.words[0], Word("42/TB-UBND", Box(520, 356, 724, 380), 40.0, 1)],
                   2500, 3500)  # read badly: may be handwriting, wider than print
    assert blank_box(weak, (weak.words[0], 3), (weak.words[1], 2)).x1 > 580


def test_the_printed_slash_after_the_blank_is_not_a_one():
    img = _blank("27")
    cv2.line(img, (330, 140), (360, 60), 0, 4)  # "/" of "/QĐ-UBND" inside the box
    got = HandDigits().read(img, Box(20, 30, 400, 172))
    assert got is not None and got[0] == "27"
