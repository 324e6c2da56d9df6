#!/usr/bin/env python3
"""Run Tessera's libFuzzer harnesses one after another and say what each did (`make fuzz`).

Each harness gets a fresh working corpus under --work (a copy of tests/fuzz/corpus/<name> and
tests/fuzz/regressions/<name>; the repository is never written), its dictionary if it has one
(tests/fuzz/dict/<name>.dict), and --seconds of fuzzing in libFuzzer's fork mode with one job at a
time, which goes on after a finding instead of stopping at the first. Findings (crash, timeout,
leak and out-of-memory files) are kept in <work>/<name>/findings; each is replayed once so that the
summary can group them by what broke (the harness's "fuzz invariant broken" line or the
sanitizer's report). The last lines are a table: executions and findings per harness.

Exit status: 0 if no harness found anything, 1 otherwise.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import time

FINDING_PREFIXES = ("crash-", "timeout-", "leak-", "oom-", "slow-unit-")
MAX_REPLAYED = 40  # findings replayed per harness to read what broke


def fresh_corpus(tests, name, work):
    corpus = os.path.join(work, "corpus")
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(corpus)
    os.makedirs(os.path.join(work, "findings"))
    for source in ("corpus", "regressions"):
        directory = os.path.join(tests, source, name)
        if not os.path.isdir(directory):
            continue
        for entry in sorted(os.listdir(directory)):
            path = os.path.join(directory, entry)
            if os.path.isfile(path) and not entry.startswith("."):
                shutil.copy(path, os.path.join(corpus, f"{source}-{entry}"))
    return corpus


def executions(output):
    """Fork mode reports a running total on its status lines ("#123456: cov: ..."); a plain run
    ends with libFuzzer's final statistics."""
    stat = re.findall(r"stat::number_of_executed_units:\s*(\d+)", output)
    if stat:
        return int(stat[-1])
    totals = re.findall(r"^#(\d+)[:\s]", output, re.M)
    return int(totals[-1]) if totals else 0


def what_broke(binary, finding):
    """One line saying what a finding breaks, from replaying it."""
    try:
        proc = subprocess.run([binary, "-runs=1", finding], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True, errors="replace", timeout=60)
        output = proc.stdout
    except subprocess.TimeoutExpired:
        return "hangs (replay timed out after 60 s)"
    for pattern in (r"fuzz invariant broken at [^\n]*", r"ERROR: AddressSanitizer: [^\n]*",
                    r"ERROR: LeakSanitizer: [^\n]*", r"runtime error: [^\n]*", r"kpanic: [^\n]*",
                    r"ERROR: libFuzzer: [^\n]*", r"SUMMARY: [^\n]*"):
        m = re.search(pattern, output)
        if m:
            # Addresses and pids differ between runs of one defect: leave them out of the key.
            return re.sub(r"0x[0-9a-f]{6,}|==\d+==", "", m.group(0)).strip()
    if os.path.basename(finding).startswith("timeout-"):
        return "timeout (no report on replay: slow rather than stuck)"
    return "no report on replay (exit %d)" % proc.returncode


def run_harness(binary, seconds, work_root, tests):
    name = os.path.basename(binary)
    name = name[len("fuzz_"):] if name.startswith("fuzz_") else name
    work = os.path.join(work_root, name)
    corpus = fresh_corpus(tests, name, work)
    findings = os.path.join(work, "findings") + os.sep
    command = [binary, "-fork=1", "-ignore_crashes=1", "-ignore_timeouts=1", "-ignore_ooms=1",
               f"-max_total_time={seconds}", "-timeout=10", "-rss_limit_mb=2048", "-print_final_stats=1",
               f"-artifact_prefix={findings}", corpus]
    dictionary = os.path.join(tests, "dict", f"{name}.dict")
    if os.path.exists(dictionary):
        command.insert(1, f"-dict={dictionary}")
    print(f"fuzz {name}: {seconds} s ...", flush=True)
    started = time.monotonic()
    with open(os.path.join(work, "fuzz.log"), "w") as log:
        # fork mode leaves its jobs' logs in the working directory: the harness's own
        proc = subprocess.run(command, cwd=work, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              errors="replace")
        log.write(proc.stdout)
    elapsed = time.monotonic() - started
    found = sorted(f for f in os.listdir(findings) if f.startswith(FINDING_PREFIXES))
    kinds = {}
    for f in found[:MAX_REPLAYED]:
        message = what_broke(binary, os.path.join(findings, f))
        # One defect gives messages that differ in their numbers only: grouped as one.
        kinds.setdefault(re.sub(r"\d+", "N", re.sub(r"0x[0-9a-fA-F]+", "0xN", message)), (message, []))[1].append(f)
    result = {"name": name, "executions": executions(proc.stdout), "seconds": elapsed, "findings": len(found),
              "kinds": kinds, "corpus": len(os.listdir(corpus)), "findings_dir": findings}
    print(f"fuzz {name}: {result['executions']} executions in {elapsed:.0f} s, corpus {result['corpus']} inputs, "
          f"{len(found)} finding(s)", flush=True)
    for _, (message, files) in sorted(kinds.items()):
        print(f"    {len(files)} x {message}\n        e.g. {os.path.join(findings, files[0])}")
    if len(found) > MAX_REPLAYED:
        print(f"    ({len(found) - MAX_REPLAYED} more not replayed)")
    return result


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=int, default=60)
    ap.add_argument("--work", required=True)
    ap.add_argument("--tests", required=True, help="tests/fuzz: corpus/, regressions/, dict/")
    ap.add_argument("binaries", nargs="+")
    args = ap.parse_args()
    results = [run_harness(os.path.abspath(b), args.seconds, os.path.abspath(args.work), args.tests)
               for b in args.binaries]
    print("\nharness          executions   exec/s  findings  distinct")
    for r in results:
        rate = r["executions"] / r["seconds"] if r["seconds"] > 0 else 0
        print(f"{r['name']:<16} {r['executions']:>10} {rate:>8.0f} {r['findings']:>9} {len(r['kinds']):>9}")
    total = sum(r["findings"] for r in results)
    print(f"{len(results)} harnesses, {sum(r['executions'] for r in results)} executions, {total} finding(s)")
    return 1 if total else 0


if __name__ == "__main__":
    sys.exit(main())
