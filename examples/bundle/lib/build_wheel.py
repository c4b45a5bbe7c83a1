"""Builds dist/shop_utils-0.1.0-py3-none-any.whl with the standard library only, so the
example needs no build tools or network."""

import base64
import hashlib
import os
import pathlib
import zipfile

NAME, VERSION = "shop_utils", "0.1.0"
here = pathlib.Path(__file__).parent
dist = here / "dist"
dist.mkdir(exist_ok=True)
info = f"{NAME}-{VERSION}.dist-info"
files = {
    f"{NAME}/__init__.py": (here / NAME / "__init__.py").read_bytes(),
    f"{info}/METADATA": f"Metadata-Version: 2.1\nName: {NAME}\nVersion: {VERSION}\n".encode(),
    f"{info}/WHEEL": b"Wheel-Version: 1.0\nGenerator: build_wheel.py\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
}


def digest(data):
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


record = "".join(f"{n},{digest(d)},{len(d)}\n" for n, d in files.items()) + f"{info}/RECORD,,\n"
files[f"{info}/RECORD"] = record.encode()
target = dist / f"{NAME}-{VERSION}-py3-none-any.whl"
# Written beside the target and renamed over it: a deploy reading the wheel while another
# build runs in the same checkout never sees a half-written file.
partial = target.with_name(f".{target.name}.{os.getpid()}")
with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as whl:
    for name, data in sorted(files.items()):
        # Fixed timestamps: the same sources build the same bytes, so a redeploy sees no change.
        whl.writestr(zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0)), data)
os.replace(partial, target)
print(target)
