"""The first run on a machine: are the preset's weights here, can they be downloaded, and what to tell people.

`manage.py tryon_models ensure` (run by `make run` before the worker starts) downloads what is missing when
the Hugging Face Hub answers, and otherwise says so in the terminal; shop and admin pages show the same
message as a banner (`weights_banner`, a context processor) while the weights are still missing.
"""

import time

from django.conf import settings

from tryon.env import env_str

HUB_TIMEOUT = 3.0  # seconds: an offline machine must not hold up the start for long
CHECK_EVERY = 30.0  # seconds a page reuses the last answer: weights appear after a pull, not per request


def weights_missing(preset_name: str) -> list[str]:
    """What of the preset's required weights this machine lacks, in words; [] when it can load it.

    Files only (the Hugging Face cache, local folders): nothing is downloaded, torch is not imported.
    """
    from generation import EngineError, get_preset
    from generation.sources import describe_missing, is_available, weight_sources

    try:
        preset = get_preset(preset_name)
    except EngineError as error:
        return [str(error)]
    if preset.built_locally:  # random weights, built on first use
        return []
    required = [weights for weights in weight_sources(preset) if not weights.optional]
    missing = [describe_missing(weights) for weights in required if not is_available(weights)]
    if missing or not any(weights.is_hub for weights in required):
        return missing
    # model_index.json arrives first: a pull interrupted after it leaves the cache half-filled. The manifest is
    # written when the pull ends, so without it (or with a file of another size) the pull has not finished.
    from generation.manifest import verify_manifest

    _, problems = verify_manifest(preset, hashes=False)
    return [f"the last pull did not finish ({problem})" for problem in problems[:3]]


def offline_reason(timeout: float = HUB_TIMEOUT) -> str | None:
    """Why nothing can be downloaded now, or None when the Hub answers (any HTTP answer will do)."""
    from generation.sources import hub_offline

    if hub_offline():
        return f"HF_HUB_OFFLINE={env_str('HF_HUB_OFFLINE')}"
    import requests
    from huggingface_hub import constants

    try:
        requests.head(constants.ENDPOINT, timeout=timeout, allow_redirects=False)
    except requests.RequestException as error:
        reason = type(error).__name__
        return f"the Hugging Face Hub ({constants.ENDPOINT}) did not answer within {timeout:g} s ({reason})"
    return None


def missing_message(preset_name: str) -> str:
    return (
        f"The weights of the preset {preset_name!r} are not on this machine, so try-ons cannot render yet. "
        f"Get them with `python manage.py tryon_models pull {preset_name}` on a machine with internet "
        "(or copy its Hugging Face cache here), or try the offline demo with random weights: "
        "`make run TRYON_PRESET=tiny`."
    )


_checked: dict[tuple, tuple[float, str | None]] = {}


def weights_banner(request) -> dict:
    """Template context: `weights_banner`, the message while TRYON_PRESET's weights are missing here."""
    if not settings.TRYON_WEIGHTS_BANNER:
        return {}
    from huggingface_hub import constants

    preset = settings.TRYON_PRESET
    key = (preset, env_str("TRYON_MODELS_DIR"), constants.HF_HUB_CACHE)
    checked_at, message = _checked.get(key, (None, None))
    if checked_at is None or time.monotonic() - checked_at > CHECK_EVERY:
        message = missing_message(preset) if weights_missing(preset) else None
        _checked[key] = (time.monotonic(), message)
    return {"weights_banner": message}
