"""Model weights by preset: what each needs and under which licence, download it, check it is intact."""

import os

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm


class Command(BaseCommand):
    help = (
        "list: every preset with its weights, licence and whether they are on this machine. "
        "pull PRESET: download its weights (needs internet) and write a manifest of their sha256. "
        "verify PRESET: check the files against that manifest."
    )

    def add_arguments(self, parser):
        parser.add_argument("action", choices=("list", "pull", "verify"))
        parser.add_argument("preset", nargs="?", help="a preset name (default: TRYON_PRESET)")

    def handle(self, *args, action, preset=None, **options):
        from generation import EngineError, all_presets, get_preset

        try:
            if action == "list":
                for found in all_presets().values():
                    self._describe(found)
                return
            chosen = get_preset(preset or settings.TRYON_PRESET)
            (self._pull if action == "pull" else self._verify)(chosen)
        except EngineError as error:
            raise CommandError(str(error)) from None

    def _describe(self, preset) -> None:
        from generation.sources import is_available, weight_sources

        use = "yes" if preset.commercial_use else "NO: non-commercial licence, opt-in with TRYON_ALLOW_NONCOMMERCIAL=1"
        self.stdout.write(self.style.MIGRATE_HEADING(f"{preset.name}") + f"  modes: {', '.join(preset.modes)}")
        self.stdout.write(f"  {preset.description}")
        self.stdout.write(f"  commercial use: {use}")
        self.stdout.write(f"  licence: {preset.licence}")
        for weights in weight_sources(preset):
            pinned = f"@{weights.revision}" if weights.revision else ""
            here = "present" if is_available(weights) else ("built on first use" if preset.built_locally else "missing")
            self.stdout.write(f"  {weights.role + ':':24} {weights.value}{pinned}  [{here}]")

    def _pull(self, preset) -> None:
        from generation.manifest import write_manifest
        from generation.sources import weight_sources

        if preset.built_locally:
            from generation.tiny_extras import ensure_local_builds

            ensure_local_builds()
        else:
            hub = [weights for weights in weight_sources(preset) if weights.is_hub]
            if hub and os.environ.get("HF_HUB_OFFLINE", "0") not in ("", "0"):
                raise CommandError(
                    f"pull {preset.name}: cannot download with HF_HUB_OFFLINE={os.environ['HF_HUB_OFFLINE']}; run it "
                    "on a machine with internet, then copy the Hugging Face cache here and run verify"
                )
            for weights in hub:
                self._download(weights)
        path = write_manifest(preset, progress=lambda names: tqdm(names, desc="sha256", unit="file"))
        self.stdout.write(self.style.SUCCESS(f"{preset.name}: weights are here; manifest written to {path}"))

    def _download(self, weights) -> None:
        from huggingface_hub import snapshot_download
        from huggingface_hub.errors import HfHubHTTPError

        self.stdout.write(f"{weights.role}: downloading {weights.value} ({', '.join(weights.patterns)})")
        try:
            # huggingface_hub draws a tqdm progress bar per file.
            snapshot_download(
                weights.value,
                revision=weights.revision,
                allow_patterns=list(weights.patterns),
                ignore_patterns=["safety_checker/*"],
            )
        except (HfHubHTTPError, OSError, ValueError) as error:
            raise CommandError(f"{weights.role} {weights.value}: download failed: {error}") from None

    def _verify(self, preset) -> None:
        from generation.manifest import verify_manifest

        checked, problems = verify_manifest(preset, progress=lambda names: tqdm(names, desc="sha256", unit="file"))
        if problems:
            raise CommandError(f"{preset.name}: " + "\n  ".join(["the weights do not match the manifest:", *problems]))
        self.stdout.write(self.style.SUCCESS(f"{preset.name}: {checked} files match the manifest"))
