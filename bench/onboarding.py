"""Onboarding a province's reporters: a 50,000-enterprise registry sheet with 联系人 and 联系电话
imported with `--accounts` beside the plain import of the same sheet (issue 14 §4).

Each import runs in its own process on its own fresh database (regions loaded, nothing else), so
that both start from the same empty registry and the peak memory of each is its own. Goal: the
import with accounts within 2× the plain one. The invitations must be queued, not sent: the run
counts the outbox rows waiting and those already sent (none may be), with an SMS gateway
that never answers (see GATEWAY), so an inline send would fail the import.

One phone in forty reports for two enterprises (a group's clerk), as the registry has them.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

import xlsxwriter

from bench.report_import import timed
from bench.stack import bench_env, manage, recreate_database
from fugong.core.uscc import make_uscc

ENTERPRISES = 50_000
GOAL_RATIO = 2.0
# county-level codes of Jilin the sheet spreads its enterprises over
COUNTIES = ("220102", "220103", "220104", "220105", "220106", "220112", "220202", "220203", "220204", "220281")
HEADER = ["统一社会信用代码", "企业名称", "所属区划", "在册员工", "联系人", "联系电话"]

COUNT = """
from fugong.accounts.models import Membership, User
from fugong.enterprises.models import Enterprise
from fugong.notify.models import Delivery
print(Enterprise.objects.count(), User.objects.exclude(phone="").count(),
      Membership.objects.filter(role="reporter", active=True).count(),
      Delivery.objects.filter(status=Delivery.Status.PENDING).count(),
      Delivery.objects.filter(status=Delivery.Status.SENT).count())
"""


def write_sheet(path: Path, rng: random.Random) -> None:
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = book.add_worksheet("企业名单")
    sheet.write_row(0, 0, ["全省复工复产企业名单"])
    sheet.write_row(1, 0, HEADER)
    used: set[str] = set()
    phone = 13_800_000_000
    for index in range(ENTERPRISES):
        county = COUNTIES[index % len(COUNTIES)]
        code = make_uscc(county, rng)
        while code in used:
            code = make_uscc(county, rng)
        used.add(code)
        if index % 40 != 1:  # every fortieth enterprise shares the previous one's clerk
            phone += rng.randint(1, 97)
        sheet.write_row(
            index + 2,
            0,
            [code, f"吉林基准{index:05d}号制造有限公司", county, rng.randint(5, 900), f"联系人{index:05d}",
             f"{phone // 10**7} {phone // 10**4 % 1000:03d} {phone % 10**4:04d}"],
        )  # fmt: skip
    book.close()


# an SMS gateway nobody answers at: an invitation sent inline would fail the import
GATEWAY = """
from fugong.notify.models import Channel
Channel.objects.create(kind=Channel.Kind.SMS, name="基准短信网关", url="http://127.0.0.1:9/sms")
"""


def fresh(env: dict[str, str]) -> None:
    recreate_database()
    manage(env, "migrate", "--noinput", "-v0")
    manage(env, "load_regions")
    manage(env, "shell", "-v0", "-c", GATEWAY)


def main(args: argparse.Namespace) -> None:
    print(f"onboarding benchmark ({ENTERPRISES:,} enterprises with phones, PostgreSQL)", flush=True)
    started = time.monotonic()
    env = bench_env()
    with tempfile.TemporaryDirectory(prefix="fugong-onboarding-") as tmp:
        path = Path(tmp) / "全省企业名单.xlsx"
        write_sheet(path, random.Random(2020))
        results = {}
        try:
            for label, extra in (("plain", []), ("accounts", ["--accounts"])):
                fresh(env)
                command = [sys.executable, "manage.py", "import_enterprises", str(path), *extra]
                seconds, peak, output = timed(command, env)
                counts = manage(env, "shell", "-v0", "-c", COUNT).split()
                results[label] = (seconds, peak, output.strip().splitlines()[-1:], counts)
        finally:
            recreate_database(drop_only=True)
    (plain_s, plain_mb, plain_out, plain_counts) = results["plain"]
    (acc_s, acc_mb, acc_out, (enterprises, users, memberships, pending, sent)) = results["accounts"]
    ratio = acc_s / plain_s if plain_s else 0.0
    print(f"  setup and sheet: {time.monotonic() - started - plain_s - acc_s:.0f} s")
    print(f"  import_enterprises: {plain_s:.2f} s, peak {plain_mb:.0f} MB — {' '.join(plain_out)}")
    print(f"  import_enterprises --accounts: {acc_s:.2f} s, peak {acc_mb:.0f} MB — {' '.join(acc_out)}")
    print(f"  ratio with accounts ÷ plain: {ratio:.2f}×; goal ≤ {GOAL_RATIO:.0f}×")
    print(
        f"  {enterprises} enterprises, {users} reporter accounts, {memberships} reporter memberships; "
        f"invitations queued {pending}, sent inline {sent}"
    )
    met = (
        ratio <= GOAL_RATIO
        and int(enterprises) == ENTERPRISES == int(plain_counts[0])
        and int(memberships) == ENTERPRISES
        and int(pending) == int(users)
        and int(sent) == 0
    )
    print(f"  goals → {'met' if met else 'not met'}")
