"""Hypothesis strategies shared by the test suite."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
import os
import zipfile
from pathlib import Path

import pandas as pd
from hypothesis import strategies as st

# Amounts in pence: penny-level amounts and very large ones (up to £10bn).
pence = st.one_of(
    st.integers(min_value=0, max_value=99),
    st.integers(min_value=0, max_value=10**12),
)
signed_pence = st.integers(min_value=-(10**12), max_value=10**12)
start_years = st.integers(min_value=2000, max_value=2040)


def _money_text(p: int) -> str:
    sign = "-" if p < 0 else ""
    p = abs(p)
    return f"{sign}{p // 100:,}.{p % 100:02d}"


@st.composite
def ledger_frames(draw: st.DrawFn, max_years: int = 4) -> pd.DataFrame:
    """A long ledger frame of 1..max_years consecutive years, amounts as text."""
    first = draw(start_years)
    n_years = draw(st.integers(1, max_years))
    rows = []
    for k in range(n_years):
        fy = f"{first + k}/{(first + k + 1) % 100:02d}"
        for kind in ("income", "expenditure"):
            n = draw(st.integers(1, 5))
            for i in range(n):
                rows.append(
                    {
                        "financial_year": fy,
                        "line": f"{kind} line {i}",
                        "kind": kind,
                        "amount": _money_text(draw(pence)),
                    }
                )
    if draw(st.booleans()):
        rows.append(
            {
                "financial_year": f"{first}/{(first + 1) % 100:02d}",
                "line": "Opening cumulative deficit",
                "kind": "opening_cumulative_deficit",
                "amount": _money_text(draw(signed_pence)),
            }
        )
    order = draw(st.permutations(range(len(rows))))
    return pd.DataFrame([rows[i] for i in order])


money_text = st.builds(_money_text, signed_pence)


# =============================================================================================
# Input files for fuzzing the readers (tests/test_fuzz.py).  Each strategy gives a dict of
# {relative path: bytes} and the path to read; write_files() puts them in a folder.
# Half the examples are near-valid (a good file with a few things broken), the rest arbitrary.
# =============================================================================================
Files = dict[str, bytes]

# mostly UTF-8, as the readers expect; sometimes what other tools write
ENCODINGS = ("utf-8", "utf-8", "utf-8", "utf-8", "utf-8-sig", "utf-16", "latin-1", "cp1252")
# text as users paste it: any unicode, short, sometimes with separators, quotes and newlines
junk_text = st.text(
    alphabet=st.one_of(
        st.characters(codec="utf-8"), st.sampled_from(list(",;\"'\n\r\t=+-@£()[]{}#.0123456789"))
    ),
    max_size=24,
)
huge_ints = st.one_of(
    st.integers(min_value=-(10**30), max_value=10**30),
    st.sampled_from([2**63 - 1, -(2**63), 2**64, 10**12, 10**12 + 1, -(10**12) - 1, 10**18]),
)
any_floats = st.floats(allow_nan=True, allow_infinity=True)
money_like_text = st.one_of(
    money_text,
    st.builds(lambda n: f"{n:,}", huge_ints),
    st.builds(lambda x: repr(x), any_floats),
    st.sampled_from(
        [
            "£1,000,000,000,000",
            "(£1,000,000,000,000.01)",
            "1001bn",
            "9" * 70,
            "4.25m",
            "--5",
            "(12",
            "1e9",
            "£",
            "−3",
            "1,23",
            "0.005",
            "٣٤",
            "１２",
        ]
    ),
)


def write_files(folder: str | os.PathLike[str], files: Files) -> None:
    """Write ``{relative path: bytes}`` under ``folder`` (creating subfolders)."""
    for rel, data in files.items():
        p = Path(folder) / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)


def _csv_bytes(rows: list[list[object]], encoding: str) -> bytes:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    return buf.getvalue().encode(encoding, errors="replace")


def _xlsx_bytes(rows: list[list[object]], title: str) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.writer.excel import ExcelWriter

    wb = Workbook()
    ws = wb.active
    ws.title = (ILLEGAL_CHARACTERS_RE.sub("", title).strip("'") or "Sheet")[:31].translate(
        str.maketrans("", "", "[]:*?/\\")
    ) or "Sheet"
    for row in rows:
        ws.append([ILLEGAL_CHARACTERS_RE.sub("", v) if isinstance(v, str) else v for v in row])
    # saved without openpyxl's save_workbook, which stamps the time: the same rows give a file
    # of the same length, so that the choices drawn after it do not depend on the clock
    wb.properties.created = wb.properties.modified = dt.datetime(2024, 4, 1)
    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(wb, archive).write_data()
    buf = io.BytesIO()  # the same bytes in every process: entries re-dated to a fixed day
    with zipfile.ZipFile(raw) as src, zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            dst.writestr(zipfile.ZipInfo(item.filename, (2024, 4, 1, 0, 0, 0)), src.read(item))
    return buf.getvalue()


@st.composite
def _mutated_rows(draw: st.DrawFn, rows: list[list[object]], cells: st.SearchStrategy) -> list:
    """Break a good table a little: cells, the header, rows dropped, repeated or ragged."""
    rows = [list(r) for r in rows]
    if draw(st.booleans()):  # half the near-valid tables stay valid
        return rows
    for _ in range(draw(st.integers(0, 4))):
        i = draw(st.integers(0, len(rows) - 1))
        if not rows[i]:
            continue
        j = draw(st.integers(0, len(rows[i]) - 1))
        rows[i][j] = draw(cells)
    action = draw(
        st.sampled_from(["none", "drop_col", "dup_col", "drop_rows", "dup_row", "ragged"])
    )
    if action == "drop_col" and rows[0]:
        j = draw(st.integers(0, len(rows[0]) - 1))
        rows = [r[:j] + r[j + 1 :] for r in rows]
    elif action == "dup_col" and rows[0]:
        j = draw(st.integers(0, len(rows[0]) - 1))
        rows = [[*r, r[j]] if j < len(r) else r for r in rows]
    elif action == "drop_rows":
        rows = rows[: draw(st.integers(0, len(rows)))]
    elif action == "dup_row" and len(rows) > 1:
        rows.append(list(rows[draw(st.integers(1, len(rows) - 1))]))
    elif action == "ragged" and len(rows) > 1:
        i = draw(st.integers(1, len(rows) - 1))
        rows[i] = rows[i][: draw(st.integers(0, len(rows[i])))] + draw(st.lists(cells, max_size=3))
    return rows


# --- ledgers -------------------------------------------------------------------------------
ledger_cells = st.one_of(
    money_like_text,
    junk_text,
    huge_ints,
    any_floats,
    st.booleans(),
    st.none(),
    st.sampled_from(
        [
            "2023/24",
            "2023/25",
            "FY24",
            "1899/00",
            "2200/01",
            "income",
            "INCOME",
            "expenditure",
            "total_income",
            "incom",
            "",
        ]
    ),
    st.datetimes(min_value=dt.datetime(1900, 1, 1), max_value=dt.datetime(2100, 1, 1)),
)


amount_cells = st.one_of(money_like_text, huge_ints, any_floats, st.booleans())


@st.composite
def ledger_files(draw: st.DrawFn) -> tuple[Files, str]:
    """A ledger file (CSV or xlsx, long or wide layout), near-valid or arbitrary."""
    xlsx = draw(st.booleans())
    if draw(st.booleans()):  # near-valid
        frame = draw(ledger_frames(max_years=3))
        if draw(st.booleans()):
            header = list(frame.columns)
            rows = [header, *frame.astype(object).values.tolist()]
        else:  # wide: line, kind, then one column per year
            wide = frame.pivot_table(
                index=["line", "kind"], columns="financial_year", values="amount", aggfunc="first"
            ).reset_index()
            rows = [[str(c) for c in wide.columns], *wide.astype(object).values.tolist()]
        if xlsx and draw(st.booleans()):  # amounts as numbers, as Excel holds them
            rows = [rows[0]] + [[_number_or_text(v) for v in r] for r in rows[1:]]
        if draw(st.booleans()):  # only amounts changed: huge, odd or non-finite numbers
            money_cols = [j for j, c in enumerate(rows[0]) if c not in ("line", "kind")]
            money_cols = [j for j in money_cols if rows[0][j] != "financial_year"]
            for _ in range(draw(st.integers(1, 3))):
                i = draw(st.integers(1, len(rows) - 1))
                rows[i][draw(st.sampled_from(money_cols))] = draw(amount_cells)
        else:
            rows = draw(_mutated_rows(rows, ledger_cells))
    else:
        width = draw(st.integers(1, 6))
        header = draw(
            st.lists(
                st.one_of(
                    st.sampled_from(
                        [
                            "financial_year",
                            "year",
                            "line",
                            "kind",
                            "amount",
                            "source",
                            "2023/24",
                            "2024/25",
                            "Line",
                            " AMOUNT ",
                        ]
                    ),
                    junk_text,
                ),
                min_size=width,
                max_size=width,
            )
        )
        body = draw(st.lists(st.lists(ledger_cells, min_size=0, max_size=width + 1), max_size=6))
        rows = [header, *body]
    if xlsx:
        if not any(rows):
            rows = [["x"]]
        data = _xlsx_bytes(rows, draw(junk_text))
        if draw(st.integers(0, 5)) == 0:  # damaged on the way: a few bytes overwritten
            i = draw(st.integers(0, len(data) - 1))
            data = data[:i] + draw(st.binary(min_size=1, max_size=8)) + data[i + 8 :]
        return {"ledger.xlsx": data}, "ledger.xlsx"
    if draw(st.integers(0, 9)) == 0:
        return {"ledger.csv": draw(st.binary(max_size=200))}, "ledger.csv"
    text_rows = [["" if v is None else str(v) for v in r] for r in rows]
    return {"ledger.csv": _csv_bytes(text_rows, draw(st.sampled_from(ENCODINGS)))}, "ledger.csv"


def _number_or_text(v: object) -> object:
    if isinstance(v, str):
        try:
            return float(v.replace(",", ""))
        except ValueError:
            return v
    return v


# --- scenarios (TOML) -------------------------------------------------------------------------
def _toml_key(k: str) -> str:
    return json.dumps(k, ensure_ascii=False)


def toml_value(v: object) -> str:
    """``v`` written as a TOML value (inline tables and arrays for nesting)."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, dt.datetime | dt.date):
        return v.isoformat()
    if isinstance(v, list):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{_toml_key(k)} = {toml_value(x)}" for k, x in v.items()) + "}"
    raise TypeError(type(v))


