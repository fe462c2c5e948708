#!/usr/bin/env python3
"""Counts the instructions jobcontrold and the baseline execute per call.

Throughput on the shared 2-core machine moves by +-20% from one minute to the
next, so a change worth 5% cannot be seen in it. Instruction counts can: this
runs each server under valgrind's callgrind (--separate-threads=yes), starts
counting once it serves (callgrind_control -z), drives one RPC at a fixed
concurrency with bench_grpc_loadgen, dumps the counts (callgrind_control -d)
and prints instructions per call, in total and for each thread, named by the
first function of its own that it runs (e.g. the store's writer,
SqliteGroupCommitWriter::WriterLoop). Kernel work (system calls, context
switches) is not counted; valgrind also runs one thread at a time, so groups
of commits are smaller than natively. Compare runs of this script with each
other, not with the throughput figures.

  python3 bench/instructions_per_call.py --bin_dir=build-bench/bin \\
      [--rpc=CancelJob] [--concurrency=16] [--duration=8s] [--smoke]

Every process listens on 127.0.0.1 port 0 and is stopped by its PID. Needs
valgrind (scripts/install-deps installs it). --smoke: a short run that only
checks that both servers were measured and every call counted (ctest).
"""

import argparse
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run_bench  # noqa: E402

# Frames every thread starts with; a thread is named by the first other one.
GENERIC_FRAMES = re.compile(
    r"PROGRAM TOTALS|clone|start_thread|std::thread|_State_impl|\?\?\?:0x|"
    r"\[\?\?\?\]|0x[0-9a-f]+ \[")


def wrap_under_callgrind(bin_dir, wrap_dir, binary, out_dir):
    """A copy of bin_dir whose `binary` runs under callgrind."""
    shutil.copytree(bin_dir, wrap_dir)
    real = os.path.join(wrap_dir, binary + ".real")
    os.rename(os.path.join(wrap_dir, binary), real)
    script = os.path.join(wrap_dir, binary)
    with open(script, "w") as f:
        f.write('#!/bin/sh\nexec valgrind --tool=callgrind --separate-threads=yes'
                ' --callgrind-out-file=%s/callgrind.%%p.out %s "$@"\n'
                % (out_dir, real))
    os.chmod(script, 0o755)


def thread_name(dump):
    """The first non-generic function, by inclusive cost, of a thread."""
    out = subprocess.run(["callgrind_annotate", "--inclusive=yes", dump],
                         capture_output=True, text=True, check=True).stdout
    for line in out.splitlines():
        match = re.match(r"\s*[\d,]+ \([\d.]+%\)\s+(.*)", line)
        if match and not GENERIC_FRAMES.search(match.group(1)):
            name = re.sub(r"^\S*?:", "", match.group(1), count=1)
            return re.sub(r"\s*\[.*\]$", "", name)[:90]
    return "?"


def measure(args, server):
    """Instructions per call of `server` ("ours" or "baseline")."""
    work = tempfile.mkdtemp(dir=args.work_dir)
    out_dir = os.path.join(work, "callgrind")
    os.makedirs(out_dir)
    binary = "jobcontrold" if server == "ours" else "bench_baseline_server"
    wrap = os.path.join(work, "bin")
    wrap_under_callgrind(os.path.abspath(args.bin_dir), wrap, binary, out_dir)
    bench = run_bench.Bench(argparse.Namespace(
        bin_dir=wrap, work_dir=os.path.join(work, "bench"), smoke=args.smoke,
        warmup="0.5s", duration=args.duration, rounds=1))
    ids = None
    if args.rpc in ("CancelJob", "GetJob"):
        ids = os.path.join(work, "ids.txt")
        if server == "ours":  # real queued jobs, each cancelled once
            count = 2000 if args.smoke else 20000
            bench.bulk_load(os.path.join(work, "data"), count, ids, count)
        else:  # the baseline answers any id
            with open(ids, "w") as f:
                f.writelines("baseline-job-%d\n" % i for i in range(1000))
    try:
        extra = {}
        if server == "ours":
            process, target, _, _ = bench.start_daemon(
                os.path.join(work, "data"))
        else:
            process, target = bench.start_baseline()
            if ids is not None:
                extra = {"cycle_ids": "true"}
        subprocess.run(["callgrind_control", "-z", str(process.pid)],
                       check=True, capture_output=True)
        report = bench.grpc_load(target, args.rpc, args.concurrency, ids,
                                 **extra)
        subprocess.run(["callgrind_control", "-d", "measured",
                        str(process.pid)], check=True, capture_output=True)
        if server == "ours":
            bench.stop_daemon(process)
        else:
            bench.stop(process)
    finally:
        bench.kill_all()
    calls = (sum(report["status_counts"].values()) +
             sum(report["unmeasured_status_counts"].values()))
    failed = {code: n for counts in (report["status_counts"],
                                     report["unmeasured_status_counts"])
              for code, n in counts.items() if code != "OK" and n}
    if failed:
        raise RuntimeError("%s: calls failed, nothing to count: %s"
                           % (server, failed))
    threads = []
    for dump in glob.glob(os.path.join(out_dir, "callgrind.*.out.1-*")):
        with open(dump) as f:
            summary = re.search(r"^summary: (\d+)", f.read(), re.M)
        instructions = int(summary.group(1)) if summary else 0
        if instructions > 0:
            threads.append((instructions, thread_name(dump)))
    shutil.rmtree(work, ignore_errors=True)
    if calls == 0 or not threads:
        raise RuntimeError("%s: nothing measured (%d calls, %d threads)"
                           % (server, calls, len(threads)))
    threads.sort(reverse=True)
    return {"calls": calls, "status_counts": report["status_counts"],
            "total": sum(i for i, _ in threads) / calls,
            "threads": [(i / calls, name) for i, name in threads]}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bin_dir", required=True)
    parser.add_argument("--work_dir", default=tempfile.gettempdir())
    parser.add_argument("--rpc", default="CancelJob")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--duration", default="8s")
    parser.add_argument("--smoke", action="store_true")
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        sys.exit("instructions_per_call.py: valgrind is not installed "
                 "(scripts/install-deps)")
    os.makedirs(args.work_dir, exist_ok=True)
    results = {server: measure(args, server) for server in ("ours", "baseline")}
    print("%s at concurrency %d, instructions per call (callgrind):"
          % (args.rpc, args.concurrency))
    for server, result in results.items():
        print("%-8s %10.0f  (%d calls, %s)" % (server, result["total"],
                                               result["calls"],
                                               result["status_counts"]))
        for per_call, name in result["threads"]:
            if per_call >= 0.01 * result["total"]:
                print("  %10.0f  %s" % (per_call, name))
    print("ratio    %10.2f  (baseline / ours)"
          % (results["baseline"]["total"] / results["ours"]["total"]))


if __name__ == "__main__":
    main()
