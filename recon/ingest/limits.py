"""What an uploaded file may hold before any parser opens it; set from Django settings at start (recon.core.apps)."""
from dataclasses import dataclass, fields, replace


@dataclass(frozen=True)
class Limits:
    """Bounds on an upload's shape. Every refusal names the bound it hit."""

    max_rows: int = 1_100_000            # rows per sheet (Excel's own sheet holds 1,048,576)
    max_columns: int = 100               # columns per sheet or CSV record
    max_cell_chars: int = 32_767         # Excel's own limit for one cell
    max_line_chars: int = 3_300_000      # one CSV line: 100 columns of the longest cells
    max_sheets: int = 255
    max_zip_entries: int = 2_000         # parts of an xlsx (a sheet is 2-3 parts)
    max_uncompressed_bytes: int = 2 * 1024**3   # all parts of an xlsx together, unpacked
    max_part_bytes: int = 1536 * 1024**2        # one part unpacked
    max_compression_ratio: int = 200     # unpacked/packed size of a part over 1 MiB; zip bombs run to thousands
    memory_mb: int = 4096                # address space a parsing child may add to its parent's
    timeout_s: int = 900                 # wall time of one parse in a child process
    sniff_memory_mb: int = 512           # the same two for the header check inside a web request
    sniff_timeout_s: int = 20


_current = Limits()


def limits() -> Limits:
    return _current


def configure(**values) -> Limits:
    """Replace some bounds (unknown names are an error, so that a typo in settings is loud)."""
    global _current
    known = {f.name for f in fields(Limits)}
    unknown = set(values) - known
    if unknown:
        raise TypeError(f"unknown ingest limits: {', '.join(sorted(unknown))}")
    _current = replace(_current, **values)
    return _current
