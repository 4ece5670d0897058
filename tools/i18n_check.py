"""Translation catalogue check, run by `./test.sh` (also `python -m tools.i18n_check [ROOT]`).

For every locale/<lang>/LC_MESSAGES/*.po:
  - no untranslated and no fuzzy entries (a fuzzy entry is ignored at runtime, so the UI would
    silently fall back to the Chinese source text);
  - python-format placeholders in msgstr match those in msgid (a mismatch raises at runtime);
  - the committed .mo next to it is up to date: the .po is compiled with polib to a temporary
    file and both .mo files are compared as sets of entries, so a .mo produced by GNU msgfmt
    and one produced by polib compare equal when they hold the same translations;
  - every string the code marks for translation is in the catalogue: `makemessages` runs on a
    copy of the project's files (git's tracked and untracked-but-not-ignored files) in a
    temporary directory, and any msgid it finds that the committed .po lacks is reported
    (otherwise a new string would pass the checks above and show in Chinese in English).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent
MAX_LISTED = 30  # problems printed per catalogue

# printf-style conversion as Python's % operator reads it: optional (name), flags, width,
# precision, conversion. `%%` is matched too and discarded.
_PERCENT = re.compile(
    r"""%
    (?:\((?P<name>[^)]*)\))?         # mapping key
    [#0\- +]*                         # flags
    (?:\*|\d+)?(?:\.(?:\*|\d+))?      # width, precision
    (?P<conv>[a-zA-Z%])               # conversion""",
    re.VERBOSE,
)
_BRACE = re.compile(r"(?<!\{)\{([^{}]*)\}(?!\})")


def _placeholders(text: str, flags: list[str]) -> tuple[frozenset[str], tuple[str, ...]]:
    """(named placeholders, positional conversions in order) for python(-brace)-format."""
    if "python-format" in flags:
        specs = [m for m in _PERCENT.finditer(text) if m.group("conv") != "%"]
        named = frozenset(m.group("name") for m in specs if m.group("name") is not None)
        positional = tuple(m.group("conv") for m in specs if m.group("name") is None)
        return named, positional
    if "python-brace-format" in flags:
        return frozenset(_BRACE.findall(text)), ()
    return frozenset(), ()


def _placeholder_problem(entry: polib.POEntry) -> str | None:
    if not entry.msgid_plural:
        if _placeholders(entry.msgstr, entry.flags) != _placeholders(entry.msgid, entry.flags):
            return f"placeholders differ: {entry.msgid!r} -> {entry.msgstr!r}"
        return None
    # Plural forms may leave the count out (“one item”), so only require that every
    # named placeholder used is one the source offers.
    offered = _placeholders(entry.msgid, entry.flags)[0]
    offered |= _placeholders(entry.msgid_plural, entry.flags)[0]
    for msgstr in entry.msgstr_plural.values():
        if not _placeholders(msgstr, entry.flags)[0] <= offered:
            return f"unknown placeholder: {entry.msgid_plural!r} -> {msgstr!r}"
    return None


def _entry_key(entry: polib.POEntry | polib.MOEntry) -> tuple:
    return (
        entry.msgctxt or "",
        entry.msgid,
        entry.msgid_plural or "",
        entry.msgstr,
        tuple(sorted(entry.msgstr_plural.items())),
    )


