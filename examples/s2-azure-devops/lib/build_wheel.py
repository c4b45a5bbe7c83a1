"""Builds lib/dist/sales_etl-0.1.0-py3-none-any.whl from lib/sales_etl with the standard library
only (the bundle's artifact build; `python -m build` does the same where it is installed)."""

import base64
import hashlib
import pathlib
import zipfile

NAME, VERSION = "sales_etl", "0.1.0"
here = pathlib.Path(__file__).parent
info = f"{NAME}-{VERSION}.dist-info"
files = {
    f"{NAME}/__init__.py": (here / NAME / "__init__.py").read_bytes(),
    f"{info}/METADATA": f"Metadata-Version: 2.1\nName: {NAME}\nVersion: {VERSION}\n".encode(),
    f"{info}/WHEEL": b"Wheel-Version: 1.0\nGenerator: build_wheel.py\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
}


def digest(data):
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


files[f"{info}/RECORD"] = (
    "".join(f"{n},{digest(d)},{len(d)}\n" for n, d in files.items()) + f"{info}/RECORD,,\n"
).encode()
(here / "dist").mkdir(exist_ok=True)
with zipfile.ZipFile(here / "dist" / f"{NAME}-{VERSION}-py3-none-any.whl", "w", zipfile.ZIP_DEFLATED) as whl:
    for name, data in sorted(files.items()):
        # Fixed timestamps: the same sources give the same bytes, so a redeploy uploads nothing.
        whl.writestr(zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0)), data)
