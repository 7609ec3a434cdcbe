"""Provinces, committees and their member organisations: the tree, pre-review, the province's overview."""
