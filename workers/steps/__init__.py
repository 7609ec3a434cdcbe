"""Pipeline steps, one module each; each registers itself with ``workers.pipeline.register``."""
