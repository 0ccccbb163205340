"""Measuring a stage: each runs alone in a fresh spawned process that times itself and reads its own RSS
high-water mark, while this (parent) process samples the RSS of its whole process tree, and stops it at the time
or memory limit (the machine is shared)."""

from __future__ import annotations

import cProfile
import gc
import io
import multiprocessing as mp
import pstats
import re
import resource
import time
import traceback
from pathlib import Path

from tools.bench.plan import EXTERNAL, MB, Job
from tools.bench.stages import STAGES

# ---------------------------------------------------------------------------------------------------------------
# Inside a stage's process


def _status(field: str) -> float:
    """A /proc/self/status field (VmHWM, VmRSS) in MiB."""
    text = Path("/proc/self/status").read_text()
    m = re.search(rf"^{field}:\s+(\d+) kB", text, re.M)
    return int(m.group(1)) / 1024 if m else float("nan")


def _reset_peak() -> None:
    """Reset the RSS high-water mark, so that it covers the stage and not the loading of its inputs."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:  # not Linux >= 4.0: the high-water mark then includes loading the inputs
        pass


def _timed(run, profile: bool) -> tuple[object, float, cProfile.Profile | None]:
    prof = cProfile.Profile() if profile else None
    t0 = time.perf_counter()
    if prof:
        prof.enable()
    res = run()
    if prof:
        prof.disable()
    return res, time.perf_counter() - t0, prof


def _child(job: Job, conn) -> None:
    """Run one stage in this (fresh) process and send back what it measured."""
    try:
        run, save = STAGES[job.stage](job)
        gc.collect()
        _reset_peak()
        base = _status("VmRSS")
        conn.send(("start", base))
        res, seconds, prof = _timed(run, bool(job.profile_dir))
        if isinstance(res, dict) and "seconds" in res:  # timed by the program the stage ran
            seconds = res["seconds"]
        peak = _status("VmHWM")
        conn.send(("ran", None))
        kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # kB on Linux
        info = res if isinstance(res, dict) else {}
        info = {**info, **((save(res) if save else None) or {})}
        if prof:
            _write_profile(prof, job)
        measured = {"seconds": seconds, "self_mb": peak, "kids_mb": kids, "base_mb": base}
        conn.send(("done", {**measured, "note": info.get("note", "")}))
    except BaseException as exc:  # noqa: BLE001 - reported to the parent, which carries on
        conn.send(("error", f"{type(exc).__name__}: {exc}".strip()[:600] + "\n" + traceback.format_exc()[-1500:]))
    finally:
        conn.close()


def _write_profile(prof: cProfile.Profile, job: Job) -> None:
    folder = Path(job.profile_dir)
    folder.mkdir(parents=True, exist_ok=True)
    stem = re.sub(r"[^a-z0-9]+", "_", job.stage.lower()).strip("_") + f"_{job.children}"
    prof.dump_stats(folder / f"{stem}.prof")
    buf = io.StringIO()
    pstats.Stats(prof, stream=buf).sort_stats("cumulative").print_stats(40)
    (folder / f"{stem}.txt").write_text(buf.getvalue())


# ---------------------------------------------------------------------------------------------------------------
# The parent: run stages one at a time, watch memory and time


def _tree(pid: int) -> list:
    """The process and all its descendants (empty if it has gone)."""
    import psutil

    try:
        proc = psutil.Process(pid)
        return [proc, *proc.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def _tree_rss(pid: int) -> float:
    import psutil

    total = 0
    for p in _tree(pid):
        try:
            total += p.memory_info().rss
        except psutil.Error:
            pass
    return total / MB


def _kill_tree(pid: int) -> None:
    """Kill the process and its descendants, children first."""
    import psutil

    for p in reversed(_tree(pid)):
        try:
            p.kill()
        except psutil.Error:
            pass


def _watch(proc, recv, timeout: float, max_mb: float) -> dict:
    """Follow a stage's process until it reports, ends or passes a limit: its last message, the tree's sampled
    peak while the stage ran, its RSS before the stage, and why it was stopped (empty if it was not)."""
    w = {"msg": None, "tree_peak": 0.0, "base": 0.0, "stop": ""}
    started, ran, t_start = None, False, time.monotonic()
    while True:
        proc.join(0.1)
        try:
            while recv.poll():
                kind, payload = recv.recv()
                if kind == "start":
                    started, w["base"] = time.monotonic(), payload
                elif kind == "ran":
                    ran = True
                else:
                    w["msg"] = (kind, payload)
        except EOFError:
            pass
        if w["msg"] or not proc.is_alive():
            return w
        rss = _tree_rss(proc.pid)
        if started and not ran:
            w["tree_peak"] = max(w["tree_peak"], rss)
        if rss > max_mb:
            w["stop"] = f"stopped: the process tree used {rss / 1024:.1f} GB, over the {max_mb / 1024:.0f} GB limit"
        elif time.monotonic() - (started or t_start) > timeout:
            w["stop"] = f"stopped: still running after {timeout:.0f} s" + ("" if started else " (loading its inputs)")
        if w["stop"]:
            _kill_tree(proc.pid)
            return w


def run_stage(job: Job, timeout: float, max_mb: float) -> dict:
    """Run one stage in a fresh spawned process; returns seconds, peak_mb (None if it failed) and a note."""
    ctx = mp.get_context("spawn")
    recv, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(job, send))
    proc.start()
    send.close()
    w = _watch(proc, recv, timeout, max_mb)
    proc.join(30)
    if proc.is_alive():
        _kill_tree(proc.pid)
        proc.join()
    tree_peak = w["tree_peak"]
    if w["stop"]:
        return {"seconds": None, "peak_mb": tree_peak or None, "note": w["stop"]}
    if w["msg"] is None:
        code = proc.exitcode
        why = "killed (signal 9: out of memory?)" if code == -9 else f"process ended with code {code}"
        return {"seconds": None, "peak_mb": tree_peak or None, "note": why}
    kind, payload = w["msg"]
    if kind == "error":
        return {"seconds": None, "peak_mb": None, "note": "failed: " + payload.splitlines()[0], "trace": payload}
    # kids_mb: the largest single process this one started and waited for (exact, from getrusage)
    if job.stage in EXTERNAL:  # this process only waited: count the program it ran, not itself
        payload["peak_mb"] = max(payload["kids_mb"], tree_peak - w["base"])
        payload["base_mb"] = None
    else:
        payload["peak_mb"] = max(payload["self_mb"], payload["kids_mb"], tree_peak)
    return payload


def _busy() -> str:
    """A note if other processes are using the CPUs as a stage starts (timings are then inflated)."""
    import psutil

    used = psutil.cpu_percent(interval=0.5)
    return f"machine busy: {used:.0f}% CPU in use by other processes as the stage started" if used > 25 else ""


def measure(job: Job, timeout: float, max_mb: float, repeat: int = 1) -> dict:
    """Run a stage `repeat` times (each in a fresh process); keep the fastest run, and the largest peak of all
    (other processes on a shared machine slow a stage down, they do not speed it up). A failure ends it."""
    runs = []
    for _ in range(max(1, repeat)):
        busy = _busy()
        res = run_stage(job, timeout, max_mb)
        if busy:
            res["note"] = "; ".join(n for n in (res.get("note"), busy) if n)
        if res.get("seconds") is None:
            return res
        runs.append(res)
    best = min(runs, key=lambda r: r["seconds"])
    best["peak_mb"] = max(r["peak_mb"] for r in runs)
    if len(runs) > 1:
        times = ", ".join(f"{r['seconds']:.1f}" for r in runs)
        best["note"] = "; ".join(n for n in (best.get("note"), f"fastest of {len(runs)} runs ({times} s)") if n)
    return best
