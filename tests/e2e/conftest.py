"""End-to-end fixtures: the local Globus stand-in over TLS and the installed programs.

Every program run goes through :func:`Runner.__call__` or :func:`Runner.start`; after each test
its output, and every file it wrote (manifest, CI output files, summary), is scanned for the
client secret and every token the stand-in issued, so no test can leak one unnoticed.
"""

from __future__ import annotations

import contextlib
import fnmatch
import os
import shutil
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from globusput.testing import Collection, StandIn

REPO = Path(__file__).resolve().parents[2]
#: The tree's own program, installed beside this interpreter: never another on PATH.
GLOBUSPUT = shutil.which("globusput", path=os.path.dirname(sys.executable)) or ""


@pytest.fixture(scope="session")
def standin_server() -> Iterator[StandIn]:
    with StandIn(seed=1234) as server:
        yield server


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


@dataclass
class Runner:
    """Runs globusput (or entrypoint.py) as a CI system would, against the stand-in."""

    standin: StandIn
    collection: Collection
    client_id: str
    client_secret: str
    workspace: Path
    outputs: list[str] = field(default_factory=list)
    #: files that runs wrote, by contents
    wrote: list[tuple[Path, bytes]] = field(default_factory=list)
    #: the test's files when a run started that is not waited for here (see ``watch``)
    before_runs: list[dict[Path, tuple[int, int]]] = field(default_factory=list)

    @property
    def collection_id(self) -> str:
        return self.collection.id

    def env(self, **extra: str) -> dict[str, str]:
        base = {
            "PATH": os.environ["PATH"],
            "HOME": str(self.workspace.parent / "home"),
            "LANG": "C.UTF-8",
            **self.standin.environment(),
            "GLOBUS_CLIENT_ID": self.client_id,
            "GLOBUS_CLIENT_SECRET": self.client_secret,
        }
        base.update(extra)
        return {k: v for k, v in base.items() if v is not None}

    def __call__(
        self,
        *args: str,
        entrypoint: bool = False,
        env: dict[str, str] | None = None,
        cwd: Path | None = None,
        timeout: float = 120,
        drop: tuple[str, ...] = (),
    ) -> Result:
        command = [sys.executable, str(REPO / "entrypoint.py")] if entrypoint else [GLOBUSPUT]
        full_env = self.env(**(env or {}))
        for name in drop:
            full_env.pop(name, None)
        before = self.files()
        proc = subprocess.run(
            [*command, *args],
            cwd=cwd or self.workspace,
            env=full_env,
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )
        self.outputs.append(proc.stdout + proc.stderr)
        self.wrote.extend(self.changed_since(before))
        return Result(proc.returncode, proc.stdout, proc.stderr)

    def files(self) -> dict[Path, tuple[int, int]]:
        """Every regular file of the test (workspace, CI output files...) by modification time
        and size; a person's token store is where tokens belong, so it is left out."""
        root = self.workspace.parent
        store = root / "home" / ".globus"
        found = {}
        for folder, _, names in os.walk(root):
            if Path(folder).is_relative_to(store):
                continue
            for name in names:
                path = Path(folder, name)
                info = path.lstat()
                if stat.S_ISREG(info.st_mode):
                    found[path] = (info.st_mtime_ns, info.st_size)
        return found

    def changed_since(self, before: dict[Path, tuple[int, int]]) -> Iterator[tuple[Path, bytes]]:
        for path, seen in self.files().items():
            if before.get(path) != seen:
                with contextlib.suppress(OSError):  # a test may have made it unreadable
                    yield path, path.read_bytes()

    def watch(self) -> None:
        """A run is starting that the test waits for itself: what changes from now until the
        test ends is scanned as that run's."""
        self.before_runs.append(self.files())

    def start(self, *args: str) -> subprocess.Popen[str]:
        """Start globusput without waiting, to signal it or watch the collection meanwhile."""
        self.watch()
        return subprocess.Popen(
            [GLOBUSPUT, *args],
            cwd=self.workspace,
            env=self.env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def wait_for(self, route: str, path: str = "*", seconds: float = 20) -> None:
        """Until the stand-in has had a request on ``route`` for a path matching ``path``
        (a run started with :meth:`start` is then under way)."""
        end = time.monotonic() + seconds
        while not any(
            e["route"] == route and fnmatch.fnmatchcase(e.get("path", ""), path)
            for e in list(self.standin.log)
        ):
            assert time.monotonic() < end, f"no {route} request for {path} within {seconds} s"
            time.sleep(0.05)

    def sent_nothing(self) -> bool:
        """Nothing reached Transfer or the collection: at most the client-credentials grant
        that an upload with a plain client asks for while its settings load
        (globusput/early.py), which a run refused meanwhile never uses."""
        asked = list(self.standin.log)
        early = [
            e for e in asked if e["route"] == "auth.token" and e["grant"] == "client_credentials"
        ]
        return len(early) <= 1 and len(asked) == len(early)

    def stored(self, path: str) -> bytes:
        """What the collection holds at a collection path."""
        return self.collection.fs_path(path).read_bytes()

    def remote_folder(self, path: str) -> None:
        """Make a folder on the collection, as an earlier upload or a person would have."""
        self.collection.fs_path(path).mkdir(parents=True, exist_ok=True)

    def tree(self) -> dict[str, bytes]:
        return self.collection.tree()

    def write(self, relative: str, data: bytes | str = b"x") -> Path:
        path = self.workspace / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data.encode() if isinstance(data, str) else data)
        return path


