"""A report's documents (PDF, DOCX, ODT, plain text): upload, inspection results, search, access.

The inspection itself (typing, hostile checks, text, thumbnail, screening) runs in ``workers.documents``.
"""
