"""What the deployment files must agree on with the code: each check returns the problems it finds, in words.

The tests run them on deploy/ as shipped (no problems) and on broken copies (the problem named), so a check
that could never fail would show. Commands are checked against what exists: manage.py commands, the Celery
app and the queues the code sends to, the WSGI application, the presets, the environment variables the code
reads.
"""

import configparser
import importlib
import re
import shlex
from pathlib import Path

import yaml
from django.core.management import get_commands
from django.test import override_settings

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
PRODUCTION_QUEUE = "tryon"  # TRYON_QUEUE's default: what the files name
# Read by libraries rather than our code: boto3 (django-storages), glibc, CUDA, Hugging Face, Python.
THIRD_PARTY_ENV = {
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "MALLOC_MMAP_MAX_",
    "MALLOC_TRIM_THRESHOLD_",
    "CUDA_VISIBLE_DEVICES",
    "HF_HOME",
    "HF_HUB_OFFLINE",
    "PYTHONUNBUFFERED",
    "DJANGO_SETTINGS_MODULE",
    "PROMETHEUS_MULTIPROC_DIR",
}
APP_IMAGE = "tryon:latest"


def env_names_read_by_code() -> set[str]:
    """Every TRYON_*/DJANGO_* name quoted in tryon/ and generation/ (env_int("TRYON_X"), base_env="TRYON_Y"),
    and the few others the settings read."""
    names = {"DATABASE_URL", "CELERY_BROKER_URL"}
    for package in ("tryon", "generation"):
        for source in (REPO / package).rglob("*.py"):
            names |= set(re.findall(r"[\"']((?:TRYON|DJANGO)_[A-Z0-9_]+)[\"']", source.read_text()))
    return names | THIRD_PARTY_ENV


def known_queues() -> set[str]:
    from generation.presets import all_presets
    from tryon.celery import webhook_queue
    from tryon.jobs.services import job_queue

    with override_settings(CELERY_TASK_DEFAULT_QUEUE=PRODUCTION_QUEUE):
        return {PRODUCTION_QUEUE, webhook_queue(), *(job_queue(preset) for preset in all_presets())}


def render_queue_preset(queue: str) -> str | None:
    from generation.presets import all_presets

    preset = queue.removeprefix(f"{PRODUCTION_QUEUE}.")
    return preset if preset != queue and preset in all_presets() else None


def seconds(duration: str) -> float:
    """A compose (22m, 1m30s) or systemd (22min, 1320, 70s) duration."""
    units = {"h": 3600, "min": 60, "m": 60, "s": 1, "ms": 0.001, "": 1}
    parts = re.findall(r"(\d+(?:\.\d+)?)\s*(h|min|ms|m|s|)", str(duration).strip())
    if not parts or "".join(n + u for n, u in parts) != re.sub(r"\s", "", str(duration)):
        raise ValueError(f"not a duration: {duration!r}")
    return sum(float(number) * units[unit] for number, unit in parts)


# --- Commands ---


def _options(argv: list[str]) -> dict[str, str]:
    options = {}
    for arg in argv:
        if arg.startswith("--"):
            name, _, value = arg[2:].partition("=")
            options[name] = value
    return options


def command_problems(argv: list[str], where: str, *, preset: str | None = None) -> list[str]:
    """An argv the files run: it must start something that exists. `preset`: the TRYON_PRESET it runs with."""
    if argv[:2] == ["python", "manage.py"]:
        name = argv[2] if len(argv) > 2 else ""
        return [] if name in get_commands() else [f"{where}: manage.py has no command {name!r}"]
    if argv[:3] == ["python", "-m", "gunicorn"]:
        module, _, attribute = argv[3].partition(":")
        try:
            getattr(importlib.import_module(module), attribute or "application")
        except (ImportError, AttributeError) as error:
            return [f"{where}: gunicorn cannot load {argv[3]!r} ({error})"]
        return []
    if argv[:3] == ["python", "-m", "celery"]:
        return _celery_problems(argv[3:], where, preset=preset)
    return [f"{where}: runs {shlex.join(argv)!r}, which is none of manage.py, gunicorn or celery"]


