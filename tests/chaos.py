"""``make test-chaos``: random SIGKILLs and a 4-process mix against one home, then invariants.

Not part of ``make test`` (it takes about two minutes). Two phases, each a fixed number of rounds:

1. *kill loop*: a worker runs a random mix (host edits, a student's change queued and approved,
   an agent's ``nextPage`` that is gated by its effect, rollbacks, keyed retries, a mod install and
   uninstall) and is SIGKILL-ed after a random delay;
2. *concurrency mix*: four workers run the mix at once, with shared idempotency keys.

After every round: ``audit --verify`` passes (chain, anchors, state == journal replay, tx tables),
no transaction is left mid-apply, no staging folder is left behind, and the next command works.
After phase 2: every shared idempotency key executed exactly once.

    python -m tests.chaos [--kills N] [--mixes N] [--seed S]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

WORKER = r"""
import json, os, random, sys
from pathlib import Path
from modgate.app import open_runtime
from modgate.ext.installer import Installer

home, seed, steps, pkg = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
rng = random.Random(seed)
rt = open_runtime(home)
executed_keys = []
for step in range(steps):
    kind = rng.choice(["host", "host", "student", "agent", "rollback", "keyed", "keyed", "install"])
    if kind == "host":
        cmd = rng.choice([("addPage", None), ("setTool", {"tool": rng.choice(["pen", "eraser"])}),
                          ("insertBlock", {"block": {"id": f"b{seed}-{step}", "segments": []}})])
        out = rt.bus.dispatch(cmd[0], cmd[1])
        assert out["ok"] or out["code"] in ("command-execution-failed",), out
    elif kind == "student":
        out = rt.bus.dispatch("addPage", role="student")
        if out.get("approvalId"):
            done = rt.bus.approve(out["approvalId"])
            assert done["ok"] or done["code"] in ("tx-stale-base", "approval-not-pending", "tx-state-conflict"), done
    elif kind == "agent":
        out = rt.bus.dispatch("nextPage", role="agent")
        assert out["ok"] or out["code"] in ("approval-required", "rate-limited", "approval-quota-exceeded"), out
    elif kind == "rollback":
        applied = [t["txId"] for t in rt.tx.list_tx(state="APPLIED") if t["kind"] == "command"]
        if applied:
            try:
                rt.tx.rollback(rng.choice(applied))
            except Exception as exc:
                assert getattr(exc, "code", "") in ("tx-rollback-conflict", "tx-state-conflict", "tx-not-applied"), exc
    elif kind == "keyed":
        key = f"shared-{rng.randrange(12)}"
        out = rt.bus.dispatch("addPage", role="host", idempotency_key=key)
        assert out["ok"], out
        if not out.get("deduped"):
            executed_keys.append(key)
    elif kind == "install" and pkg:
        inst = Installer(rt.tx, Path(home))
        try:
            inst.install(pkg, host="codexchat", consent=lambda review: True)
            inst.uninstall("acme.sample")
        except Exception as exc:
            assert getattr(exc, "code", "").startswith(("install.", "mod.", "tx-")), exc
print(json.dumps(executed_keys))
"""

CHECK = r"""
import json, os, sys
from pathlib import Path
from modgate.ext.installer import Installer
from modgate.app import open_runtime
from modgate.store import audit
home, pkg = sys.argv[1], sys.argv[2]
rt = open_runtime(home)
check = audit.verify(rt.db)
stuck = [t["txId"] for t in rt.tx.list_tx() if t["state"] in ("APPLYING", "ROLLBACK_PENDING", "RECOVERY_PENDING")]
after = rt.bus.dispatch("setTool", {"tool": "pen"})
# The next mod command recovers a killed install's file moves under the install lock.
inst = Installer(rt.tx, Path(home))
if any(m["modId"] == "acme.sample" for m in inst.list()):  # the killed worker got that far
    inst.uninstall("acme.sample")
installed = inst.install(pkg, host="codexchat", consent=lambda review: True)
inst.uninstall("acme.sample")
pending = rt.db.query("SELECT COUNT(*) FROM ext_pending")[0][0]
orphans = [p.name for p in (Path(home) / "mods").iterdir()] if (Path(home) / "mods").exists() else []
print(json.dumps({"verify": check, "stuck": stuck, "next": after["ok"] and installed["ok"], "extPending": pending,
                  "orphans": orphans, "verifyAfter": audit.verify(rt.db)}))
