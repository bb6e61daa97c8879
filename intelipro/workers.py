"""gunicorn's worker class for the web processes (Dockerfile, docker-compose.yml):
`gunicorn -k intelipro.workers.UvicornWorker`, with intelipro/uvicorn_options.py applied.
Imports gunicorn and uvicorn-worker (requirements/production.txt)."""

from uvicorn_worker import UvicornWorker as BaseUvicornWorker

from intelipro.uvicorn_options import UVICORN_CONFIG


class UvicornWorker(BaseUvicornWorker):
    CONFIG_KWARGS = {**BaseUvicornWorker.CONFIG_KWARGS, **UVICORN_CONFIG}
