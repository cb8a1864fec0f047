"""Documents as evidence: read the organisation's own papers into passages that the indicator reader reads.

:mod:`~assistant.documents.sniff` decides what a file is and refuses unsafe ones, :mod:`~assistant.documents.parsers`
extracts text per format, :mod:`~assistant.documents.ingest` makes a :class:`~assistant.documents.model.Document`,
and :mod:`~assistant.documents.reading` routes its passages to practices and reads them like answers.
"""

from assistant.documents.ingest import read_document
from assistant.documents.model import Document, DocumentLimits, Passage
from assistant.documents.sniff import DocumentError

__all__ = ["Document", "DocumentError", "DocumentLimits", "Passage", "read_document"]
