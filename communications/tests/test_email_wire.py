"""The SMTP fast path's bytes (channels.email_wire) say what Django's serialisation says.

Both serialisations of one composed email are parsed back with the standard library's
modern policy and compared: headers, the structure, both decoded parts. Generated input
covers what copy and client records can hold: accents and emoji, long subjects, long
lines (quoted-printable), lone carriage returns, non-ASCII and IDN addresses.
"""

import smtplib
from email import message_from_bytes, policy
from types import SimpleNamespace

import pytest
from django.core.mail import BadHeaderError
from django.core.mail.backends.smtp import EmailBackend
from django.core.mail.message import sanitize_address
from hypothesis import HealthCheck, example, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from communications.channels import email_wire
from communications.channels.email import as_django_email
from communications.channels.email_compose import ComposedEmail, one_line
from ventas.tests.factories import ClienteFactory

from .conftest import OPEN_HOURS, send_email

COMPARED = ("Subject", "From", "To", "Message-ID", "X-Aremko-Message", "List-Unsubscribe", "List-Unsubscribe-Post")
UNSUBSCRIBE = (
    "<https://aremko.cl/c/baja/eyJtIjoiMTIzNDU2Nzg5MGFiY2RlZiJ9:1tXyZ:abcdefghijklmnop/un-clic/>, "
    "<mailto:baja@aremko.cl?subject=baja%20eyJtIjoiMTIzNCJ9>"
)

copy = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=300)
words = st.sampled_from(["ñandú", "tinas", "🌿"])
long_line = st.builds(lambda word, n: " ".join([word] * n), words, st.integers(200, 400))
addresses = st.sampled_from(
    ["ana@example.cl", "o'neil+spa@mail.example.com", "josé@example.cl", "ana@ñandú.cl", "Ana@EXAMPLE.CL"]
)


def composed_email(subject: str, text: str, html: str) -> ComposedEmail:
    return ComposedEmail(
        subject=one_line(subject),
        text=text,
        html=html,
        headers={
            "Message-ID": "<179642572855.10516.5799263801@aremko.cl>",
            "X-Aremko-Message": "6f1c1d2e-8a7b-4c3d-9e0f-112233445566",
            "List-Unsubscribe": UNSUBSCRIBE,
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )


def read(raw: bytes) -> dict:
    """What a mail client shows. Header whitespace is compared collapsed: folding may differ
    (Django folds a long encoded subject right after "Subject:", which reads back with a
    leading space; ours does not)."""
    parsed = message_from_bytes(raw, policy=policy.default)
    return {
        "headers": {name: " ".join(str(parsed[name]).split()) for name in COMPARED},
        "type": parsed.get_content_type(),
        "parts": [(part.get_content_type(), part.get_content()) for part in parsed.iter_parts()],
    }


def django_bytes(email: ComposedEmail, to: str) -> bytes:
    return as_django_email(SimpleNamespace(destination=to), email).message().as_bytes(linesep="\r\n")


@given(
    subject=st.one_of(copy, long_line),
    # The text part always ends with the footer (email_compose.text_part): never empty.
    text=st.one_of(copy, long_line, st.builds("\r".join, st.lists(copy, max_size=3))).map(
        lambda t: f"{t}\n-- \nAremko"
    ),
    html=st.one_of(copy, long_line.map(lambda s: f"<p style='color:#333'>{s}</p>")),
    to=addresses,
)
@example(subject="Hola", text="Hola Ana,\n\nte esperamos.\n", html="<p>Hola</p>", to="ana@example.cl")
@example(subject="a" * 200, text=".\nFrom here\n", html="x" * 2000, to="ana@ñandú.cl")
@hsettings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_the_fast_bytes_read_back_as_djangos_do(subject, text, html, to):
    email = composed_email(subject, text, html)

    ours = email_wire.as_bytes(email, to)

    assert read(ours) == read(django_bytes(email, to))
    assert max(len(line) for line in ours.split(b"\r\n")) <= email_wire.LINE_LIMIT
    assert b"\n" not in ours.replace(b"\r\n", b"")  # SMTP line ends only


def test_the_list_unsubscribe_header_stays_plain_ascii_however_long_its_urls():
    """A structured header may be folded but never RFC 2047-encoded: mailbox providers read
    List-Unsubscribe's URLs as written (the parsed comparison above would not see it)."""
    url = "https://aremko.cl/c/baja/" + "eyJtIjoiZTQxODFhY2EzOTFl" * 5 + ":1xZdph:G-cKJtPAYuhfkOLXhbj6KBm/un-clic/"
    value = f"<{url}>, <mailto:baja@aremko.cl?subject=baja%20{'eyJtIjoi' * 12}>"
    email = ComposedEmail(subject="Hola", text="x", html="<p>x</p>", headers={"List-Unsubscribe": value})

    head = email_wire.as_bytes(email, "ana@example.cl").split(b"\r\n\r\n")[0].decode()
    [line] = [x for x in head.replace("\r\n ", " ").split("\r\n") if x.startswith("List-Unsubscribe:")]

    assert "=?" not in line and " ".join(line.split()[1:]) == value


@given(st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=400), st.sampled_from(COMPARED))
@example("<" + "x" * 120 + ">, <mailto:baja@aremko.cl>", "List-Unsubscribe")
@example("a  b" * 40, "Subject")
@example(" leading and trailing " * 5 + "  ", "Subject")
def test_an_ascii_header_folds_only_at_its_own_spaces(value, name):
    line = email_wire.header(name, value)
    assert line.endswith("\r\n")
    folded = line[: -len("\r\n")].split("\r\n")

    assert "\r\n".join(folded).replace("\r\n ", " ") == f"{name}: {value}"  # unfolds to what was written
    assert all(part.strip() for part in folded[1:])  # no continuation line of only whitespace
    # A line over 78 columns (trailing spaces aside: a run of spaces is never split) is one
    # that could not be folded: a single word after its indent.
    assert all(len(part.rstrip()) <= email_wire.FOLD_AT or " " not in part.strip() for part in folded[1:])
    assert len(folded[0].rstrip()) <= email_wire.FOLD_AT or " " not in folded[0][len(name) + 2 :].strip(" ")


