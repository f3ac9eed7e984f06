"""The bytes of one composed email for SMTP, written directly: the SMTP backend's fast path.

Django's ``EmailMultiAlternatives.message()`` and ``as_bytes()`` build a tree of
``email.mime`` objects, parse both addresses and fold every header through the generic
policy: a quarter of a sending worker's CPU per email in specs/sending.md's email
benchmark. Ours is one shape of message (text/plain and text/html alternatives, one
recipient, headers this app wrote), so its bytes are written here with the standard
library's own encoders, to the rules Django follows:
- a header stays as written when it is short ASCII; a longer ASCII one is folded at 78
  columns by ``email.header.Header`` (never encoded: List-Unsubscribe must stay readable),
  and a non-ASCII one is encoded (RFC 2047) and folded, as Django does for the subject;
- an address that is not plain ASCII goes through Django's ``sanitize_address`` (an IDN
  domain becomes punycode, a non-ASCII display name is encoded);
- a body is UTF-8 sent 8bit (spam filters dislike base64 text), quoted-printable when a
  line is longer than RFC 5322's 998 octets, exactly Django's choice.
Other backends (an ESP's, console, locmem, file) read an ``EmailMessage``'s fields, so
they get Django's object (channels.email). test_email_wire compares both serialisations,
parsed, on generated input.

``start`` and ``finish`` are ``smtplib.SMTP.sendmail`` for one recipient, cut in two where
the data has been written and the server's answer is awaited: a batch composes its next
message while the server checks and stores this one (channels.email.EmailPipeline).
"""

import re
import secrets
import smtplib
from email.charset import QP, Charset
from email.header import Header
from email.utils import formatdate
from functools import lru_cache

from django.conf import settings
from django.core.mail import BadHeaderError
from django.core.mail.message import sanitize_address

CRLF = "\r\n"
LINE_LIMIT = 998  # RFC 5322 §2.1.1, without the CRLF
FOLD_AT = 78
_NEWLINES = re.compile(r"\r\n|\r|\n")
# An addr-spec with nothing to encode or quote: the common case, sent as written.
_PLAIN_ADDRESS = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9.-]+")
_QP = Charset("utf-8")
_QP.body_encoding = QP
_LEADING_DOT = re.compile(rb"(?m)^\.")


def mime_boundary(parts) -> str:
    """A multipart boundary in the standard library's own shape, absent from every part.

    Left to itself, the generator picks one and compiles a new regular expression per
    message to prove it absent: a millisecond an email. A plain substring test over the
    encoded parts is as safe (stricter).
    """
    while True:
        boundary = f"{'=' * 15}{secrets.randbits(63):019d}=="
        if not any(boundary in part for part in parts):
            return boundary


def header(name: str, value: str) -> str:
    """One header line (folded when long), CRLF included."""
    value = str(value)
    if "\n" in value or "\r" in value:  # header injection: Django refuses the same way
        raise BadHeaderError(f"Header values can't contain newlines (header {name!r})")
    if value.isascii():
        return f"{fold(f'{name}: {value}')}{CRLF}"
    return f"{name}: {Header(value, 'utf-8', header_name=name).encode(linesep=CRLF)}{CRLF}"


def fold(line: str) -> str:
    """An ASCII header line folded at its spaces to lines of at most 78 columns where it can.

    Each fold turns one existing space into CRLF + space, so the header unfolds to exactly
    what was written (RFC 5322 §2.2.3); a word longer than a line (a URL) keeps a line of
    its own, as ``email.header.Header`` leaves it. Nothing is ever encoded: List-Unsubscribe
    must stay readable as written.
    """
    if len(line) <= FOLD_AT:
        return line
    head, _space, rest = line.partition(" ")
    out, current = [], head
    for word in rest.split(" "):
        # Never fold before an empty word: a continuation line of only whitespace is obsolete syntax.
        if word and len(current) + 1 + len(word) > FOLD_AT and current.strip():
            out.append(current)
            current = " " + word
        else:
            current += " " + word
    out.append(current)
    return CRLF.join(out)


def envelope(value: str) -> str:
    """An address as MAIL FROM and RCPT TO carry it: ``smtplib.quoteaddr``, whose parser
    a plain addr-spec does not need (it was the larger part of both commands' cost)."""
    if _PLAIN_ADDRESS.fullmatch(value):
        return f"<{value}>"
    return smtplib.quoteaddr(value)


