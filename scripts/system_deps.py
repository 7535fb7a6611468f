"""The Debian packages the test suite needs that pip cannot install, in one place.

`make test` runs this file first: when something is missing it installs it (as root, with
apt-get), else prints the one `apt-get install` line; the tests that need a missing package
skip with that same line as their reason (`skip_reason`). Standard library only.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from ctypes.util import find_library
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
# Debian package -> how to tell it is installed
PACKAGES = {
    "chromium": lambda: Path(CHROMIUM).exists(),
    "libpango-1.0-0": lambda: find_library("pango-1.0") is not None,  # WeasyPrint renders the letters
    "libpangoft2-1.0-0": lambda: find_library("pangoft2-1.0") is not None,
    # WeasyPrint subsets fonts with it and warns (an error under the suite's filter) without it
    "libharfbuzz-subset0": lambda: find_library("harfbuzz-subset") is not None,
    "fonts-dejavu-core": lambda: Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf").exists(),
}
# test group -> the packages it needs (the browser journeys also issue letters)
GROUPS = {
    "browser": tuple(PACKAGES),
    "letters": ("libpango-1.0-0", "libpangoft2-1.0-0", "libharfbuzz-subset0", "fonts-dejavu-core"),
}


def missing(packages=tuple(PACKAGES)) -> list[str]:
    return [name for name in packages if not PACKAGES[name]()]


def install_line() -> str:
    """The one command that installs everything missing, '' when nothing is."""
    absent = missing()
    return f"apt-get install -y {' '.join(absent)}" if absent else ""


def skip_reason(group: str) -> str:
    """Why the tests of `group` cannot run here ('' when they can): the install line."""
    if not missing(GROUPS[group]):
        return ""
    return f"system packages missing; install them with: {install_line()}"


def ensure() -> int:
    """Install what is missing when running as root with apt-get; else name the command."""
    absent = missing()
    if not absent:
        return 0
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print(f"system-deps: installing {' '.join(absent)}", flush=True)
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        wait = ["-o", "DPkg::Lock::Timeout=300"]
        try:
            subprocess.run(["apt-get", *wait, "update", "-qq"], env=env, check=True)
            subprocess.run(["apt-get", *wait, "install", "-y", "-qq", *absent], env=env, check=True,
                           stdout=subprocess.DEVNULL)
        except subprocess.CalledProcessError as exc:
            print(f"system-deps: apt-get failed ({exc})", file=sys.stderr)
        if not missing():
            return 0
    print(f"system-deps: the tests that need them will skip; {skip_reason('browser')}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(ensure())
