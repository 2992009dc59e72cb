"""The deploy examples stay in step with the command line."""

from __future__ import annotations

import configparser
import shlex

from helpers import ROOT
from warehouse.cli import parser
from warehouse.refresh import EXIT_LOCKED

DEPLOY = ROOT / "deploy"


def _parse(command: str):
    argv = shlex.split(command)
    assert argv[0].endswith("/xxgk")
    return parser().parse_args(argv[1:])  # argparse exits on anything it does not know


def _unit(name: str) -> configparser.ConfigParser:
    cp = configparser.ConfigParser(strict=False, interpolation=None)
    cp.optionxform = str
    cp.read(DEPLOY / name)
    return cp


def test_systemd_units():
    service = _unit("xxgk-refresh.service")
    args = _parse(service["Service"]["ExecStart"])
    assert args.command == "refresh" and args.quiet and args.log_file
    assert service["Service"]["Type"] == "oneshot"
    assert service["Service"]["SuccessExitStatus"] == str(EXIT_LOCKED)
    post = _parse(service["Service"]["ExecStartPost"])
    assert post.command == "check" and post.strict
    timer = _unit("xxgk-refresh.timer")
    assert timer["Timer"]["OnCalendar"] and timer["Install"]["WantedBy"] == "timers.target"


def test_cron_example():
    jobs = [
        line
        for line in (DEPLOY / "cron.example").read_text().splitlines()
        if line.strip() and not line.startswith("#") and "=" not in line.split()[0]
    ]
    assert len(jobs) == 2
    fields = jobs[0].split(None, 5)
    assert len(fields) == 6
    assert fields[5].endswith("> /dev/null")  # --quiet still prints the summary; cron mails only stderr
    args = _parse(fields[5].split(">")[0])
    assert args.command == "refresh" and args.quiet and args.log_file and args.home
    check = _parse(jobs[1].split(None, 5)[5].split(">")[0])
    assert check.command == "check" and check.strict
