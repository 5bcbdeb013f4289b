"""Pure rules of the enterprise registry: name keys, the duplicate rule, search grams, likeness.

No model is imported here and no query is run, so these are fast in batch (imports)
and testable without a database.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal
from difflib import SequenceMatcher

# Legal-form words that do not tell two enterprises apart.
_LEGAL_FORMS = (
    "股份有限公司",
    "有限责任公司",
    "有限公司",
    "集团股份",
    "集团公司",
    "集团",
    "股份",
    "公司",
    "co.,ltd.",
    "co., ltd.",
    "co.,ltd",
    "ltd.",
    "ltd",
    "inc.",
    "inc",
    "group",
)
_PUNCT = re.compile(r"[\s()（）\[\]【】·.,，、\-_/&'\"]+")
REVENUE_LEADER_WAN = Decimal("1000000")  # 百亿级: revenue ≥ 10 bn CNY = 1,000,000 万元


_LEGAL_FORMS_COMPACT = tuple(_PUNCT.sub("", form) for form in _LEGAL_FORMS)


def _fold(text: str) -> str:
    """Width-folded (NFKC), lower-case, without punctuation.  Punctuation goes first: most
    names are then already normal and skip the costly normalisation (their full-width
    brackets and commas are what made them not normal); the result is the same."""
    text = _PUNCT.sub("", text or "")
    if not text.isascii() and not unicodedata.is_normalized("NFKC", text):
        text = _PUNCT.sub("", unicodedata.normalize("NFKC", text))
    return text.lower()


def name_key(name: str) -> str:
    """A comparison key: width-folded, lower-case, without punctuation or legal form.

    Legal forms are stripped until none is left at the end, so that "三六零股份公司" and
    "三六零集团股份有限公司" share the key "三六零"; at least two characters remain."""
    return key_of_folded(_fold(name))


def _grams(folded: str) -> set[str]:
    if len(folded) < 2:
        return {folded} if folded else set()
    return {folded[i : i + 2] for i in range(len(folded) - 1)}


def bigrams(text: str) -> set[str]:
    """Overlapping two-character grams of the text, after folding; a one-character
    text yields itself.  These feed the search index."""
    return _grams(_fold(text))


def query_grams(term: str) -> list[str]:
    """The fewest grams that cover the search term: every gram of the term must be present
    in a hit, and a non-overlapping cover (plus the last gram) is enough to narrow."""
    folded = _fold(term)
    if len(folded) < 2:
        return []
    grams = [folded[i : i + 2] for i in range(0, len(folded) - 1, 2)]
    last = folded[-2:]
    if last not in grams:
        grams.append(last)
    return sorted(set(grams))


def names_for_index(name: str, former_names: str) -> set[str]:
    return _index_grams(_fold(name), former_names)


def _index_grams(folded: str, former_names: str) -> set[str]:
    grams = _grams(folded)
    for former in split_former_names(former_names):
        grams |= bigrams(former)
    return grams


def index_text(name: str, former_names: str) -> str:
    """The search index's text of one enterprise: its names' grams, space-separated, so
    that a full-text index (SQLite FTS5, a PostgreSQL GIN index) holds each as a token."""
    return index_text_of_folded(_fold(name), former_names)


def fold_name(name: str) -> str:
    """A name folded as ``name_key`` and the search grams start from it; an import folds
    each new name once for both (``key_of_folded``, ``index_text_of_folded``)."""
    return _fold(name)


def key_of_folded(folded: str) -> str:
    """``name_key`` of a name already folded by ``fold_name``."""
    text = folded
    while text.endswith(_LEGAL_FORMS_COMPACT):
        for form in _LEGAL_FORMS_COMPACT:
            if text.endswith(form) and len(text) > len(form) + 1:
                text = text[: -len(form)]
                break
        else:
            break
    return text


def index_text_of_folded(folded: str, former_names: str) -> str:
    """``index_text`` of a name already folded by ``fold_name``."""
    return " ".join(sorted(_index_grams(folded, former_names)))


def normalise_former_names(text: str) -> str:
    """Former names as the registry keeps them: one per line, however they were separated."""
    return "\n".join(split_former_names(text))


def split_former_names(text: str) -> list[str]:
    if not text:
        return []
    return [p.strip() for p in re.split(r"[\n;；,，、]+", text or "") if p.strip()]


def duplicate_key(name: str) -> str:
    """The duplicate rule, one for the form, the import and the merge: two enterprises are
    the same one when their names have the same ``name_key`` (width, case, punctuation and
    legal form do not tell them apart).  The registry's index on the key answers it for one
    name or a hundred thousand.  A duplicate may still be recorded when the user confirms it
    is a different enterprise (the form's tick box, the import's 确认非重复 column)."""
    return name_key(name)


def likeness(a: str, b: str) -> float:
    """How alike two names are, 0..1, on their keys.  Not a rule: it ranks the similar
    names suggested on the merge page and after a new record is saved."""
    ka, kb = name_key(a), name_key(b)
    if not ka or not kb:
        return 0.0
    if ka == kb:
        return 1.0
    return SequenceMatcher(None, ka, kb).ratio()


NEAR_DUPLICATE = 0.88


def is_near_duplicate(a: str, b: str) -> bool:
    """Alike enough to suggest as the same enterprise (see ``likeness``)."""
    return likeness(a, b) >= NEAR_DUPLICATE


def is_revenue_leader(revenue_wan: Decimal | None) -> bool:
    return revenue_wan is not None and revenue_wan >= REVENUE_LEADER_WAN


_PROVINCE_SUFFIXES = ("维吾尔自治区", "壮族自治区", "回族自治区", "特别行政区", "自治区", "省", "市")


def province_short(name: str) -> str:
    """The short form the registry keeps and filters by: 河南省 → 河南, 广西壮族自治区 → 广西,
    北京市 → 北京, so that the same province is never counted under two names."""
    text = unicodedata.normalize("NFKC", name or "").strip()
    for suffix in _PROVINCE_SUFFIXES:
        if text.endswith(suffix) and len(text) > len(suffix) + 1:
            return text[: -len(suffix)]
    return text
