"""Transformations shared by the notebooks and unit-tested on the build agent."""


def clean_amount(value):
    """Amounts arrive as text with thousands separators; negative means a refund."""
    text = str(value).replace(",", "").strip()
    return round(float(text), 2) if text else 0.0


def totals_by_region(rows):
    totals = {}
    for row in rows:
        totals[row["region"]] = round(totals.get(row["region"], 0.0) + clean_amount(row["amount"]), 2)
    return totals