@pytest.mark.parametrize(
    "value",
    ["ana@example.cl", "o'neil+spa@mail.example.com", "Aremko <reservas@aremko.cl>", "=?utf-8?q?Sp=C3=A1?= <a@b.cl>"],
)
def test_the_envelope_address_is_what_smtplib_would_send(value):
    assert email_wire.envelope(value) == smtplib.quoteaddr(value)


def test_a_non_ascii_sender_name_is_encoded_in_the_header_and_left_out_of_the_envelope(settings):
    settings.DEFAULT_FROM_EMAIL = "Aremko Spá <reservas@aremko.cl>"
    email_wire.sender.cache_clear()
    email = composed_email("Hola", "Hola", "<p>Hola</p>")

    assert read(email_wire.as_bytes(email, "ana@example.cl")) == read(django_bytes(email, "ana@example.cl"))
    assert email_wire.sender(settings.DEFAULT_FROM_EMAIL).isascii()
    email_wire.sender.cache_clear()


@pytest.mark.parametrize("value", ["Hola\r\nBcc: otro@example.cl", "Hola\nX: y"])
def test_a_header_with_a_line_break_is_refused(value):
    with pytest.raises(BadHeaderError):
        email_wire.header("Subject", value)


@pytest.mark.parametrize("value", ["no es un correo", "ana@", "<>", "Ana <ana@example.cl>", "ana@example.cl "])
def test_an_unusual_address_is_read_as_django_reads_it(value):
    """Only a plain addr-spec skips Django's parser; anything else gets its answer, error included."""

    def outcome(read_address):
        try:
            return read_address(value)
        except (ValueError, TypeError):  # Django's parser fails on "<>" with a TypeError
            return "refused"

    assert outcome(email_wire.address) == outcome(lambda v: sanitize_address(v, "utf-8"))


class CountingBackend(EmailBackend):
    sent: list = []

    def send_messages(self, email_messages):
        CountingBackend.sent.extend(email_messages)
        return super().send_messages(email_messages)


@pytest.mark.django_db
def test_a_subclass_of_the_smtp_backend_gets_djangos_object(smtp_server, settings):
    """The fast path is for Django's own SMTP backend only: a subclass may send differently."""
    settings.EMAIL_BACKEND = "communications.tests.test_email_wire.CountingBackend"
    CountingBackend.sent = []

    message = send_email(ClienteFactory(email="ana@example.cl"), "welcome_1", now=OPEN_HOURS)

    assert message.status == "sent"
    assert [m.to for m in CountingBackend.sent] == [["ana@example.cl"]]
    [received] = smtp_server.parsed()
    assert received["Message-ID"] == message.provider_message_id
