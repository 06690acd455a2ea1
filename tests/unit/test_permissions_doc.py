"""docs/permissions.md is exactly what the permissions table says."""

from __future__ import annotations

from tests.tools.permissions_doc import DOC, render


def test_the_document_is_generated_from_the_table() -> None:
    assert DOC.read_text(encoding="utf-8") == render(), "run: python -m tests.tools.permissions_doc"
