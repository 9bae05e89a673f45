"""Landing names: which are taken, refused or ignored, and how they are written down safely.

Any name the filesystem allows is accepted (spaces, any script), except names with control
characters, bytes that are not UTF-8 or line separators; a name is data, so logs, manifests and
the copies we keep use a bounded, printable form of it, never the name itself as a path.
"""

from __future__ import annotations

import hashlib
import os
import re
import unicodedata

from upath import UPath

from recomart_assets.errors import UnsafeName
from recomart_assets.lake.intake.contract import LandingSource
from recomart_assets.lake.zone import RawZone

IGNORED_SUFFIXES = (".tmp", ".part")
REPLACE_SUFFIX = ".replace"  # "<name>.replace": this file corrects the earlier "<name>"
_PLAIN_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,199}")
_UNSAFE_CHARS = re.compile(r"[^\w.-]+")  # \w is Unicode-aware: "München" stays as it is
_SAFE_NAME_BYTES = 150  # archive names are "<sha16>_<safe name>": well below the usual 255-byte limit
# Unicode categories a file name must not contain: control characters, lone surrogates (bytes that
# are not UTF-8), line and paragraph separators (they forge log lines and break tools).
_REFUSED_IN_NAMES = {"Cc": "control character", "Cs": "byte that is not UTF-8", "Zl": "line separator",
                     "Zp": "paragraph separator"}


def landing_path(source: LandingSource, zone: RawZone, name: str) -> UPath:
    """``<landing folder>/<name>``; refuses anything that is not a single path component inside it."""
    if (
        not name
        or name in (".", "..")
        or "/" in name
        or "\\" in name
        or "\x00" in name
        or os.path.isabs(name)
    ):
        raise UnsafeName(f"name escapes the landing folder: {name!r}")
    return source.landing_dir(zone) / name


def safe_name(name: str) -> str:
    """A file-system friendly rendering of a landing name (letters of any script kept), for the
    copies we keep of it; the real name is in the manifest."""
    cleaned = _UNSAFE_CHARS.sub("_", name.encode("utf-8", "replace").decode()).strip("._") or "unnamed"
    return cleaned.encode()[:_SAFE_NAME_BYTES].decode("utf-8", "ignore")


def name_problem(name: str) -> str | None:
    """Why a landing name is refused (None when it is accepted): any name the filesystem allows is,
    except one with control characters, bytes that are not UTF-8 or line separators."""
    found = sorted({f"{_REFUSED_IN_NAMES[unicodedata.category(c)]} U+{ord(c):04X}" for c in name
                    if unicodedata.category(c) in _REFUSED_IN_NAMES})
    if found:
        return f"file name {printable(name)} contains {', '.join(found)}"
    return None


def storable(name: str) -> str:
    """``name`` as text that can be written anywhere (bytes that are not UTF-8 as ``\\xNN``)."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def printable(name: str) -> str:
    """``name`` quoted for a message: :func:`storable`, then ``repr`` (control characters escaped)."""
    return repr(storable(name))


def log_name(name: str) -> str:
    """``name`` as a log line shows it: plain names as they are, any other one :func:`printable`."""
    return name if _PLAIN_NAME.fullmatch(name) else printable(name)


def version_name(name: str) -> tuple[str, bool]:
    """(the name whose versions ``name`` belongs to, whether it replaces the previous version)."""
    if name.endswith(REPLACE_SUFFIX) and len(name) > len(REPLACE_SUFFIX):
        return name[: -len(REPLACE_SUFFIX)], True
    return name, False


def is_ignored(name: str) -> bool:
    """Hidden names and ``.tmp``/``.part`` files are still being written: the scan skips them."""
    return name.startswith(".") or name.lower().endswith(IGNORED_SUFFIXES)


def name_key(name: str) -> str:
    """A short, fixed-size key of any name (run keys, state file names): 16 hex of its sha256."""
    return hashlib.sha256(name.encode("utf-8", "surrogateescape")).hexdigest()[:16]


def zone_relative(zone: RawZone, path: UPath) -> str:
    """``path`` relative to the raw zone's root, as the intake records it (markers, ledger, outcomes)."""
    return path.path[len(zone.root.path.rstrip("/")) + 1 :]
