"""CSV -> XLSX with XlsxWriter in constant-memory mode: the cells of recibo's default
export, typed as recibo types them (amounts as numbers, times as date-time serials, the
rest as text)."""
import csv
import datetime
import sys

import xlsxwriter

from columns import AMOUNT_COLUMNS, DEFAULT_COLUMNS, TIME_COLUMNS

src, out = sys.argv[1], sys.argv[2]
book = xlsxwriter.Workbook(out, {"constant_memory": True})
sheet = book.add_worksheet("Transactions")
bold = book.add_format({"bold": True})
money = book.add_format({"num_format": "0.00"})
when = book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
with open(src, newline="", encoding="utf-8") as f:
    reader = csv.reader(f)
    header = next(reader)
    at = [header.index(c) for c in DEFAULT_COLUMNS]
    kinds = ["amount" if c in AMOUNT_COLUMNS else "time" if c in TIME_COLUMNS else "text"
             for c in DEFAULT_COLUMNS]
    for col, name in enumerate(DEFAULT_COLUMNS):
        sheet.write_string(0, col, name, bold)
    row = 0
    for record in reader:
        if len(record) == 1 and record[0].strip() in ("", "<END>"):
            continue
        row += 1
        for col, (i, kind) in enumerate(zip(at, kinds)):
            value = record[i]
            if value == "":
                continue
            if kind == "amount":
                sheet.write_number(row, col, float(value), money)
            elif kind == "time":
                t = datetime.datetime.fromisoformat(value).astimezone(datetime.timezone.utc)
                sheet.write_datetime(row, col, t.replace(tzinfo=None), when)
            else:
                sheet.write_string(row, col, value)
book.close()