def address(value: str) -> str:
    """An address as a header or the envelope carries it."""
    if _PLAIN_ADDRESS.fullmatch(value):
        return value
    return sanitize_address(value, "utf-8")  # raises ValueError for what is not an address


@lru_cache(maxsize=8)
def sender(from_email: str) -> str:
    """The From address, checked and encoded once per process (settings.DEFAULT_FROM_EMAIL)."""
    return address(from_email)


def lines(text: str) -> list[str]:
    """Lines as the MIME generator splits them (CRLF, CR or LF), not str.splitlines()."""
    return _NEWLINES.split(text)


def body_part(subtype: str, text: str) -> str:
    """One text part: 8bit UTF-8, or quoted-printable when a line would break SMTP's limit."""
    raw = lines(text)
    if any(len(line.encode()) > LINE_LIMIT for line in raw):
        encoding, raw = "quoted-printable", lines(_QP.body_encode(text))
    else:
        encoding = "8bit"
    return (
        f'Content-Type: text/{subtype}; charset="utf-8"{CRLF}'
        f"MIME-Version: 1.0{CRLF}"
        f"Content-Transfer-Encoding: {encoding}{CRLF}{CRLF}" + CRLF.join(raw)
    )


def as_bytes(composed, to: str) -> bytes:
    """The whole message: the composed text and HTML as alternatives, for one recipient."""
    parts = [body_part("plain", composed.text), body_part("html", composed.html)]
    boundary = mime_boundary(parts)
    head = [
        f'Content-Type: multipart/alternative; boundary="{boundary}"{CRLF}',
        f"MIME-Version: 1.0{CRLF}",
        header("Subject", composed.subject),
        header("From", sender(settings.DEFAULT_FROM_EMAIL)),
        header("To", address(to)),
        header("Date", formatdate(localtime=settings.EMAIL_USE_LOCALTIME)),
        *(header(name, value) for name, value in composed.headers.items()),
    ]
    body = "".join(f"{CRLF}--{boundary}{CRLF}{part}" for part in parts)
    return f"{''.join(head)}{body}{CRLF}--{boundary}--{CRLF}".encode()


# --- one SMTP transaction, in two halves ------------------------------------------------


def start(smtp: smtplib.SMTP, envelope_from: str, envelope_to: str, data: bytes) -> None:
    """MAIL, RCPT and DATA for one recipient, and the data written; ``finish`` reads the answer.

    This is what ``smtplib.SMTP.sendmail`` does (the same SIZE option, the same RSET or
    close after a refusal, the same exception classes, so channels.email classifies both
    alike); it only stops before the last reply. Until ``finish`` has read that reply the
    message is in the server's hands but not accepted: the row keeps its send marker.
    """
    smtp.ehlo_or_helo_if_needed()
    # smtp.mail() and smtp.rcpt() are exactly putcmd + getreply, with the address quoted.
    size = f" size={len(data)}" if smtp.does_esmtp and smtp.has_extn("size") else ""
    smtp.putcmd("mail", f"FROM:{envelope(envelope_from)}{size}")
    code, reply = smtp.getreply()
    if code != 250:
        _abandon(smtp, code)
        raise smtplib.SMTPSenderRefused(code, reply, envelope_from)
    smtp.putcmd("rcpt", f"TO:{envelope(envelope_to)}")
    code, reply = smtp.getreply()
    if code not in (250, 251):
        _abandon(smtp, code)
        raise smtplib.SMTPRecipientsRefused({envelope_to: (code, reply)})
    smtp.putcmd("data")
    code, reply = smtp.getreply()
    if code != 354:
        raise smtplib.SMTPDataError(code, reply)
    # RFC 5321 §4.5.2: a line starting with a dot gets a second one; the data ends CRLF.CRLF.
    stuffed = _LEADING_DOT.sub(b"..", data)
    smtp.send(stuffed + (b".\r\n" if stuffed.endswith(b"\r\n") else b"\r\n.\r\n"))


def finish(smtp: smtplib.SMTP) -> None:
    """The server's answer to the data ``start`` wrote: accepted, or the error sendmail raises."""
    code, reply = smtp.getreply()
    if code != 250:
        _abandon(smtp, code)
        raise smtplib.SMTPDataError(code, reply)


def _abandon(smtp: smtplib.SMTP, code: int) -> None:
    """After a refusal, as sendmail: 421 means the server is closing; anything else, RSET."""
    if code == 421:
        smtp.close()
        return
    try:
        smtp.rset()
    except smtplib.SMTPServerDisconnected:
        pass  # the next command says so, as in smtplib
