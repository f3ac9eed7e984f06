"""The benchmark's SMTP server: an aiosmtpd sink in a process of its own, counting per recipient.

A real SMTP server is another process. In the benchmark's own process the sink's event
loop would share one interpreter lock with whatever else runs there (django-post-office's
sending threads, the row poll), so either path's figure would partly measure that
contention instead of the path itself.
"""

import multiprocessing
from collections import Counter


class CountingSink:
    """aiosmtpd handler: accepted messages per recipient address."""

    def __init__(self):
        self.received: Counter = Counter()

    async def handle_DATA(self, server, session, envelope):
        self.received.update(envelope.rcpt_tos)
        return "250 OK"


def _serve(port: int, control) -> None:
    import logging

    from aiosmtpd.controller import Controller

    logging.getLogger("mail.log").setLevel(logging.WARNING)
    sink = CountingSink()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    control.send("ready")
    try:
        while True:
            command = control.recv()
            if command == "counts":
                control.send(dict(sink.received))
            elif command == "clear":
                sink.received.clear()
                control.send("ok")
            else:
                break
    finally:
        controller.stop()


class SinkProcess:
    """Start with ``SinkProcess(port)``; ``counts()`` and ``clear()`` ask it; ``stop()`` ends it."""

    def __init__(self, port: int):
        context = multiprocessing.get_context("spawn")  # this process has threads: never fork it
        self.control, child = context.Pipe()
        self.process = context.Process(target=_serve, args=(port, child), daemon=True)
        self.process.start()
        if not self.control.poll(60) or self.control.recv() != "ready":
            raise RuntimeError("the SMTP sink did not start")

    def counts(self) -> Counter:
        self.control.send("counts")
        return Counter(self.control.recv())

    def clear(self) -> None:
        self.control.send("clear")
        self.control.recv()

    def stop(self) -> None:
        self.control.send("stop")
        self.process.join(10)
