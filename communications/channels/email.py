"""Send one Message row as email through Django's email backends.

``EmailService`` composes the message (channels.email_compose) and hands it to
the configured backend: SMTP from the environment in production; console,
locmem or filebased in the demo and tests.

SMTP answers are classified once, here, by phase and code:
- opening the connection fails: nothing went out, so it is transient (bad
  credentials or an unsupported STARTTLS are configuration: pause the channel);
- 4xx (or an enhanced 4.x.x) is transient;
- 5xx for the recipient with an address-level code (5.1.x unknown user or
  domain, 5.2.1 disabled mailbox) is a hard bounce: permanent, and the address is
  marked undeliverable (communications.bounces);
- any other 5xx is a permanent refusal of this message (policy, content, size);
- a timeout or a dropped connection after the transaction started may have
  delivered the mail: ambiguous, never resent blindly.
"""

import logging
import queue
import re
import smtplib
import threading

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.smtp import EmailBackend as SmtpBackend

from ..models import Reason
from . import email_wire
from .email_compose import ComposedEmail, compose
from .errors import AmbiguousError, ChannelError, ConfigurationError, PermanentError, TransientError
from .receipt import Receipt

log = logging.getLogger(__name__)

_ENHANCED = re.compile(r"\b([245])\.(\d{1,3})\.(\d{1,3})\b")
_ADDRESS = re.compile(r"<?[^\s<>@]+@[^\s<>@]+>?")
# Enhanced status codes (RFC 3463) that say the address itself is bad.
HARD_BOUNCE_CODES = {"5.1.1", "5.1.2", "5.1.3", "5.1.6", "5.1.10", "5.2.1"}
# Without an enhanced code, these basic codes usually mean "no such mailbox" ...
_HARD_BASIC = {550, 551, 553}
# ... unless the text says it is about policy or reputation rather than the address.
_POLICY_WORDS = ("spam", "policy", "blocked", "blacklist", "blocklist", "reputation", "rate", "content")


class BouncedError(PermanentError):
    """The receiving server said the address does not exist: a hard bounce."""

    reason = Reason.EMAIL_UNDELIVERABLE
    bounce = "hard"


def _text(raw) -> str:
    return raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw or "")


def redact(text: str) -> str:
    """SMTP replies often echo the address; stored details never carry one."""
    return _ADDRESS.sub("<…>", " ".join(text.split()))[:200]


def classify_refusal(code: int, raw="") -> ChannelError:
    """Turn an SMTP reply code and text into the error class the send task acts on."""
    text = _text(raw)
    match = _ENHANCED.search(text)
    enhanced = ".".join(match.groups()) if match else ""
    detail = f"{code} {enhanced} {redact(text)}".replace("  ", " ").strip()
    if 400 <= code < 500 or enhanced.startswith("4."):
        return TransientError(f"SMTP {code} {enhanced}".strip(), detail=detail)
    if enhanced:
        hard = enhanced in HARD_BOUNCE_CODES
    else:
        hard = code in _HARD_BASIC and not any(word in text.lower() for word in _POLICY_WORDS)
    if hard:
        return BouncedError(f"SMTP {code} {enhanced}".strip(), detail=detail)
    return PermanentError(f"SMTP {code} {enhanced}".strip(), reason=Reason.PROVIDER_REJECTED, detail=detail)


def classify_open_error(exc: Exception) -> ChannelError:
    """Errors while connecting, greeting, STARTTLS or logging in: nothing was sent."""
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return ConfigurationError("SMTP authentication failed", detail=str(exc.smtp_code))
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return ConfigurationError("SMTP server lacks a required extension (STARTTLS?)")
    if isinstance(exc, smtplib.SMTPResponseException):
        return TransientError(f"SMTP {exc.smtp_code} while connecting", detail=redact(_text(exc.smtp_error)))
    return TransientError(f"cannot connect: {type(exc).__name__}")


def classify_send_error(exc: Exception) -> ChannelError:
    """Errors during MAIL FROM / RCPT TO / DATA."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        # One recipient per message, so one answer.
        code, raw = next(iter(exc.recipients.values()), (550, b""))
        return classify_refusal(code, raw)
    if isinstance(exc, smtplib.SMTPSenderRefused):
        if 400 <= exc.smtp_code < 500:
            return TransientError(f"SMTP {exc.smtp_code} for the sender")
        # Our From address is refused for every message: a setup problem, not this client's.
        return ConfigurationError(f"SMTP {exc.smtp_code}: sender refused", detail=redact(_text(exc.smtp_error)))
    if isinstance(exc, smtplib.SMTPResponseException):
        return classify_refusal(exc.smtp_code, exc.smtp_error)
    if isinstance(exc, (TimeoutError, smtplib.SMTPServerDisconnected)):
        return AmbiguousError(f"SMTP {type(exc).__name__} during the transaction")
    if isinstance(exc, smtplib.SMTPException | OSError):
        return TransientError(type(exc).__name__)
    raise exc


class OutgoingEmail(EmailMultiAlternatives):
    """Django's email, with its MIME boundaries chosen up front (see ``email_wire.mime_boundary``)."""

    def message(self):
        msg = super().message()
        if msg.is_multipart():
            leaves = [str(p.get_payload()) for p in msg.walk() if not p.is_multipart()]
            for part in msg.walk():
                if part.is_multipart():
                    part.set_boundary(email_wire.mime_boundary(leaves))
        return msg


