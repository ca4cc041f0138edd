"""The national sitting's load generator must behave as the page it plays: a browser's
EventSource waits as long as a stream is quiet, so Locust's read timeout must outlast the
server's keepalive. (Session 10 raised the keepalive to 55 s and left the harness at 40 s:
every quiet stream then 'dropped', and the 10,000-candidate run measured the harness.)"""

from __future__ import annotations

import ast
import importlib.util
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import NullPool, create_engine, text
from sqlalchemy.engine import make_url

from app.config import Settings
from app.sittings.events import KEEPALIVE_SECONDS
from tests.conftest import POSTGRES_URL, postgres_database

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


# --- a run that cannot run must not end another one -------------------------------------
# (Session 13: a second run started while the first was still ending dropped the first's
# database WITH (FORCE), its HAProxy shared the first's port through SO_REUSEPORT, and the
# first's Locust, never stopped, went on sending a dead run's candidates to it.)

BENCH = LOCUSTFILE.parents[1]


def _bench_module(path: Path, name: str) -> Any:
    if str(BENCH) not in sys.path:
        sys.path.insert(0, str(BENCH))
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_a_run_refuses_a_port_in_use() -> None:
    common = _bench_module(BENCH / "_common.py", "bench_common")
    with socket.socket() as listening:
        listening.bind(("127.0.0.1", 0))
        listening.listen()
        port = listening.getsockname()[1]
        with pytest.raises(SystemExit, match=f"port\\(s\\) {port} in use"):
            common.refuse_busy_ports([port])
    common.refuse_busy_ports([port])  # free again: no complaint


def test_a_run_refuses_a_database_that_another_is_using() -> None:
    common = _bench_module(BENCH / "_common.py", "bench_common")
    with postgres_database("bench_busy") as url:
        name = make_url(url).database
        other = create_engine(url, poolclass=NullPool)
        with other.connect() as conn:
            with pytest.raises(SystemExit, match="another benchmark is running on it"):
                common.fresh_postgres(POSTGRES_URL, name)
            assert conn.scalar(text("SELECT 1")) == 1  # the other run's connection lives on
        other.dispose()
        assert common.fresh_postgres(POSTGRES_URL, name) == url  # nobody on it: made afresh


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state not in ("Z", "X")  # a zombie has ended; only its parent's wait is missing


def test_the_load_generator_and_its_children_end_with_the_run() -> None:
    run = _bench_module(BENCH / "national" / "run.py", "bench_national_run")
    parent = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import subprocess, sys, time\n"
            "child = subprocess.Popen(['sleep', '60'])\n"
            "print(child.pid, flush=True)\n"
            "time.sleep(60)\n",
        ],
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    assert parent.stdout is not None
    child = int(parent.stdout.readline())
    assert _alive(child)
    run.stop_group(parent)
    assert parent.returncode is not None
    deadline = time.monotonic() + 5
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(child)
    run.stop_group(parent)  # ended already: nothing to do, no error


def test_every_roster_line_goes_to_one_candidate_across_locust_processes(tmp_path: Path) -> None:
    """Several processes claiming at once take each line exactly once, none skipped (slicing
    the roster by process left one of 10,000 candidates unstarted, sessions 12 and 13)."""
    counter = tmp_path / "claims"
    script = (
        f"import sys; sys.path.insert(0, {str(BENCH / 'national')!r})\n"
        "from claims import claim\n"
        f"print(*[claim({str(counter)!r}) for _ in range(300)])\n"
    )
    processes = [
        subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
        for _ in range(3)
    ]
    taken = [int(n) for p in processes for n in p.communicate(timeout=60)[0].split()]
    assert all(p.returncode == 0 for p in processes)
    assert sorted(taken) == list(range(900))


def test_locusts_workers_build_their_default_options_once() -> None:
    """Locust's worker filters its master's options through default_args_dict() once per
    option on every spawn message: the whole argument parser built ~90 times a second through
    the arrivals, 79 % of a worker's CPU (session 21). The locustfile builds it once; the
    defaults it answers are Locust's own. In a process of its own: Locust patches the process
    it is imported into with gevent."""
    script = (
        "import importlib.util, inspect, sys\n"
        "from locust import argument_parser as ap, runners\n"
        "# the worker looks the function up on the module at each call, so it gets the patch\n"
        "source = inspect.getsource(runners.WorkerRunner.handle_message)\n"
        "assert 'argument_parser.default_args_dict()' in source\n"
        "built = []\n"
        "setup = ap.setup_parser_arguments\n"
        "ap.setup_parser_arguments = lambda parser: (built.append(1), setup(parser))[1]\n"
        "expected = ap.default_args_dict()\n"
        f"sys.path.insert(0, {str(BENCH / 'national')!r})\n"
        f"spec = importlib.util.spec_from_file_location('locustfile', {str(LOCUSTFILE)!r})\n"
        "module = importlib.util.module_from_spec(spec)\n"
        "spec.loader.exec_module(module)\n"
        "built.clear()\n"
        "options = dict.fromkeys(expected, None) | {'roster_offset': 0}\n"
        "for _ in range(3):  # three spawn messages, as runners.WorkerRunner filters them\n"
        "    custom = {k: v for k, v in options.items() if k not in ap.default_args_dict()}\n"
        "assert custom == {'roster_offset': 0}, custom\n"
        "assert ap.default_args_dict() == expected\n"
        "print(len(built), len(options))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    built, options = (int(n) for n in done.stdout.split())
    assert options > 50  # the comprehension asks once per option...
    assert built == 1  # ...and the parser is built once, not once per option and message
