"""Documents per second: the project's renderer against a plain WeasyPrint call on the same HTML.

The plain call is what a view would do without the renderer: `HTML(string=html).write_pdf()`, the
stylesheet inlined in the HTML. Both print the sample visa as `document_issue` renders it.
"""

import datetime as dt
import io
import logging
import secrets
import statistics
import time
from collections.abc import Callable
from unittest import mock

import weasyprint
from django.utils import timezone
from pypdf import PdfReader

from musaned.documents.models import Document
from musaned.documents.rendering import STYLESHEET, get_renderer, render_html
from musaned.documents.services import CODE_BYTES, document_template_context, normalise_statement

TEMPLATE = "documents/sample_visa.html"
WARMUPS = 3
RUNS = 30
BREAKDOWN_RUNS = 10
FONTTOOLS_RUNS = 5
TARGET_RATIO = 3.0

SAMPLE_STATEMENT = {
    "title": {"ar": "تأشيرة عمالة منزلية", "en": "Domestic worker visa"},
    "facts": [
        {"label": {"ar": "رقم التأشيرة", "en": "Visa number"}, "value": "4071938265"},
        {
            "label": {"ar": "صاحب العمل", "en": "Employer"},
            "value": {"ar": "محمد عبدالله القحطاني", "en": "Mohammed Abdullah Alqahtani"},
        },
        {"label": {"ar": "المهنة", "en": "Occupation"}, "value": {"ar": "عاملة منزلية", "en": "Housemaid"}},
        {"label": {"ar": "الجنسية", "en": "Nationality"}, "value": {"ar": "الفلبين", "en": "Philippines"}},
        {"label": {"ar": "مدينة الوصول", "en": "Arrival city"}, "value": {"ar": "الرياض", "en": "Riyadh"}},
    ],
}


def sample_html() -> str:
    """The sample visa's HTML for a document that is never saved: nothing is written anywhere."""
    document = Document(
        kind="visa",
        version=1,
        code=secrets.token_urlsafe(CODE_BYTES),
        statement=normalise_statement(SAMPLE_STATEMENT),
        valid_until=timezone.localdate() + dt.timedelta(days=730),
    )
    context = {"visa_number": "4071938265", **document_template_context(document)}
    return render_html(template=TEMPLATE, context=context, language="ar")


def with_inline_stylesheet(html: str) -> str:
    return html.replace("</head>", f"<style>{STYLESHEET.read_text()}</style></head>", 1)


def plain_write_pdf(html: str) -> bytes:
    return weasyprint.HTML(string=html).write_pdf()


class Timings:
    """Wall-clock and CPU seconds per call: on a shared machine the CPU time is the steadier figure."""

    def __init__(self) -> None:
        self.wall: list[float] = []
        self.cpu: list[float] = []

    def measure(self, call: Callable[[], bytes]) -> None:
        wall, cpu = time.perf_counter(), time.process_time()
        call()
        self.cpu.append(time.process_time() - cpu)
        self.wall.append(time.perf_counter() - wall)

    def per_second(self) -> float:
        return len(self.wall) / sum(self.wall)

    def cpu_ms(self) -> float:
        return statistics.median(self.cpu) * 1000


def compare(calls: dict[str, Callable[[], bytes]], runs: int, warmups: int = WARMUPS) -> dict[str, Timings]:
    """Interleave the calls run by run, so that a busy machine slows all of them alike."""
    for call in calls.values():
        for _ in range(warmups):
            call()
    timings = {name: Timings() for name in calls}
    for _ in range(runs):
        for name, call in calls.items():
            timings[name].measure(call)
    return timings


def pdf_fonts(pdf: bytes) -> set[str]:
    fonts = set()
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for font in page["/Resources"]["/Font"].values():
            fonts.add(str(font.get_object()["/BaseFont"]).split("+", 1)[-1])
    return fonts


def pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def run() -> None:
    renderer = get_renderer()
    html = sample_html()
    plain_html = with_inline_stylesheet(html)
    report_throughput(renderer, html, plain_html)
    report_breakdown(renderer, html, plain_html)


def report_throughput(renderer, html: str, plain_html: str) -> None:
    project_pdf, plain_pdf = renderer.write_pdf(html), plain_write_pdf(plain_html)
    fonts = pdf_fonts(project_pdf)
    pages = len(PdfReader(io.BytesIO(project_pdf)).pages)
    timings = compare(
        {
            "project renderer": lambda: renderer.write_pdf(html),
            "plain write_pdf()": lambda: plain_write_pdf(plain_html),
        },
        RUNS,
    )
    project, plain = timings["project renderer"], timings["plain write_pdf()"]
    ratio = project.per_second() / plain.per_second()
    verdict = "met" if ratio >= TARGET_RATIO else "missed"

    size = len(project_pdf) // 1024
    print(f"Sample visa ({pages} page, {size} KiB), {RUNS} runs each after {WARMUPS} warm-ups:")
    for name, timing in timings.items():
        print(f"  {name:<18} {timing.per_second():6.2f} documents/s   CPU {timing.cpu_ms():6.1f} ms each")
    print(f"  ratio project / plain: {ratio:.2f}x (CPU time {plain.cpu_ms() / project.cpu_ms():.2f}x)")
    print(f"  target {TARGET_RATIO:.1f}x: {verdict}")
    same_fonts = "yes" if fonts == pdf_fonts(plain_pdf) else "NO"
    print(f"  same fonts embedded: {same_fonts}: {', '.join(sorted(fonts))}")
    print(f"  same extracted text: {'yes' if pdf_text(project_pdf) == pdf_text(plain_pdf) else 'NO'}")


def report_breakdown(renderer, html: str, plain_html: str) -> None:
    """Each cost a plain call pays, measured alone as CPU time over the renderer's."""
    timings = compare(
        {
            "project": lambda: renderer.write_pdf(html),
            "a new font configuration per call": lambda: weasyprint.HTML(string=html).write_pdf(
                stylesheets=[renderer.stylesheet]
            ),
            "the stylesheet parsed per call": lambda: weasyprint.HTML(string=plain_html).write_pdf(
                font_config=renderer.font_config
            ),
            "both (the plain call)": lambda: plain_write_pdf(plain_html),
        },
        BREAKDOWN_RUNS,
    )
    # A machine without libharfbuzz-subset0: WeasyPrint warns and subsets fonts with fontTools.
    quiet = [logging.getLogger(name) for name in ("weasyprint", "fontTools")]
    for logger in quiet:
        logger.setLevel(logging.ERROR)
    with mock.patch("weasyprint.pdf.fonts.harfbuzz_subset", None):
        timings |= compare(
            {"plain call, fontTools subsetting": lambda: plain_write_pdf(plain_html)},
            FONTTOOLS_RUNS,
            warmups=1,
        )
    for logger in quiet:
        logger.setLevel(logging.NOTSET)

    base = timings.pop("project").cpu_ms()
    print(f"Extra CPU time per document over the renderer's {base:.1f} ms (medians):")
    for name, timing in timings.items():
        print(f"  {name:<36} {timing.cpu_ms() - base:+7.1f} ms  ({timing.cpu_ms() / base:.1f}x the renderer)")
