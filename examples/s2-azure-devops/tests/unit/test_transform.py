from sales_etl import clean_amount, totals_by_region


def test_clean_amount_strips_separators():
    assert clean_amount("1,234.50") == 1234.5


def test_totals_by_region_adds_refunds():
    rows = [{"region": "north", "amount": "10"}, {"region": "north", "amount": "-2.5"}]
    assert totals_by_region(rows) == {"north": 7.5}
