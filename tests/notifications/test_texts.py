"""Every shipped notification text renders, in every language it ships in, with its event's sample."""

import ast
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.template import Context, Engine
from django.template.base import Lexer, TokenType
from django.utils import translation

from musaned.notifications import texts

# Built like the notification engine, but a placeholder the context lacks shows instead of vanishing.
STRICT = Engine(
    builtins=[name for name in texts.ENGINE.builtins if name not in Engine.default_builtins],
    autoescape=False,
    string_if_invalid="MISSING<%s>",
)
ALWAYS_GIVEN = {"recipient_name", "link"}
WORKER_LANGUAGES = {"en", "ar", "id", "tl"}
GREETING = {"en": "Hello {{ recipient_name }},", "ar": "مرحبًا {{ recipient_name }}،"}
ARABIC = re.compile(r"[\u0600-\u06FF]")
# Three Latin words in a row: an English sentence left in a text that should not have one.
LATIN_PHRASE = re.compile(r"[A-Za-z]{2,}(?:[ ,;:'-]+[A-Za-z]{2,}){2,}")
EVENT_NAME = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)+")
SOURCE_PACKAGES = ("households", "visas", "recruitment", "musaned")
OPERATORS = {"and", "or", "not", "in", "is", "==", "!=", "<", "<=", ">", ">="}

SHIPPED = [(event, language) for event in texts.events() for language in texts.shipped_languages(event)]


def strict_render(source: str, context: dict) -> str:
    return STRICT.from_string(source).render(Context(context, autoescape=False)).strip()


def rendered(event: str, language: str) -> dict[str, str]:
    """Each section as the recipient reads it (notify renders in the language of the text it picked)."""
    text = texts.shipped(event, language)
    with translation.override(language):
        return {
            part: strict_render(source, texts.sample_context(event))
            for part, source in text.as_dict().items()
        }


def sample_strings(value) -> list[str]:
    if isinstance(value, dict):
        return [text for item in value.values() for text in sample_strings(item)]
    return [value] if isinstance(value, str) and value else []


def without_sample_values(event: str, output: str) -> str:
    """The text's own words: the sample's values (names, notes, formulas, links) taken out."""
    for value in sorted(sample_strings(texts.sample_context(event)), key=len, reverse=True):
        output = output.replace(value, " ")
    return output


def names_used(source: str) -> set[str]:
    """The variables a text reads, in {{ }} and in {% if %} / {% elif %} conditions."""
    names = set()
    for token in Lexer(source).tokenize():
        if token.token_type == TokenType.VAR:
            expressions = [token.contents]
        elif token.token_type == TokenType.BLOCK and token.contents.split()[0] in ("if", "elif"):
            expressions = re.sub(r"\"[^\"]*\"|'[^']*'", " ", token.contents).split()[1:]
        else:
            continue
        for expression in expressions:
            head = expression.split("|")[0].split(".")[0]
            if head not in OPERATORS and re.fullmatch(r"[A-Za-z_]\w*", head):
                names.add(head)
    return names


def test_every_event_ships_in_english_and_arabic():
    assert texts.events()
    missing = {event: texts.shipped_languages(event) for event in texts.events()}
    assert {event: langs for event, langs in missing.items() if not {"en", "ar"} <= set(langs)} == {}


def test_workers_events_ship_in_the_workers_languages():
    worker_events = [name for name, event in texts.events().items() if event.audience == "worker"]
    assert worker_events
    for event in worker_events:
        assert set(texts.shipped_languages(event)) >= WORKER_LANGUAGES, event


@pytest.mark.parametrize(("event", "language"), SHIPPED)
def test_the_text_renders_with_its_sample(event, language):
    text = texts.shipped(event, language)
    assert texts.compile_errors(text) == {}
    output = rendered(event, language)

    for part, value in output.items():
        assert "MISSING<" not in value, (part, value)
        assert "{{" not in value and "{%" not in value and "}}" not in value and "%}" not in value, part
        assert "SAR SAR" not in value and "ريال ريال" not in value, (part, value)
    assert "\n" not in output["subject"]
    if texts.events()[event].audience == "worker":
        assert output["sms"]
    else:
        assert output["subject"] and output["body"]


@pytest.mark.parametrize(("event", "language"), SHIPPED)
def test_every_variable_a_text_reads_is_in_the_sample(event, language):
    offered = ALWAYS_GIVEN | set(texts.events()[event].sample)
    for part, source in texts.shipped(event, language).as_dict().items():
        assert names_used(source) <= offered, (part, sorted(names_used(source) - offered))


@pytest.mark.parametrize("language", ["en", "ar"])
@pytest.mark.parametrize(
    "event", [name for name, event in texts.events().items() if event.audience != "worker"]
)
def test_a_body_starts_by_greeting_the_person(event, language):
    body = texts.shipped(event, language).body
    assert body.startswith(GREETING[language] + "\n"), body[:60]


@pytest.mark.parametrize("event", list(texts.events()))
def test_the_arabic_text_is_arabic_through_and_through(event):
    for part, value in rendered(event, "ar").items():
        if not value:
            continue
        own_words = without_sample_values(event, value)
        assert ARABIC.search(own_words), (part, value)
        assert not LATIN_PHRASE.search(own_words), (part, LATIN_PHRASE.search(own_words).group())


@pytest.mark.parametrize("event", list(texts.events()))
def test_the_english_text_has_no_arabic_of_its_own(event):
    for part, value in rendered(event, "en").items():
        assert not ARABIC.search(without_sample_values(event, value)), (part, value)


@pytest.mark.parametrize(
    ("event", "language"), [(event, language) for event, language in SHIPPED if language in ("id", "tl")]
)
def test_a_workers_language_text_is_translated(event, language):
    english, own = rendered(event, "en"), rendered(event, language)
    for part, value in own.items():
        if value:
            assert value != english[part], part
            # The date and money filters speak only Arabic and English: a worker's text uses neither.
            assert not ARABIC.search(value), (part, value)


def event_names_in_code() -> set[str]:
    """Event names written in the code: `event="..."` (or `worker_event=`), `event = "..."`, and the
    literal passed to any notify/_tell/_text_worker helper."""
    found = set()
    root = Path(settings.BASE_DIR)
    for package in SOURCE_PACKAGES:
        for path in (root / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                candidates = []
                if isinstance(node, ast.Call):
                    func = node.func
                    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                    if re.search(r"notify|_tell|_text_worker", name):
                        candidates += node.args
                    candidates += [kw.value for kw in node.keywords if kw.arg and kw.arg.endswith("event")]
                elif isinstance(node, ast.Assign) and any(
                    isinstance(target, ast.Name) and target.id == "event" for target in node.targets
                ):
                    candidates.append(node.value)
                found |= {
                    candidate.value
                    for candidate in candidates
                    if isinstance(candidate, ast.Constant)
                    and isinstance(candidate.value, str)
                    and EVENT_NAME.fullmatch(candidate.value)
                }
    return found


def test_every_event_the_code_sends_has_its_texts():
    used = event_names_in_code()
    # The scan finds the events of every sending style: direct, through helpers, and to workers.
    assert {
        "phone_code",
        "identity_confirmed",
        "visa_issued",
        "request_office_assigned",
        "delivery_late",
        "complaint_filed",
        "office_sanctioned",
        "worker_contract_link",
        "delivery_departed_worker",
        "worker_complaint_decided",
    } <= used
    assert sorted(used - set(texts.events())) == []
