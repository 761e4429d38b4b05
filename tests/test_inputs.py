"""Inputs stay inside the folders given, `watch` takes a page group whole, failed inputs are
never overwritten, and deep (16-bit, float) scans are scaled to 8 bits, not clipped."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from PIL import Image

from archive_helpers import small_doc
from conftest import run_cli
from digitize.discover import discover
from digitize.pipeline import DocOutcome
from digitize.watch import Watcher, WatchOptions
from digitize.worker import PageTask, process_page
from ocr.images import deep_to_u8, load_page
from scripts.pagegen.render import DocSpec, expected_words, render_page


# ---- symbolic links ---------------------------------------------------------------------------

def _folder_with_links(tmp_path: Path) -> tuple[Path, Path]:
    inside, outside = tmp_path / "scans", tmp_path / "elsewhere"
    inside.mkdir()
    outside.mkdir()
    secret = outside / "shadow.png"
    secret.write_text("root:$6$secret:19000:0:99999:7:::\n")
    (inside / "shadow.png").symlink_to(secret)
    (inside / "private").symlink_to(outside, target_is_directory=True)
    small_doc(inside / "real.png", 1)
    (inside / "alias.png").symlink_to(inside / "real.png")  # stays inside: harmless
    return inside, secret


def test_links_out_of_the_folder_are_skipped_and_named(tmp_path):
    inside, _secret = _folder_with_links(tmp_path)
    docs, skipped = discover([inside])
    assert sorted(d.name for d in docs) == ["alias.png", "real.png"]
    reasons = {p.name: r for p, r in ((s.path, s.reason) for s in skipped)}
    assert set(reasons) == {"shadow.png", "private"}
    assert all("not followed" in r and "--follow-symlinks" in r for r in reasons.values())

    docs, skipped = discover([inside], follow_symlinks=True)
    names = sorted(str(p.relative_to(inside)) for d in docs for p in d.files)
    assert names == ["alias.png", "private/shadow.png", "real.png", "shadow.png"]
    assert skipped == []


def test_ingest_never_opens_a_link_out_of_the_folder(tmp_path, monkeypatch):
    inside, secret = _folder_with_links(tmp_path)
    (inside / "real.png").unlink()
    (inside / "alias.png").unlink()
    opened: list[str] = []
    real_open = Image.open
    monkeypatch.setattr(Image, "open", lambda p, *a, **k: opened.append(str(p)) or
                        real_open(p, *a, **k))
    res = run_cli("ingest", str(inside), "--archive", str(tmp_path / "ar"), "--json", "-j", "1")
    assert res.code == 1
    errors = [o["error"] for o in res.objects()]
    assert len(errors) == 2 and all("not followed" in e for e in errors)
    assert any("shadow.png" in e for e in errors)
    assert not any("shadow" in p for p in opened)

    # asked to follow: the link is read (and refused here, as it is no image)
    res = run_cli("ingest", str(inside), "--archive", str(tmp_path / "ar"), "--json", "-j", "1",
                  "--follow-symlinks")
    assert any("corrupt or unreadable image" in (o["error"] or "") for o in res.objects())


def test_watch_moves_a_link_out_of_the_folder_to_failed_without_reading_it(tmp_path):
    inside, secret = _folder_with_links(tmp_path)
    (inside / "real.png").unlink()
    (inside / "alias.png").unlink()
    res = run_cli("watch", str(inside), "--archive", str(tmp_path / "ar"), "--once", "--json",
                  "--settle", "0")
    assert res.code == 1
    assert sorted(o["name"].rsplit("/", 1)[-1] for o in res.objects()) == ["private", "shadow.png"]
    assert (inside / ".failed" / "shadow.png").is_symlink()
    assert secret.read_text().startswith("root:")  # the target itself is untouched


# ---- watch: page groups and .failed ------------------------------------------------------------

class _Clock:
    def __init__(self, t: float):
        self.t = t

    def __call__(self) -> float:
        return self.t


def _page(path: Path, mtime: float) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"page " + path.name.encode())
    os.utime(path, (mtime, mtime))
    return path


def _watcher(in_dir: Path, clock: _Clock, taken: list[list[str]], logs: list[str],
             **options) -> Watcher:
    def run_docs(docs, _failed):
        for d in docs:
            taken.append([p.name for p in d.files])
            yield DocOutcome(d.name, [str(p) for p in d.files], "stored", "r" + d.name)
    return Watcher(in_dir, run_docs, WatchOptions(interval_s=1, settle_s=10, **options),
                   log=logs.append, clock=clock)


def test_watch_waits_for_the_whole_page_group(tmp_path):
    in_dir = tmp_path / "in"
    in_dir.mkdir()
    old = 1_000_000.0
    clock = _Clock(old + 500)
    taken: list[list[str]] = []
    logs: list[str] = []
    w = _watcher(in_dir, clock, taken, logs)
    assert list(w.poll()) == []
    # a scanner station copies pages keeping their old mtimes, a few seconds apart
    _page(in_dir / "hs_p1.png", old)
    clock.t += 3
    assert list(w.poll()) == []      # p1 just appeared: the group is not quiet yet
    _page(in_dir / "hs_p2.png", old)
    clock.t += 8
    assert list(w.poll()) == []      # p1 is 11 s quiet, but p2 came 8 s ago
    _page(in_dir / "hs_p3.png", old)
    assert list(w.poll()) == []      # p3 seen now
    clock.t += 9
    assert list(w.poll()) == []
    clock.t += 2
    outs = list(w.poll())
    assert taken == [["hs_p1.png", "hs_p2.png", "hs_p3.png"]] and len(outs) == 1
    assert sorted(p.name for p in (in_dir / ".done").iterdir()) == [
        "hs_p1.png", "hs_p2.png", "hs_p3.png"]
    assert logs == []


def test_watch_holds_a_group_with_a_page_missing_until_the_timeout(tmp_path):
    in_dir = tmp_path / "in"
    t0 = 1_000_000.0
    _page(in_dir / "qd_p1.png", t0)
    _page(in_dir / "qd_p3.png", t0)
    _page(in_dir / "single.png", t0)
    clock = _Clock(t0 + 60)
    taken: list[list[str]] = []
    logs: list[str] = []
    w = _watcher(in_dir, clock, taken, logs, group_timeout_s=120)
    list(w.poll())
    assert taken == [["single.png"]]  # qd waits for its page 2
    _page(in_dir / "qd_p2.png", t0 + 61)
    list(w.poll())                    # p2 seen now
    clock.t += 15
    list(w.poll())
    assert taken[1:] == [["qd_p1.png", "qd_p2.png", "qd_p3.png"]]

    _page(in_dir / "late_p2.png", t0)  # page 1 never comes
    list(w.poll())
    clock.t += 100
    list(w.poll())
    assert len(taken) == 2
    clock.t += 21
    list(w.poll())
    assert taken[2:] == [["late_p2.png"]]
    assert len(logs) == 1 and "late" in logs[0] and "page(s) 1 still missing" in logs[0]


def test_failed_inputs_of_the_same_name_are_all_kept(tmp_path):
    in_dir, ar = tmp_path / "in", tmp_path / "ar"
    bad = in_dir / "scan.png"
    for n in range(3):
        in_dir.mkdir(exist_ok=True)
        bad.write_bytes(b"\x89PNG\r\n\x1a\n broken " + bytes([n]))
        res = run_cli("watch", str(in_dir), "--archive", str(ar), "--once", "--json",
                      "--settle", "0")
        assert res.code == 1
    kept = sorted(p.relative_to(in_dir / ".failed").as_posix()
                  for p in (in_dir / ".failed").rglob("scan.png"))
    assert kept == ["2/scan.png", "3/scan.png", "scan.png"]
    contents = {(in_dir / ".failed" / k).read_bytes()[-1] for k in kept}
    assert contents == {0, 1, 2}
    assert all((in_dir / ".failed" / (k + ".error.txt")).is_file() for k in kept)


# ---- deep images -------------------------------------------------------------------------------

def test_deep_images_are_scaled_not_clipped():
    ramp = np.linspace(0, 1, 256, dtype=np.float32)[None, :].repeat(4, 0)
    expected = np.round(ramp * 255).astype(np.uint8)
    assert np.array_equal(deep_to_u8((ramp * 65535).round().astype(np.uint16)), expected)
    assert np.array_equal(deep_to_u8((ramp * 4095).round().astype(np.uint16)), expected)  # 12 bit
    assert np.array_equal(deep_to_u8(ramp), expected)                                     # float
    assert np.array_equal(deep_to_u8((ramp * 255).round().astype(np.int32)), expected)


def test_16_bit_scan_reads_like_the_8_bit_one(tmp_path):
    spec = DocSpec()
    grey8 = np.asarray(render_page(spec, dpi=150).convert("L"))
    deep = grey8.astype(np.uint16) * 257
    for name in ("page16.tif", "page16.png"):
        Image.fromarray(deep).save(tmp_path / name, dpi=(150, 150))
        page = load_page(tmp_path / name, "image", 0)
        assert page.image.dtype == np.uint8
        assert np.array_equal(page.image, grey8)      # same contrast, nothing clipped to white
    assert float(np.percentile(page.image, 1)) < 60   # the print stays dark
    done = process_page(PageTask("doc", 1, str(tmp_path / "page16.tif"), "image", 0,
                                 str(tmp_path)))
    assert done.error is None, done.error
    read = {w.text.strip(".,:;") for w in done.text.words}
    wanted = [w.strip(".,:;") for w in expected_words(spec)]
    assert sum(w in read for w in wanted) / len(wanted) > 0.85
