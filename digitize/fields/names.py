"""Vietnamese surnames, to judge the first word of a person's name read off a page.

The list holds the common surnames (họ) of the Vietnamese Wikipedia article "Họ người Việt Nam"
(the families with most bearers, Kinh and the larger minorities). Surnames are *not* told apart by
their letters alone: "Trịnh" and "Trình", "Đào" and "Đạo" fold to the same letters, so a surname
read with marks is kept as read (`lexicon.respell`); only a surname read without marks, or read
unsurely, is spelled from the list, and only where one surname fits.

    respell_surname("Trình", confident=True)  -> ("Trình", True, None)      # a surname as read
    respell_surname("Nguyen", confident=True) -> ("Nguyễn", True, "Nguyen->Nguyễn")
    respell_surname("Trinh", confident=True)  -> ("Trinh", False, None)     # Trịnh or Trình?
"""
from __future__ import annotations

from functools import lru_cache

from digitize.fields.lexicon import respell, respell_candidates, same_word, spelling_table
from indexer.textnorm import fold

SURNAME_LIST: tuple[str, ...] = tuple(dict.fromkeys((
    "Nguyễn Trần Lê Phạm Hoàng Huỳnh Phan Vũ Võ Đặng Bùi Đỗ Hồ Ngô Dương Lý Đoàn Đào Đinh Lương "
    "Trương Mai Lâm Tạ Trịnh Cao Hà Phùng Châu Tôn Thái Văn Quách Lưu Kiều Khúc Mạc Vương Từ Đàm "
    "Triệu Chu Tăng Lại Thân Kim Hứa La Nông Lò Mã Quang Giang Tô Lữ Viên Âu Doãn Ông Thạch Khổng "
    "Diệp Lục Bạch Biện Nghiêm Tiêu Ninh Chung Đồng Hầu Trình Bế Hàn Cù Lường").split()))


@lru_cache(maxsize=1)
def surname_table() -> dict[str, tuple[str, ...]]:
    """Folded surname -> the surnames with those letters ("trinh": Trình, Trịnh)."""
    return spelling_table(SURNAME_LIST)


def is_surname(word: str) -> bool:
    """Is `word` spelled as a listed surname (case and tone placement aside)?"""
    return any(same_word(word, s) for s in surname_table().get(fold(word), ()))


def respell_surname(word: str, confident: bool) -> tuple[str, bool, str | None]:
    """(surname to use, known, note): see `lexicon.respell`. `confident`: OCR read the word with
    good confidence, so a marked reading is never replaced."""
    return respell(word, surname_table(), confident)


def surname_candidates(word: str) -> list[str]:
    """Listed surnames with the letters of `word`, other than itself ("Nguyên": ["Nguyễn"])."""
    return respell_candidates(word, surname_table())
