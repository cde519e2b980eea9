"""Model weights by preset: what each needs and under which licence, download it, check it is intact."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from generation.sources import hub_offline
from tryon.env import env_str

ANNOTATORS = "annotators"  # not a preset: the body keypoint detector that finds the person in a model's photo
MODERATION = "moderation"  # not a preset: the safety checker that content moderation runs (generation.moderation)


class Command(BaseCommand):
    help = (
        "list: every preset with its weights, licence and whether they are on this machine, and the keypoint "
        "detector. pull PRESET: download its weights (needs internet) and write a manifest of their sha256; "
        f"pull {ANNOTATORS}: the body keypoint detector's weights; pull {MODERATION}: the safety checker's. "
        "verify PRESET: check the files against that manifest. "
        "ensure PRESET: what `make run` does first: nothing if its weights are here, pull them if the Hugging "
        "Face Hub answers, otherwise say how to get them."
    )

    def add_arguments(self, parser):
        parser.add_argument("action", choices=("list", "pull", "verify", "ensure"))
        parser.add_argument(
            "preset", nargs="?", help=f"a preset name (default: TRYON_PRESET), {ANNOTATORS} or {MODERATION}"
        )

    def handle(self, *args, action, preset=None, **options):
        from generation import EngineError, all_presets, get_preset

        try:
            if action == "list":
                for found in all_presets().values():
                    self._describe(found)
                self._describe_annotators()
                self._describe_moderation()
                return
            if preset == ANNOTATORS:
                (self._pull_annotators if action == "pull" else self._verify_annotators)()
                return
            if preset == MODERATION:
                {"pull": self._pull_moderation, "verify": self._verify_moderation, "ensure": self._ensure_moderation}[
                    action
                ]()
                return
            chosen = get_preset(preset or settings.TRYON_PRESET)
            {"pull": self._pull, "verify": self._verify, "ensure": self._ensure}[action](chosen)
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
            if hub and hub_offline():
                raise CommandError(
                    f"pull {preset.name}: cannot download with HF_HUB_OFFLINE={env_str('HF_HUB_OFFLINE')}; run it "
                    "on a machine with internet, then copy the Hugging Face cache here and run verify"
                )
            for weights in hub:
                self._download(weights)
        path = write_manifest(preset, progress=lambda names: tqdm(names, desc="sha256", unit="file"))
        self.stdout.write(self.style.SUCCESS(f"{preset.name}: weights are here; manifest written to {path}"))

    def _ensure(self, preset) -> None:
        """Weights here: nothing. Missing and the Hub answers: pull (resumable). Offline: say so, and go on."""
        from tryon.firstrun import missing_message, offline_reason, weights_missing

        missing = weights_missing(preset.name)
        if not missing:
            self.stdout.write(f"{preset.name}: weights are here")
            return
        if (offline := offline_reason()) is None:
            self.stdout.write(f"{preset.name}: first run: downloading its weights (an interrupted download resumes)")
            try:
                self._pull(preset)
                return
            except CommandError as error:
                offline = str(error)
        # The shop still starts (with a banner saying the same): the newcomer sees a page, not a stack trace.
        lines = [f"{preset.name}: cannot get its weights now: {offline}", *(f"  {line}" for line in missing)]
        self.stderr.write(self.style.WARNING("\n".join([*lines, missing_message(preset.name)])))

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

    def _describe_annotators(self) -> None:
        from generation.keypoints import ANNOTATORS_REPO, BODY_WEIGHTS, DETECTOR_LICENCE, detector_weights

        weights = detector_weights()
        here = "present" if weights.is_file() else "missing"
        self.stdout.write(self.style.MIGRATE_HEADING(ANNOTATORS) + "  body keypoints of the person in a model's photo")
        self.stdout.write("  commercial use: NO: non-commercial licence, opt-in with TRYON_ALLOW_NONCOMMERCIAL=1")
        self.stdout.write(f"  licence: {DETECTOR_LICENCE}")
        self.stdout.write(f"  {'body pose model:':24} {ANNOTATORS_REPO}/{BODY_WEIGHTS} -> {weights}  [{here}]")

    def _pull_annotators(self) -> None:
        from huggingface_hub import hf_hub_download
        from huggingface_hub.errors import HfHubHTTPError

        from generation.keypoints import ANNOTATORS_REPO, BODY_WEIGHTS, DETECTOR_LICENCE, detector_folder

        folder = detector_folder()
        if hub_offline():
            raise CommandError(
                f"pull {ANNOTATORS}: cannot download {ANNOTATORS_REPO}/{BODY_WEIGHTS} with "
                f"HF_HUB_OFFLINE={env_str('HF_HUB_OFFLINE')}; "
                f"run it on a machine with internet, or copy {BODY_WEIGHTS} into {folder} "
                "(or set TRYON_KEYPOINT_DETECTOR to the folder that holds it)"
            )
        self.stdout.write(f"{ANNOTATORS}: downloading {ANNOTATORS_REPO}/{BODY_WEIGHTS} into {folder}")
        self.stdout.write(self.style.WARNING(f"  licence: {DETECTOR_LICENCE}"))
        try:
            # huggingface_hub draws a tqdm progress bar for the file.
            hf_hub_download(ANNOTATORS_REPO, BODY_WEIGHTS, local_dir=folder)
        except (HfHubHTTPError, OSError, ValueError) as error:
            raise CommandError(f"{ANNOTATORS} {ANNOTATORS_REPO}/{BODY_WEIGHTS}: download failed: {error}") from None
        self.stdout.write(self.style.SUCCESS(f"{ANNOTATORS}: {folder / BODY_WEIGHTS} is here"))

    def _verify_annotators(self) -> None:
        from generation.keypoints import detector_weights

        weights = detector_weights()
        if not weights.is_file():
            raise CommandError(f"{ANNOTATORS}: no {weights}; run `manage.py tryon_models pull {ANNOTATORS}`")
        self.stdout.write(self.style.SUCCESS(f"{ANNOTATORS}: {weights} is here ({weights.stat().st_size} bytes)"))

    def _describe_moderation(self) -> None:
        from generation.moderation import LICENCE, missing_files, moderation_source

        weights = moderation_source()
        missing = missing_files(weights)
        pinned = f"@{weights.revision}" if weights.revision else ""
        here = "present" if not missing else "missing (needed only by shops with content moderation on)"
        self.stdout.write(self.style.MIGRATE_HEADING(MODERATION) + "  content moderation: renders and shopper photos")
        self.stdout.write(f"  licence: {LICENCE}")
        self.stdout.write(f"  {'safety checker:':24} {weights.value}{pinned} ({', '.join(weights.patterns)})  [{here}]")

    def _pull_moderation(self) -> None:
        from huggingface_hub import snapshot_download
        from huggingface_hub.errors import HfHubHTTPError

        from generation.moderation import LICENCE, MODERATION_ENV, missing_files, moderation_source

        weights = moderation_source()
        if not weights.is_hub:
            self._verify_moderation()  # a local folder is copied by hand: say whether it is whole
            return
        if hub_offline():
            raise CommandError(
                f"pull {MODERATION}: cannot download {weights.value} with HF_HUB_OFFLINE={env_str('HF_HUB_OFFLINE')}; "
                f"run it on a machine with internet and copy the Hugging Face cache here, or set {MODERATION_ENV} "
                "to a folder holding safety_checker/ and feature_extractor/"
            )
        self.stdout.write(f"{MODERATION}: downloading {weights.value} ({', '.join(weights.patterns)})")
        self.stdout.write(self.style.WARNING(f"  licence: {LICENCE}"))
        try:
            # Only the checker's files: the rest of the repo is the sd15 preset's to pull
            snapshot_download(weights.value, revision=weights.revision, allow_patterns=list(weights.patterns))
        except (HfHubHTTPError, OSError, ValueError) as error:
            raise CommandError(f"{MODERATION} {weights.value}: download failed: {error}") from None
        if missing := missing_files(weights):
            raise CommandError(f"{MODERATION} {weights.value}: still missing {', '.join(missing)} after the download")
        self.stdout.write(self.style.SUCCESS(f"{MODERATION}: the safety checker is here"))

    def _verify_moderation(self) -> None:
        from generation.moderation import PULL_HINT, missing_files, moderation_source

        weights = moderation_source()
        if missing := missing_files(weights):
            raise CommandError(f"{MODERATION}: {weights.value} is missing {', '.join(missing)}; run `{PULL_HINT}`")
        self.stdout.write(self.style.SUCCESS(f"{MODERATION}: the safety checker's files are in {weights.value}"))

    def _ensure_moderation(self) -> None:
        """Here: nothing. Missing and the Hub answers: pull. Offline: say how to get it, and go on (only shops with
        moderation on need it; their checks fail with weights_missing until it is here)."""
        from generation.moderation import missing_files
        from tryon.firstrun import offline_reason

        if not missing_files():
            self.stdout.write(f"{MODERATION}: the safety checker is here")
            return
        if (offline := offline_reason()) is None:
            try:
                self._pull_moderation()
                return
            except CommandError as error:
                offline = str(error)
        self.stderr.write(self.style.WARNING(f"{MODERATION}: cannot get the safety checker now: {offline}"))
