"""What one worker process does with one page: load, prepare, read the text, encode the page image.

Runs inside a process pool; each process keeps one Tesseract engine for its lifetime. Inputs and
outputs are small picklable values: the page image goes to a file in the record's staging folder,
never back through the pipe.
"""
from __future__ import annotations

import ctypes
import multiprocessing
import multiprocessing.context
import multiprocessing.forkserver
import os
import signal
import threading
import time
import traceback
from dataclasses import dataclass, field, replace
from pathlib import Path

# One BLAS thread: numpy's idle helper threads would take CPU from the other workers. Set before
# the pool's processes start (they inherit the environment) and before numpy loads in them.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from ocr.engine import EngineSettings, OcrEngine, make_engine
from ocr.errors import InputError, OcrError
from ocr.images import load_page
from ocr.pdftext import has_real_text, text_layer_words
from ocr.prepare import (
    PrepareOptions, encode_jpeg, is_colour, prepare_page, single_threaded, to_grey,
)
from ocr.types import Box, EncodedImage, PageImage, PageText, Word

LOW_CONF = 60.0

_engine: OcrEngine | None = None
_engine_settings: EngineSettings | None = None


@dataclass(frozen=True)
class PageTask:
    doc_key: str
    page_no: int          # 1-based page number in the document
    path: str
    kind: str             # "image" | "pdf"
    index: int            # page index inside the file
    out_dir: str          # where to write the page image
    engine: EngineSettings = EngineSettings()
    prepare: PrepareOptions = PrepareOptions()
    jpeg_quality: int = 80


@dataclass
class PageDone:
    doc_key: str
    page_no: int
    text: PageText | None = None
    image_file: str = ""
    image_filter: str = "DCTDecode"  # how image_file's bytes go into the PDF
    width: int = 0
    height: int = 0
    dpi: float = 300.0
    colour: bool = False
    notes: list[str] = field(default_factory=list)
    error: str | None = None


def start_forkserver() -> multiprocessing.context.BaseContext:
    """The process context of the OCR pool: a fork server, started now, that imports this module
    and the program's main module once so every worker starts from them already loaded.

    The fork server is a fresh interpreter started with `python -c`, which puts the current
    folder first on `sys.path`: run from the folder that holds a clone (a `digitize/` folder), or
    from any folder with a `digitize/`, `ocr/` or `storage/` in it, the server would import that
    folder instead of the installed package and every worker would crash. It is started in safe-path
    mode (PYTHONSAFEPATH) so it finds what the command itself finds; workers then take the
    command's own `sys.path`. With the main module preloaded, workers do not re-run the `digitize`
    script each (about 0.3 s of imports per worker start)."""
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["__main__", __name__])
    before = os.environ.get("PYTHONSAFEPATH")
    os.environ["PYTHONSAFEPATH"] = "1"
    try:
        multiprocessing.forkserver.ensure_running()  # no-op when this process already runs one
    finally:
        if before is None:
            del os.environ["PYTHONSAFEPATH"]
        else:
            os.environ["PYTHONSAFEPATH"] = before
    return ctx


def init_worker(settings: EngineSettings, main_pid: int | None = None) -> None:
    """Run once when a worker process starts: the worker is tied to the life of the ingest
    (`main_pid`, see `die_with_parent`), the Tesseract model is loaded before the first page
    arrives, and OpenCV is kept to this process's one thread (see `single_threaded`)."""
    if main_pid is not None:
        die_with_parent(main_pid)
    single_threaded()
    _get_engine(settings)


PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


def die_with_parent(main_pid: int, interval_s: float = 1.0) -> None:
    """End this worker when the ingest that started it ends, however it ends (a SIGKILL runs no
    clean-up, and a worker waiting on the pool's queue would wait for ever). Two guards: the
    kernel sends SIGKILL when this process's parent (the pool's fork server, which itself leaves
    when the main process goes) dies (Linux `prctl(PR_SET_PDEATHSIG)`), and a daemon thread
    checks every `interval_s` that `main_pid` is still this worker's ingest."""
    parent = os.getppid()
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):  # not Linux: the thread below still guards
        pass
    if os.getppid() != parent or not _alive(main_pid):  # the parent died before prctl
        os._exit(1)

    def watch() -> None:
        while True:
            time.sleep(interval_s)
            if os.getppid() != parent or not _alive(main_pid):
                os._exit(1)
    threading.Thread(target=watch, name="digitize-parent-watch", daemon=True).start()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else: pid reused, ours is gone
        return False
    try:  # a killed process stays a zombie until its own parent reaps it
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True  # no /proc: trust kill()
    return stat[stat.rindex(")") + 2:][:1] not in ("Z", "X")


def started() -> None:
    """A task that does nothing: submitted once per worker to start the pool early."""


def _get_engine(settings: EngineSettings) -> OcrEngine:
    global _engine, _engine_settings
    if _engine is None or _engine_settings != settings:
        if _engine is not None:
            _engine.close()
        _engine, _engine_settings = make_engine(settings), settings
    return _engine


