"""Deleting stored files whose rows are going: what retention and "delete my photo" share."""

import logging

from django.core.files.storage import default_storage

logger = logging.getLogger(__name__)


def stored_files_delete(names) -> None:
    """Delete each stored file; one that cannot be deleted is logged and the rest still go."""
    for name in names:
        try:
            default_storage.delete(name)
        except OSError as error:  # one stuck file must not keep the rest, or the rows, alive
            logger.warning("Could not delete %s: %s", name, error)
