from django.apps import AppConfig


class BenchConfig(AppConfig):
    name = "bench"
    verbose_name = "benchmarks"

    def ready(self) -> None:
        # BENCH_PATCHES=name,… installs proposals (bench/proposals/) to measure their gain.
        from bench.proposals import install_from_env

        install_from_env()
