"""Delivering renditions to outlets: metadata written into files, ZIP packages streamed to S3."""
