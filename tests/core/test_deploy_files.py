"""The deployment files describe the spec's production layout with one image."""

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def _compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_has_the_production_services():
    services = _compose()["services"]

    assert {"api", "worker", "beat", "db", "redis", "nginx"} <= set(services)
    assert services["db"]["image"] == "postgres:15"
    assert services["redis"]["image"].startswith("redis:7")


def test_app_roles_share_one_image_and_differ_by_command():
    services = _compose()["services"]

    images = {services[name]["image"] for name in ("api", "worker", "beat")}
    assert images == {"intelipro/api:latest"}
    assert "intelipro.workers.UvicornWorker" in services["api"]["command"]
    assert services["worker"]["command"][:4] == ["celery", "-A", "intelipro", "worker"]
    assert services["beat"]["command"][:4] == ["celery", "-A", "intelipro", "beat"]
    assert "django_celery_beat.schedulers:DatabaseScheduler" in services["beat"]["command"]


def test_every_way_of_serving_turns_websocket_compression_off():
    from uvicorn.main import main as uvicorn_cli

    from core.management.commands import run_stack
    from intelipro.uvicorn_options import UVICORN_OPTIONS
    from intelipro.workers import UvicornWorker

    # gunicorn's worker class (Dockerfile, compose) hands uvicorn the option...
    assert UvicornWorker.CONFIG_KWARGS["ws_per_message_deflate"] is False
    assert "intelipro.workers.UvicornWorker" in (ROOT / "Dockerfile").read_text()
    # ...and the command-line form (run_stack, benchmarks) parses to the same setting.
    params = uvicorn_cli.make_context("uvicorn", ["intelipro.asgi:application", *UVICORN_OPTIONS])
    assert params.params["ws_per_message_deflate"] is False
    assert "UVICORN_OPTIONS" in Path(run_stack.__file__).read_text()


def test_compose_commands_point_at_real_modules():
    import importlib

    assert importlib.import_module("intelipro.asgi").application
    assert importlib.import_module("intelipro.celery").app.main == "intelipro"


def test_nginx_config_is_mounted_and_proxies_websockets():
    nginx = _compose()["services"]["nginx"]
    conf = (ROOT / "deploy" / "nginx.conf").read_text()

    assert any(volume.startswith("./deploy/nginx.conf:") for volume in nginx["volumes"])
    assert "proxy_set_header Upgrade $http_upgrade" in conf


def test_dockerfile_is_multi_stage_non_root_and_collects_static():
    dockerfile = (ROOT / "Dockerfile").read_text()

    assert dockerfile.count("FROM ") >= 2
    assert "\nUSER app" in dockerfile
    assert "collectstatic" in dockerfile
    assert dockerfile.index("COPY requirements/") < dockerfile.index("COPY --chown=app:app . .")


def test_nginx_access_log_never_writes_query_strings():
    import re

    conf = (ROOT / "deploy" / "nginx.conf").read_text()
    formats = dict(re.findall(r"log_format\s+(\w+)\s+((?:'[^']*'\s*)+);", conf))
    access_logs = re.findall(r"access_log\s+\S+\s+(\w+)\s*;", conf)

    assert access_logs  # the default "combined" format would log $request (with the query)
    for name in access_logs:
        assert name in formats
        for variable in (
            "$request ",
            '$request"',
            "$request_uri",
            "$args",
            "$query_string",
            "$arg_",
        ):
            assert variable not in formats[name]
        assert "$uri" in formats[name]
