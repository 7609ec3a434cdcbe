"""The screening evaluation (``make eval``): real photos with rendered Chinese text, QR codes and people; see
``tests/eval/dataset.py`` for the set and ``python -m tests.eval --help`` for the reports."""