def as_django_email(message, composed: ComposedEmail) -> EmailMultiAlternatives:
    """The composed message as Django's object, for backends that read its fields."""
    email = OutgoingEmail(
        subject=composed.subject,
        body=composed.text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[message.destination],
        headers=composed.headers,
    )
    email.attach_alternative(composed.html, "text/html")
    return email


def fast_session(connection):
    """The open smtplib session of Django's own SMTP backend, or None for any other backend.

    Django's SMTP backend gets the bytes written by channels.email_wire, straight on its
    session (what its ``send_messages`` would do after building them the slow way). Any
    other backend, a subclass included (it may change how it sends), gets Django's object.
    """
    if type(connection) is SmtpBackend:
        return connection.connection
    return None


def transmit(connection, message, composed: ComposedEmail) -> None:
    """Hand one composed email to an open backend; SMTP and socket errors propagate as raised."""
    session = fast_session(connection)
    if session is not None:
        begin(session, message, composed)
        email_wire.finish(session)
        return
    if not connection.send_messages([as_django_email(message, composed)]):
        raise AmbiguousError("the email backend reported nothing sent")


def begin(session, message, composed: ComposedEmail) -> None:
    """One message's SMTP transaction up to its data written (email_wire.start)."""
    envelope_from = email_wire.sender(settings.DEFAULT_FROM_EMAIL)
    envelope_to = email_wire.address(message.destination)
    email_wire.start(session, envelope_from, envelope_to, email_wire.as_bytes(composed, message.destination))


def receipt(composed: ComposedEmail) -> Receipt:
    return Receipt(provider="email", body=composed.text, message_id=composed.message_id[:100])


class EmailService:
    """Builds HTML + text email from a rendered Message and sends it through Django's backend."""

    def __init__(self, connection=None):
        self.connection = connection

    def send(self, message, subject: str, body: str) -> Receipt:
        composed = compose(message, subject, body)
        try:
            connection = self.connection or get_connection(fail_silently=False)
        except (ImportError, ValueError) as exc:  # a bad EMAIL_BACKEND path, or both TLS and SSL on
            raise ConfigurationError(f"email backend misconfigured: {type(exc).__name__}") from exc
        try:
            connection.open()
        except (smtplib.SMTPException, OSError) as exc:
            raise classify_open_error(exc) from exc
        try:
            transmit(connection, message, composed)
        except (smtplib.SMTPException, OSError) as exc:
            raise classify_send_error(exc) from exc
        finally:
            self._close(connection)
        return receipt(composed)

    @staticmethod
    def _close(connection) -> None:
        try:
            connection.close()
        except (smtplib.SMTPException, OSError) as exc:
            # The message is already accepted (or already failed); a messy QUIT changes nothing.
            log.warning("closing the email connection failed: %s", type(exc).__name__)


class EmailBatch:
    """One SMTP connection for a batch of messages, each its own transaction and outcome.

        with EmailBatch() as smtp:
            for ...:
                outcomes += smtp.send(message, composed)
            outcomes += smtp.flush()

    On Django's SMTP backend the server's answer to a message's data is read only when
    the next message is handed over (or at ``flush``): the server checks and stores one
    message while the next is written. So ``send`` returns the outcomes it learnt (the
    previous message's, and this one's when it failed at once or the backend answers at
    once), each a ``Receipt`` or a ``ChannelError``; a message whose answer is still unread is not yet accepted, and its
    row keeps its send marker until ``flush``. After an error that may have broken the
    session (disconnect, timeout, a 421), the next message opens a new one.
    """

    def __init__(self):
        self.connection = None
        self.unanswered = None  # (message, composed) whose data the server has, answer unread

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        # Unread answers are left unread (flush() was not reached): those rows keep their
        # marker and are settled as "unknown", never resent.
        if self.connection is not None:
            EmailService._close(self.connection)
            self.connection = None

    def _open(self):
        try:
            connection = get_connection(fail_silently=False)
        except (ImportError, ValueError) as exc:
            raise ConfigurationError(f"email backend misconfigured: {type(exc).__name__}") from exc
        try:
            connection.open()
        except (smtplib.SMTPException, OSError) as exc:
            raise classify_open_error(exc) from exc
        self.connection = connection

    def send(self, message, composed: ComposedEmail) -> list[tuple]:
        """Send one composed message; return the ``(message, Receipt | ChannelError)`` outcomes now known."""
        outcomes = self.flush()
        try:
            if self.connection is None:
                self._open()
            session = fast_session(self.connection)
            if session is None:
                transmit(self.connection, message, composed)
                outcomes.append((message, receipt(composed)))
            else:
                begin(session, message, composed)
                self.unanswered = (message, composed)
        except ChannelError as exc:  # it could not open (nothing went out), or the backend sent nothing
            outcomes.append((message, exc))
        except (smtplib.SMTPException, OSError) as exc:
            outcomes.append((message, self._failed(exc)))
        return outcomes

    def flush(self) -> list[tuple]:
        """Read the answer still owed for the last message sent, if any."""
        if self.unanswered is None:
            return []
        message, composed = self.unanswered
        self.unanswered = None
        try:
            email_wire.finish(fast_session(self.connection))
        except (smtplib.SMTPException, OSError) as exc:
            return [(message, self._failed(exc))]
        return [(message, receipt(composed))]

    def _failed(self, exc: Exception) -> ChannelError:
        error = classify_send_error(exc)
        # A refusal leaves the session usable (smtplib resets it), unless the server is
        # closing it (421); anything else (a timeout, a dropped connection) may have broken it.
        refusal = isinstance(exc, smtplib.SMTPResponseException | smtplib.SMTPRecipientsRefused)
        closing = getattr(exc, "smtp_code", None) == 421
        session = fast_session(self.connection)
        if not refusal or closing or (session is not None and session.sock is None):
            EmailService._close(self.connection)
            self.connection = None
        return error


