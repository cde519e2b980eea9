"""Uploads and renders are never public: every link to one is signed and expires (see signing.py)."""
