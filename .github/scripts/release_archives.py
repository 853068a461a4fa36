#!/usr/bin/env python3
"""Turn dockerleak's binary wheels into the GitHub release's archives.

The release workflow (.github/workflows/release.yml) builds one wheel per
platform with maturin (`bindings = "bin"`: the wheel is the binary plus
metadata). This script takes the binary out of each wheel, so the archive on
the GitHub release is byte for byte the program that `pip install
dockerleak` installs, and writes:

    dockerleak-<rust target>.tar.gz   (Linux, macOS: `dockerleak` inside)
    dockerleak-<rust target>.zip      (Windows: `dockerleak.exe` inside)
    SHA256SUMS                        (`sha256sum -c` format)

The GitHub Action (action.yml) downloads the archive for its runner and
checks it against SHA256SUMS. `.ci/run` runs this script on the wheel it
builds, then the action's download step on the result.

    release_archives.py --out DIR WHEEL...
    release_archives.py --out DIR --target TRIPLE WHEEL   # name it for TRIPLE
    release_archives.py --notes VERSION CHANGELOG.md      # that version's notes

Only the standard library: it runs on any runner's Python.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import re
import sys
import tarfile
import zipfile
from pathlib import Path

# A wheel's platform tag (the last part of its file name) to the Rust target
# triple its binary was built for. Anything else is an error, never a guess.
PLATFORMS = [
    (re.compile(r"musllinux_\d+_\d+_x86_64"), "x86_64-unknown-linux-musl"),
    (re.compile(r"musllinux_\d+_\d+_aarch64"), "aarch64-unknown-linux-musl"),
    (re.compile(r"(many)?linux(_\d+_\d+|\d+)?_x86_64"), "x86_64-unknown-linux-gnu"),
    (re.compile(r"(many)?linux(_\d+_\d+|\d+)?_aarch64"), "aarch64-unknown-linux-gnu"),
    (re.compile(r"macosx_\d+_\d+_x86_64"), "x86_64-apple-darwin"),
    (re.compile(r"macosx_\d+_\d+_arm64"), "aarch64-apple-darwin"),
    (re.compile(r"win_amd64"), "x86_64-pc-windows-msvc"),
    (re.compile(r"win_arm64"), "aarch64-pc-windows-msvc"),
]


def target_of(wheel: Path) -> str:
    """The Rust target of a wheel, from the first part of its platform tag."""
    platform = wheel.name.removesuffix(".whl").split("-")[-1].split(".")[0]
    for pattern, target in PLATFORMS:
        if pattern.fullmatch(platform):
            return target
    raise SystemExit(f"{wheel.name}: unknown platform tag {platform!r}")


def binary_of(wheel: Path) -> tuple[str, bytes]:
    """The name and bytes of the one program in a `bindings = "bin"` wheel."""
    with zipfile.ZipFile(wheel) as archive:
        scripts = [
            name
            for name in archive.namelist()
            if re.fullmatch(r"[^/]+\.data/scripts/dockerleak(\.exe)?", name)
        ]
        if len(scripts) != 1:
            raise SystemExit(f"{wheel.name}: expected one dockerleak program, found {scripts}")
        return scripts[0].rsplit("/", 1)[1], archive.read(scripts[0])


def tar_gz(name: str, data: bytes) -> bytes:
    """A reproducible .tar.gz holding one executable file."""
    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0) as compressed:
        with tarfile.open(fileobj=compressed, mode="w", format=tarfile.PAX_FORMAT) as archive:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o755
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def zip_file(name: str, data: bytes) -> bytes:
    """A .zip holding one executable file."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
        info.external_attr = 0o755 << 16
        info.compress_type = zipfile.ZIP_DEFLATED
        archive.writestr(info, data)
    return buffer.getvalue()


def archives(wheels: list[Path], out: Path, target_override: str | None) -> None:
    if target_override and len(wheels) != 1:
        raise SystemExit("--target names one wheel's archive: give exactly one wheel")
    out.mkdir(parents=True, exist_ok=True)
    sums = []
    seen = set()
    for wheel in wheels:
        target = target_override or target_of(wheel)
        if target in seen:
            raise SystemExit(f"{wheel.name}: a second wheel for {target}")
        seen.add(target)
        name, data = binary_of(wheel)
        if "windows" in target:
            archive_name, content = f"dockerleak-{target}.zip", zip_file(name, data)
        else:
            archive_name, content = f"dockerleak-{target}.tar.gz", tar_gz(name, data)
        (out / archive_name).write_bytes(content)
        sums.append(f"{hashlib.sha256(content).hexdigest()}  {archive_name}\n")
        print(f"{archive_name}: {name} from {wheel.name}")
    (out / "SHA256SUMS").write_text("".join(sorted(sums, key=lambda line: line.split()[1])))


def notes(version: str, changelog: Path) -> None:
    """Print the CHANGELOG.md section of `version` (its `## [version]` heading
    up to the next `## ` heading); fail when there is none."""
    section, inside = [], False
    for line in changelog.read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            if inside:
                break
            inside = re.match(rf"## \[?{re.escape(version)}\]?(\s|$)", line) is not None
            continue
        if inside:
            section.append(line)
    text = "\n".join(section).strip()
    if not text:
        raise SystemExit(f"{changelog}: no section for {version}")
    print(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="directory for the archives and SHA256SUMS")
    parser.add_argument("--target", help="name the one wheel's archive for this Rust target")
    parser.add_argument("--notes", metavar="VERSION", help="print VERSION's CHANGELOG section")
    parser.add_argument("files", nargs="+", type=Path, help="wheels (or CHANGELOG.md with --notes)")
    arguments = parser.parse_args()
    if arguments.notes:
        notes(arguments.notes, arguments.files[0])
    elif arguments.out:
        archives(arguments.files, arguments.out, arguments.target)
    else:
        parser.error("give --out DIR or --notes VERSION")


if __name__ == "__main__":
    sys.exit(main())
