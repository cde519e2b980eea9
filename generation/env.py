"""The one strict environment parser: a bad value stops start-up with a message naming the variable,
never a silent default. Django's settings (tryon.env) and the engine read every setting through it.

Here, below tryon, because the engine reads its own settings (TRYON_DEVICE, TRYON_MODELS_DIR, ...) and
must not import Django; it uses nothing but the standard library.
"""

import math
import os
import re
from urllib.parse import urlsplit

from generation.errors import EngineBroken


class EnvError(EngineBroken, ValueError):
    """A variable's value is refused; the message starts with NAME=value. An engine error too, so a worker
    that catches the engine's errors reports a mistyped engine setting instead of crashing on it."""


def _raw(name: str) -> str:
    return os.environ.get(name, "")


def env_str(name: str, default: str | None = None) -> str | None:
    value = _raw(name)
    return default if value == "" else value


TRUE, FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


def env_bool(name: str, default: bool) -> bool:
    value = _raw(name)
    if value == "":
        return default
    lowered = value.strip().lower()
    if lowered in TRUE:
        return True
    if lowered in FALSE:
        return False
    raise EnvError(f"{name}={value!r}: expected one of 1/0, true/false, yes/no, on/off")


def env_int(name: str, default: int, *, minimum: int = 0) -> int:
    value = _raw(name)
    if value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        raise EnvError(f"{name}={value!r}: expected an integer") from None
    if number < minimum:
        raise EnvError(f"{name}={value!r}: must be at least {minimum}")
    return number


def env_float(name: str, default: float, *, minimum: float = 0.0) -> float:
    value = _raw(name)
    if value == "":
        return default
    try:
        number = float(value)
    except ValueError:
        raise EnvError(f"{name}={value!r}: expected a number") from None
    if not math.isfinite(number):
        raise EnvError(f"{name}={value!r}: expected a finite number")
    if number < minimum:
        raise EnvError(f"{name}={value!r}: must be at least {minimum:g}")
    return number


UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}
DURATION = re.compile(r"(?P<number>\d+(?:\.\d+)?|\.\d+)\s*(?P<unit>ms|s|m|h|d)?")


def env_duration(name: str, default: float, *, minimum: float = 0.0) -> float:
    """Seconds, from "90" (bare seconds), "500ms", "30s", "5m", "2h" or "1d"."""
    value = _raw(name)
    if value == "":
        return default
    match = DURATION.fullmatch(value.strip().lower())
    if match is None:
        raise EnvError(f"{name}={value!r}: expected a duration such as 90, 30s, 5m, 2h or 500ms")
    seconds = float(match["number"]) * UNITS[match["unit"] or "s"]
    if seconds < minimum:
        raise EnvError(f"{name}={value!r}: must be at least {minimum:g} seconds")
    return seconds


WEB_SCHEMES = ("http", "https")


def env_url(name: str, default: str | None = None, *, schemes: tuple[str, ...] = WEB_SCHEMES) -> str | None:
    """A URL with one of `schemes` and a port that is a number; http(s) ones must name a host.

    Other schemes may name none: sqlite:///path, memory://, unix:///socket are whole URLs."""
    value = _raw(name).strip()
    if value == "":
        return default
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 (reading it parses it: "host:eighty" is refused now, not at first connection)
    except ValueError as error:
        raise EnvError(f"{name}={value!r}: not a URL ({error})") from None
    if parts.scheme not in schemes or "://" not in value:
        raise EnvError(f"{name}={value!r}: expected a URL starting with {', '.join(f'{s}://' for s in schemes)}")
    if parts.scheme in WEB_SCHEMES and not parts.hostname:
        raise EnvError(f"{name}={value!r}: names no host")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    value = _raw(name)
    if value == "":
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def env_choice(name: str, choices: list[str], default: str) -> str:
    value = os.environ.get(name)
    if value is None:
        return default
    if value not in choices:
        raise EnvError(f"{name}={value!r}: expected one of {', '.join(repr(choice) for choice in choices)}")
    return value
