"""A 14:00 reminder round for a province, and the outbox delivering SMS (issue 7).

50,000 enterprises seeded (those active today are expected: a few have closed), none reported
yet, each with its own reporter (a phone number), one SMS gateway on 127.0.0.1 answering at once. Measured in one process, in the same run:
- the round (`run_reminders` at 14:00: the claim, the missing list, 50,000 inbox rows and
  50,000 SMS outbox rows, each dispatcher's progress line) beside its bare minimum, the count
  of enterprises that have not reported;
- delivering 2,000 of those SMS through `deliver_one` (claim, quiet/rate checks, HTTP, outcome)
  beside 2,000 bare HTTP posts of the same bodies to the same gateway.
"""

from __future__ import annotations

import argparse
import time

from bench.stack import bench_env, manage, seeded_database

ENTERPRISES = 50_000
DELIVERED = 2_000

SCRIPT = """
import datetime, json, threading, time, urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from zoneinfo import ZoneInfo
from django.db import connection
from fugong.accounts.models import Membership, User
from fugong.core.access import Role
from fugong.dispatch.models import Plan
from fugong.enterprises.models import Enterprise
from fugong.notify.delivery import deliver_one
from fugong.notify.models import Channel, Delivery, Notification
from fugong.dispatch.plans.reminders import not_reported, run_reminders

class Gateway(BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(200); self.send_header("Content-Length", "2"); self.end_headers(); self.wfile.write(b"{}")
    def log_message(self, *args): pass
server = ThreadingHTTPServer(("127.0.0.1", 0), Gateway)
threading.Thread(target=server.serve_forever, daemon=True).start()
url = f"http://127.0.0.1:{server.server_address[1]}/sms"

from django.utils import timezone
day = timezone.localdate()  # the demo's enterprises are active around today
at_1400 = datetime.datetime.combine(day, datetime.time(14), tzinfo=ZoneInfo("Asia/Shanghai"))
Plan.objects.update(active=False)  # the demo's own plans: only this round is measured
plan = Plan.objects.create(title="基准：全省日调度", owner_region_id="220000", start_date=day, selector={},
                           report_on_rest_days=True)  # (so that the bench runs on any day of the week)
ids = list(Enterprise.objects.order_by("pk").values_list("pk", flat=True))
users = User.objects.bulk_create(
    [User(username=f"clerk{i}", password="!", phone=f"139{i:08d}") for i in range(len(ids))], batch_size=2000)
Membership.objects.bulk_create(
    [Membership(user=u, role=Role.REPORTER, enterprise_id=e) for u, e in zip(users, ids)], batch_size=2000)
Channel.objects.create(kind="sms", name="短信网关", url=url, per_minute=30000)
connection.cursor().execute("ANALYZE")

started = time.perf_counter(); missing = not_reported(plan, day, at_1400).count(); base = time.perf_counter() - started
started = time.perf_counter(); run_reminders(at_1400); round_s = time.perf_counter() - started
print("round", missing, base, round_s, Notification.objects.count(), Delivery.objects.count())

bodies = list(Delivery.objects.order_by("id").values_list("address", "body")[:DELIVERED])
started = time.perf_counter()
for phone, text in bodies:
    request = urllib.request.Request(url, data=json.dumps({"phone": phone, "text": text}).encode(),
                                     headers={"Content-Type": "application/json"}, method="POST")
    urllib.request.urlopen(request, timeout=5).read()
bare = time.perf_counter() - started
first = list(Delivery.objects.order_by("id").values_list("id", flat=True)[:DELIVERED])
Delivery.objects.update(next_attempt_at=at_1400 + datetime.timedelta(days=1))  # the rest wait
Delivery.objects.filter(id__in=first).update(next_attempt_at=at_1400)
started = time.perf_counter()
while deliver_one(at_1400 + datetime.timedelta(minutes=1)):
    pass
outbox = time.perf_counter() - started
print("deliver", DELIVERED, bare, outbox, Delivery.objects.filter(status="sent").count())
""".replace("DELIVERED", str(DELIVERED))


def main(args: argparse.Namespace) -> None:
    print(f"reminder round and SMS outbox benchmark ({ENTERPRISES:,} enterprises, PostgreSQL)", flush=True)
    started = time.monotonic()
    env = bench_env()
    with seeded_database(env, ENTERPRISES, days=0):
        print(f"  setup {time.monotonic() - started:.0f} s", flush=True)
        lines = dict(line.split(" ", 1) for line in manage(env, "shell", "-v0", "-c", SCRIPT).splitlines())
    missing, base, round_s, inbox, outbox_rows = lines["round"].split()
    print(
        f"  14:00 round: {float(round_s):.2f} s for {int(missing):,} unreported enterprises "
        f"({inbox} inbox rows, {outbox_rows} SMS queued; {1000 * float(round_s) / int(missing):.2f} ms each); "
        f"their bare count {1000 * float(base):.0f} ms → {float(round_s) / float(base):.0f}×"
    )
    count, bare, outbox, sent = lines["deliver"].split()
    print(
        f"  outbox: {count} SMS in {float(outbox):.2f} s ({1000 * float(outbox) / int(count):.2f} ms each, "
        f"{sent} sent); bare HTTP posts {float(bare):.2f} s → {float(outbox) / float(bare):.1f}×"
    )