def toml_text(data: dict[str, object]) -> str:
    """A TOML document: top-level keys first, then one [table] or [[array]] per section."""
    lines = []
    tables = []
    for k, v in data.items():
        if isinstance(v, dict):
            tables.append(
                f"\n[{_toml_key(k)}]\n"
                + "".join(f"{_toml_key(a)} = {toml_value(b)}\n" for a, b in v.items())
            )
        elif isinstance(v, list) and v and all(isinstance(x, dict) for x in v):
            for item in v:
                tables.append(
                    f"\n[[{_toml_key(k)}]]\n"
                    + "".join(f"{_toml_key(a)} = {toml_value(b)}\n" for a, b in item.items())
                )
        else:
            lines.append(f"{_toml_key(k)} = {toml_value(v)}\n")
    return "".join(lines) + "".join(tables)


toml_scalars = st.one_of(
    huge_ints,
    any_floats,
    st.sampled_from([0.03, -0.5, 0.99, 1.0, 15, 60_000, 2_500_000, 1e308, -1e308, 5e-324]),
    junk_text,
    st.sampled_from(
        [
            "2024/25",
            "2023/24",
            "2200/01",
            "FY25",
            "from_baseline",
            "growth",
            "cost_model",
            "fixed",
            "share_of_placements",
            "total",
            "default",
        ]
    ),
    st.booleans(),
    st.datetimes(min_value=dt.datetime(1, 1, 1), max_value=dt.datetime(9999, 1, 1)),
    st.dates(),
)
toml_values = st.recursive(
    toml_scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(
            st.one_of(junk_text, st.sampled_from(["2024/25", "2025/26"])), inner, max_size=3
        ),
    ),
    max_leaves=8,
)