@pytest.fixture
def run(standin_server: StandIn, tmp_path: Path) -> Iterator[Runner]:
    standin_server.reset()
    client_id, secret = standin_server.add_client()
    collection = standin_server.add_collection(grant=[client_id])
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    runner = Runner(standin_server, collection, client_id, secret, workspace)
    yield runner
    secrets = [secret, *standin_server.issued]  # revoked and expired tokens too
    for output in runner.outputs:
        # GitHub consumes ::add-mask:: lines; they are the one place a secret may appear
        output = "\n".join(x for x in output.splitlines() if not x.startswith("::add-mask::"))
        for value in secrets:
            assert value not in output, "a secret or token appeared in the program's output"
    for before in runner.before_runs:
        runner.wrote.extend(runner.changed_since(before))
    for path, data in runner.wrote:
        for value in secrets:
            assert value.encode() not in data, f"a secret or token was written to {path}"
    collection.server.shutdown()  # type: ignore[union-attr]
    collection.server.server_close()  # type: ignore[union-attr]
    del standin_server.collections[collection.id]


@pytest.fixture(scope="session", autouse=True)
def code_under_test_is_the_tree() -> None:
    """The programs the subprocesses run must be this tree's code (an editable install beside
    this interpreter), or an edit would be tested against a stale or foreign copy."""
    assert GLOBUSPUT, (
        f"no globusput beside {sys.executable}: pip install -e '.[test]' into this environment"
    )
    assert tree_program(GLOBUSPUT, REPO), (
        f"{GLOBUSPUT} does not run this tree's code: pip install -e '.[test]'"
    )


def tree_program(program: str, tree: Path) -> bool:
    """Whether ``program`` (a console script) imports globusput from ``tree``'s own sources
    (not from a copy installed into a virtual environment that happens to live in the tree)."""
    with open(program, encoding="utf-8", errors="replace") as stream:
        interpreter = stream.readline().removeprefix("#!").strip()
    proc = subprocess.run(
        [interpreter, "-c", "import globusput; print(globusput.__file__)"],
        cwd="/",
        capture_output=True,
        text=True,
        timeout=60,
    )
    return Path(proc.stdout.strip()).resolve() == (tree / "globusput" / "__init__.py").resolve()
