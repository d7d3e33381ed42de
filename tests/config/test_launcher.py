"""The launcher's supervision: bounded restarts with a doubling back-off."""

from __future__ import annotations

import sys
import time

from config.launcher import Supervised, Supervisor


def test_a_process_that_keeps_dying_stops_the_stack_after_bounded_restarts() -> None:
    dying = Supervised("worker", [sys.executable, "-c", "raise SystemExit(3)"])
    supervisor = Supervisor([dying], max_restarts=3, window=60, backoff_base=0.1, backoff_max=0.3)
    supervisor.start()
    delays: list[float] = []
    deadline = time.monotonic() + 30
    while supervisor.check():
        assert time.monotonic() < deadline
        if dying.restart_at is not None and len(delays) < len(dying.exits):
            delays.append(dying.restart_at - dying.exits[-1])
        time.sleep(0.02)
    assert len(dying.exits) == 4  # three restarts, then the fourth exit gives up
    assert [round(delay, 2) for delay in delays] == [0.1, 0.2, 0.3]  # doubling, capped
    assert dying.proc is not None and dying.proc.returncode == 3
