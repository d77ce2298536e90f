import datetime as dt
import io
import logging
import re
import unicodedata

from pypdf import PdfReader

from musaned.documents.rendering import get_renderer, render_pdf

from .conftest import EMPLOYER_AR, OCCUPATION_AR, SAMPLE_TEMPLATE, VISA_NUMBER, visa_statement


def sample_context() -> dict:
    from musaned.documents.services import normalise_statement, verification_qr_data_uri

    return {
        "visa_number": VISA_NUMBER,
        "statement": normalise_statement(visa_statement()),
        "document": {
            "code": "Q7rTx2LmP0aZk9WcYv3sHn5B",
            "version": 1,
            "issued_on": dt.date(2026, 3, 5),
            "verify_form_url": "https://x.example/verify/",
        },
        "qr_data_uri": verification_qr_data_uri("https://x.example/verify/Q7rTx2LmP0aZk9WcYv3sHn5B/"),
    }


def pdf_text(pdf: bytes) -> str:
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    # Shaped Arabic comes back as presentation forms on some readers: fold them to the plain letters.
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text))


def embedded_fonts(pdf: bytes) -> set[str]:
    fonts = set()
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for font in page["/Resources"]["/Font"].values():
            fonts.add(str(font.get_object()["/BaseFont"]).split("+", 1)[1])
    return fonts


def test_sample_visa_renders_to_a_pdf_with_extractable_arabic_and_latin_text(caplog):
    with caplog.at_level(logging.WARNING, logger="weasyprint"):
        pdf = render_pdf(template=SAMPLE_TEMPLATE, context=sample_context(), language="ar")

    assert pdf.startswith(b"%PDF-")
    text = pdf_text(pdf)
    assert VISA_NUMBER in text
    assert EMPLOYER_AR in text
    assert OCCUPATION_AR in text
    assert "وزارة الموارد البشرية والتنمية الاجتماعية" in text
    assert "Ministry of Human Resources and Social" in text
    # The issue date in both calendars (readers disagree on brackets in mixed-direction lines).
    assert "16 Ramadan 1447 AH" in text
    assert "5 March 2026" in text
    assert "Q7rT x2Lm P0aZ k9Wc Yv3s Hn5B" in text  # the code, grouped for reading
    # Fonts subset by HarfBuzz: WeasyPrint warns when it has to fall back to fontTools.
    assert not [record for record in caplog.records if "fontTools" in record.getMessage()]


def test_documents_embed_the_noto_fonts_for_arabic_and_latin():
    pdf = render_pdf(template=SAMPLE_TEMPLATE, context=sample_context(), language="ar")

    assert {"Noto-Naskh-Arabic", "Noto-Naskh-Arabic-Bold", "Noto-Sans", "Noto-Sans-Bold"} <= embedded_fonts(
        pdf
    )


def test_the_renderer_is_built_once_and_shared():
    assert get_renderer() is get_renderer()
    assert get_renderer().font_config is get_renderer().font_config


def test_documents_cannot_pull_in_files_outside_their_assets(tmp_path):
    secret = tmp_path / "secret.png"
    secret.write_bytes(b"not for documents")
    renderer = get_renderer()

    try:
        renderer.url_fetcher.fetch(secret.as_uri())
    except ValueError as error:
        assert "may not load" in str(error)
    else:
        raise AssertionError("a file outside the document assets was fetched")
    assert renderer.url_fetcher.fetch("data:text/plain,ok").read() == b"ok"
