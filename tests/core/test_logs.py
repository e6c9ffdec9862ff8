"""Log lines: every query-string value redacted, an ISO timestamp on each line, whatever the logger."""

from __future__ import annotations

import datetime as dt
import io
import logging
import re

from core.logs import RedactingFormatter, RoutinePolls, configure, redact

ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00 ")


def _line(logger: str, message: str, *args) -> str:
    record = logging.LogRecord(logger, logging.INFO, __file__, 1, message, args, None)
    return RedactingFormatter().format(record)


def test_access_log_line_redacts_every_query_value_and_keeps_the_keys():
    # uvicorn's access logger formats its arguments into this shape.
    line = _line("uvicorn.access", '%s - "%s %s HTTP/%s" %d', "127.0.0.1:5000", "GET",
                 "/open311/v2/requests.json?api_key=k3y-s3cret&q=1200+N+Main+St", "1.1", 200)
    assert "k3y-s3cret" not in line and "1200" not in line
    assert '"GET /open311/v2/requests.json?api_key=[redacted]&q=[redacted] HTTP/1.1" 200' in line


def test_any_log_line_with_a_url_is_redacted():
    line = _line("httpx", "HTTP Request: GET %s", "https://crm.example.gov/requests.json?api_key=abc&address=12+Elm")
    assert "abc" not in line and "Elm" not in line
    assert "requests.json?api_key=[redacted]&address=[redacted]" in line
    assert redact("/console/tickets?1200+Main") == "/console/tickets?[redacted]"  # a bare value, no key
    assert redact("redis://user:hunter2@cache:6379/0") == "redis://user:***@cache:6379/0"
    assert redact("no query here? no.") == "no query here? no."


def test_tracebacks_are_redacted_too():
    try:
        raise ValueError("could not fetch https://api.example/x?token=abcdef")
    except ValueError:
        record = logging.LogRecord("onecall", logging.ERROR, __file__, 1, "failed", (), __import__("sys").exc_info())
    line = RedactingFormatter().format(record)
    assert "ValueError" in line and "abcdef" not in line and "token=[redacted]" in line


def test_log_lines_carry_a_timestamp():
    line = _line("rq.worker", "job %s done", "x")
    assert ISO.match(line), line
    stamp = dt.datetime.fromisoformat(line.split(" ")[0])
    assert abs((dt.datetime.now(dt.UTC) - stamp).total_seconds()) < 60  # wall-clock time, in UTC


def test_configure_sends_every_logger_through_one_redacting_handler():
    stream = io.StringIO()
    root = logging.getLogger()
    earlier = [h for h in root.handlers if isinstance(h.formatter, RedactingFormatter)]  # run.py called in-process
    for old in earlier:
        root.removeHandler(old)
    handler = configure(stream)
    try:
        assert configure(stream) is handler  # once per process
        logging.getLogger("uvicorn.access").info('%s - "GET %s HTTP/1.1" 200', "127.0.0.1:1", "/x?q=my+address")
        logging.getLogger("onecall.crm").warning("posted %s", "https://crm/r?api_key=zzz")
        lines = stream.getvalue().splitlines()
        assert len(lines) == 2 and all(ISO.match(line) for line in lines)
        assert "/x?q=[redacted]" in lines[0] and "api_key=[redacted]" in lines[1]
        assert "address" not in stream.getvalue() and "zzz" not in stream.getvalue()
    finally:
        root.removeHandler(handler)
        for old in earlier:
            root.addHandler(old)


def test_routine_polling_is_not_logged_at_info_but_its_failures_are():
    import console.pages.simulator  # noqa: F401  (registers the browser phone's timer as routine polling)

    def access(path: str, status: int) -> logging.LogRecord:
        args = ("127.0.0.1:5000", "POST", path, "1.1", status)
        return logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d', args, None)

    polls = RoutinePolls()
    assert not polls.filter(access("/console/simulator/tick", 200))  # once a second: it would bury the outbox lines
    assert polls.filter(access("/console/simulator/tick", 429))  # a refused tick is worth a line
    assert polls.filter(access("/console/simulator/phones/+15550100/call", 200))
    assert polls.filter(access("/voice/incoming", 200))
    other = logging.LogRecord("onecall", logging.INFO, __file__, 1, "posted /console/simulator/tick", (), None)
    assert polls.filter(other)


def test_rq_lines_about_the_every_second_drain_are_left_out_but_not_its_failures():
    import core.write_behind  # noqa: F401  (registers the drain as a quiet job)

    def line(name: str, level: int, message: str) -> logging.LogRecord:
        return logging.LogRecord(name, level, __file__, 1, message, (), None)

    job, other = "964ea7df-50b1-4f8d-9262-676fb1d2c97c", "5a89e0d9-85e5-41a0-aa26-afc06e648370"
    polls = RoutinePolls()
    assert not polls.filter(line("rq.cron", logging.INFO, "Enqueued job drain_job to queue default"))
    assert not polls.filter(line("rq.worker", logging.INFO, f"default: core.write_behind.drain_job() ({job})"))
    assert not polls.filter(line("rq.worker", logging.INFO, f"default: Job OK ({job})"))
    assert not polls.filter(line("rq.worker", logging.INFO, f"job {job} result is kept for 500 seconds"))
    assert polls.filter(line("rq.worker", logging.ERROR, f"default: core.write_behind.drain_job() ({job}) failed"))
    assert polls.filter(line("rq.worker", logging.INFO, f"default: outreach.callback_dispatch.dispatch() ({other})"))
    assert polls.filter(line("rq.worker", logging.INFO, f"default: Job OK ({other})"))
