"""Fidelity scores as the merchant admin shows them: compact badges, the garment's region over the render,
and the quality gate's attempts of a job."""

from django.utils.html import format_html, format_html_join

from tryon.jobs.models import GeneratedImage, TryOnJob
from tryon.media.signing import signed_url

# (key, label, format, higher is better)
SHOWN = [
    ("colour_delta_e_median", "ΔE", "{:.1f}", False),
    ("pattern_ssim", "SSIM", "{:.2f}", True),
    ("edge_agreement", "Edges", "{:.2f}", True),
    ("coverage", "Coverage", "{:.0%}", True),
    ("leakage", "Leak", "{:.0%}", False),
    ("pose_error", "Pose", "{:.2f}", False),
    ("identity_similarity", "Identity", "{:.2f}", True),  # a cast fashion model's face against its portrait
]
NOTES = {"pose_error": "pose_note", "identity_similarity": "identity_note"}  # why a score is n/a
FAILING_WORDS = {  # which gate reason each score answers to (generation.quality_gate names them so)
    "colour_delta_e_median": "colour",
    "pattern_ssim": "pattern",
    "edge_agreement": "edge",
    "coverage": "coverage",
    "leakage": "leakage",
    "pose_error": "pose",
    "identity_similarity": "identity",
}


def scores_badges(scores: dict | None, failures=(), note: str = ""):
    """One line of scores; a score that failed the gate is marked, and says why on hover."""
    if not scores:
        return format_html('<span class="fidelity is-missing">Not scored{}</span>', f": {note}" if note else "")
    badges = []
    for key, label, pattern, _higher in SHOWN:
        value = scores.get(key)
        if key == "identity_similarity" and value is None and not scores.get("identity_note"):
            continue  # not a cast fashion model: nothing to say about its face
        if value is None:
            badges.append((label, "n/a", "", scores.get(NOTES.get(key, ""), "")))
            continue
        reasons = [reason for reason in failures if reason.startswith(FAILING_WORDS[key])]
        badges.append((label, pattern.format(value), "is-failing" if reasons else "", "; ".join(reasons)))
    return format_html(
        '<span class="fidelity">{}</span>',
        format_html_join(
            " ",
            '<span class="fidelity-score {}" title="{}">{} <b>{}</b></span>',
            ((css, title, label, value) for label, value, css, title in badges),
        ),
    )


def image_scores(image: GeneratedImage):
    return scores_badges(image.scores, image.quality_failures)


def mask_overlay(image: GeneratedImage):
    """The render with the region the garment should cover tinted over it, as the scores measured it."""
    if not image.file:
        return "—"
    render = signed_url(image.file)
    if not image.garment_mask:
        return format_html(
            '<img src="{}" alt="Render {} of try-on #{}" class="fidelity-render">', render, image.index, image.job_id
        )
    mask = signed_url(image.garment_mask)
    return format_html(
        '<figure class="fidelity-overlay"><span class="fidelity-frame"><img src="{}" alt="Render {} of try-on #{}">'
        "<span class=\"fidelity-mask\" style=\"-webkit-mask-image:url('{}');mask-image:url('{}')\"></span></span>"
        "<figcaption>Tinted: where the garment should be, as scored.</figcaption></figure>",
        render,
        image.index,
        image.job_id,
        mask,
        mask,
    )


def job_attempts(job: TryOnJob):
    """Every quality-gate attempt of the job, each image's scores and why it failed; the kept ones marked."""
    if not job.quality_attempts:
        return "—"
    kept = {(image.attempt, image.index) for image in job.images.all()}
    rows = []
    for attempt in job.quality_attempts:
        for index, image in enumerate(attempt["images"]):
            rows.append(
                (
                    attempt["attempt"] + 1,
                    image["seed"],
                    "kept" if (attempt["attempt"], index) in kept else "",
                    scores_badges(image["scores"], image["failures"], image.get("note", "")),
                    "; ".join(image["failures"]) or ("passed" if image["scores"] else "—"),
                )
            )
    body = format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>", rows)
    return format_html(
        '<table class="fidelity-attempts"><thead><tr><th>Attempt</th><th>Seed</th><th></th><th>Scores</th>'
        "<th>Quality gate</th></tr></thead><tbody>{}</tbody></table>",
        body,
    )