def _celery_problems(argv: list[str], where: str, *, preset: str | None) -> list[str]:
    if argv[:2] != ["-A", "tryon"]:
        return [f"{where}: celery must run the app with -A tryon, not {shlex.join(argv[:2])!r}"]
    if argv[2:3] == ["beat"]:
        return []
    if argv[2:3] != ["worker"]:
        return [f"{where}: celery {argv[2:3]} is neither worker nor beat"]
    options = _options(argv[3:])
    queues = [queue for queue in options.get("queues", "").split(",") if queue]
    problems = [f"{where}: no queue the code sends to is {queue!r}" for queue in queues if queue not in known_queues()]
    if not queues:
        problems.append(f"{where}: a worker without --queues= consumes a queue nobody sends to")
    served = {render_queue_preset(queue) for queue in queues} - {None}
    if served:  # a render worker: one job at a time on its GPU, hoarding none
        expected = {"pool": "solo", "concurrency": "1", "prefetch-multiplier": "1"}
        problems += [
            f"{where}: a render worker needs --{name}={value}, not {options.get(name)!r}"
            for name, value in expected.items()
            if options.get(name) != value
        ]
        if served != {preset}:
            problems.append(f"{where}: consumes the queues of {sorted(served)} but loads TRYON_PRESET={preset!r}")
        if PRODUCTION_QUEUE not in queues:
            problems.append(f"{where}: a render worker also consumes {PRODUCTION_QUEUE!r} (the sweeper's queue)")
    return problems


def shell_commands(script: str, env: dict[str, str]) -> list[list[str]]:
    """The commands of a `sh -c` script (joined by && or ;), with $VAR from `env` and `exec` dropped."""
    script = re.sub(r"\$\{?([A-Z_][A-Z0-9_]*)\}?", lambda m: env.get(m.group(1), m.group(0)), script)
    commands = []
    for part in re.split(r"&&|;", script):
        argv = shlex.split(part)
        commands.append(argv[1:] if argv[:1] == ["exec"] else argv)
    return [argv for argv in commands if argv]


# --- Compose ---


def load_compose(path: Path = DEPLOY / "compose.yaml") -> dict:
    return yaml.safe_load(path.read_text())  # resolves the anchors and << merges as compose does


def env_example(path: Path = DEPLOY / "env.example") -> dict[str, str]:
    pairs = (line.split("=", 1) for line in path.read_text().splitlines() if line.strip() and line[0] != "#")
    return {name.strip(): value.strip() for name, value in pairs}


def interpolated(value, variables: dict[str, str]):
    """Compose's ${VAR}, ${VAR:-default}, ${VAR:?error} and $$, with `variables` standing in for deploy/.env."""

    def one(match):
        name, operator, word = match.group(1), match.group(2) or "", match.group(3) or ""
        if name in variables:
            return variables[name]
        if operator.endswith("?"):
            raise ValueError(f"{name} is required: {word}")
        return word

    if isinstance(value, str):
        return re.sub(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}", one, value).replace("$$", "$")
    if isinstance(value, list):
        return [interpolated(item, variables) for item in value]
    if isinstance(value, dict):
        return {key: interpolated(item, variables) for key, item in value.items()}
    return value