# An outcome of EmailPipeline: the message was never written to the server (the channel was
# found misconfigured, or the sending thread had crashed, before its turn): hold it, unsent.
NOT_SENT = object()
_END = object()


class EmailPipeline:
    """An EmailBatch on a thread of its own, so a batch composes while the server answers.

        with EmailPipeline() as smtp:
            smtp.submit(message, composed)             # in order, each already marked
            ...
            outcomes, crash = smtp.results(messages)   # theirs, in the order submitted

    Each SMTP command waits for its reply (MAIL, RCPT, DATA, the data's answer: four round
    trips an email; PIPELINING is not assumed). On one thread the batch waited through all
    of them; here that thread only writes and reads the session, and the waits release the
    interpreter for the batch's own thread, which composes the next emails and writes the
    last chunk's outcomes meanwhile. The session, and with it "one SMTP connection per
    batch", belongs to the sending thread alone; it never touches the database.

    After a ConfigurationError the thread sends nothing more: every message still to come
    gets ``NOT_SENT`` (never written to the server, so it is held, not "unknown"). A crash on
    the thread (anything but a ChannelError) ends it the same way and is handed to the
    batch by ``results``, which raises it once the outcomes known before it are recorded:
    the message it happened on, and those after it, keep their marks and become "unknown",
    as after any crash mid-batch.
    """

    def __init__(self):
        self.batch = EmailBatch()
        # Unbounded: the batch waits for one chunk's outcomes before it marks the chunk after
        # the next, so no more than two chunks are ever queued (batch_delivery.send_email).
        self.inbox: queue.Queue = queue.Queue()
        self.outbox: queue.Queue = queue.Queue()
        self.halted = threading.Event()
        self.thread = threading.Thread(target=self._run, name="email-batch-sender", daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, exc_type, *exc):
        if exc_type is not None:
            self.halted.set()  # the batch failed: send nothing more of what it submitted
        self.inbox.put(_END)
        self.thread.join()

    def submit(self, message, composed: ComposedEmail) -> None:
        self.inbox.put((message, composed))

    def results(self, messages) -> tuple[list[tuple], BaseException | None]:
        """The outcomes of these messages (the next ones submitted), each ``Receipt``,
        ``ChannelError`` or ``NOT_SENT``, waiting for them; and the sending thread's crash,
        if it crashed before all of them were known (the caller records what is known, then
        raises it)."""
        outcomes = []
        for expected in messages:
            message, outcome = self.outbox.get()
            if message is None:
                return outcomes, outcome
            if message is not expected:
                raise RuntimeError("email outcomes out of order")  # never: one thread, one queue
            outcomes.append((message, outcome))
        return outcomes, None

    def _emit(self, outcomes) -> None:
        for message, outcome in outcomes:
            if isinstance(outcome, ConfigurationError):
                self.halted.set()
            self.outbox.put((message, outcome))

    def _run(self) -> None:
        with self.batch:
            while True:
                try:
                    item = self.inbox.get_nowait()
                except queue.Empty:
                    # Nothing composed yet: read the answer still owed before waiting for more.
                    self._guarded(self.batch.flush)
                    item = self.inbox.get()
                if item is _END:
                    self._guarded(self.batch.flush)
                    return
                message, composed = item
                if self.halted.is_set():
                    self.outbox.put((message, NOT_SENT))
                    continue
                self._guarded(self.batch.send, message, composed)

    def _guarded(self, step, *args) -> None:
        try:
            self._emit(step(*args))
        except BaseException as exc:  # noqa: BLE001 - handed to the batch's thread, which raises it
            self.halted.set()
            self.outbox.put((None, exc))


def send(message, subject: str, body: str) -> Receipt:
    """The entry point communications.delivery calls."""
    return EmailService().send(message, subject, body)
