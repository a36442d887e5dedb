"""Export files: the bytes of each format, and the exports bucket (multipart upload, presigned GET).

CSV is encoded page by page into a part buffer; XLSX goes through XlsxWriter in constant-memory mode (one
row in memory; it writes a temp file under /tmp and zips it at close); PDF is a readable table drawn with
fpdf2 in DejaVu Sans (characters the font lacks, CJK among them, are drawn as '?'). The writers are
imported when a job first writes a file, never at import (cold starts of the API functions)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from oms.domain.exports import Cell, csv_text, text

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

BOM = "\ufeff"  # UTF-8 byte order mark: Excel opens the CSV as UTF-8 (Chinese headers and names) only with it


def csv_chunk(rows: Iterable[Sequence[Cell]], *, header: Sequence[str] | None = None) -> bytes:
    """Rows as CSV bytes (UTF-8, CRLF as RFC 4180 says); with `header`, the file's start: BOM and header row."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    if header is not None:
        out.write(BOM)
        writer.writerow(header)
    for cells in rows:
        writer.writerow([csv_text(c) for c in cells])
    return out.getvalue().encode("utf-8")


class XlsxFile:
    """One worksheet written row by row in constant-memory mode to `path` (a file under /tmp)."""

    def __init__(self, path: Path, header: Sequence[str], widths: Sequence[int]) -> None:
        import xlsxwriter  # lazily: only export jobs write spreadsheets

        self.path = path
        self._book = xlsxwriter.Workbook(str(path), {"constant_memory": True, "tmpdir": str(path.parent)})
        self._sheet = self._book.add_worksheet("orders")
        bold = self._book.add_format({"bold": True})
        self._amount = self._book.add_format({"num_format": "0.00"})
        for col, width in enumerate(widths):
            self._sheet.set_column(col, col, max(8, width))
        self._sheet.write_row(0, 0, list(header), bold)
        self._sheet.freeze_panes(1, 0)
        self._next = 1

    def write(self, cells: Sequence[Cell]) -> None:
        from decimal import Decimal

        for col, cell in enumerate(cells):
            if isinstance(cell, Decimal):
                # A number, so sums work; the decimal's exact text is what Excel shows with two places.
                self._sheet.write_number(self._next, col, float(cell), self._amount)
            elif isinstance(cell, int):
                self._sheet.write_number(self._next, col, cell)
            elif cell:
                self._sheet.write_string(self._next, col, cell)  # never a formula, whatever the text
        self._next += 1

    def close(self) -> Path:
        self._book.close()
        return self.path


FONTS = Path(__file__).resolve().parents[1] / "assets" / "fonts"


def _font_path(name: str) -> str:
    return str(FONTS / name)


def pdf_bytes(
    title: str, subtitle: str, header: Sequence[str], widths: Sequence[int], rows: Iterable[Sequence[Cell]]
) -> bytes:
    """A landscape A4 table, its header row repeated on every page, page numbers in the footer."""
    from fpdf import FPDF
    from fpdf.fonts import FontFace

    pdf = FPDF(orientation="L", unit="mm", format="A4")
    pdf.set_auto_page_break(auto=True, margin=12)
    pdf.add_font("DejaVu", "", _font_path("DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", _font_path("DejaVuSans-Bold.ttf"))
    font: Any = pdf.fonts["dejavu"]  # a TTFFont: its cmap lists the characters it can draw
    known = set(font.cmap)

    def drawable(value: str) -> str:
        return "".join(c if ord(c) in known or c in "\n\t" else "?" for c in value)

    pdf.set_title(drawable(title))
    pdf.add_page()
    pdf.set_font("DejaVu", "B", 12)
    pdf.cell(0, 8, drawable(title), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 8)
    pdf.cell(0, 5, drawable(subtitle), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.set_font("DejaVu", "", 7)
    total = sum(widths) or 1
    col_widths = tuple(w / total * pdf.epw for w in widths)
    with pdf.table(
        col_widths=col_widths,
        headings_style=FontFace(emphasis="BOLD"),
        line_height=4,
        repeat_headings=1,
        first_row_as_headings=True,
    ) as table:
        heading = table.row()
        for name in header:
            heading.cell(drawable(name))
        for cells in rows:
            line = table.row()
            for cell in cells:
                line.cell(drawable(text(cell)))
    return bytes(pdf.output())


class ExportsBucket:
    """The exports bucket: multipart uploads (parts of at least 5 MiB but the last), whole small objects,
    presigned GETs. The S3 client is made at first use."""

    def __init__(self, bucket: str, client: S3Client | None = None) -> None:
        self.bucket = bucket
        self._client = client

    @property
    def client(self) -> S3Client:
        if self._client is None:
            from oms.adapters.s3 import presigning_s3_client

            self._client = presigning_s3_client()
        return self._client

    def start(self, key: str, content_type: str, filename: str) -> str:

        answer = self.client.create_multipart_upload(
            Bucket=self.bucket,
            Key=key,
            ContentType=content_type,
            ContentDisposition=f'attachment; filename="{filename}"',
        )
        return answer["UploadId"]

    def upload_part(self, key: str, upload_id: str, number: int, body: bytes | IO[bytes]) -> str:
        """One part (numbered from 1): its ETag. Uploading the same number again replaces it (a retried chunk)."""
        answer = self.client.upload_part(Bucket=self.bucket, Key=key, UploadId=upload_id, PartNumber=number, Body=body)
        return answer["ETag"]

    def complete(self, key: str, upload_id: str, parts: Sequence[dict[str, Any]]) -> None:
        self.client.complete_multipart_upload(
            Bucket=self.bucket,
            Key=key,
            UploadId=upload_id,
            MultipartUpload={"Parts": [{"PartNumber": int(p["PartNumber"]), "ETag": str(p["ETag"])} for p in parts]},
        )

    def abort(self, key: str, upload_id: str) -> None:
        from botocore.exceptions import ClientError

        try:
            self.client.abort_multipart_upload(Bucket=self.bucket, Key=key, UploadId=upload_id)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "NoSuchUpload":
                raise

    def upload_file(self, key: str, path: Path, content_type: str, filename: str, part_bytes: int) -> int:
        """A file from /tmp in parts of `part_bytes` (one part read at a time: flat memory); its size."""
        upload_id = self.start(key, content_type, filename)
        parts: list[dict[str, Any]] = []
        try:
            with path.open("rb") as file:
                for number, chunk in enumerate(_read_parts(file, part_bytes), start=1):
                    parts.append({"PartNumber": number, "ETag": self.upload_part(key, upload_id, number, chunk)})
            self.complete(key, upload_id, parts)
        except BaseException:
            self.abort(key, upload_id)
            raise
        return path.stat().st_size

    def put(self, key: str, body: bytes, content_type: str, filename: str) -> None:
        self.client.put_object(
            Bucket=self.bucket,
            Key=key,
            Body=body,
            ContentType=content_type,
            ContentDisposition=f'attachment; filename="{filename}"',
        )

    def read(self, key: str) -> bytes:
        return self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read()

    def presigned_get(self, key: str, seconds: int) -> str:
        return self.client.generate_presigned_url(
            "get_object", Params={"Bucket": self.bucket, "Key": key}, ExpiresIn=seconds
        )


def _read_parts(file: IO[bytes], size: int) -> Iterator[bytes]:
    while chunk := file.read(size):
        yield chunk
