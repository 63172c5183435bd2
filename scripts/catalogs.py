"""Keep the interface translations in step with the code.

    .venv/bin/python scripts/catalogs.py          # extract, merge into ru/zh .po, compile .mo
    .venv/bin/python scripts/catalogs.py --check  # exit 1 if a string lacks a translation

Strings are found where the code calls ``_``, ``N_`` or ``ngettext`` under
src/termcrm. New strings arrive in each .po with an empty translation (and
--check fails until they are translated); strings gone from the code are dropped.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "termcrm"
LOCALE_DIR = PACKAGE / "locale"
LANGUAGES = ("ru", "zh")
KEYWORDS = {
    "_": None,
    "N_": None,
    "ngettext": (1, 2),
    "pgettext": ((1, "c"), 2),
    "NP_": ((1, "c"), 2),
}
METHODS = [("**.py", "python")]


def extract() -> Catalog:
    """Every translatable string of the package, with where it is used."""
    template = Catalog(project="termcrm", charset="utf-8")
    for filename, lineno, message, comments, context in extract_from_dir(
        str(PACKAGE), METHODS, keywords=KEYWORDS, comment_tags=("TRANSLATORS:",)
    ):
        template.add(
            message,
            locations=[(f"termcrm/{filename}", lineno)],
            auto_comments=comments,
            context=context,
        )
    return template


def po_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / "termcrm.po"


def load(lang: str) -> Catalog:
    path = po_path(lang)
    if not path.exists():
        return Catalog(locale=lang, project="termcrm", charset="utf-8")
    with path.open("rb") as fh:
        return read_po(fh, locale=lang)


def missing(catalog: Catalog, template: Catalog) -> list[str]:
    """Strings of the code that this catalog does not translate."""
    out = []
    for message in template:
        if not message.id:
            continue
        have = catalog.get(message.id, context=message.context)
        name = str(message.id) + (f" (context: {message.context})" if message.context else "")
        if have is None or have.fuzzy:
            out.append(name)
            continue
        strings = have.string if isinstance(have.string, tuple) else (have.string,)
        if not all(strings):
            out.append(name)
    return out


def update() -> None:
    template = extract()
    for lang in LANGUAGES:
        catalog = load(lang)
        catalog.update(template, no_fuzzy_matching=True)
        catalog.obsolete.clear()
        path = po_path(lang)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as fh:
            write_po(fh, catalog, width=100, no_location=True, sort_output=True)
        left = missing(catalog, template)
        print(
            f"{path.relative_to(ROOT)}: {len(template) - len(left)} of {len(template)} translated"
        )
    sys.path.insert(0, str(ROOT / "src"))
    from termcrm.i18n import compile_catalogs

    for mo in compile_catalogs():
        print(f"compiled {mo.relative_to(ROOT)}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="report untranslated strings")
    args = parser.parse_args()
    if not args.check:
        update()
        return 0
    template = extract()
    bad = 0
    for lang in LANGUAGES:
        for msgid in missing(load(lang), template):
            print(f"{lang}: untranslated: {msgid!r}")
            bad += 1
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
