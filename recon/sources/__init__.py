"""Source files: every uploaded file of every kind, with its hash, rejected rows, column mapping and soft delete."""
