"""Find English left on a page rendered in another language: the text a person reads or hears."""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser

# Read aloud or shown: what a person gets from these attributes is as much the page as its text.
_SPOKEN_ATTRIBUTES = ("placeholder", "aria-label", "title", "alt", "aria-description")
# Machine values a person copies rather than reads (scope codes, token prefixes, client ids),
# and what a person typed (a textarea holds their redirect URIs, not our words).
_LITERAL_TAGS = {"script", "style", "code", "kbd", "samp", "pre", "template", "textarea"}
_VOID_TAGS = {
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
    "track", "wbr",
}  # fmt: skip
_LATIN_RUN = re.compile(r"[A-Za-z][A-Za-z'\u2019\-]*(?:[ \t\n]+[A-Za-z][A-Za-z'\u2019\-]*)*")
WORD = re.compile(r"[A-Za-z][A-Za-z'\u2019]*")
_SPACE = re.compile(r"\s+")
# Hashes, ids and codes: a word with a digit or a capital inside is no word of any language.
_IDENTIFIER = re.compile(r"\S*(?:\d|[a-z][A-Z])\S*")

# Words no French sentence uses: any of them on a French page is English left behind.
ENGLISH_ONLY_WORDS = frozenset({
    "the", "your", "yours", "you", "with", "and", "this", "that", "these", "those", "have",
    "has", "was", "were", "will", "would", "can", "cannot", "could", "from", "which", "when",
    "what", "who", "only", "any", "never", "been", "their", "they", "them", "our", "we", "is",
    "it", "to", "of", "in", "by", "now", "yet", "here", "there", "should", "must", "may",
    "might", "isn't", "don't", "won't", "can't", "doesn't", "didn't", "wasn't", "aren't", "it's",
    "you're", "sign", "signed", "disconnect", "disconnected", "settings", "activity",
    "developer", "connected", "remove", "removed", "keep", "back", "try", "again", "find",
    "person", "people", "show", "select", "selected", "all", "made", "make", "choose", "chosen",
    "ask", "asked", "reason", "about", "each", "every", "other", "more", "than", "then", "also",
    "before", "after", "while", "away", "until", "since", "just", "still", "some", "many",
    "much", "give", "given", "gave", "write", "new", "none", "nothing", "something", "someone",
    "everything", "why", "how", "where", "lose", "lost", "ended",
})  # fmt: skip


@dataclass(frozen=True)
class Text:
    """One piece of visible text and where it sits: ``<button#id.class> aria-label``."""

    where: str
    text: str


class _VisibleText(HTMLParser):
    def __init__(self, language: str) -> None:
        super().__init__(convert_charrefs=True)
        self.language = language
        self.stack: list[tuple[str, str, bool]] = []  # tag, label, hidden from this check
        self.found: list[Text] = []

    def _skipping(self) -> bool:
        return any(skip for _, _, skip in self.stack)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        label = tag + (f"#{values['id']}" if values.get("id") else "")
        label += "".join(f".{c}" for c in values.get("class", "").split()[:2])
        # Text in another language on purpose (the language menu names each in its own).
        other_language = bool(values.get("lang")) and not values["lang"].startswith(self.language)
        skip = tag in _LITERAL_TAGS or other_language or values.get("translate") == "no"
        if not (self._skipping() or skip):
            for name in _SPOKEN_ATTRIBUTES:
                self._keep(f"<{label}> {name}", values.get(name, ""))
            if tag == "input" and values.get("type") in ("submit", "button", "reset"):
                self._keep(f"<{label}> value", values.get("value", ""))
        if tag not in _VOID_TAGS:
            self.stack.append((tag, label, skip))

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index][0] == tag:
                del self.stack[index:]
                return

    def handle_data(self, data: str) -> None:
        if not self._skipping():
            self._keep(f"<{self.stack[-1][1] if self.stack else 'document'}>", data)

    def _keep(self, where: str, text: str) -> None:
        text = _SPACE.sub(" ", text).strip()
        if text:
            self.found.append(Text(where, text))


def visible_texts(html: str, language: str) -> list[Text]:
    parser = _VisibleText(language)
    parser.feed(html)
    parser.close()
    return parser.found


@dataclass(frozen=True)
class Allowed:
    """What may stay in Latin letters: data the page shows as it is, and a few words."""

    strings: frozenset[str]  # whole values from Authlete or people: app names, descriptions
    words: frozenset[str]  # lower case: brand and technical words, names of apps and people

    def strip(self, text: str) -> str:
        for value in sorted(self.strings, key=len, reverse=True):
            if value and value in text:
                text = text.replace(value, " ")
        return text


def english_left(
    texts: list[Text], language: str, allowed: Allowed, english_phrases: frozenset[str]
) -> list[str]:
    """Each piece of text that reads as English on a page meant to be in ``language``."""
    leaks = []
    for piece in texts:
        text = _IDENTIFIER.sub(" ", allowed.strip(piece.text))
        if language == "ja":
            found = [
                run
                for run in _LATIN_RUN.findall(text)
                if any(
                    len(word) >= 3 and word.lower().strip("'\u2019") not in allowed.words
                    for word in WORD.findall(run)
                )
            ]
        else:
            found = [phrase for phrase in english_phrases if phrase in text]
            found += sorted(
                {
                    word
                    for word in WORD.findall(text)
                    if word.lower().replace("\u2019", "'") in ENGLISH_ONLY_WORDS
                    and word.lower() not in allowed.words
                }
            )
        if found:
            leaks.append(f"{piece.where}: {found} in {piece.text!r}")
    return leaks


def english_phrases(pairs: list[tuple[str, str]]) -> frozenset[str]:
    """The English of every catalog entry translated differently, cut at its placeholders and
    tags into phrases of two words or more: any of them on a French page was not translated."""
    phrases = set()
    for english, translated in pairs:
        if english == translated:
            continue
        for part in re.split(r"%\(\w+\)[sd]|%[sd]|\{\w*\}|<[^>]+>|[:;.!?…“”()]", english):
            part = _SPACE.sub(" ", part).strip(" ,—-·")
            if len(part.split()) >= 2 and len(part) >= 8:
                phrases.add(part)
    return frozenset(phrases)
