"""Fidelity scores as a table: of a folder of (person, garment, result) triples, or of try-on jobs' stored images."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from prompts.vocabulary import GARMENT_CATEGORIES


class Command(BaseCommand):
    help = (
        "PATH: score every triple under PATH (one sub-folder each: person, garment and result images, and "
        "mask.png or keypoints.json; optional meta.json {'category': ...}), print a table, write JSON. "
        "--job ID / --batch ID (repeatable): print the scores stored with those jobs' images."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", type=Path, help="a folder of triples, one sub-folder each")
        parser.add_argument("--json", type=Path, dest="json_path", help="where to write JSON (PATH/tryon_eval.json)")
        parser.add_argument("--category", choices=GARMENT_CATEGORIES, default="top", help="unless meta.json says")
        parser.add_argument("--job", type=int, action="append", default=[], help="a try-on job's id (repeatable)")
        parser.add_argument("--batch", type=int, action="append", default=[], help="a batch's id (repeatable)")

    def handle(self, *args, path=None, json_path=None, category="top", job=(), batch=(), **options):
        from generation.evaluation import results_json, results_table
        from generation.quality_gate import QualityThresholds

        if path is not None and (job or batch):
            raise CommandError("give either a folder PATH or --job/--batch, not both")
        if path is None and not (job or batch):
            raise CommandError("give a folder PATH of triples, or --job/--batch ids of stored results")
        if path is not None:
            thresholds = QualityThresholds()
            rows = self._folder_rows(path, category, thresholds)
            json_path = json_path or path / "tryon_eval.json"
        else:
            rows, thresholds = self._stored_rows(job, batch)
        self.stdout.write(results_table(rows))
        if json_path is not None:
            json_path.write_text(json.dumps(results_json(rows, thresholds), indent=2, ensure_ascii=False) + "\n")
            self.stdout.write(f"JSON: {json_path}")

    def _folder_rows(self, path, category, thresholds):
        from generation.evaluation import EvaluationError, evaluate_folder

        def progress(folders):
            return tqdm(folders, desc="Scoring", unit="triple", file=self.stderr._out)

        try:
            return evaluate_folder(path, category=category, thresholds=thresholds, progress=progress)
        except EvaluationError as error:
            raise CommandError(str(error)) from None

    def _stored_rows(self, job_ids, batch_ids):
        """The scores the worker stored with each image (GeneratedImage.scores), nothing re-scored, gated by
        each merchant's thresholds for the job's preset as they are now. Returns the rows and the thresholds,
        or None for them when the rows' thresholds differ."""
        from generation.evaluation import ScoredRow
        from generation.quality_gate import gate_failures
        from generation.scoring import FidelityScores, ScoringError
        from tryon.jobs.models import GeneratedImage, TryOnBatch, TryOnJob
        from tryon.jobs.quality import thresholds_for

        found = set(TryOnJob.objects.filter(pk__in=job_ids).values_list("pk", flat=True))
        for missing in sorted(set(job_ids) - found):
            raise CommandError(f"--job {missing}: no such try-on job")
        found_batches = set(TryOnBatch.objects.filter(pk__in=batch_ids).values_list("pk", flat=True))
        for missing in sorted(set(batch_ids) - found_batches):
            raise CommandError(f"--batch {missing}: no such batch")
        jobs = found | set(TryOnJob.objects.filter(batches__in=batch_ids).values_list("pk", flat=True))
        rows, used = [], set()
        images = GeneratedImage.objects.filter(job_id__in=jobs).select_related("job", "merchant")
        for image in images.order_by("job_id", "index"):
            name = f"job {image.job_id} #{image.index}"
            stored = getattr(image, "scores", None)
            if not stored:
                rows.append(ScoredRow(name, None))
                continue
            try:
                scores = FidelityScores.from_dict(stored)
            except ScoringError as error:
                raise CommandError(f"{name} ({image.file.name}): stored {error}") from None
            thresholds = thresholds_for(image.merchant, image.job.preset)
            used.add(thresholds)
            rows.append(ScoredRow(name, scores, tuple(gate_failures(scores, thresholds))))
        if not rows:
            raise CommandError("those jobs have no images yet")
        return rows, (used.pop() if len(used) == 1 else None)