def check_catalogue(po_path: Path) -> tuple[list[str], int]:
    """Return (problems, number of translated entries) for one .po file."""
    try:
        po = polib.pofile(str(po_path), wrapwidth=0)
    except (OSError, ValueError) as exc:
        return [f"{po_path}: cannot be parsed: {exc}"], 0
    problems = []
    for entry in po.untranslated_entries():
        problems.append(f"{po_path}:{entry.linenum}: untranslated: {entry.msgid!r}")
    for entry in po.fuzzy_entries():
        problems.append(f"{po_path}:{entry.linenum}: fuzzy: {entry.msgid!r}")
    for entry in po.translated_entries():
        problem = _placeholder_problem(entry)
        if problem:
            problems.append(f"{po_path}:{entry.linenum}: {problem}")

    mo_path = po_path.with_suffix(".mo")
    if not mo_path.exists():
        problems.append(f"{mo_path}: missing; run `python manage.py compilemessages`")
        return problems, len(po.translated_entries())
    with tempfile.TemporaryDirectory() as tmp:
        fresh = Path(tmp) / "fresh.mo"
        po.save_as_mofile(str(fresh))
        expected_entries = {_entry_key(e) for e in polib.mofile(str(fresh))}
    try:
        committed = {_entry_key(e) for e in polib.mofile(str(mo_path))}
    except (OSError, ValueError) as exc:
        problems.append(f"{mo_path}: cannot be read: {exc}")
        return problems, len(po.translated_entries())
    if committed != expected_entries:
        missing = len(expected_entries - committed)
        stale = len(committed - expected_entries)
        problems.append(
            f"{mo_path}: out of date with {po_path.name} ({missing} entries missing or changed, "
            f"{stale} stale); run `python manage.py compilemessages` and commit the .mo"
        )
    return problems, len(po.translated_entries())


MAKEMESSAGES = [
    "makemessages",
    "--ignore=.venv",
    "--ignore=tests",
    "--ignore=tools",
    "--ignore=benchmarks",
    "--ignore=staticfiles",
    "--no-obsolete",
]


def _msgkey(entry: polib.POEntry) -> tuple[str, str, str]:
    return (entry.msgctxt or "", entry.msgid, entry.msgid_plural or "")


def missing_strings(root: Path, po_path: Path) -> list[str]:
    """Strings marked in the code that the committed catalogue `po_path` does not have."""
    lang = po_path.parent.parent.name
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=root,
        capture_output=True,
        check=False,
    )
    if listed.returncode != 0:
        return []  # not a git checkout: nothing to compare with
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp)
        for name in listed.stdout.decode().split("\0"):
            source = root / name
            if name and source.is_file():
                (copy / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, copy / name)
        env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
        run = subprocess.run(
            [sys.executable, "manage.py", *MAKEMESSAGES, "-l", lang, "-d", po_path.stem],
            cwd=copy,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        fresh_path = copy / po_path.relative_to(root)
        if run.returncode != 0 or not fresh_path.exists():
            return [f"{po_path}: makemessages failed: {run.stderr.strip()[-500:]}"]
        fresh = polib.pofile(str(fresh_path), wrapwidth=0)
    have = {_msgkey(e) for e in polib.pofile(str(po_path), wrapwidth=0)}
    missing = [
        f"{po_path}: not in the catalogue: {entry.msgid!r} "
        f"({entry.occurrences[0][0] if entry.occurrences else '?'})"
        for entry in fresh
        if entry.msgid and _msgkey(entry) not in have
    ]
    if missing:
        command = "python manage.py " + " ".join(MAKEMESSAGES) + f" -l {lang}"
        missing.insert(
            0,
            f"{po_path}: {len(missing)} string(s) in the code are not in the catalogue; "
            f"run `{command}` and translate them",
        )
    return missing


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    root = Path(args[0]) if args else ROOT
    catalogues = sorted((root / "locale").glob("*/LC_MESSAGES/*.po"))
    if not catalogues:
        print(f"warning: no locale/*/LC_MESSAGES/*.po under {root}; nothing to check")
        return 0
    failed = False
    for po_path in catalogues:
        problems, count = check_catalogue(po_path)
        problems = missing_strings(root, po_path) + problems
        shown = po_path.relative_to(root)
        if problems:
            failed = True
            print(f"{shown}: {len(problems)} problem(s)")
            # The .mo verdict comes last; keep it visible however many entries are missing.
            listed = (
                problems
                if len(problems) <= MAX_LISTED
                else [
                    *problems[: MAX_LISTED - 1],
                    f"... {len(problems) - MAX_LISTED} more",
                    problems[-1],
                ]
            )
            for problem in listed:
                print("  " + problem.replace(f"{root}/", ""))
        else:
            print(f"{shown}: {count} entries translated, .mo up to date")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
