"""PDF: the first page drawn by PDFium, the text of the pages, the page count. Pure and sync;
runs only in the extraction child (PDFium is C++ and parses untrusted bytes)."""

from typing import BinaryIO

import pypdfium2 as pdfium

from app.previews.found import TEXT_LIMIT, Found
from app.previews.picture import preview_webp, render_scale

MAX_TEXT_PAGES = 2000


def extract_pdf(source: BinaryIO) -> Found:
    pdf = pdfium.PdfDocument(source)
    try:
        pages = len(pdf)
        preview = _first_page(pdf) if pages else None
        return Found(text=_text(pdf, pages), preview=preview, page_count=pages)
    finally:
        pdf.close()


def _first_page(pdf: pdfium.PdfDocument) -> bytes | None:
    page = pdf[0]
    try:
        width, height = page.get_size()
        scale = render_scale(width, height)
        if min(width, height) * scale < 1:  # a sliver: nothing to see at any size we would draw
            return None
        bitmap = page.render(scale=scale, may_draw_forms=False)
        return preview_webp(bitmap.to_pil())
    finally:
        page.close()


def _text(pdf: pdfium.PdfDocument, pages: int) -> str:
    kept: list[str] = []
    size = 0
    for index in range(min(pages, MAX_TEXT_PAGES)):
        page = pdf[index]
        try:
            textpage = page.get_textpage()
            text = textpage.get_text_range()
            textpage.close()
        finally:
            page.close()
        kept.append(text)
        size += len(text) + 1
        if size >= TEXT_LIMIT:
            break
    return "\n".join(kept)[:TEXT_LIMIT]
