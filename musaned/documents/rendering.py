"""HTML templates to PDF bytes, with the costly set-up done once per process.

A plain `weasyprint.HTML(string=...).write_pdf()` builds a new Fontconfig/Pango font map on every
call (so every font is loaded and measured again) and parses the stylesheet again. Here the font
configuration and the parsed stylesheet live for the whole process and are shared by every render.
Fonts are still subset with HarfBuzz and embedded exactly as a plain call embeds them.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

from django.template.loader import render_to_string
from django.utils import translation
from weasyprint import CSS, HTML
from weasyprint.text.ffi import harfbuzz, harfbuzz_subset
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher

ASSETS_DIR = Path(__file__).resolve().parent / "static" / "documents"
STYLESHEET = ASSETS_DIR / "pdf.css"

logger = logging.getLogger(__name__)


class AssetFetcher(URLFetcher):
    """Documents may load inline data and files shipped with the app: never the network or other files.

    Any asset that cannot be loaded stops the render: an official document is not issued with a hole.
    """

    def __init__(self) -> None:
        super().__init__(allowed_protocols={"data", "file"}, fail_on_errors=True)

    def fetch(self, url, headers=None):
        if url.startswith("file:"):
            path = Path(url2pathname(urlsplit(url).path)).resolve()
            if not path.is_relative_to(ASSETS_DIR):
                raise ValueError(f"Documents may not load {url}")
        return super().fetch(url, headers)


class PdfRenderer:
    """One font configuration and one parsed stylesheet, reused by every document this process makes."""

    def __init__(self) -> None:
        if harfbuzz_subset is None or not harfbuzz.hb_version_atleast(4, 1, 0):
            logger.warning(
                "libharfbuzz-subset0 (>= 4.1) is missing: fonts will be subset with fontTools, "
                "several times slower. Install it with bin/system-packages."
            )
        self.base_url = ASSETS_DIR.as_uri() + "/"
        self.url_fetcher = AssetFetcher()
        self.font_config = FontConfiguration()
        self.stylesheet = CSS(
            filename=str(STYLESHEET), font_config=self.font_config, url_fetcher=self.url_fetcher
        )
        # Pango font maps are not thread-safe: one render at a time per process. Layout holds the
        # GIL almost all the time, so threads would not render faster in parallel anyway.
        self._lock = threading.Lock()

    def write_pdf(self, html: str) -> bytes:
        document = HTML(string=html, base_url=self.base_url, url_fetcher=self.url_fetcher)
        with self._lock:
            return document.write_pdf(font_config=self.font_config, stylesheets=[self.stylesheet])


_renderer: PdfRenderer | None = None
_renderer_lock = threading.Lock()


def get_renderer() -> PdfRenderer:
    """The process-wide renderer, built on first use (a worker that never prints never pays for it)."""
    global _renderer
    if _renderer is None:
        with _renderer_lock:
            if _renderer is None:
                _renderer = PdfRenderer()
    return _renderer


def render_html(*, template: str, context: dict, language: str) -> str:
    """The document's HTML, with dates, numbers and translated words in `language`."""
    with translation.override(language):
        return render_to_string(template, context)


def render_pdf(*, template: str, context: dict, language: str) -> bytes:
    """Render a Django template under `language` and print it to PDF."""
    return get_renderer().write_pdf(render_html(template=template, context=context, language=language))
