#!/usr/bin/env python3
"""Run Tessera's tests and print one closing line: `N passed, N failed`.

Host unit tests are cmocka binaries run with TAP output; system tests are pytest files that boot
examples under QEMU. A binary that crashes or prints no TAP plan counts as one failure, so a
broken test can never look like a pass.
"""
import argparse
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET


def run_unit(binary):
    if not os.access(binary, os.X_OK):
        print(f"unit {os.path.basename(binary)}: not built ({binary})")
        return 0, 1
    env = dict(os.environ, CMOCKA_MESSAGE_OUTPUT="TAP")
    proc = subprocess.run([binary], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, errors="replace", timeout=600)
    out = proc.stdout
    passed = len(re.findall(r"^ok \d+", out, re.M))
    failed = len(re.findall(r"^not ok \d+", out, re.M))
    planned = re.search(r"^1\.\.(\d+)", out, re.M)
    name = os.path.basename(binary)
    if planned is None or passed + failed != int(planned.group(1)) or (proc.returncode != 0 and failed == 0):
        print(f"unit {name}: exited {proc.returncode} without a complete TAP report:\n{out[-3000:]}")
        return passed, failed + 1
    status = "ok" if failed == 0 else "FAILED"
    print(f"unit {name}: {passed} passed, {failed} failed [{status}]")
    if failed:
        print("\n".join(l for l in out.splitlines() if l.startswith("not ok") or l.startswith("#")))
    return passed, failed


def run_system(test_dir, build_dir, extra):
    junit = os.path.join(build_dir, "pytest-report.xml")
    if os.path.exists(junit):
        os.remove(junit)
    env = dict(os.environ, TESSERA_BUILD_DIR=build_dir)
    cmd = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-rfE", "-v",
           f"--junitxml={junit}", test_dir] + extra
    proc = subprocess.run(cmd, env=env)
    if not os.path.exists(junit):
        print(f"system tests: pytest exited {proc.returncode} without a report")
        return 0, 1
    root = ET.parse(junit).getroot()
    passed = failed = 0
    for case in root.iter("testcase"):
        if case.find("skipped") is not None:
            continue
        if case.find("failure") is not None or case.find("error") is not None:
            failed += 1
        else:
            passed += 1
    return passed, failed


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build-dir", required=True)
    ap.add_argument("--unit", nargs="*", default=[])
    ap.add_argument("--system")
    ap.add_argument("--pytest-args", default="")
    args = ap.parse_args()
    total_pass = total_fail = 0
    for binary in args.unit:
        p, f = run_unit(binary)
        total_pass += p
        total_fail += f
    if args.system:
        extra = args.pytest_args.split() + os.environ.get("PYTEST_ARGS", "").split()
        p, f = run_system(args.system, args.build_dir, extra)
        total_pass += p
        total_fail += f
    print(f"{total_pass} passed, {total_fail} failed")
    return 0 if total_fail == 0 and total_pass > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
