"""The national sitting's load generator must behave as the page it plays: a browser's
EventSource waits as long as a stream is quiet, so Locust's read timeout must outlast the
server's keepalive. (Session 10 raised the keepalive to 55 s and left the harness at 40 s:
every quiet stream then 'dropped', and the 10,000-candidate run measured the harness.)"""

from __future__ import annotations

import ast
from pathlib import Path

from app.config import Settings
from app.sittings.events import KEEPALIVE_SECONDS

LOCUSTFILE = Path(__file__).resolve().parents[2] / "bench" / "national" / "locustfile.py"


def _class_constant(path: Path, cls: str, name: str) -> float:
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ClassDef) and node.name == cls:
            for item in node.body:
                targets = item.targets if isinstance(item, ast.Assign) else []
                if any(isinstance(t, ast.Name) and t.id == name for t in targets):
                    assert isinstance(item, ast.Assign)
                    return float(ast.literal_eval(item.value))
    raise AssertionError(f"{cls}.{name} not found in {path}")


def test_a_quiet_stream_outlasts_no_read_timeout_of_the_harness() -> None:
    timeout = _class_constant(LOCUSTFILE, "Candidate", "network_timeout")
    resync = Settings.model_fields["page_resync_seconds"].default
    assert timeout > KEEPALIVE_SECONDS + 5
    assert timeout > resync + 5


def test_the_check_finds_the_constant() -> None:
    assert _class_constant(LOCUSTFILE, "Candidate", "connection_timeout") == 30.0


def _env_default(path: Path, name: str) -> float:
    """A module constant's default, `NAME = float(os.environ.get("...", "<default>"))`."""
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == name for t in node.targets
        ):
            call = node.value
            assert isinstance(call, ast.Call) and isinstance(call.args[0], ast.Call)
            return float(ast.literal_eval(call.args[0].args[1]))
    raise AssertionError(f"{name} not found in {path}")


def test_arrivals_are_spread_over_each_of_locusts_batches() -> None:
    """Locust starts floor(rate) users at once, then waits floor(rate) / rate s (at most 1 s):
    each candidate's own wait before signing in must cover that, or the arrivals are a burst
    each second, and the run measures the harness's queue (session 12: sign-in p50 87 ms
    inside the server against 9.8 ms spread)."""
    spread = _env_default(LOCUSTFILE, "ARRIVAL_SPREAD")
    rates = [1.0, 1.5, 16.67, 55.6, 99.9]
    assert all(spread >= int(rate) / rate for rate in rates)
