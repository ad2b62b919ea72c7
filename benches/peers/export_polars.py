"""CSV -> CSV with polars, as recibo's default export: the same columns, every row, read
and written as text (streaming scan_csv -> sink_csv)."""
import sys

import polars as pl

from columns import DEFAULT_COLUMNS

src, out = sys.argv[1], sys.argv[2]
(
    pl.scan_csv(src, infer_schema=False)
    .select(DEFAULT_COLUMNS)
    .sink_csv(out)
)
