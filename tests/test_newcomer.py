"""What a newcomer does first: run the installed `digitize` command from the folder above a clone.

These drive the real console script in a subprocess (not click's runner): the OCR workers are
separate processes whose imports depend on the folder the command is run from.
"""
from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "samples" / "thong-bao-42.jpg"


def console_script() -> Path:
    """The `digitize` command installed beside this interpreter (scripts/setup.sh makes it)."""
    script = Path(sys.executable).parent / "digitize"
    if not script.exists():
        pytest.fail(f"{script} missing: run scripts/setup.sh")
    return script


@pytest.mark.parametrize("shadow", ["empty", "clone"])
def test_ingest_from_a_folder_holding_a_digitize_folder(tmp_path, shadow):
    """A `digitize/` folder in the working directory (the clone itself, or an empty folder) must
    not replace the installed package in the OCR workers; nor may `ocr/` or `storage/`."""
    here = tmp_path / "work"
    here.mkdir()
    if shadow == "empty":
        (here / "digitize").mkdir()
    else:
        (here / "digitize").symlink_to(ROOT, target_is_directory=True)
    (here / "ocr").mkdir()
    (here / "storage").mkdir()
    out = subprocess.run([str(console_script()), "ingest", str(SAMPLE), "--archive", "arch",
                          "--jobs", "1", "--json"], cwd=here, capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    assert "Traceback" not in out.stderr and "ImportError" not in out.stderr, out.stderr[-3000:]
    rows = [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]
    assert [r["status"] for r in rows] == ["stored"], out.stdout
    assert (here / "arch").is_dir()


# The README: its two commands and its table of commands.

def readme() -> str:
    return (ROOT / "README.md").read_text(encoding="utf-8")


def readme_commands() -> list[str]:
    """The shell blocks of the README's first section: install-and-try, then the test suite."""
    section = readme().split("## Commands")[0]
    return [block.split("```")[0].strip() for block in section.split("```sh\n")[1:]]


def test_readme_test_command_is_what_ci_runs():
    try_it, tests = readme_commands()
    assert shlex.split(tests) == ["bash", "digitize/scripts/test.sh"]
    ci = (ROOT / ".ci" / "run").read_text()
    assert "bash scripts/test.sh" in ci and 'cd "$(dirname "$0")/.."' in ci
    assert "bash scripts/setup.sh --test" in (ROOT / "scripts" / "test.sh").read_text()


def test_readme_first_command_runs_from_the_folder_above_a_clone(tmp_path):
    """Everything after the install step, run as written from the folder holding the clone: the
    bundled sample is ingested, found again, and the archive lands beside the clone."""
    try_it, _ = readme_commands()
    setup, *steps = [shlex.split(part) for part in try_it.split(" && ")]
    assert setup == ["bash", "digitize/scripts/setup.sh"]
    (tmp_path / "digitize").symlink_to(ROOT, target_is_directory=True)
    ingest, search = steps
    assert ingest[:3] == ["digitize/.venv/bin/digitize", "ingest", "digitize/samples"]
    console_script()  # the command the README names exists
    outs = []
    for argv in steps:
        argv = [str(tmp_path / argv[0])] + argv[1:]
        outs.append(subprocess.run(argv, cwd=tmp_path, capture_output=True, text=True,
                                   timeout=600))
        assert outs[-1].returncode == 0, (argv, outs[-1].stderr[-3000:])
    assert outs[0].stdout.count("stored") == 2, outs[0].stdout  # the sample's two documents
    assert "1 record(s)" in outs[1].stdout, outs[1].stdout
    archive = Path(ingest[ingest.index("--archive") + 1])
    assert not archive.is_absolute() and (tmp_path / archive / "objects").is_dir()


def table_commands() -> list[str]:
    """The backticked `digitize COMMAND ...` forms in the README's table of commands."""
    table = readme().split("## Commands")[1].split("\n\n")[1]
    return re.findall(r"`(digitize [^`]+)`", table)


def test_every_command_in_the_readme_table_exists_and_explains_itself():
    import click
    from click.testing import CliRunner

    from digitize.cli import main
    forms = table_commands()
    named = {form.split()[1] for form in forms}
    assert named == set(main.commands), "README's table and the CLI's commands differ"
    for form in forms:
        name = form.split()[1]
        command, argv = main.commands[name], [name]
        if isinstance(command, click.Group):  # `digitize user add ...`: the subcommand's options
            command = command.commands[form.split()[2]]
            argv.append(form.split()[2])
        result = CliRunner().invoke(main, argv + ["--help"])
        assert result.exit_code == 0 and "Usage:" in result.output, form
        assert (command.help or "").strip(), f"{name} has no help text"
        options = {o for p in command.params for o in getattr(p, "opts", [])}
        for opt in re.findall(r"(?<![\w-])--[a-z][a-z0-9-]*", form):
            assert opt in options, f"README's table names {opt} for {name}: no such option"
