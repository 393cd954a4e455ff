import time

from django.core.management.base import BaseCommand

from core.cli import CommandProgress
from devdata.scale import PROFILES, generate


class Command(BaseCommand):
    help = "ベンチマーク用の大量データ（city: 1市 / national: 1,741団体）を一括生成します。既存の試験データは置き換えます。"

    def add_arguments(self, parser):
        parser.add_argument("--profile", choices=sorted(PROFILES), default="city")
        parser.add_argument("--seed", type=int, default=20251)

    def handle(self, *args, profile: str, seed: int, **options):
        started = time.perf_counter()
        with CommandProgress(self, options) as bars:

            def report(message: str) -> None:
                if bars.enabled:
                    bars.step(message)  # the bar shows the step; stdout stays for the summary
                elif options.get("verbosity", 1) > 0:
                    self.stdout.write(f"  {message}")

            counts = generate(profile, seed=seed, progress=report)
        elapsed = time.perf_counter() - started
        summary = ", ".join(f"{k} {v:,}" for k, v in counts.items())
        self.stdout.write(self.style.SUCCESS(f"generate_scale --profile {profile}: {summary} in {elapsed:.1f} s"))
