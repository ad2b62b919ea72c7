"""CSV -> CSV with pandas, as recibo's default export: the same columns, every row, as text."""
import sys

import pandas as pd

from columns import DEFAULT_COLUMNS

src, out = sys.argv[1], sys.argv[2]
frame = pd.read_csv(src, dtype=str, keep_default_na=False, usecols=DEFAULT_COLUMNS)
frame[DEFAULT_COLUMNS].to_csv(out, index=False)
