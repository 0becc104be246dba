"""The live progress of `harness run`: shown on a terminal (scenario, step, done/total), absent otherwise."""

from __future__ import annotations

import io

from harness.scenario.progress import for_stream


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_terminal_gets_a_live_display_of_scenario_step_and_count() -> None:
    out = Tty()
    live = for_stream(out, 2)
    assert live is not None
    with live:
        step = live.scenario("token_expiry")
        step("step 3/3: wait_until")
        live._progress.refresh()
        shown = out.getvalue()
        live.finished(True)
        live.scenario("wrong_secret")
        live._progress.refresh()
    assert "token_expiry" in shown and "step 3/3: wait_until" in shown and "0/2" in shown
    assert "wrong_secret" in out.getvalue() and "1/2" in out.getvalue()


def test_no_display_off_a_terminal() -> None:
    out = io.StringIO()
    assert for_stream(out, 3) is None
    assert out.getvalue() == ""


def test_log_lines_print_above_the_bar_and_the_handler_is_restored() -> None:
    import logging

    out = Tty()
    handler = logging.StreamHandler(out)
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        live = for_stream(out, 1)
        assert live is not None
        with live:
            assert handler.stream is not out  # rich's proxy: the line goes above the live display
            logging.getLogger("harness.test").warning("job error: backing off")
        assert handler.stream is out
        assert "job error: backing off" in out.getvalue()
    finally:
        root.removeHandler(handler)
