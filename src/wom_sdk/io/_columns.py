"""Which column holds what: one rule for every command and function that reads reviews.

``wom analyze``, ``wom eval``, the check ``wom report`` makes of its input,
``analyze_dataframe`` and ``analyze_many`` (for mappings) all find their
columns here, so a file that one of them reads, the others read the same way.

The rule, for each role (text, id, product, rating, date, label; brand, shop,
channel):

1. A column named explicitly (``--text-column``, ``text_column=``) wins. It
   is matched exactly, else after normalization; a name that is not in the
   header is an error that lists the header, never a silent fallback.
2. Otherwise the first of the role's candidate names (in the order below)
   that the header has, compared after normalization.
3. A role that must have a column (the text, an eval's label) and has none is
   an error listing the header and the names looked for.

Normalization forgives what spreadsheets and exports vary: Unicode width and
compatibility forms (NFKC: ``ＩＤ`` is ``ID``), case, surrounding spaces, and
spaces or hyphens for underscores (``Review Text`` is ``review_text``).

The columns no role takes go into a result's ``extra`` as they are named in
the file. Which of them (``keep``, ``wom analyze --keep-columns``): ``all``;
``none``; or the recognised ones -- the first brand, shop and channel column
(``GROUP_ROLES``: what reports compare by) -- plus the ones named. Keeping
only what is asked for keeps a customer's name or phone column out of the
results unless the user wants it there.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from .._exceptions import InputError

__all__ = [
    "ASPECT",
    "BRAND",
    "CHANNEL",
    "DATE",
    "GROUP_ROLES",
    "ID",
    "KEEP_ALL",
    "KEEP_NONE",
    "LABEL",
    "PRODUCT",
    "RATING",
    "SHOP",
    "TEXT",
    "TEXT_COLUMNS",
    "Columns",
    "Role",
    "find_column",
    "group_role",
    "is_column_name",
    "kept_columns",
    "normalize_name",
    "require_column",
    "resolve_columns",
]


@dataclass(frozen=True)
class Role:
    """A kind of column (the review text, its id, ...) and the header names that mean it."""

    name: str
    #: what the column holds, for messages ("no review text column found")
    what: str
    #: names that mean this role, most preferred first, as ``normalize_name`` gives them
    candidates: tuple[str, ...]
    #: the option naming the column, when it is not ``<name>-column``
    option: str | None = None

    @property
    def flag(self) -> str:
        """The command-line option that names this column (``--text-column``)."""
        return f"--{self.option or self.name + '-column'}"

    @property
    def argument(self) -> str:
        """The Python keyword argument that names this column (``text_column=``)."""
        return f"{(self.option or self.name + '-column').replace('-', '_')}="


TEXT = Role("text", "review text", (
    "text", "review", "content", "comment", "评论", "内容", "评价",
    "body", "reviewbody", "review_text", "review_body", "评论内容", "sentence",
))
ID = Role("id", "review id", ("id", "review_id", "reviewid", "评论id", "编号"))
PRODUCT = Role("product", "product", (
    "product", "product_name", "item", "sku", "商品", "产品", "商品名称",
))
RATING = Role("rating", "rating", ("rating", "stars", "star", "score", "评分", "星级"))
DATE = Role("date", "date", (
    "date", "created_at", "time", "timestamp", "日期", "时间", "评论时间",
))
#: The gold sentiment of a labeled review (``wom eval``).
LABEL = Role("label", "label (gold sentiment)", (
    "label", "labels", "sentiment", "polarity", "标签", "情感", "情感标签", "情感倾向", "极性",
))
#: Gold aspect terms (``wom eval``): never guessed, only used when named.
ASPECT = Role("aspect", "gold aspects", ())
#: Who made it, who sold it, where: kept in a result's ``extra`` by default, and
#: what ``wom report --compare-by`` groups by.
BRAND = Role("brand", "brand", ("brand", "brand_name", "make", "品牌", "品牌名称", "牌子"))
SHOP = Role("shop", "shop", (
    "shop", "store", "seller", "shop_name", "store_name", "店铺", "店铺名称", "店名", "商家",
    "门店", "卖家",
))
CHANNEL = Role("channel", "channel", (
    "channel", "platform", "source", "site", "渠道", "平台", "来源", "销售渠道",
))
GROUP_ROLES: tuple[Role, ...] = (BRAND, SHOP, CHANNEL)

#: ``keep`` words: every other column, or none of them.
KEEP_ALL = "all"
KEEP_NONE = "none"

#: The names a review text column goes by (for code that looks at a mapping's keys).
TEXT_COLUMNS = TEXT.candidates


def normalize_name(name: str) -> str:
    """The form in which column names are compared: NFKC, lower case, ``_`` for space and ``-``."""
    folded = unicodedata.normalize("NFKC", name).strip().lower()
    return folded.replace(" ", "_").replace("-", "_")


def is_column_name(name: str, *roles: Role) -> bool:
    """Whether ``name`` is one of the candidate names of any of ``roles``."""
    norm = normalize_name(name)
    return any(norm in role.candidates for role in roles)


def _listing(header: Sequence[str]) -> str:
    return ", ".join(repr(h) for h in header) if header else "(none)"


def find_column(
    header: Sequence[str],
    role: Role,
    asked: str | None = None,
    *,
    spelling: Literal["flag", "argument"] = "flag",
) -> str | None:
    """The column of ``header`` that plays ``role``: ``asked`` if given, else a known name.

    None when nothing was asked and no known name is there. Raises
    ``InputError`` when ``asked`` is not in the header, naming the option as
    ``--text-column`` (or as ``text_column=`` with ``spelling="argument"``).
    """
    by_norm: dict[str, str] = {}
    for h in header:
        by_norm.setdefault(normalize_name(h), h)
    if asked is None:
        return next((by_norm[c] for c in role.candidates if c in by_norm), None)
    if asked in header:
        return asked
    if normalize_name(asked) in by_norm:
        return by_norm[normalize_name(asked)]
    raise InputError(f"{_option(role, spelling)} {asked!r} is not a column of the input; "
                     f"columns: {_listing(header)}")


def require_column(
    header: Sequence[str],
    role: Role,
    asked: str | None = None,
    *,
    spelling: Literal["flag", "argument"] = "flag",
) -> str:
    """``find_column`` for a role that must have a column (the text, an eval's label).

    Raises ``InputError`` listing the header and the names looked for when none fits.
    """
    found = find_column(header, role, asked, spelling=spelling)
    if found is None:
        looked = f" (looked for: {', '.join(role.candidates)})" if role.candidates else ""
        raise InputError(f"no {role.what} column found; columns: {_listing(header)}. "
                         f"Name it with {_option(role, spelling)}{looked}")
    return found


def _option(role: Role, spelling: Literal["flag", "argument"]) -> str:
    return role.flag if spelling == "flag" else role.argument


def group_role(name: str) -> Role | None:
    """The role of ``GROUP_ROLES`` that ``name`` means (``品牌`` -> ``BRAND``), if any."""
    norm = normalize_name(name)
    return next((r for r in GROUP_ROLES if norm == r.name or norm in r.candidates), None)


@dataclass(frozen=True)
class Columns:
    """Which field of a review row holds what; ``text`` is required, the others optional."""

    text: str
    id: str | None = None
    product: str | None = None
    rating: str | None = None
    date: str | None = None
    #: the other columns kept in ``extra``; None: all of them
    keep: frozenset[str] | None = None

    @property
    def known(self) -> frozenset[str]:
        """The columns taken by a role (the others are the row's ``extra``)."""
        return frozenset(c for c in (self.text, self.id, self.product, self.rating, self.date)
                         if c is not None)

    def keeps(self, column: str) -> bool:
        """Whether ``column`` goes into a record's ``extra``."""
        return column not in self.known and (self.keep is None or column in self.keep)


#: ``find_column``'s role for a name given to ``--keep-columns`` (never guessed).
_KEEP = Role("keep", "kept column", (), option="keep-columns")


def kept_columns(header: Sequence[str], asked: Sequence[str]) -> frozenset[str] | None:
    """The columns ``extra`` keeps: ``asked`` holds names, ``"all"`` or ``"none"``.

    Nothing asked: the recognised ones (the first column of each of
    ``GROUP_ROLES``). Names add to them, and must be columns of ``header``
    (compared as ``find_column`` does). None stands for all.
    """
    words = {normalize_name(a) for a in asked}
    if KEEP_ALL in words:
        return None
    if KEEP_NONE in words:
        if len(words) > 1:
            raise InputError(f"--keep-columns {KEEP_NONE} cannot be combined with column names")
        return frozenset()
    found = {find_column(header, role) for role in GROUP_ROLES}
    found |= {find_column(header, _KEEP, a) for a in asked}
    return frozenset(c for c in found if c is not None)


def resolve_columns(
    header: Sequence[str],
    *,
    text: str | None = None,
    id: str | None = None,
    product: str | None = None,
    rating: str | None = None,
    date: str | None = None,
    keep: Sequence[str] = (KEEP_ALL,),
    spelling: Literal["flag", "argument"] = "flag",
) -> Columns:
    """The columns of a file of reviews: the ones asked for, else the first known name present.

    ``keep``: which other columns go into ``extra`` (``kept_columns``); default all.
    """
    return Columns(
        text=require_column(header, TEXT, text, spelling=spelling),
        id=find_column(header, ID, id, spelling=spelling),
        product=find_column(header, PRODUCT, product, spelling=spelling),
        rating=find_column(header, RATING, rating, spelling=spelling),
        date=find_column(header, DATE, date, spelling=spelling),
        keep=kept_columns(header, keep),
    )