def _nested(depth: int, bracket: str) -> str:
    if bracket == "[":
        return "[" * depth + "1" + "]" * depth
    return "{a = " * depth + "1" + "}" * depth


# a valid value for every key a scenario file may hold (sections by name; "" is the top level)
_VALID: dict[str, dict[str, object]] = {
    "": {
        "name": "fuzz",
        "description": "Café £ scenario",
        "baseline_year": "2023/24",
        "horizon": 5,
        "opening_cumulative_deficit": 6_977_292,
    },
    "contract_sum": {"amounts": {"2024/25": 80_800_000}, "uplift": 0.02, "source": "s"},
    "additional_council_funding": {"amounts": {"2025/26": 1_000_000}, "default": 0},
    "staffing": {
        "pay_award": {"2024/25": 0.04},
        "children_in_care_per_worker": 15,
        "cost_per_social_worker": 60_000,
        "agency_share": 0.2,
        "agency_premium": 0.35,
    },
    "placements": {
        "method": "growth",
        "volume_growth": 0.01,
        "volume_growth_sd": 0.03,
        "price_inflation": 0.05,
        "price_sd": 0.02,
    },
    "overheads": {"inflation": 0.03},
    "baseline": {"ledger": "embedded", "contract_sum": ["Contract Sum (basic)"]},
}
_VALID_ITEMS: dict[str, dict[str, object]] = {
    "savings": {
        "name": "=saving",
        "amount": 250_000,
        "first_year": "2025/26",
        "delivery_probability": 0.5,
        "recurring": True,
    },
    "pressures": {
        "name": "pressure",
        "amount": -100_000,
        "first_year": "2024/25",
        "probability": 0.25,
        "recurring": False,
        "growth": 0.1,
    },
    "third_party_income": {
        "name": "grant",
        "rule": "fixed",
        "amount": 10_000,
        "share": 0.1,
        "weekly_rate": 500,
        "growth": 0.02,
    },
}


