"""A failed try-on in words a shopper understands; the worker's own message stays in the merchant admin."""

# (a phrase of the worker's message, what the shopper reads); the first match wins.
FAILURE_HINTS = [
    ("took longer", "It took our renderer too long this time."),
    ("out of memory", "Our renderer was too busy to finish it."),
    ("no longer in storage", "The product photos changed while we were working on it."),
    ("changed since", "The product photos changed while we were working on it."),
    ("weights are missing", "The shop's renderer is not set up yet."),
    ("stopped responding", "Our renderer stopped while working on it."),
]
FAILED = "Sorry, we could not make this picture."
GENERIC = "Something went wrong on our side."
CANCELLED = "This try-on was stopped before it finished."


def explain_failure(status: str, error: str) -> str:
    if status == "cancelled":
        return CANCELLED
    hint = next((words for phrase, words in FAILURE_HINTS if phrase in error.lower()), GENERIC)
    return f"{FAILED} {hint}"


def explanations() -> dict:
    """The same words for the page's script, which explains failures it learns of while polling."""
    return {"hints": FAILURE_HINTS, "failed": FAILED, "generic": GENERIC, "cancelled": CANCELLED}
