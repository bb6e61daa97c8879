"""Live notification delivery: notification_create -> websocket client, over a real server.

Arms
- redis:  N authenticated websocket clients (picows, C framing) on a real uvicorn server
          (`--servers 2`: one process per core as deployed behind nginx, clients spread
          round-robin) with the Redis channel layer;
          notification_create called at 10, 100 and 500 per second from OTHER processes
          (producers); latency = client receive time - time just before notification_create.
- floor:  the in-memory channel layer in ONE process (channels' communicator, no network),
          the same notification_create path: the cost of the service + layer itself.
- broadcast: one notification to each of the N users in one transaction, from a long-lived,
          warmed-up producer process (as a worker or web process would be); time until the
          last client has it. Then the baseline: a loop of notification_create.

Usage: python bench/run.py notifications_ws [--full] [--rates 10,100,500] [--broadcasts N]
                                            [--servers N] [--no-floor]
  default: 200 clients, 3 s per rate, 3 broadcasts; --full: 1,000 clients, 10 s per rate,
  10 broadcasts
  (issue targets: p95 <= 20 ms at 100/s with 0 drops; broadcast to 1,000 users <= 250 ms).
Needs REDIS_URL for the redis/broadcast arms (else only the floor runs). Uses DATABASE_URL
when set (PostgreSQL recommended), otherwise a temporary SQLite file.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import SERVER_PIDS, bench_env, rss_mb, uvicorn_servers  # noqa: E402

SECRET = "bench-notifications-secret-0123456789abcdefghijklmnop"
EMAIL_DOMAIN = "bench-notify.example.com"


def _env(db_url: str, redis_url: str | None, prefix: str) -> dict[str, str]:
    env = bench_env(
        DATABASE_URL=db_url,
        DJANGO_SECRET_KEY=SECRET,
        JWT_SECRET=SECRET,
        CHANNEL_LAYER_PREFIX=prefix,
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        VAPID_PUBLIC_KEY="",
        VAPID_PRIVATE_KEY="",
        CELERY_TASK_ALWAYS_EAGER="1",
    )
    env.pop("REDIS_URL", None)
    if redis_url:
        env["REDIS_URL"] = redis_url
    return env


def _setup_django(env: dict[str, str]) -> None:
    os.environ.update(env)
    if not env.get("REDIS_URL"):
        os.environ.pop("REDIS_URL", None)
    import django

    django.setup()


def _prepare_users(count: int) -> list[tuple[int, str]]:
    """`count` agent users (created once, reused) and an access token for each."""
    from accounts.models import Role, User
    from accounts.tokens import access_token_for
    from notifications.models import Notification

    role = Role.objects.get(name="agent")
    existing = set(
        User.objects.filter(email__endswith=EMAIL_DOMAIN).values_list("email", flat=True)
    )
    missing = [
        f"u{i}@{EMAIL_DOMAIN}" for i in range(count) if f"u{i}@{EMAIL_DOMAIN}" not in existing
    ]
    User.objects.bulk_create(
        [
            User(email=e, first_name="Bench", last_name="User", role=role, password="!")
            for e in missing
        ],
        batch_size=500,
    )
    users = list(
        User.objects.filter(email__in=[f"u{i}@{EMAIL_DOMAIN}" for i in range(count)]).order_by("id")
    )
    # Batch notifications: in-app only by default, so no email work skews the figures.
    Notification.objects.filter(user__in=users).delete()
    return [(u.pk, str(access_token_for(u))) for u in users]


# --- producer (a separate process) ------------------------------------------------------------


def _producer(args: argparse.Namespace) -> int:
    _setup_django(json.loads(os.environ["BENCH_ENV"]))

    from notifications.services import notification_create

    user_ids = [int(x) for x in args.user_ids.split(",")]
    if args.broadcast:
        return _broadcaster(user_ids)
    interval = 1.0 / args.rate
    start = time.perf_counter()
    sent = 0
    while True:
        due = start + sent * interval
        now = time.perf_counter()
        if due - start >= args.seconds:
            break
        if due > now:
            time.sleep(due - now)
        seq = args.offset + sent * args.stride
        uid = user_ids[seq % len(user_ids)]
        notification_create(
            user=uid,
            type="batch",
            title=args.title,
            message="m",
            data={"seq": seq, "t": time.time()},
        )
        sent += 1
    elapsed = time.perf_counter() - start
    print(json.dumps({"sent": sent, "elapsed": elapsed}))
    return 0


def _broadcaster(user_ids: list[int]) -> int:
    """A long-lived producer, like the worker or web process a broadcast comes from: it warms
    up once (database and Redis connections, the code path) with an untimed broadcast, then
    runs one timed broadcast per `<title> <set|loop>` line on stdin, answering each with a
    JSON line. The loop arm is the baseline: one notification_create per user."""
    from django.db import transaction

    from notifications.services import notification_broadcast, notification_create

    notification_broadcast(user_ids=user_ids, type="batch", title="warm-up", message="m")
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        title, mode = line.split()
        t0 = time.time()
        if mode == "loop":
            with transaction.atomic():
                for i, uid in enumerate(user_ids):
                    notification_create(
                        user=uid, type="batch", title=title, message="m",
                        data={"seq": i, "t": t0},
                    )  # fmt: skip
        else:  # set-based notification_broadcast; seq = -1: keyed by user id
            notification_broadcast(
                user_ids=user_ids, type="batch", title=title, message="m",
                data={"seq": -1, "t": t0},
            )  # fmt: skip
        print(json.dumps({"sent": len(user_ids), "t0": t0, "t_done": time.time()}), flush=True)
    return 0


# --- clients ----------------------------------------------------------------------------------


class Clients:
    """N websocket clients in this one process, on picows (frames parsed in C). Real clients
    each have their own machine; here they share the two cores with the servers they measure,
    so the harness must cost far less per frame than the server (the `websockets` client,
    pure-Python framing, took about as much CPU per broadcast as a server process)."""

    def __init__(self, ports: list[int], users: list[tuple[int, str]]) -> None:
        self.ports = ports
        self.users = users
        self.received: dict[int, float] = {}
        self.received_by_port: dict[int, list[float]] = {port: [] for port in ports}
        self.phase = ""  # only frames whose title is the current phase count
        self.last_frame = time.monotonic()
        self.transports: list = []

    def on_text(self, text: str, port: int) -> None:
        now = time.time()
        self.last_frame = time.monotonic()
        if "notification.created" not in text:  # unread_count etc.: not timed
            return
        frame = json.loads(text)
        if frame.get("type") == "notification.created" and frame["data"]["title"] == self.phase:
            data = frame["data"]["data"]
            key = data["seq"] if data["seq"] >= 0 else -frame["data"]["user_id"]
            self.received[key] = (now - data["t"]) * 1000
            self.received_by_port[port].append(self.received[key])

    async def connect(self) -> float:
        from picows import WSListener, WSMsgType, ws_connect

        clients = self

        class Listener(WSListener):
            def __init__(self, port: int) -> None:
                self.port = port
                self.greeted = asyncio.get_running_loop().create_future()

            def on_ws_frame(self, transport, frame) -> None:
                if frame.msg_type == WSMsgType.TEXT:
                    text = frame.get_payload_as_utf8_text()
                    if not self.greeted.done():  # the unread_count sent on connect
                        self.greeted.set_result(text)
                    else:
                        clients.on_text(text, self.port)
                elif frame.msg_type == WSMsgType.CLOSE:
                    transport.disconnect()

        t = time.perf_counter()
        sem = asyncio.Semaphore(50)

        async def one(k: int, token: str):
            port = self.ports[k % len(self.ports)]  # round-robin, as nginx spreads them
            async with sem:
                transport, listener = await ws_connect(
                    lambda: Listener(port), f"ws://127.0.0.1:{port}/ws/notifications/?token={token}"
                )
                await asyncio.wait_for(listener.greeted, 10)
                return transport

        self.transports = await asyncio.gather(
            *(one(k, tok) for k, (_, tok) in enumerate(self.users))
        )
        return time.perf_counter() - t

    async def quiet(self, seconds: float = 2.0, limit: float = 120.0) -> None:
        """Wait until no frame arrived for `seconds` (backlog of the previous phase drained)."""
        deadline = time.monotonic() + limit
        while time.monotonic() - self.last_frame < seconds and time.monotonic() < deadline:
            await asyncio.sleep(0.1)

    async def close(self) -> None:
        for transport in self.transports:
            transport.send_close()
            transport.disconnect()
        await asyncio.gather(
            *(t.wait_disconnected() for t in self.transports), return_exceptions=True
        )


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(round(q / 100 * (len(ordered) - 1)), len(ordered) - 1)]


def _run_producers(env, user_ids, *, rate, seconds, procs, title) -> list[dict]:
    ids = ",".join(str(u) for u in user_ids)
    penv = dict(env, BENCH_ENV=json.dumps(env))
    cmds = []
    for k in range(procs):
        cmd = [
            sys.executable,
            str(Path(__file__)),
            "--producer",
            "--user-ids",
            ids,
            "--title",
            title,
        ]
        cmd += ["--rate", str(rate / procs), "--seconds", str(seconds),
                "--offset", str(k), "--stride", str(procs)]  # fmt: skip
        cmds.append(cmd)
    running = [
        subprocess.Popen(c, cwd=ROOT, env=penv, stdout=subprocess.PIPE, text=True) for c in cmds
    ]
    outs = []
    for proc in running:
        out, _ = proc.communicate(timeout=seconds + 120)
        outs.append(json.loads(out.strip().splitlines()[-1]))
    return outs


def _start_broadcaster(env: dict[str, str], user_ids: list[int]) -> subprocess.Popen:
    cmd = [sys.executable, str(Path(__file__)), "--producer", "--broadcast",
           "--user-ids", ",".join(str(u) for u in user_ids)]  # fmt: skip
    proc = subprocess.Popen(
        cmd, cwd=ROOT, env=dict(env, BENCH_ENV=json.dumps(env)), stdin=subprocess.PIPE,
        stdout=subprocess.PIPE, text=True, bufsize=1,
    )  # fmt: skip
    assert json.loads(proc.stdout.readline()).get("ready")
    return proc


def _ask(proc: subprocess.Popen, command: str) -> dict:
    proc.stdin.write(command + "\n")
    proc.stdin.flush()
    return json.loads(proc.stdout.readline())


async def _redis_arm(env, users, rates, seconds, broadcasts=1, servers=1) -> list[dict]:
    results = []
    with uvicorn_servers(env=env, processes=servers) as ports:
        clients = Clients(ports, users)
        took = await clients.connect()
        rss = ", ".join(f"{rss_mb(SERVER_PIDS[p]):.0f} MB" for p in ports)
        print(f"  connected {len(users)} websocket clients to {len(ports)} uvicorn process(es) "
              f"in {took:.1f}s; server RSS {rss}")  # fmt: skip
        # The 1,000 client connections are long-lived: move them out of the collector's
        # generations, so a full collection of the harness does not land inside a timing.
        gc.collect()
        gc.freeze()
        user_ids = [u for u, _ in users]
        for rate in rates:
            await clients.quiet()
            clients.received.clear()
            clients.phase = f"rate-{rate}"
            # One producer per ~100/s: a notification_create costs a few ms of DB round trips.
            procs = max(1, min(5, rate // 100))
            outs = await asyncio.to_thread(
                _run_producers, env, user_ids, rate=rate, seconds=seconds, procs=procs,
                title=clients.phase,
            )  # fmt: skip
            await clients.quiet()  # everything still in flight arrives (or never will)
            sent = sum(o["sent"] for o in outs)
            achieved = sent / max(o["elapsed"] for o in outs)
            lat = list(clients.received.values())
            results.append(
                {"arm": f"redis {rate}/s", "target": rate, "achieved": achieved, "sent": sent,
                 "received": len(lat), "drops": sent - len(lat), "p50": _pct(lat, 50),
                 "p95": _pct(lat, 95), "p99": _pct(lat, 99), "max": max(lat, default=float("nan"))}
            )  # fmt: skip
        # Broadcast: one notification to every connected user, set-based and as a loop, from
        # one warmed-up producer process.
        runs = ["set"] * broadcasts + (["loop"] if broadcasts else [])
        producer = _start_broadcaster(env, user_ids) if runs else None
        for k, mode in enumerate(runs):
            await clients.quiet()
            clients.received.clear()
            for values in clients.received_by_port.values():
                values.clear()
            clients.phase = f"broadcast-{k}"
            info = await asyncio.to_thread(_ask, producer, f"{clients.phase} {mode}")
            deadline = time.monotonic() + 30
            while len(clients.received) < len(users) and time.monotonic() < deadline:
                await asyncio.sleep(0.01)
            label = "notification_broadcast" if mode == "set" else "loop of notification_create"
            received = list(clients.received.values())
            results.append(
                {"arm": f"broadcast {len(users)} users ({label})", "sent": info["sent"],
                 "received": len(received), "drops": info["sent"] - len(received),
                 "create_ms": (info["t_done"] - info["t0"]) * 1000,
                 "p50_receive_ms": _pct(received, 50),
                 "last_receive_ms": max(received, default=float("nan")),
                 "last_by_server": [max(v, default=float("nan"))
                                    for v in clients.received_by_port.values()]}
            )  # fmt: skip
        if producer is not None:
            producer.stdin.close()
            producer.wait(timeout=30)
        await clients.close()
    return results


async def _floor_arm(n_clients: int, count: int) -> dict:
    """In-memory layer, one process: communicators + notification_create from a thread."""
    from channels.db import database_sync_to_async
    from channels.testing import WebsocketCommunicator

    from intelipro.asgi import application
    from intelipro.realtime import register_server_loop
    from notifications.services import notification_create

    # As the ASGI lifespan does in embedded mode: sends from threads go to this loop.
    register_server_loop(asyncio.get_running_loop())

    users = await database_sync_to_async(_prepare_users)(n_clients)
    comms = []
    for _, token in users:
        c = WebsocketCommunicator(
            application,
            f"/ws/notifications/?token={token}",
            headers=[(b"origin", b"http://127.0.0.1")],
        )
        await c.connect()
        await c.receive_json_from(timeout=10)
        comms.append(c)

    async def produce() -> None:
        # On the loop thread itself (DJANGO_ALLOW_ASYNC_UNSAFE, set by the floor arm): no
        # thread hop, realtime.publish schedules the layer send on this loop directly.
        start = time.monotonic()
        for seq in range(count):  # paced at 100/s, like the redis arm it is the floor of
            await asyncio.sleep(max(0.0, start + seq / 100 - time.monotonic()))
            uid = users[seq % len(users)][0]
            notification_create(
                user=uid,
                type="batch",
                title="floor",
                message="m",
                data={"seq": seq, "t": time.time()},
            )

    lat: list[float] = []

    async def drain() -> None:
        # Read the communicators' output queues directly: receive_output() with a timeout
        # cancels the application when nothing comes, which would end the sockets.
        deadline = time.monotonic() + 60
        while len(lat) < count and time.monotonic() < deadline:
            for c in comms:
                while not c.output_queue.empty():
                    message = c.output_queue.get_nowait()
                    frame = json.loads(message.get("text") or "{}")
                    if frame.get("type") == "notification.created":
                        lat.append((time.time() - frame["data"]["data"]["t"]) * 1000)
            await asyncio.sleep(0.001)

    reader = asyncio.create_task(drain())
    await produce()
    await reader
    for c in comms:
        await c.disconnect()
    return {"arm": f"floor in-memory 100/s ({n_clients})", "sent": count, "received": len(lat),
            "drops": count - len(lat), "p50": _pct(lat, 50), "p95": _pct(lat, 95),
            "p99": _pct(lat, 99), "max": max(lat, default=float("nan"))}  # fmt: skip


def _migrate(env: dict[str, str]) -> None:
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=ROOT, env=env, check=True,
    )  # fmt: skip


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="notifications_ws")
    parser.add_argument("--full", action="store_true")
    parser.add_argument("--clients", type=int)
    parser.add_argument("--seconds", type=float)
    parser.add_argument("--rates", default="10,100,500", help="comma-separated; empty: none")
    parser.add_argument(
        "--broadcasts", type=int, help="set-based broadcasts to time (default 3; --full 10)"
    )
    parser.add_argument("--no-floor", action="store_true")
    parser.add_argument(
        "--servers",
        type=int,
        default=1,
        help="uvicorn processes (default 1, the issue's setup; one per core is the deployed "
        "shape behind nginx); the clients are spread over them round-robin",
    )
    args, _ = parser.parse_known_args(argv)
    n_clients = args.clients or (1000 if args.full else 200)
    broadcasts = args.broadcasts if args.broadcasts is not None else (10 if args.full else 3)
    seconds = args.seconds or (10.0 if args.full else 3.0)
    rates = [int(r) for r in args.rates.split(",") if r]
    redis_url = os.environ.get("REDIS_URL")
    tmp = tempfile.mkdtemp(prefix="bench-notify-")
    db_url = os.environ.get("DATABASE_URL") or f"sqlite:///{tmp}/db.sqlite3"
    print(
        f"\n## notifications_ws: {n_clients} clients, {seconds:.0f}s per rate, db={db_url.split(':')[0]}"
    )
    env = _env(db_url, redis_url, prefix=f"bench-notify-{os.getpid()}")
    _migrate(env)
    # Floor first, in this process, with the in-memory layer.
    floor_env = _env(db_url, None, prefix="x")
    floor_env["CHANNEL_LAYER_CAPACITY"] = "100000"
    floor_env["DJANGO_ALLOW_ASYNC_UNSAFE"] = "1"  # the floor calls the ORM on the loop thread
    _setup_django(floor_env)
    from asgiref.sync import async_to_sync  # noqa: F401 - django is set up now

    users = _prepare_users(n_clients)
    floor = None if args.no_floor else asyncio.run(_floor_arm(min(n_clients, 200), 300))
    rows = [floor] if floor else []
    if redis_url:
        rows = asyncio.run(_redis_arm(env, users, rates, seconds, broadcasts, args.servers)) + rows
    else:
        print("  REDIS_URL not set: redis and broadcast arms skipped")
    print(f"  {'arm':<28}{'target/s':>9}{'achieved/s':>11}{'sent':>7}{'drops':>6}"
          f"{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}")  # fmt: skip
    for r in rows:
        if r["arm"].startswith("broadcast"):
            continue
        print(f"  {r['arm']:<28}{r.get('target', ''):>9}{r.get('achieved', float('nan')):>11.1f}"
              f"{r['sent']:>7}{r['drops']:>6}{r['p50']:>9.1f}{r['p95']:>9.1f}{r['p99']:>9.1f}"
              f"{r['max']:>9.1f}")  # fmt: skip
    for r in rows:
        if r["arm"].startswith("broadcast"):
            print(f"  {r['arm']}: service call {r['create_ms']:.0f} ms, half the clients had it "
                  f"at {r['p50_receive_ms']:.0f} ms, the last at {r['last_receive_ms']:.0f} ms "
                  f"after the call started (per server: "
                  f"{', '.join(f'{v:.0f}' for v in r['last_by_server'])}), drops {r['drops']} "
                  "(target <= 250 ms)")  # fmt: skip
    sets = [r for r in rows if "(notification_broadcast)" in r["arm"]]
    loops = [r for r in rows if "(loop of notification_create)" in r["arm"]]
    if sets:
        last = [r["last_receive_ms"] for r in sets]
        service = [r["create_ms"] for r in sets]
        print(f"  broadcast summary over {len(sets)} runs: last client median "
              f"{statistics.median(last):.0f} ms, best {min(last):.0f}, worst {max(last):.0f}; "
              f"{sum(v <= 250 for v in last)}/{len(last)} within 250 ms; service call median "
              f"{statistics.median(service):.0f} ms")  # fmt: skip
        if loops:
            print(f"  loop of notification_create / notification_broadcast (last client): "
                  f"x{loops[0]['last_receive_ms'] / statistics.median(last):.1f}")  # fmt: skip
    by_arm = {r["arm"]: r for r in rows}
    if floor and "redis 100/s" in by_arm:
        r100 = by_arm["redis 100/s"]
        print(f"  redis 100/s p95 vs in-memory floor p95: x{r100['p95'] / floor['p95']:.1f} "
              f"(target p95 <= 20 ms, 0 drops)")  # fmt: skip
    return 0


if __name__ == "__main__":
    if "--producer" in sys.argv:
        p = argparse.ArgumentParser()
        p.add_argument("--producer", action="store_true")
        p.add_argument("--broadcast", action="store_true")
        p.add_argument("--title", default="bench")
        p.add_argument("--user-ids", required=True)
        p.add_argument("--rate", type=float, default=10)
        p.add_argument("--seconds", type=float, default=3)
        p.add_argument("--offset", type=int, default=0)
        p.add_argument("--stride", type=int, default=1)
        sys.exit(_producer(p.parse_args()))
    sys.exit(main(sys.argv[1:]))