"""


def _env(tmpdir: Path) -> dict[str, str]:
    return {**os.environ, "TMPDIR": str(tmpdir), "MODGATE_LIMITS": '{"agent": {"perMinute": 100000}}'}


def _package(base: Path) -> Path:
    from tests.ext_helpers import sample_files, write_package

    return write_package(base / "pkg", sample_files())


def _check(home: Path, tmpdir: Path, label: str, pkg: Path) -> dict[str, object]:
    done = subprocess.run([sys.executable, "-c", CHECK, str(home), str(pkg)], capture_output=True, text=True,
                          timeout=120, env=_env(tmpdir), check=False)
    assert done.returncode == 0, f"{label}: the check failed: {done.stderr[-2000:]}"
    result: dict[str, object] = json.loads(done.stdout)
    verify = result["verify"]
    assert isinstance(verify, dict) and verify["ok"], f"{label}: audit --verify: {verify}"
    assert int(verify["unanchoredTail"]) <= 8, f"{label}: anchors lag by {verify['unanchoredTail']} events"
    assert not result["stuck"], f"{label}: left mid-apply: {result['stuck']}"
    assert result["next"], f"{label}: the next command failed"
    assert result["extPending"] == 0 and not result["orphans"], f"{label}: install leftovers: {result}"
    assert isinstance(result["verifyAfter"], dict) and result["verifyAfter"]["ok"], f"{label}: {result}"
    leftovers = [p.name for p in tmpdir.iterdir() if p.name.startswith("modgate-mod-")]
    # A killed install leaves its staging folder until the next installer starts (it is cleaned
    # then, once it is a minute old); the check itself does not start one, so allow those only.
    assert all(_is_killed_leftover(tmpdir / n) for n in leftovers), f"{label}: staging leftovers {leftovers}"
    return result


def _is_killed_leftover(path: Path) -> bool:
    import fcntl

    fd = os.open(path, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # nobody holds it: its process is gone
        return True
    except BlockingIOError:
        return False
    finally:
        os.close(fd)


def kill_loop(base: Path, rounds: int, rng: random.Random, pkg: Path) -> None:
    home, tmpdir = base / "kill-home", base / "kill-tmp"
    tmpdir.mkdir()
    for n in range(rounds):
        proc = subprocess.Popen([sys.executable, "-c", WORKER, str(home), str(rng.randrange(10**6)), "400",
                                 str(pkg)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=_env(tmpdir))
        time.sleep(rng.uniform(0.4, 1.6))  # imports take ~0.3 s: kill somewhere inside the mix
        proc.send_signal(signal.SIGKILL)
        _, err = proc.communicate(timeout=60)
        assert proc.returncode in (-signal.SIGKILL, 0), f"kill round {n}: the worker failed: {err.decode()[-2000:]}"
        _check(home, tmpdir, f"kill round {n}", pkg)


def concurrency_mix(base: Path, rounds: int, rng: random.Random, pkg: Path) -> None:
    for n in range(rounds):
        home, tmpdir = base / f"mix-home-{n}", base / f"mix-tmp-{n}"
        tmpdir.mkdir()
        subprocess.run([sys.executable, "-c", "import sys; from modgate.app import open_runtime;"
                        " open_runtime(sys.argv[1]).close()", str(home)], check=True, env=_env(tmpdir), timeout=60)
        procs = [subprocess.Popen([sys.executable, "-c", WORKER, str(home), str(rng.randrange(10**6)), "25",
                                   str(pkg) if i == 0 else ""], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  env=_env(tmpdir)) for i in range(4)]
        executed: list[str] = []
        for proc in procs:
            out, err = proc.communicate(timeout=300)
            assert proc.returncode == 0, f"mix round {n}: a worker failed: {err.decode()[-3000:]}"
            executed += json.loads(out)
        assert len(executed) == len(set(executed)), f"mix round {n}: a key executed twice: {sorted(executed)}"
        _check(home, tmpdir, f"mix round {n}", pkg)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kills", type=int, default=40, help="rounds of the SIGKILL loop")
    parser.add_argument("--mixes", type=int, default=6, help="rounds of the 4-process mix")
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="modgate-chaos-") as tmp:
        base = Path(tmp)
        pkg = _package(base)
        kill_loop(base, args.kills, rng, pkg)
        concurrency_mix(base, args.mixes, rng, pkg)
    print(f"chaos: {args.kills} kill rounds and {args.mixes} 4-process rounds passed in"
          f" {time.monotonic() - started:.0f} s (seed {args.seed})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
