"""Settings of the servers the benchmarks start: the developer settings plus the benchmark's
own URL conf (bench/urls.py), which adds the benchmark-only floor views."""

from intelipro.settings.local import *

ROOT_URLCONF = "bench.urls"
