#!/usr/bin/env python3
"""sysgen: turn a system description into everything the build needs from it.

    sysgen.py --board boards/<board>/board.h --description examples/<name>/system.py \\
              --name <name> --out DIR [--set key=value ...]

The description is a Python file with `describe(board, settings)` returning a System (see
system.py, serial.py, vmm.py); `settings` holds the --set pairs as strings (a build may say
`SET="clients=3"`). Written to DIR, each only when its text changes:
  <name>.system        the Microkit-style system file for mksystem
  <pd>_config.c        each PD's typed configuration, compiled into that PD's program
  <vm>-gicv2.dts       each guest's device tree (and -gicv3.dts on a board with a GICv3)
  system.mk            the PDs, the program each runs, and their guests' roles, for make
An impossible description is an error naming what is wrong, and nothing is written.
"""

import argparse
import importlib.util
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from dts import guest_dts  # noqa: E402
from system import Board, DescriptionError  # noqa: E402


def load_description(path):
    spec = importlib.util.spec_from_file_location("description", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    if not hasattr(module, "describe"):
        raise DescriptionError(f"{path} has no describe(board, settings)")
    return module


def outputs(system, name):
    system.finalise()
    files = {f"{name}.system": system.system_xml(), "system.mk": system.make_fragment(name)}
    for pd in system.pds:
        if pd.configs:
            files[f"{pd.name}_config.c"] = system.config_c(pd)
    for guest in system.guests:
        for version in system.gic_versions():
            files[f"{guest.vm.name}-gicv{version}.dts"] = guest_dts(guest, version)
    return files


def write_if_changed(path, text):
    try:
        with open(path, encoding="utf-8") as f:
            if f.read() == text:
                return
    except FileNotFoundError:
        pass
    with open(path + ".tmp", "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(path + ".tmp", path)


def main():
    ap = argparse.ArgumentParser(description="Generate a system's .system file, PD configurations and device trees.")
    ap.add_argument("--board", required=True, help="boards/<board>/board.h")
    ap.add_argument("--description", required=True, help="the description (a system.py)")
    ap.add_argument("--name", required=True, help="the system's name (the .system file's and make's prefix)")
    ap.add_argument("--out", required=True, help="output directory")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="a setting for the description")
    args = ap.parse_args()
    settings = {}
    for item in args.set:
        for pair in item.split():
            key, sep, value = pair.partition("=")
            if not sep or not key:
                print(f"sysgen: --set {pair!r}: expected KEY=VALUE", file=sys.stderr)
                return 1
            settings[key] = value
    try:
        module = load_description(args.description)
        system = module.describe(Board(args.board), settings)
        unknown = set(settings) - set(getattr(module, "SETTINGS", ()))
        if unknown:
            raise DescriptionError(f"unknown setting(s) {', '.join(sorted(unknown))}; this description takes: "
                                   f"{', '.join(getattr(module, 'SETTINGS', ())) or 'none'}")
        files = outputs(system, args.name)
    except (DescriptionError, ValueError) as e:
        print(f"sysgen: {args.description}: {e}", file=sys.stderr)
        return 1
    os.makedirs(args.out, exist_ok=True)
    for filename, text in files.items():
        write_if_changed(os.path.join(args.out, filename), text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
