"""An analyst's script: load a ledger from Excel, reconcile it, print the findings.

Run: python examples/reconcile_a_ledger.py [LEDGER.xlsx|.csv]
Without a file it writes the embedded 2023/24 outturn to an Excel workbook
first, as an analyst's monitoring workbook would hold it, and reads that back.
"""

import sys
import tempfile
import warnings
from pathlib import Path

import sctforecast as sf
from sctforecast.datasets import load_outturn
from sctforecast.reporting import write_workbook

if len(sys.argv) > 1:
    path = Path(sys.argv[1])
else:
    path = Path(tempfile.mkdtemp()) / "outturn_2023_24.xlsx"
    table = load_outturn().to_frame()
    table["amount_pounds"] = table["amount_pence"] / 100
    write_workbook(
        path,
        {
            "Outturn": table[["financial_year", "line", "kind", "amount_pounds", "source"]].rename(
                columns={"amount_pounds": "amount"}
            )
        },
    )

ledger = sf.read_ledger(path, sheet="Outturn" if path.suffix == ".xlsx" else None)
with warnings.catch_warnings():
    warnings.simplefilter("ignore", sf.DataQualityWarning)
    report = sf.reconcile_outturn(ledger)
print(ledger)
print(
    report.to_frame()[
        ["financial_year", "check", "expected", "actual", "difference", "status"]
    ].to_string(index=False)
)
print(report.text)
