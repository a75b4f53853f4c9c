"""The REST API under /api/v1/: the core's endpoints, its router (kinds add theirs by dotted path), errors, paging and schema."""