@st.composite
def _table(draw: st.DrawFn, valid: dict[str, object], broken: bool) -> dict[str, object]:
    """Some of a table's keys: valid, or when ``broken`` each valid seven times in ten, else
    anything TOML holds (and now and then an unknown key)."""
    keys = draw(st.lists(st.sampled_from(sorted(valid)), unique=True, max_size=len(valid)))
    if "name" in valid and "name" not in keys and draw(st.integers(0, 9)):
        keys.append("name")  # items are merged by name: most have one
    if not broken:
        return {k: valid[k] for k in keys}
    table = {k: valid[k] if draw(st.integers(0, 9)) < 7 else draw(toml_values) for k in keys}
    if draw(st.integers(0, 9)) == 0:
        table[draw(junk_text)] = draw(toml_scalars)
    return table


@st.composite
def scenario_files(draw: st.DrawFn) -> tuple[Files, str]:
    """A scenario file, near-valid (known keys, wrong values) or arbitrary text."""
    kind = draw(st.sampled_from(["near", "near", "mutated", "nested", "text"]))
    files: Files = {}
    if kind in ("near", "mutated"):
        data: dict[str, object] = {}
        parent = draw(
            st.sampled_from(
                ["default", "high_demand", "nope", "parent.toml", "scenario.toml", None, None, None]
            )
        )
        if parent is not None:
            data["inherits"] = parent
        broken = draw(st.booleans())
        for section, valid in _VALID.items():
            table = draw(_table(valid, broken))
            if section == "":
                data.update(table)
            elif table or draw(st.booleans()):
                data[section] = (
                    table if not broken or draw(st.integers(0, 9)) else draw(toml_scalars)
                )
        for arr, valid in _VALID_ITEMS.items():
            n = draw(st.integers(0, 2))
            items = [draw(_table(valid, broken)) for _ in range(n)]
            for i, item in enumerate(items):  # items are merged by name: names differ
                if isinstance(item.get("name"), str):
                    item["name"] += f" {i}"
            data[arr] = items or (draw(st.sampled_from([[], [], [], "x", 3])) if broken else [])
        text = toml_text(data)
        if parent == "parent.toml":
            files["parent.toml"] = toml_text(
                {"inherits": "default", **draw(_table(_VALID[""], draw(st.booleans())))}
            ).encode()
        if kind == "mutated" and text:
            i = draw(st.integers(0, len(text)))
            j = draw(st.integers(i, min(len(text), i + 8)))
            text = (
                text[:i]
                + draw(st.sampled_from(["", "[", "]", "{", '"', "=", "\n", "\\"]))
                + text[j:]
            )
    elif kind == "nested":
        depth = draw(st.integers(1, 3000))
        text = f"horizon = 5\nx = {_nested(depth, draw(st.sampled_from(['[', '{'])))}\n"
        if draw(st.booleans()):
            text = ".".join(["k"] * depth) + " = 1\n"
    else:
        text = draw(st.text(max_size=200))
    encoding = draw(st.sampled_from(ENCODINGS))
    files["scenario.toml"] = text.encode(encoding, errors="replace")
    return files, "scenario.toml"


# --- SSDA903 returns ----------------------------------------------------------------------------
PLACE_CODES = ("U1", "U4", "K2", "H5", "P1", "A4", "R3", "Z1", "K1", "u4", " U4 ")
ODD_PLACE_CODES = ("T0", "XX", "", "U", "U44", "£")
PROVIDER_CODES = ("PR0", "PR1", "PR3", "PR4", "PRX", "", "pr4")
_dates = st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2026, 12, 31))
date_text = st.one_of(
    st.builds(lambda d: d.strftime("%d/%m/%Y"), _dates),
    st.builds(lambda d: d.isoformat(), _dates),
    st.sampled_from(
        [
            "",
            "31/02/2020",
            "2020-13-01",
            "n/a",
            "1/4/22",
            "44651",
            "00/00/0000",
            "01/04/1066",
            "31/12/9999",
            "29/02/2023",
            "NaT",
            "None",
            "21/09/1677",
            "22/09/1677",
            "11/04/2262",
            "01/01/2250",
            "2261-12-31",
            "01/04/2200",
        ]
    ),
    junk_text,
)
# dates of birth and starts: mostly recent, sometimes at the ends of what pandas can hold
_births = st.one_of(
    st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2023, 1, 1)),
    st.dates(min_value=dt.date(1678, 1, 1), max_value=dt.date(2262, 4, 1)),
)