def compose_variables(compose_text: str) -> set[str]:
    return set(re.findall(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)", compose_text))


def compose_problems(compose: dict, variables: dict[str, str], *, hard_time_limit: int) -> list[str]:
    """Everything compose itself would not notice until a container misbehaves."""
    problems = []
    services = compose.get("services", {})
    declared_volumes = set(compose.get("volumes") or {})
    for name, service in services.items():
        service = interpolated(service, variables)
        where = f"service {name}"
        for other in service.get("depends_on") or {}:
            if other not in services:
                problems.append(f"{where}: depends on {other!r}, which is no service")
        for volume in service.get("volumes") or []:
            source = volume.split(":")[0] if isinstance(volume, str) else volume.get("source", "")
            if source.startswith((".", "/")):
                if source.startswith(".") and not (DEPLOY / source).exists():
                    problems.append(f"{where}: mounts {source!r}, which is not in deploy/")
            elif source not in declared_volumes:
                problems.append(f"{where}: volume {source!r} is not declared under volumes:")
        for port in service.get("ports") or []:
            parts = str(port).split(":")
            if not (2 <= len(parts) <= 3 and all(p.isdigit() and 0 < int(p) < 65536 for p in parts[-2:])):
                problems.append(f"{where}: port {port!r} is not [address:]host:container")
        if service.get("image") == APP_IMAGE:
            problems += _app_service_problems(where, service, hard_time_limit=hard_time_limit)
    return problems


def _app_service_problems(where: str, service: dict, *, hard_time_limit: int) -> list[str]:
    problems = []
    environment = {key: str(value) for key, value in (service.get("environment") or {}).items()}
    unknown = set(environment) - env_names_read_by_code()
    problems += [f"{where}: sets {name}, which nothing reads" for name in sorted(unknown)]
    command = service.get("command") or []
    commands = shell_commands(command[2], environment) if command[:2] == ["sh", "-c"] else [command] * bool(command)
    preset = environment.get("TRYON_PRESET")
    for argv in commands:
        problems += command_problems(argv, where, preset=preset)
    renders = any(
        render_queue_preset(queue)
        for argv in commands
        for queue in _options(argv).get("queues", "").split(",")
        if argv[:3] == ["python", "-m", "celery"]
    )
    if renders:
        devices = service.get("deploy", {}).get("resources", {}).get("reservations", {}).get("devices", [])
        if not any(device.get("driver") == "nvidia" and "gpu" in device.get("capabilities", []) for device in devices):
            problems.append(f"{where}: a render worker reserves no NVIDIA GPU")
        grace = seconds(service.get("stop_grace_period", "10s"))
        if grace <= hard_time_limit or service.get("stop_signal", "SIGTERM") != "SIGTERM":
            problems.append(
                f"{where}: stop with SIGTERM and a stop_grace_period over the hard time limit ({hard_time_limit} s) "
                f"so a warm shutdown finishes its job, not {grace:g} s"
            )
    return problems


# --- systemd ---


def load_unit(path: Path) -> configparser.ConfigParser:
    unit = configparser.ConfigParser(strict=False, interpolation=None, delimiters=("=",))
    unit.optionxform = str  # ExecStart, not execstart
    unit.read_string(path.read_text())
    return unit


def unit_problems(unit: configparser.ConfigParser, name: str, *, instance: str = "", hard_time_limit: int) -> list[str]:
    where = f"{name}{f' (instance {instance})' if instance else ''}"
    problems = [f"{where}: no [{section}] section" for section in ("Unit", "Service", "Install") if section not in unit]
    if problems:
        return problems
    service = unit["Service"]

    def expand(text: str) -> str:
        return text.replace("%i", instance).replace("%%", "%")

    environment = dict(pair.split("=", 1) for pair in shlex.split(expand(service.get("Environment", ""))))
    unknown = set(environment) - env_names_read_by_code()
    problems += [f"{where}: sets {name}, which nothing reads" for name in sorted(unknown)]
    argv = shlex.split(expand(service.get("ExecStart", "")))
    if argv[:1] != ["/opt/tryon/.venv/bin/python"]:
        return [*problems, f"{where}: ExecStart must run the checkout's /opt/tryon/.venv/bin/python"]
    problems += command_problems(["python", *argv[1:]], where, preset=environment.get("TRYON_PRESET"))
    for pre in service.get("ExecStartPre", "").splitlines():
        pre_argv = shlex.split(expand(pre.lstrip("-")))
        if pre_argv:
            problems += command_problems(["python", *pre_argv[1:]], f"{where} ExecStartPre")
    if any(render_queue_preset(queue) for queue in _options(argv).get("queues", "").split(",")):
        stop = seconds(service.get("TimeoutStopSec", "90s"))
        if stop <= hard_time_limit or service.get("KillSignal", "SIGTERM") != "SIGTERM":
            problems.append(
                f"{where}: KillSignal=SIGTERM and a TimeoutStopSec over the hard time limit ({hard_time_limit} s) "
                f"so a warm shutdown finishes its job, not {stop:g} s"
            )
        if service.get("Restart") != "always":
            problems.append(f"{where}: Restart=always: a render past the hard limit ends its process on purpose")
    return problems
