"""Rule-based extraction of published figures ("claims") from prose: news reports,
web pages and PDFs. Plain Python, no Prefect; the `ftf claims` command calls
`extract_from_document`. See extract.py for how a sentence is read."""
from .extract import (
    Claim, Extraction, Unresolved, claims_to_jsonl, claims_to_table, extract_all,
    extract_all_from_document, extract_claims, extract_from_document,
)
from .read import ClaimsInputError, read_document

__all__ = [
    "Claim", "ClaimsInputError", "Extraction", "Unresolved", "claims_to_jsonl", "claims_to_table",
    "extract_all", "extract_all_from_document", "extract_claims", "extract_from_document",
    "read_document",
]