@st.composite
def _ssda903_pair(
    draw: st.DrawFn, year_end: int | None = None
) -> tuple[list[list[object]], list[list[object]]]:
    """Header and episodes rows; with ``year_end``, episodes start by 31 March of that year
    (a collection year's return), else anywhere."""
    last = dt.date(year_end, 3, 31) if year_end else dt.date.max
    n = draw(st.integers(1, 5))
    children = [str(draw(st.integers(1, 9999))) for _ in range(n)]
    header = [["CHILD", "SEX", "DOB", *(["UASC"] if draw(st.booleans()) else [])]]
    episodes = [["CHILD", "DECOM", "RNE", "LS", "CIN", "PLACE", "PLACE_PROVIDER", "DEC", "REC"]]
    for child in children:
        dob = draw(_births)
        header.append(
            [child, draw(st.sampled_from(["1", "2", "x"])), dob.strftime("%d/%m/%Y")]
            + (["1" if draw(st.booleans()) else "0"] if len(header[0]) == 4 else [])
        )
        start = dob + dt.timedelta(days=draw(st.integers(0, 18 * 365)))
        for _ in range(draw(st.integers(1 if child == children[0] else 0, 3))):
            if start > last:
                break
            end = start + dt.timedelta(days=draw(st.integers(0, 900)))
            open_ = draw(st.integers(0, 3)) == 0
            episodes.append(
                [
                    child,
                    start.strftime("%d/%m/%Y"),
                    "S",
                    "C2",
                    "N1",
                    draw(
                        st.sampled_from(PLACE_CODES)
                        if draw(st.integers(0, 9))
                        else st.sampled_from(ODD_PLACE_CODES)
                    ),
                    draw(st.sampled_from(PROVIDER_CODES)),
                    "" if open_ else end.strftime("%d/%m/%Y"),
                    "" if open_ else "E11",
                ]
            )
            if open_:
                break
            start = end
    ssda_cells = st.one_of(
        date_text, st.sampled_from(PLACE_CODES + ODD_PLACE_CODES + PROVIDER_CODES), junk_text
    )
    return draw(_mutated_rows(header, ssda_cells)), draw(_mutated_rows(episodes, ssda_cells))


# the collection year each folder name stands for (the year of its 31 March), as the reader reads it
_YEAR_END = {
    "2021": 2021,
    "2021-22": 2022,
    "2022_23": 2023,
    "FY2023": 2023,
    "2023-24": 2024,
    "2024": 2024,
}


@st.composite
def ssda903_folders(draw: st.DrawFn) -> tuple[Files, str]:
    """A folder of SSDA903 returns: one pair of files, or collection-year subfolders."""
    files: Files = {}
    encoding = draw(st.sampled_from(ENCODINGS))
    layout = draw(st.sampled_from(["pair", "pair", "years", "empty"]))
    if layout == "pair":
        header, episodes = draw(_ssda903_pair())
        files["returns/header.csv"] = _csv_bytes(header, encoding)
        files["returns/episodes.csv"] = _csv_bytes(episodes, encoding)
    elif layout == "years":
        names = draw(
            st.lists(
                st.sampled_from(
                    ["2021", "2021-22", "2022_23", "FY2023", "2023-24", "2024", "notes", "9999"]
                ),
                min_size=1,
                max_size=3,
                unique=True,
            )
        )
        for name in names:
            header, episodes = draw(_ssda903_pair(_YEAR_END.get(name)))
            files[f"returns/{name}/header.csv"] = _csv_bytes(header, encoding)
            files[f"returns/{name}/episodes.csv"] = _csv_bytes(episodes, encoding)
    else:
        files["returns/readme.txt"] = b"no returns here"
    if files and draw(st.integers(0, 7)) == 0:  # one file empty or binary
        victim = draw(st.sampled_from(sorted(files)))
        files[victim] = draw(st.binary(max_size=64))
    return files, "returns"
