"""1,000 files through a stand-in that injects a mix of faults on about 20% of data requests.

Run with ``-s`` to see the figures the README's reliability section quotes.
"""

from __future__ import annotations

import hashlib
import json
import time

from .conftest import Runner

FILES = 1000
MIX = [  # (kind, options, probability of hitting a matching request; None: the first ones)
    ("status", {"status": 503, "route": "data.PUT"}, 0.10),
    ("reset", {"after_bytes": 3000, "route": "data.PUT"}, 0.06),
    ("endpoint_error", {"route": "data.PUT"}, 0.05),
    ("truncate", {"after_bytes": 100, "route": "data.PUT"}, 0.03),
    ("status", {"status": 500, "route": "data.PUT"}, 0.02),
    ("status", {"status": 429, "retry_after": 1, "route": "data.PUT"}, 0.01),
    ("status", {"status": 502, "route": "data.HEAD"}, 0.12),
    # Transfer's own bad moments: the SDK retries them, the pacer slows down for the 429s.
    # Counted, not drawn: the run makes ten listings and a dozen mkdirs, so each is certain
    # to be hit (drawn, all of them missed about one run in twenty)
    ("status", {"status": 503, "route": "transfer.ls", "times": 2}, None),
    ("status", {"status": 429, "retry_after": 1, "route": "transfer.mkdir", "times": 2}, None),
]


def test_thousand_files_under_faults_arrive_identical(run: Runner) -> None:
    expected = {}
    for n in range(FILES):
        data = hashlib.sha256(str(n).encode()).digest() * (64 + n % 200)
        run.write(f"s/{n // 100}/f{n}.bin", data)
        expected[f"/stress/{n // 100}/f{n}.bin"] = hashlib.sha256(data).hexdigest()
    # the stand-in's draws start from the same seed whichever tests ran before this one
    # (threads still decide which request meets which draw)
    run.standin.random.seed(FILES)
    for kind, options, probability in MIX:
        run.standin.add_fault(kind, probability=probability, **options)  # type: ignore[arg-type]
    started = time.monotonic()
    result = run(
        "--concurrency",
        "8",
        "--retries",
        "8",
        "--retry-backoff",
        "0.05",
        "-q",
        "--manifest",
        "m.json",
        "s",
        "/stress/",
        run.collection_id,
        timeout=600,
    )
    seconds = time.monotonic() - started
    assert result.returncode == 0, result.output[-3000:]
    stored = {
        path.replace("/stress/s/", "/stress/"): hashlib.sha256(data).hexdigest()
        for path, data in run.tree().items()
    }
    assert stored == expected  # every file, byte-identical, nothing else (no temp names)
    manifest = json.loads((run.workspace / "m.json").read_text())
    assert manifest["uploaded"] == FILES and manifest["failed"] == 0
    assert {f["sha256"] for f in manifest["files"]} == set(expected.values())
    puts = run.standin.counts["data.PUT"]
    heads = run.standin.counts["data.HEAD"]
    faults = sum(f.hits for f in run.standin.faults if f.route.startswith("data."))
    transfer_faults = sum(f.hits for f in run.standin.faults if f.route.startswith("transfer."))
    assert transfer_faults == 4
    put_faults = sum(f.hits for f in run.standin.faults if f.route == "data.PUT")
    assert faults > 0.15 * (puts + heads)  # the mix really hit
    resets = sum(f.hits for f in run.standin.faults if f.kind == "reset")
    # every folder was made (ten leaf folders and their two parents); PUTs refused because
    # their folder did not exist yet: a few per folder at most (none where the first PUT met
    # an injected 404 or 500, which also has the folder made)
    assert run.standin.counts["transfer.mkdir"] >= 12
    refused = run.standin.counts["refused.folder"]
    assert refused <= 8 * 12  # eight workers
    # at most one extra PUT per injected fault (a reset after the whole body needs none)
    assert FILES + put_faults - resets + refused <= puts <= FILES + faults + refused
    print(
        f"\nstress: {FILES} files, {puts} PUTs, {heads} HEADs, {faults} injected faults "
        f"({faults / (puts + heads):.0%} of data requests) and {transfer_faults} on Transfer, "
        f"{run.standin.counts['auth.token']} token requests, "
        f"{run.standin.counts['transfer.mkdir']} mkdir, "
        f"{run.standin.counts['transfer.ls']} ls, {refused} PUTs refused for a missing folder, "
        f"{run.standin.counts['transfer.rename']} renames, all stored byte-identical "
        f"in {seconds:.1f}s"
    )
