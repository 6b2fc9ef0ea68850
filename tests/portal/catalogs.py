"""The translation catalogs as the tests read them: committed, compiled, and freshly extracted."""

from __future__ import annotations

import os
import re
import shutil
from collections import Counter
from pathlib import Path

import polib
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings

LANGUAGES = ("fr", "ja")
# ja has one form for every count; French two (one for 0 and 1, the other for the rest).
PLURAL_FORMS = {"fr": 2, "ja": 1}
# The same folders `make messages` leaves out (scripts/messages.sh): only the portal speaks.
IGNORED = (".venv", "tests", "authlete_sandbox", "scripts", "staticfiles", "var", "docs")

# printf-style placeholders, as Django writes blocktranslate variables too, and str.format ones.
_PLACEHOLDER = re.compile(r"%\((\w+)\)[sdifr]|%[sdifr]|\{\w*\}")
_TAG = re.compile(r"</?([a-zA-Z][a-zA-Z0-9]*)\b")


def project_dir() -> Path:
    return Path(settings.BASE_DIR)


def po_path(language: str) -> Path:
    return project_dir() / "locale" / language / "LC_MESSAGES" / "django.po"


def committed(language: str) -> polib.POFile:
    return polib.pofile(str(po_path(language)))


def compiled(language: str) -> polib.MOFile:
    return polib.mofile(str(po_path(language).with_suffix(".mo")))


def key(entry: polib.POEntry | polib.MOEntry) -> tuple[str, str]:
    """What gettext looks an entry up by (a plural entry by its singular)."""
    return (entry.msgctxt or "", entry.msgid)


def placeholders(text: str) -> Counter[str]:
    return Counter(match.group(0) for match in _PLACEHOLDER.finditer(text))


def tags(text: str) -> Counter[str]:
    return Counter(name.lower() for name in _TAG.findall(text))


def forms(entry: polib.POEntry) -> list[str]:
    """Every translated text of an entry, in plural order for a plural one."""
    if entry.msgid_plural:
        return [entry.msgstr_plural[index] for index in sorted(entry.msgstr_plural)]
    return [entry.msgstr]


def nplurals(catalog: polib.POFile | polib.MOFile) -> int | None:
    match = re.search(r"nplurals\s*=\s*(\d+)", catalog.metadata.get("Plural-Forms", ""))
    return int(match.group(1)) if match else None


def extract(workdir: Path) -> dict[str, polib.POFile]:
    """Run the extraction of `make messages` on the code as it is now, into ``workdir``.

    The project is mirrored by symlinks, so the committed locale/ is never written: the
    fresh catalogs land in ``workdir/locale``.
    """
    source = project_dir()
    for entry in source.iterdir():
        if entry.name != "locale":
            (workdir / entry.name).symlink_to(entry)
    (workdir / "locale").mkdir()
    here = Path.cwd()
    try:
        os.chdir(workdir)
        with override_settings(LOCALE_PATHS=[workdir / "locale"]):
            call_command(
                "makemessages",
                locale=list(LANGUAGES),
                no_obsolete=True,
                ignore_patterns=list(IGNORED),
                symlinks=True,
                verbosity=0,
            )
    finally:
        os.chdir(here)
    return {
        language: polib.pofile(str(workdir / "locale" / language / "LC_MESSAGES" / "django.po"))
        for language in LANGUAGES
    }


def gettext_missing() -> str:
    """Why the extraction cannot run here, or "" when it can."""
    missing = [tool for tool in ("xgettext", "msgmerge", "msguniq") if not shutil.which(tool)]
    return f"GNU gettext is not installed ({', '.join(missing)})" if missing else ""