def process_page(task: PageTask) -> PageDone:
    """Turn one page into text plus a display image file. Errors are returned, not raised."""
    try:
        return _process(task)
    except (InputError, OcrError) as e:
        return PageDone(task.doc_key, task.page_no, error=str(e))
    except MemoryError:
        return PageDone(task.doc_key, task.page_no, error=f"{task.path}: page {task.index + 1} "
                        "needs more memory than a worker may use")
    except Exception as e:  # a bug must fail this document, not the whole batch
        return PageDone(task.doc_key, task.page_no,
                        error=f"{task.path}: page {task.index + 1}: internal error "
                              f"{type(e).__name__}: {e}\n{traceback.format_exc(limit=3)}")


def _process(task: PageTask) -> PageDone:
    page = load_page(Path(task.path), task.kind, task.index)
    notes = ["no DPI recorded: assumed 300"] if page.dpi_assumed else []
    if task.kind == "pdf" and not page.image_only:  # a page that is one image has no text
        h, w = page.image.shape[:2]
        words = text_layer_words(Path(task.path), task.index + 1, w, h)
        if has_real_text(words):
            colour = page.image.ndim == 3 and is_colour(page.image)
            return _finish(task, page, page.image, colour, False, PageText(
                task.page_no, w, h, page.dpi, words, method="text-layer", mean_conf=100.0), notes)
    engine = _get_engine(task.engine)
    # Most scans are upright: read first, and pay for orientation detection (about a fifth of a
    # recognition) only when the reading looks like a turned page.
    upright = replace(task.prepare, orientation=False)
    prep, words = _read(engine, page, upright)
    if task.prepare.orientation and not prep.blank and _looks_turned(words):
        prep2, words2 = _read(engine, page, task.prepare)
        if prep2.rotation and _quality(words2) > _quality(words):
            prep, words = prep2, words2
    notes += prep.notes
    h, w = prep.display.shape[:2]
    text = PageText(task.page_no, w, h, prep.dpi, words, method="ocr",
                    mean_conf=_mean_conf(words), blank=prep.blank, flags=_flags(words, prep.blank))
    return _finish(task, page, prep.display, prep.colour, prep.edited, text, notes)


def _read(engine: OcrEngine, page, opts: PrepareOptions):
    prep = prepare_page(page, opts, orient=engine.detect_orientation)
    words: list[Word] = []
    if not prep.blank:
        words = engine.recognize(prep.ocr_image, prep.dpi * prep.ocr_scale)
        if prep.ocr_scale != 1.0:
            words = [_scale_word(wd, 1.0 / prep.ocr_scale) for wd in words]
    return prep, words


def _looks_turned(words: list[Word]) -> bool:
    """A reading too poor for an upright printed page: few words, or low confidence."""
    return len(words) < 15 or _mean_conf(words) < 55.0


def _quality(words: list[Word]) -> float:
    return _mean_conf(words) * sum(len(w.text) for w in words)


def _finish(task: PageTask, page: PageImage, display, colour: bool, edited: bool,
            text: PageText, notes: list[str]) -> PageDone:
    """Stage the display image for the PDF: the scan's own bytes when the display is the scan
    unchanged (no re-encoding: quicker, and no second JPEG loss), else a new JPEG."""
    img = display if colour or display.ndim == 2 else to_grey(display)
    data, filt, colour = _encoded(page.encoded if not edited else None, img, colour,
                                  task.jpeg_quality)
    suffix = ".jpg" if filt == "DCTDecode" else ".zz"
    out = Path(task.out_dir) / f"page-{task.page_no:04d}{suffix}"
    out.write_bytes(data)
    h, w = img.shape[:2]
    return PageDone(task.doc_key, task.page_no, text, str(out), filt, w, h, page.dpi, colour,
                    notes)


def _encoded(source: EncodedImage | None, img, colour: bool,
             quality: int) -> tuple[bytes, str, bool]:
    """(bytes, PDF filter, colour) of the page image. A JPEG source is kept as it is; a lossless
    one only when it is no larger than our JPEG would be (clean pages: about half the size;
    noisy ones compress badly without loss)."""
    if source is not None and source.filter == "DCTDecode":
        return source.data, source.filter, source.colour
    jpeg = encode_jpeg(img, quality)
    if source is not None and len(source.data) <= len(jpeg):
        return source.data, source.filter, source.colour
    return jpeg, "DCTDecode", colour


def _scale_word(w: Word, s: float) -> Word:
    b = w.box
    return replace(w, box=Box(int(b.x0 * s), int(b.y0 * s), int(round(b.x1 * s)),
                              int(round(b.y1 * s))))


def _mean_conf(words: list[Word]) -> float:
    if not words:
        return 0.0
    total = sum(len(w.text) for w in words)
    return sum(w.conf * len(w.text) for w in words) / max(total, 1)


def _flags(words: list[Word], blank: bool) -> list[str]:
    """Review hints: lines whose mean confidence is low (smudged print or handwriting)."""
    if blank:
        return ["blank"]
    lines: dict[int, list[Word]] = {}
    for w in words:
        lines.setdefault(w.line, []).append(w)
    low = [n for n, ws in lines.items() if sum(w.conf for w in ws) / len(ws) < LOW_CONF]
    flags = [f"low-confidence-line:{n}" for n in low]
    if not words:
        flags.append("no-text")
    return flags
