"""Prints what a nutter test notebook passes to dbutils.notebook.exit, made by nutter itself.

A fixture with a passing, a failing and an erroring test runs through nutter's own runner;
its TestExecResults.exit() is given a stand-in dbutils that captures the exit value.
"""

from runtime.nutterfixture import NutterFixture


class SalesFixture(NutterFixture):
    def assertion_row_count(self):
        assert 1000 == 1000

    def assertion_no_negative_amounts(self):
        amounts = [10, -5, 7]
        assert all(a >= 0 for a in amounts), "found a negative amount: -5"

    def assertion_schema(self):
        raise KeyError("column 'region' is missing")


class _Notebook:
    def exit(self, value):
        print(value, end="")


class _DbUtils:
    notebook = _Notebook()


SalesFixture().execute_tests().exit(_DbUtils())
