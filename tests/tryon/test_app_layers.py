"""Apps inside tryon/ point one way (DESIGN.md): jobs announces events and imports nothing of the apps that
listen. Read from the source, so an import inside a function counts too."""

import ast
from pathlib import Path

import tryon.casting
import tryon.jobs
import tryon.shoppers
import tryon.webhooks

LISTENERS = (
    "tryon.api",
    "tryon.webhooks",
    "tryon.shop",
    "tryon.fashn",
    "tryon.a1111",
    "tryon.casting",
    "tryon.shoppers",
)


def imported_modules(path: Path) -> set[str]:
    modules = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules.update([node.module, *(f"{node.module}.{alias.name}" for alias in node.names)])
    return modules


def test_the_jobs_app_imports_nothing_of_the_api_the_webhooks_or_the_pages():
    root = Path(tryon.jobs.__file__).parent
    sources = sorted(root.rglob("*.py"))
    assert len(sources) > 20  # the walk sees the app

    offending = {
        f"{path.relative_to(root)}: {module}"
        for path in sources
        for module in imported_modules(path)
        if module.startswith(tuple(f"{name}." for name in LISTENERS)) or module in LISTENERS
    }

    assert not offending, sorted(offending)


def test_the_webhooks_app_uses_jobs_and_catalog_but_never_the_api():
    """The API shows webhooks; were webhooks to import the API back, each would need the other to load."""
    root = Path(tryon.webhooks.__file__).parent
    sources = sorted(root.rglob("*.py"))
    assert len(sources) > 5  # the walk sees the app

    offending = {
        f"{path.relative_to(root)}: {module}"
        for path in sources
        for module in imported_modules(path)
        if module == "tryon.api" or module.startswith("tryon.api.")
    }

    assert not offending, sorted(offending)


def test_the_walk_would_see_an_import_hidden_in_a_function(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from tryon.webhooks.services import webhook_send\n\nimport tryon.api.models\n")

    assert {"tryon.webhooks.services", "tryon.api.models"} <= imported_modules(module)


def test_casting_listens_to_the_jobs_app_and_never_reaches_into_the_api_or_the_pages():
    """Casting renders through jobs and is shown by the API and the admin: it imports neither the API nor the shop."""
    root = Path(tryon.casting.__file__).parent
    sources = sorted(root.rglob("*.py"))
    assert len(sources) > 5  # the walk sees the app

    offending = {
        f"{path.relative_to(root)}: {module}"
        for path in sources
        for module in imported_modules(path)
        if module.startswith(("tryon.api", "tryon.shop", "tryon.webhooks"))
    }

    assert not offending, sorted(offending)


def test_shopper_models_use_jobs_and_catalog_and_are_shown_by_the_api_and_the_shop_never_the_reverse():
    root = Path(tryon.shoppers.__file__).parent
    sources = sorted(root.rglob("*.py"))
    assert len(sources) > 5  # the walk sees the app

    offending = {
        f"{path.relative_to(root)}: {module}"
        for path in sources
        for module in imported_modules(path)
        if module in ("tryon.api", "tryon.shop") or module.startswith(("tryon.api.", "tryon.shop."))
    }

    assert not offending, sorted(offending)
