"""Catalogue maintenance: `python -m learnapp.i18n_check [--fill-english]`.

Message ids are English, so the English catalogue translates each message to itself; filling it
keeps both catalogues complete. The check lists messages missing from either catalogue.
"""

import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

TRANSLATIONS = Path(__file__).parent / "translations"
LOCALES = ("zh_Hans", "en")


def _catalog(locale: str):
    with open(TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po", "rb") as handle:
        return read_po(handle, locale=locale)


def missing(locale: str) -> list[str]:
    """Message ids without a translation (or marked fuzzy) in a catalogue."""
    problems = []
    for message in _catalog(locale):
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy or not all(strings):
            problems.append(message.id if isinstance(message.id, str) else message.id[0])
    return problems


def fill_english() -> int:
    catalog = _catalog("en")
    filled = 0
    for message in catalog:
        if not message.id:
            continue
        if isinstance(message.id, tuple):
            if not all(message.string):
                message.string = message.id
                filled += 1
        elif not message.string:
            message.string = message.id
            filled += 1
        message.flags.discard("fuzzy")
    with open(TRANSLATIONS / "en" / "LC_MESSAGES" / "messages.po", "wb") as handle:
        write_po(handle, catalog, width=100)
    return filled


def main(argv: list[str]) -> int:
    if "--fill-english" in argv:
        print(f"en: {fill_english()} messages filled")
    status = 0
    for locale in LOCALES:
        gaps = missing(locale)
        if gaps:
            status = 1
            print(f"{locale}: {len(gaps)} untranslated")
            for text in gaps:
                print(f"  {text}")
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
