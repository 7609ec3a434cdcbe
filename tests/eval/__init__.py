"""The screening evaluations (``make eval``), built from ``../shared/media``, one module per screening concern: real
photos with rendered Chinese text, QR codes and people (``tests/eval/dataset.py``), duplicates
(``tests/eval/duplicates.py``); ``python -m tests.eval --help`` for the reports."""
