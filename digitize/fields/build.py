"""Making a Field from the words it was read from, and noting what a person should see beside
its value (the reading OCR made, other readings)."""
from __future__ import annotations

from digitize.fields.lexicon import same_word
from digitize.fields.mend import mended_from
from digitize.fields.model import Field
from digitize.fields.text import Segment, mean_conf, union_box
from ocr.types import Word

REVIEW_CONF = 0.60  # mean word confidence under which a printed field is flagged


def same_words(a: str, b: str) -> bool:
    """The same words, tone placement and case aside."""
    x, y = a.split(), b.split()
    return len(x) == len(y) and all(same_word(p, q) for p, q in zip(x, y))


def make_field(name: str, value, words: list[Word], page: int | None, evidence: str,
           review: bool = False, conf: float | None = None) -> Field:
    """A field read from `words`. Words whose marks the page mending changed
    (`mend.MendedWord`) send it to review, with the reading as OCR made it."""
    c = mean_conf(words) if conf is None else conf
    box = union_box(words)
    mended = mended_from(words)
    if mended:
        evidence += f" [mended: {'; '.join(f'{a}->{b}' for a, b in mended)}]"
    f = Field(name, value, round(max(0.0, min(1.0, c)), 3), page,
              box.as_list() if box else None, bool(review or c < REVIEW_CONF or mended), evidence)
    if mended and isinstance(value, str):
        original = value
        for a, b in mended:
            original = original.replace(b, a, 1)
        f.original = original if original != value else None
    return f


def seg_field(name: str, value, segs: list[Segment], evidence: str | None = None,
               review: bool = False, conf: float | None = None) -> Field:
    words = [w for s in segs for w in s.words]
    ev = evidence if evidence is not None else " / ".join(s.text for s in segs)
    return make_field(name, value, words, segs[0].page if segs else None, ev, review, conf)


def annotate(f: Field, notes: list[str], original: str | None = None,
          alternatives: list[str] | None = None) -> None:
    """Add bracketed notes to a field's evidence, and the OCR reading it differs from."""
    if notes:
        f.evidence += f" [{'; '.join(notes)}]"
    if original is not None and original != f.value:
        f.original = original
    if alternatives:
        f.alternatives = list(dict.fromkeys(a for a in alternatives if a != f.value))
