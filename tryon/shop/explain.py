"""A failed try-on in words a shopper understands, chosen by its failure code; the worker's own message
stays in the merchant admin, and nobody reads it to decide what to say."""

from tryon.jobs.models import TryOnJob

Code = TryOnJob.FailureCode

# What the shopper reads after FAILED, per failure code; a code not here (internal, none) gets GENERIC.
FAILURE_HINTS = {
    Code.TIMED_OUT: "It took our renderer too long this time.",
    Code.OUT_OF_MEMORY: "Our renderer was too busy to finish it.",
    Code.INVALID_INPUT: "These picks or the product's photos could not be used as they are now.",
    Code.WEIGHTS_MISSING: "The shop's renderer is not set up yet.",
    Code.UNSERVED_PRESET: "The shop's renderer is not running right now.",
    Code.WORKER_LOST: "Our renderer stopped while working on it.",
    Code.CONTENT_MODERATION: "The picture did not pass our content checks.",
}
FAILED = "Sorry, we could not make this picture."
GENERIC = "Something went wrong on our side."
CANCELLED = "This try-on was stopped before it finished."


def explain_failure(status: str, failure_code: str) -> str:
    if status == TryOnJob.Status.CANCELLED or failure_code == Code.CANCELLED:
        return CANCELLED
    return f"{FAILED} {FAILURE_HINTS.get(failure_code, GENERIC)}"


def explanations() -> dict:
    """The same words for the page's script, which explains failures it learns of while polling."""
    hints = {str(code): words for code, words in FAILURE_HINTS.items()}
    return {"hints": hints, "failed": FAILED, "generic": GENERIC, "cancelled": CANCELLED}
